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
PARTIAL = re.compile(r"\.(?:project|before-[a-z]+)-\d{8}-\d{6}\.sqlite\.(\d+)\.partial")  # a backup being written, by pid
BEFORE = "before-"  # copies taken right before a large change: before-<what>-<stamp>.sqlite

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


def _before(folder: Path, what: str = "*") -> list[Path]:
    """Copies taken before a large change (backup_before), newest first."""
    root = folder / BACKUP_DIR
    if not root.is_dir():
        return []
    return sorted(root.glob(f"{BEFORE}{what}-*{SUFFIX}"), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def latest_backup(folder: Path) -> Path | None:
    """The newest copy of the database: a rolling backup or one taken before a merge, else one taken
    before a schema upgrade."""
    ours = _ours(folder) + _before(folder)
    if ours:
        return max(ours, key=lambda p: p.stat().st_mtime)
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


def backup_before(conn: sqlite3.Connection, folder: Path, what: str) -> Path:
    """A copy of the database taken right before a large change (`what`: "merge"), as
    backups/before-<what>-<stamp>.sqlite (prune_before keeps the last KEEP once the change is done).
    Unlike the daily copy it raises when it cannot be written: the change must not go ahead without it."""
    root = folder / BACKUP_DIR
    root.mkdir(exist_ok=True)
    remove_orphans(root, PARTIAL)
    name = f"{BEFORE}{what}-{datetime.now():%Y%m%d-%H%M%S}"
    target, n = root / f"{name}{SUFFIX}", 1
    while target.exists():  # two changes within a second
        target, n = root / f"{name}.{n}{SUFFIX}", n + 1
    partial = root / f".{name}{SUFFIX}.{os.getpid()}.partial"
    try:
        dest = sqlite3.connect(str(partial))
        try:
            conn.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def prune_before(folder: Path, what: str) -> None:
    """Keep the last KEEP copies taken before a `what` (once the change they guard is done)."""
    for old in _before(folder, what)[KEEP:]:
        old.unlink(missing_ok=True)
