"""The export's output folder: what may be replaced, the final rename, and leftovers of killed exports.

Overwriting replaces only a folder that is empty or holds a manifest.json a ReMUD export
wrote, so a mistyped path can never delete an unrelated folder. The GUI asks
`can_overwrite` before it offers to replace a folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import time
import uuid
from pathlib import Path

from engine.export.errors import ExportError, ExportExistsError
from engine.export.manifest import MANIFEST, is_export_manifest

STALE_SECONDS = 3600  # temp folders this old are leftovers of a killed export, not a running one
PARTIAL, OLD = ".partial-", ".old-"


def can_overwrite(path: str | Path) -> bool:
    """Whether an export may replace `path`: it does not exist, is an empty folder, or is a ReMUD export."""
    path = Path(path).expanduser()
    if not path.exists():
        return True
    if not path.is_dir():
        return False
    return not any(path.iterdir()) or is_export_manifest(path / MANIFEST)


def check_target(project_folder: Path, final: Path, overwrite: bool) -> None:
    """Raise ExportError / ExportExistsError when `final` cannot take the export."""
    project_dir = project_folder.resolve()
    if final == project_dir or final in project_dir.parents:
        raise ExportError(f"{final} holds the project itself; choose another folder for the export.")
    if final.exists():
        if not final.is_dir():
            raise ExportError(f"{final} is a file; choose a folder name for the export.")
        if not any(final.iterdir()):
            return
        if not overwrite:
            raise ExportExistsError(f"{final} already exists; choose a new folder or allow overwriting it.")
        if not can_overwrite(final):
            raise ExportExistsError(f"{final} is not a ReMUD export; choose an empty folder.")


def temp_sibling(final: Path, kind: str) -> Path:
    return final.with_name(f"{final.name}{kind}{uuid.uuid4().hex[:8]}")


def remove_stale_siblings(final: Path, max_age: float = STALE_SECONDS) -> None:
    """Remove `final`.partial-* and `final`.old-* folders older than `max_age` seconds (a hard kill leaves them)."""
    cutoff = time.time() - max_age
    for kind in (PARTIAL, OLD):
        for path in final.parent.glob(f"{glob.escape(final.name)}{kind}*"):
            try:
                if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                continue


def swap_in(tmp: Path, final: Path, overwrite: bool) -> None:
    """Rename the finished folder into place; an old one is replaced only now, and restored if that fails."""
    old = None
    if final.exists():
        if not any(final.iterdir()):
            final.rmdir()
        elif overwrite and can_overwrite(final):
            old = temp_sibling(final, OLD)
            os.rename(final, old)
        elif overwrite:
            raise ExportExistsError(f"{final} is not a ReMUD export; choose an empty folder.")
        else:
            raise ExportExistsError(f"{final} appeared while exporting; choose a new folder or allow overwriting it.")
    try:
        os.rename(tmp, final)
    except OSError:
        if old is not None:
            os.rename(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
