"""`remud repair`: save what SQLite can still read from a damaged project database.

Like the sqlite3 shell's `.recover`, it never writes to the damaged file: every table of
the current schema is read row by row into a new database, stepping over the b-tree pages
that cannot be read; indexes and the search index are rebuilt from the rows; page rows
lost with the damage are read again from the imported PDFs. The damaged file is kept next
to the new one (`project.damaged-<time>.sqlite`) so nothing is thrown away.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pymupdf
import sqlite_utils

from engine.errors import ProjectError, ProjectNotFoundError
from engine.i18n import N_, ntr, tr
from engine.pdf.pageinfo import page_is_image_only
from engine.store import project as project_module
from engine.store import search
from engine.store.schema import MIGRATIONS, SCHEMA_VERSION

DB_NAME = project_module.DB_NAME
_MAX_SKIP = 1 << 24  # the furthest a scan jumps over unreadable rowids before it gives up
# Parents first, so that foreign keys find what they point at.
_ORDER = ["documents", "pages", "figures", "records", "jobs", "job_batches", "job_items",
          "chat_sessions", "chat_messages", "edit_log", "page_ocr", "page_text", "page_failures"]
# The tables as the repair's summary names them: their own names in English, readable in a translation.
# Translators: each of these is the name of a database table, counted in "{n} {table}" (rows saved)
_TABLE_NAMES = (N_("documents"), N_("pages"), N_("figures"), N_("records"), N_("jobs"), N_("job_batches"),
                N_("job_items"), N_("chat_sessions"), N_("chat_messages"), N_("edit_log"), N_("page_ocr"),
                N_("page_text"), N_("page_failures"), N_("project_meta"), N_("handouts"), N_("merges"))


@dataclass
class RepairReport:
    folder: Path
    database: Path  # the new database
    damaged_copy: Path | None  # where the damaged file was kept (None with --out)
    rows: dict[str, int] = field(default_factory=dict)  # rows saved per table
    unreadable: dict[str, int] = field(default_factory=dict)  # rowid gaps stepped over per table (an estimate)
    pages_reread: int = 0  # page rows read again from the PDFs
    dropped: dict[str, int] = field(default_factory=dict)  # rows whose parent was lost

    @property
    def summary(self) -> str:
        # Translators: a list item of "Saved {rows} into {file}."; {table} is the name of a database table
        saved = tr(", ").join(tr("{n} {table}").format(n=n, table=tr(t) if t in _TABLE_NAMES else t)
                               for t, n in self.rows.items() if n)
        lost = sum(self.unreadable.values()) + sum(self.dropped.values())
        lines = [tr("Saved {rows} into {file}.").format(rows=saved, file=self.database) if saved
                 else tr("Saved nothing into {file}.").format(file=self.database)]
        lines.append(ntr("About {n} row could not be read.", "About {n} rows could not be read.", lost).format(n=lost)
                     if lost else tr("Every row could be read."))
        if self.damaged_copy:
            lines.append(tr("The damaged file is kept as {name}.").format(name=self.damaged_copy.name))
        return " ".join(lines)


def _open_damaged(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        conn = sqlite3.connect(uri + query, uri=True, isolation_level=None)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.DatabaseError:
            conn.close()
    raise ProjectError(tr("{path} is too damaged to read anything from (its first page is gone): "
                          "restore a backup from the backups/ folder instead.").format(path=path))


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    except sqlite3.DatabaseError:
        return []


def _rows(conn: sqlite3.Connection, table: str, cols: list[str], gaps: list[int]) -> Iterator[tuple[Any, ...]]:
    """Every readable row in rowid order; unreadable stretches are stepped over (counted in gaps).
    Each restart begins past the previous one, so a scan always ends, however the pages are broken."""
    select = f"SELECT rowid, {', '.join(cols)} FROM {table} WHERE rowid > ? ORDER BY rowid"
    last = floor = -(1 << 62)
    while True:
        try:
            for row in conn.execute(select, [last]):
                if row[0] <= last:  # out of order: a damaged page
                    continue
                last = row[0]
                yield row[1:]
            return
        except sqlite3.DatabaseError:
            origin = max(last, floor)
            found = _skip_damage(conn, select, origin)
            if found is None:
                return
            gaps.append(found - max(origin, 0) - 1)
            floor, last = found, max(last, found - 1)


def _skip_damage(conn: sqlite3.Connection, select: str, last: int) -> int | None:
    """The first rowid after `last` from which a read works again: jumps of 1, 2, 4, ..."""
    step = 1
    while step <= _MAX_SKIP:
        start = max(last, 0) + step
        try:
            row = conn.execute(select + " LIMIT 1", [start - 1]).fetchone()
        except sqlite3.DatabaseError:
            step *= 2
            continue
        return row[0] if row else None
    return None


def _tables(conn: sqlite3.Connection) -> list[str]:
    """The new database's own tables, parents first; the search index is rebuilt, not copied."""
    names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
                                            "'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE "
                                            "'search_index%'")]
    return sorted(names, key=lambda name: (_ORDER.index(name) if name in _ORDER else len(_ORDER), name))


def _new_database(path: Path) -> sqlite_utils.Database:
    path.unlink(missing_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(str(path), isolation_level=None))
    for migration in MIGRATIONS:
        migration(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return db


def _reread_pages(folder: Path, db: sqlite_utils.Database) -> int:
    """Page rows of surviving documents that were lost, read again from the imported PDF."""
    count = 0
    for doc_id, file, page_count in db.execute("SELECT id, file, page_count FROM documents").fetchall():
        have = {row[0] for row in db.execute("SELECT idx FROM pages WHERE doc_id = ?", [doc_id])}
        missing = [i for i in range(page_count) if i not in have]
        if not missing or not (folder / file).is_file():
            continue
        try:
            # pymupdf.open is its Document class, whose __init__ is not annotated
            with pymupdf.open(str(folder / file)) as pdf:  # type: ignore[no-untyped-call]
                for i in missing:
                    page = pdf.load_page(i)
                    text = page.get_text("text", sort=True)
                    db.execute(
                        "INSERT INTO pages(doc_id, idx, width, height, rotation, has_text, image_only, text) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [doc_id, i, page.rect.width, page.rect.height, page.rotation, int(bool(text.strip())),
                         int(page_is_image_only(page, text)), text])
                    count += 1
        except Exception:  # an unreadable PDF leaves those pages out; the rest is still saved
            continue
    return count


def _drop_orphans(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows whose parent row was lost with the damage cannot be kept under the foreign keys."""
    dropped: dict[str, int] = {}
    while True:
        violations = db.execute("PRAGMA foreign_key_check").fetchall()
        if not violations:
            return dropped
        for table, rowid, _parent, _fk in violations:
            db.execute(f"DELETE FROM {table} WHERE rowid = ?", [rowid])
            dropped[table] = dropped.get(table, 0) + 1


def repair_project(folder: str | Path, *, out: str | Path | None = None,
                   progress: Callable[[str], None] = lambda message: None) -> RepairReport:
    """Salvage the project's database into a new file; without `out`, the new file takes its place."""
    folder = Path(folder)
    if folder.name == DB_NAME:
        folder = folder.parent
    source = folder / DB_NAME
    if not source.is_file() or source.stat().st_size == 0:
        raise ProjectNotFoundError(tr("There is no project database to repair in {folder}.").format(folder=folder))
    if not os.access(folder, os.W_OK) and out is None:
        raise ProjectError(tr("{folder} is read-only: repair into a file elsewhere with --out.").format(folder=folder))
    target = Path(out) if out else folder / f".repair-{os.getpid()}.sqlite"
    old = _open_damaged(source)
    new = _new_database(target)
    report = RepairReport(folder, Path(out) if out else source, None)
    try:
        new.execute("PRAGMA foreign_keys = OFF")
        new.execute("BEGIN")
        for table in _tables(new.conn):
            keep = [c for c in _columns(new.conn, table) if c in set(_columns(old, table))]
            if not keep:
                continue
            progress(tr("Reading {table}…").format(table=tr(table) if table in _TABLE_NAMES else table))
            gaps: list[int] = []
            insert = f"INSERT OR IGNORE INTO {table}({', '.join(keep)}) VALUES ({', '.join('?' * len(keep))})"
            count = 0
            for row in _rows(old, table, keep, gaps):
                count += new.execute(insert, row).rowcount
            report.rows[table], report.unreadable[table] = count, sum(gaps)
        progress(tr("Reading lost pages again from the PDFs…"))
        report.pages_reread = _reread_pages(folder, new)
        report.dropped = _drop_orphans(new)
        progress(tr("Rebuilding the search index…"))
        for (fid,) in new.execute("SELECT id FROM figures").fetchall():
            search.reindex_figure(new, fid)
        for (rid,) in new.execute("SELECT id FROM records").fetchall():
            search.reindex_record(new, rid)
        new.execute("COMMIT")
        new.execute("PRAGMA journal_mode = WAL")
    except BaseException:
        new.close()
        old.close()
        if not out:
            target.unlink(missing_ok=True)
        raise
    new.close()
    old.close()
    if not out:
        report.damaged_copy = _swap_in(folder, target)
    project_module.forget_checks()
    return report


def _swap_in(folder: Path, repaired: Path) -> Path:
    """The repaired file becomes project.sqlite; the damaged one (with its WAL) is kept beside it."""
    kept = folder / f"project.damaged-{datetime.now():%Y%m%d-%H%M%S}.sqlite"
    source = folder / DB_NAME
    os.replace(source, kept)
    for suffix in ("-wal", "-shm"):
        side = folder / (DB_NAME + suffix)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + suffix))
    os.replace(repaired, source)
    return kept
