"""What a failure of the project database means for the person using it, in one sentence.

SQLite reports faults by result code; each becomes a typed `StoreError` whose text says
what happened to the project (nothing was lost) and what to do next.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from engine.errors import DamagedProjectError, DiskFullError, ProjectBusyError, ReadOnlyProjectError, StoreError
from engine.i18n import ntr, tr
from engine.store.backups import latest_backup

BUSY_TIMEOUT_S = 30  # how long a writer waits for another one to finish

# SQLite's primary result codes (https://sqlite.org/rescode.html).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def backups_hint(folder: Path) -> str:
    """What to restore the database from, as the end of a sentence ("…, or restore the latest backup (…)")."""
    backup = latest_backup(folder)
    # Translators: ends a sentence: "Run `remud repair …` to save what can still be read into a new file, or …".
    return tr("restore the latest backup ({backup})").format(backup=backup) if backup \
        else tr("restore it from a copy you keep")


def backups_sentence(folder: Path) -> str:
    """backups_hint as the start of a sentence ("Restore the latest backup (…)")."""
    backup = latest_backup(folder)
    # Translators: followed by "; nothing was changed."
    return tr("Restore the latest backup ({backup})").format(backup=backup) if backup \
        else tr("Restore it from a copy you keep")


def damaged_message(folder: Path, detail: str = "") -> str:
    lines = [line.strip() for line in detail.splitlines() if line.strip() and not line.startswith("***")]
    first = lines[0][:120] if lines else ""
    if len(lines) > 1:
        # Translators: {problem} is SQLite's own (English) description of the damage.
        first = ntr("{problem} and {n} more problem", "{problem} and {n} more problems", len(lines) - 1).format(
            problem=first, n=len(lines) - 1)
    path, hint = folder / "project.sqlite", backups_hint(folder)
    if first:
        return tr("The project database {path} is damaged ({problem}), so nothing more is written to it. "
                  "Run `remud repair \"{folder}\"` to save what can still be read into a new file, or {restore}.").format(
            path=path, problem=first, folder=folder, restore=hint)
    return tr("The project database {path} is damaged, so nothing more is written to it. "
              "Run `remud repair \"{folder}\"` to save what can still be read into a new file, or {restore}.").format(
        path=path, folder=folder, restore=hint)


def read_only_message(folder: Path) -> str:
    return tr("The project {folder} is read-only here: you can browse, search and export from it, but not change it. "
              "To edit, copy the project folder to a place you can write to.").format(folder=folder)


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_damage(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return _code(exc) in (_CORRUPT, _NOTADB) or "malformed" in text or "not a database" in text


def _disk_nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False


def store_error(exc: sqlite3.Error, folder: Path) -> StoreError:
    """The typed error, with its sentence, for a SQLite failure on the project in `folder`."""
    code, text = _code(exc), str(exc).lower()
    if code in (_BUSY, _LOCKED) or "locked" in text:
        return ProjectBusyError(
            tr("The project {name} is busy: another ReMUD window or `remud` command has been writing to it for "
               "over {seconds} s. Try again when it has finished; nothing was lost.").format(
                name=folder.name, seconds=BUSY_TIMEOUT_S))
    if code == _FULL or "disk is full" in text or (code == _IOERR and _disk_nearly_full(folder)):
        return DiskFullError(
            tr("The disk holding {folder} is full: free some space, then try again. The project is intact; "
               "the last change was not saved.").format(folder=folder))
    if code == _READONLY or "readonly" in text:
        return ReadOnlyProjectError(read_only_message(folder))
    if is_damage(exc):
        return DamagedProjectError(damaged_message(folder, str(exc)))
    if code == _IOERR or "disk i/o" in text:
        return StoreError(
            tr("The project database in {folder} could not be read or written (disk I/O error): check that the drive "
               "is connected and has free space, then try again. Nothing saved before was lost.").format(folder=folder))
    if code == _CANTOPEN:
        return StoreError(tr("The project database in {folder} cannot be opened: check that the folder still exists "
                             "and that you may read it.").format(folder=folder))
    return StoreError(tr("The project database in {folder} failed ({error}). Nothing saved before was lost.").format(
        folder=folder, error=exc))
