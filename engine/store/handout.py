"""Handing out parts of a project: each part a project folder of its own, for one annotator.

A part is a copy of the project that keeps only the documents with pages assigned to it (whole
documents: their pages, figures, records, synthesis items, OCR), every conversation and the
whole edit history. Rows keep their ids and their `uid`s (schema v8), so a merge back
(engine.store.merge) knows every figure and record again. Each part records where it came from
(`handouts` row, role 'received': the parent's id and folder, the pages assigned) and keeps the
database as it was handed out in `handout/base.sqlite`, the common ancestor a merge compares
both sides with. The parent records each part it handed out (role 'given'), in one transaction
once every folder is complete. A folder is written under a temporary name and renamed when
complete: a part is there whole or not at all.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.errors import CancelledError, ProjectError, ProjectExistsError
from engine.i18n import tr
from engine.store import documents
from engine.store.project import DB_NAME, Project, now

HANDOUT_DIR = "handout"
BASE_NAME = "base.sqlite"
CHAT_IMAGES = "chat-images"
PARTIAL_PREFIX = ".handout-"

Progress = Callable[[int, int, str], None]  # (parts done, parts, what is being written)


@dataclass(frozen=True)
class PartSpec:
    """One part to hand out: its folder name, who works on it, and its pages ({doc_id: 0-based pages})."""

    folder_name: str
    pages: Mapping[int, Sequence[int]]
    assignee: str = ""


@dataclass(frozen=True)
class AssignedDocument:
    sha256: str
    title: str
    pages: str  # 1-based ranges, e.g. "1-40,45"
    page_count: int

    def page_set(self) -> set[int]:
        """The assigned pages, 0-based."""
        return set(parse_ranges(self.pages))


@dataclass(frozen=True)
class HandoutInfo:
    """A `handouts` row: a part handed out from a project (role 'given', in the parent) or where
    this project came from (role 'received', in the part)."""

    uid: str
    role: str
    name: str
    assignee: str
    parent_uid: str
    parent_path: str
    project_uid: str
    path: str
    documents: tuple[AssignedDocument, ...]
    created_at: str

    @property
    def who(self) -> str:
        """How the part is called in reports: its assignee, else its folder's name."""
        return self.assignee or self.name

    def owns(self) -> set[tuple[str, int]]:
        """(document sha256, 0-based page) of every page assigned to it."""
        return {(d.sha256, p) for d in self.documents for p in d.page_set()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid, "role": self.role, "name": self.name, "assignee": self.assignee,
            "parent_uid": self.parent_uid, "parent_path": self.parent_path, "project_uid": self.project_uid,
            "path": self.path, "created_at": self.created_at,
            "documents": [{"sha256": d.sha256, "title": d.title, "pages": d.pages, "page_count": d.page_count}
                          for d in self.documents],
        }


@dataclass(frozen=True)
class WrittenPart:
    """A part written to disk."""

    info: HandoutInfo
    folder: Path
    figures: int
    records: int
    pages: int  # pages assigned
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "figures": self.figures, "records": self.records,
                "pages_assigned": self.pages, **self.info.as_dict()}


# -- page ranges -----------------------------------------------------------------------------
def page_ranges(pages: Iterable[int]) -> str:
    """0-based pages -> 1-based ranges: [0, 1, 2, 5] -> "1-3,6"."""
    out: list[str] = []
    run: list[int] = []
    for p in sorted(set(pages)):
        if run and p == run[-1] + 1:
            run.append(p)
            continue
        if run:
            out.append(f"{run[0] + 1}-{run[-1] + 1}" if len(run) > 1 else f"{run[0] + 1}")
        run = [p]
    if run:
        out.append(f"{run[0] + 1}-{run[-1] + 1}" if len(run) > 1 else f"{run[0] + 1}")
    return ",".join(out)


def parse_ranges(text: str) -> list[int]:
    """1-based ranges -> 0-based pages: "1-3,6" -> [0, 1, 2, 5] (what page_ranges wrote)."""
    pages: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if part:
            lo, _, hi = part.partition("-")
            pages.extend(range(int(lo) - 1, int(hi or lo)))
    return pages


# -- reading ---------------------------------------------------------------------------------
def project_uid(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT value FROM project_meta WHERE key = 'uid'").fetchone()
    return str(row[0]) if row else ""


def project_id(project: Project) -> str:
    """This project's own id (schema v8): what its parts name as their parent."""
    return project_uid(project.db.conn)


def _info(row: Sequence[Any]) -> HandoutInfo:
    uid, role, name, assignee, parent_uid, parent_path, project, path, pages, created = row
    docs = tuple(AssignedDocument(d["sha256"], d.get("title", ""), d.get("pages", ""), int(d.get("page_count", 0)))
                 for d in json.loads(pages or "[]"))
    return HandoutInfo(uid, role, name, assignee, parent_uid, parent_path, project, path, docs, created)


_COLS = "uid, role, name, assignee, parent_uid, parent_path, project_uid, path, pages, created_at"


def handouts(db: sqlite3.Connection, role: str | None = None) -> list[HandoutInfo]:
    """The `handouts` rows of a database (any connection to a v8+ project), oldest first."""
    sql = f"SELECT {_COLS} FROM handouts" + (" WHERE role = ?" if role else "") + " ORDER BY created_at, rowid"
    return [_info(r) for r in db.execute(sql, [role] if role else []).fetchall()]


def received(db: sqlite3.Connection) -> HandoutInfo | None:
    """Where this project came from, when it is a handed-out part."""
    found = handouts(db, "received")
    return found[-1] if found else None


def given(project: Project) -> list[HandoutInfo]:
    """The parts this project handed out."""
    return handouts(project.db.conn, "given")


def _insert_info(db: sqlite3.Connection, info: HandoutInfo) -> None:
    pages = json.dumps([{"sha256": d.sha256, "title": d.title, "pages": d.pages, "page_count": d.page_count}
                        for d in info.documents], ensure_ascii=False)
    db.execute(f"INSERT OR REPLACE INTO handouts({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [info.uid, info.role, info.name, info.assignee, info.parent_uid, info.parent_path, info.project_uid,
                info.path, pages, info.created_at])


# -- writing ---------------------------------------------------------------------------------
def _copy_database(project: Project, target: Path) -> None:
    dest = sqlite3.connect(str(target))
    try:
        project.db.conn.backup(dest)
    finally:
        dest.close()


def _prune(conn: sqlite3.Connection, keep_docs: Sequence[int], *, keep_loose: bool) -> None:
    """Leave only the kept documents (and what hangs on them) in a part's database.
    `keep_loose`: also records and synthesis items attached to no document (the first part gets them)."""
    conn.execute("CREATE TEMP TABLE keep_docs(id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO keep_docs(id) VALUES (?)", [(d,) for d in keep_docs])
    gone_figs = "SELECT id FROM figures WHERE doc_id NOT IN (SELECT id FROM keep_docs)"
    loose = "" if keep_loose else " OR (figure_id IS NULL AND doc_id IS NULL)"
    for table in ("records", "job_items"):
        conn.execute(f"DELETE FROM {table} WHERE figure_id IN ({gone_figs}) "
                     f"OR (doc_id IS NOT NULL AND doc_id NOT IN (SELECT id FROM keep_docs)){loose}")
    conn.execute("DELETE FROM jobs WHERE id NOT IN (SELECT DISTINCT job_id FROM job_items)")
    conn.execute("DELETE FROM documents WHERE id NOT IN (SELECT id FROM keep_docs)")  # pages, figures, caches follow
    conn.execute("DELETE FROM search_index WHERE (entity = 'figure' AND entity_id NOT IN (SELECT id FROM figures)) "
                 "OR (entity = 'record' AND entity_id NOT IN (SELECT id FROM records))")
    conn.execute("DELETE FROM handouts")
    conn.execute("DELETE FROM merges")
    conn.execute("DROP TABLE temp.keep_docs")


def _copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def write_parts(project: Project, out_dir: str | Path, parts: Sequence[PartSpec], *,
                progress: Progress | None = None, cancel: Callable[[], bool] = lambda: False) -> list[WrittenPart]:
    """Write each part as a project folder in `out_dir` and record them in `project`. Nothing is
    written into a folder that exists; a cancel or failure removes the parts written so far."""
    project.refuse_writes()
    out = Path(out_dir).expanduser().resolve()
    if not parts:
        raise ProjectError(tr("Nothing to hand out: no part has pages."))
    names = [p.folder_name for p in parts]
    if len(set(names)) != len(names):
        raise ProjectError(tr("Two parts would have the same folder name; give each assignee a different name."))
    if out == project.folder.resolve() or project.folder.resolve() in out.parents:
        raise ProjectError(tr("Hand the parts out into a folder outside the project."))
    for name in names:
        if (out / name).exists():
            raise ProjectExistsError(tr("{folder} exists already; choose another folder or remove it first.").format(
                folder=out / name))
    docs = {d.id: d for d in documents.list_documents(project)}
    parent_uid = project_uid(project.db.conn)
    stamp = now()
    written: list[WrittenPart] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for n, part in enumerate(parts):
            if cancel():
                raise CancelledError(tr("Hand-out cancelled; no part was kept."))
            if progress:
                progress(n, len(parts), part.folder_name)
            written.append(_write_part(project, out, part, docs, parent_uid, stamp, first=n == 0))
        if progress:
            progress(len(parts), len(parts), "done")
        with project.atomic() as db:
            for w in written:
                _insert_info(db.conn, replace(w.info, role="given"))
    except BaseException:
        for w in written:
            shutil.rmtree(w.folder, ignore_errors=True)
        raise
    return written


def _write_part(project: Project, out: Path, part: PartSpec, docs: Mapping[int, Any], parent_uid: str,
                stamp: str, *, first: bool) -> WrittenPart:
    unknown = [d for d in part.pages if d not in docs]
    if unknown:
        raise ProjectError(tr("Document {id} is not in this project.").format(id=unknown[0]))
    keep = sorted(d for d, pages in part.pages.items() if pages)
    if not keep:
        raise ProjectError(tr("The part {name} has no pages.").format(name=part.folder_name))
    final = out / part.folder_name
    tmp = out / f"{PARTIAL_PREFIX}{part.folder_name}.{os.getpid()}.{secrets.token_hex(3)}"
    tmp.mkdir()
    try:
        db_path = tmp / DB_NAME
        _copy_database(project, db_path)
        conn = sqlite3.connect(str(db_path), isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            child_uid = secrets.token_hex(16)
            info = HandoutInfo(
                uid=secrets.token_hex(16), role="received", name=final.name.removesuffix(".remud"),
                assignee=part.assignee, parent_uid=parent_uid, parent_path=str(project.folder.resolve()),
                project_uid=child_uid, path=str(final),
                documents=tuple(AssignedDocument(docs[d].sha256, docs[d].title, page_ranges(part.pages[d]),
                                                 docs[d].page_count) for d in keep),
                created_at=stamp)
            conn.execute("BEGIN IMMEDIATE")
            _prune(conn, keep, keep_loose=first)
            conn.execute("UPDATE project_meta SET value = ? WHERE key = 'uid'", [child_uid])
            _insert_info(conn, info)
            conn.execute("COMMIT")
            conn.execute("VACUUM")
            conn.execute("PRAGMA journal_mode = DELETE")  # one file at rest; opening the part turns WAL on again
            counts = conn.execute("SELECT (SELECT count(*) FROM figures), (SELECT count(*) FROM records)").fetchone()
            (tmp / HANDOUT_DIR).mkdir()
            base = sqlite3.connect(str(tmp / HANDOUT_DIR / BASE_NAME))
            try:
                conn.backup(base)
                base.execute("PRAGMA journal_mode = DELETE")
            finally:
                base.close()
        finally:
            conn.close()
        for d in keep:
            _copy_file(project.source_path(docs[d].file), tmp / docs[d].file)
        images = project.folder / CHAT_IMAGES
        if images.is_dir():
            shutil.copytree(images, tmp / CHAT_IMAGES)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return WrittenPart(info, final, int(counts[0]), int(counts[1]), sum(len(part.pages[d]) for d in keep))


def base_database(folder: Path) -> Path | None:
    """The database a part had when it was handed out (None when the folder is not a part)."""
    path = folder / HANDOUT_DIR / BASE_NAME
    return path if path.is_file() else None
