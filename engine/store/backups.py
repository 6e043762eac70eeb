"""Rolling backups of the project database, so a damaged file has a recent copy to go back to.

On an open for writing that found the database sound, a copy is taken when the newest one is
a day old or more (SQLite's online backup: consistent while other programs write). The last
few are kept in `backups/`; the app only ever removes files it named itself there.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from datetime import datetime
from pathlib import Path

from engine.leftovers import remove_orphans

BACKUP_DIR = "backups"
PREFIX, SUFFIX = "project-", ".sqlite"
KEEP = 3
EVERY_S = 24 * 3600
PARTIAL = re.compile(r"\.project-\d{8}-\d{6}\.sqlite\.(\d+)\.partial")  # a backup being written, by pid

log = logging.getLogger(__name__)


def _ours(folder: Path) -> list[Path]:
    """The backups this app wrote, newest first (names are sortable timestamps)."""
    root = folder / BACKUP_DIR
    if not root.is_dir():
        return []
    found = [p for p in root.glob(f"{PREFIX}*{SUFFIX}") if _stamp(p) is not None]
    return sorted(found, key=lambda p: p.name, reverse=True)


def _stamp(path: Path) -> datetime | None:
    try:
        return datetime.strptime(path.name[len(PREFIX):-len(SUFFIX)], "%Y%m%d-%H%M%S")
    except ValueError:
        return None


def latest_backup(folder: Path) -> Path | None:
    """The newest copy of the database: a rolling backup, else one taken before a schema upgrade."""
    ours = _ours(folder)
    if ours:
        return ours[0]
    upgrades = sorted(folder.glob("project.v*.sqlite.bak"), key=lambda p: p.stat().st_mtime, reverse=True)
    return upgrades[0] if upgrades else None


def backup_if_due(conn: sqlite3.Connection, folder: Path, *, every_s: float = EVERY_S) -> Path | None:
    """Take a backup if the newest is older than `every_s`; never raises (a backup must not stop work)."""
    ours = _ours(folder)
    if ours and time.time() - ours[0].stat().st_mtime < every_s:
        return None
    remove_orphans(folder / BACKUP_DIR, PARTIAL)  # backups a killed process did not finish
    target = folder / BACKUP_DIR / f"{PREFIX}{datetime.now():%Y%m%d-%H%M%S}{SUFFIX}"
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        target.parent.mkdir(exist_ok=True)
        dest = sqlite3.connect(str(partial))
        try:
            conn.backup(dest)
        finally:
            dest.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        log.warning("no backup of %s: %s", folder, exc)
        partial.unlink(missing_ok=True)
        return None
    for old in _ours(folder)[KEEP:]:
        old.unlink(missing_ok=True)
    return target
