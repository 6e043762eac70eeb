"""The export's output folder: what may be replaced, the final rename, and leftovers of killed exports.

Overwriting replaces only a folder that is empty, or an earlier ReMUD export (its manifest.json
says so) holding nothing but the files that manifest lists: a mistyped path never deletes an
unrelated folder, and a file added to an export since (a training run's saves/, notes) is never
deleted with it. The GUI asks `replace_refusal` before it offers to replace a folder.

The temporary `<out>.partial-<token>` and `<out>.old-<token>` folders carry a marker file naming
the app and the token; clean-ups remove only folders whose marker proves an export made them.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import time
import uuid
from pathlib import Path

from engine.export.errors import ExportError, ExportExistsError
from engine.export.manifest import APP, MANIFEST, TEMP_MARKER, export_files
from engine.i18n import tr

STALE_SECONDS = 3600  # temp folders this old are leftovers of a killed export, not a running one
PARTIAL, OLD = ".partial-", ".old-"


def _unlisted(folder: Path, listed: dict) -> list[str]:
    """Files (and links to folders) in `folder` that are neither its manifest nor listed in it."""
    known = {MANIFEST, *listed}
    extra = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        for name in [*files, *(d for d in dirs if os.path.islink(os.path.join(root, d)))]:
            if (rel / name).as_posix() not in known:
                extra.append((rel / name).as_posix())
    return sorted(extra)


def replace_refusal(path: Path) -> str | None:
    """Why an export may not replace the existing `path` (one sentence), or None when it may."""
    if not path.is_dir():
        return tr("{path} is a file; choose a folder name for the export.").format(path=path)
    if not any(path.iterdir()):
        return None
    listed = export_files(path / MANIFEST)
    if listed is None:
        return tr("{path} is not a ReMUD export; choose an empty folder.").format(path=path)
    extra = _unlisted(path, listed)
    if extra:
        shown = ", ".join(extra[:3]) + (" …" if len(extra) > 3 else "")
        return tr("{path} holds files the export did not write ({files}); move them out or choose another "
                  "folder.").format(path=path, files=shown)
    return None


def can_overwrite(path: str | Path) -> bool:
    """Whether an export may replace `path`: it does not exist, is an empty folder, or is an earlier
    ReMUD export with nothing added to it."""
    path = Path(path).expanduser()
    return not path.exists() or replace_refusal(path) is None


def check_target(project_folder: Path, final: Path, overwrite: bool) -> None:
    """Raise ExportError / ExportExistsError when `final` cannot take the export."""
    project_dir = project_folder.resolve()
    if final == project_dir or final in project_dir.parents:
        raise ExportError(tr("{path} holds the project itself; choose another folder for the export.").format(
            path=final))
    if final.exists():
        if not final.is_dir():
            raise ExportError(tr("{path} is a file; choose a folder name for the export.").format(path=final))
        if not any(final.iterdir()):
            return
        if not overwrite:
            raise ExportExistsError(tr("{path} already exists; choose a new folder or allow overwriting it.").format(
                path=final))
        problem = replace_refusal(final)
        if problem:
            raise ExportExistsError(problem)


def temp_sibling(final: Path, kind: str) -> Path:
    return final.with_name(f"{final.name}{kind}{uuid.uuid4().hex[:8]}")


def _marker(folder: Path) -> str:
    return json.dumps({"app": APP, "token": folder.name.rpartition("-")[2]})


def _made_by_export(folder: Path) -> bool:
    """Whether `folder` (a .partial-/.old- sibling) holds the marker an export wrote into it."""
    try:
        return (folder / TEMP_MARKER).read_text(encoding="utf-8") == _marker(folder)
    except (OSError, UnicodeDecodeError):
        return False


def make_partial(final: Path) -> Path:
    """A new, marked `final`.partial-<token> folder to write the export into."""
    tmp = temp_sibling(final, PARTIAL)
    tmp.mkdir()
    try:
        (tmp / TEMP_MARKER).write_text(_marker(tmp), encoding="utf-8")
    except OSError:
        tmp.rmdir()
        raise
    return tmp


def remove_stale_siblings(final: Path, max_age: float = STALE_SECONDS) -> None:
    """Remove `final`.partial-* and `final`.old-* folders older than `max_age` seconds that an export
    made (a hard kill leaves them); folders of those names without the export's marker are not ours."""
    cutoff = time.time() - max_age
    for kind in (PARTIAL, OLD):
        for path in final.parent.glob(f"{glob.escape(final.name)}{kind}*"):
            try:
                if (path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff
                        and _made_by_export(path)):
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                continue


def swap_in(tmp: Path, final: Path, overwrite: bool) -> None:
    """Rename the finished folder into place; an old one is replaced only now, and restored if that fails."""
    old = None
    if final.exists():
        if final.is_dir() and not any(final.iterdir()):
            final.rmdir()
        elif not overwrite:
            raise ExportExistsError(tr("{path} appeared while exporting; choose a new folder or allow overwriting "
                                       "it.").format(path=final))
        elif problem := replace_refusal(final):
            raise ExportExistsError(problem)
        else:
            old = temp_sibling(final, OLD)
            os.rename(final, old)
            with contextlib.suppress(OSError):  # marked: a kill from here on leaves it for a later clean-up
                (old / TEMP_MARKER).write_text(_marker(old), encoding="utf-8")
    (tmp / TEMP_MARKER).unlink(missing_ok=True)
    try:
        os.rename(tmp, final)
    except OSError:
        if old is not None:
            os.rename(old, final)
            (final / TEMP_MARKER).unlink(missing_ok=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
