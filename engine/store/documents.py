"""Documents and their pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from engine.errors import NotFoundError
from engine.i18n import tr
from engine.store import search
from engine.store.editlog import log_edit
from engine.store.models import Document, Page
from engine.store.project import Project, inserted_id, now

_DOC_COLS = "id, sha256, title, file, original_path, page_count, file_size, was_encrypted, was_repaired, imported_at"
_PAGE_COLS = "doc_id, idx, width, height, rotation, has_text, image_only, reviewed, corrected, detected_by"


@dataclass(frozen=True)
class NewPage:
    index: int
    width: float
    height: float
    rotation: int
    has_text: bool
    image_only: bool
    text: str = ""


def _doc(row: Sequence[Any]) -> Document:
    i, sha256, title, file, original_path, page_count, file_size, was_encrypted, was_repaired, imported_at = row
    return Document(i, sha256, title, file, original_path, page_count, file_size, bool(was_encrypted),
                    bool(was_repaired), imported_at)


def _page(row: Sequence[Any], text: str = "") -> Page:
    d, i, w, h, rot, has_text, image_only, reviewed, corrected, detected_by = row
    return Page(d, i, w, h, rot, bool(has_text), bool(image_only), bool(reviewed), bool(corrected), detected_by, text)


def add_document(
    project: Project,
    *,
    sha256: str,
    title: str,
    file: str,
    original_path: str,
    file_size: int,
    pages: Iterable[NewPage],
    was_encrypted: bool = False,
    was_repaired: bool = False,
) -> Document:
    """The document row and all its page rows, in one transaction."""
    with project.atomic() as db:
        cur = db.execute(
            "INSERT INTO documents(sha256, title, file, original_path, page_count, file_size, "
            "was_encrypted, was_repaired, imported_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)",
            [sha256, title, file, original_path, file_size, int(was_encrypted), int(was_repaired), now()],
        )
        doc_id = inserted_id(cur)
        count = 0
        batch: list[tuple[object, ...]] = []
        for p in pages:
            batch.append((doc_id, p.index, p.width, p.height, p.rotation, int(p.has_text), int(p.image_only), p.text))
            count += 1
            if len(batch) >= 500:
                _insert_pages(db, batch)
                batch.clear()
        _insert_pages(db, batch)
        db.execute("UPDATE documents SET page_count = ? WHERE id = ?", [count, doc_id])
    return get_document(project, doc_id)


def _insert_pages(db: sqlite_utils.Database, batch: list[tuple[object, ...]]) -> None:
    if batch:
        db.conn.executemany(
            "INSERT INTO pages(doc_id, idx, width, height, rotation, has_text, image_only, text) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )


def get_document(project: Project, doc_id: int) -> Document:
    row = project.db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE id = ?", [doc_id]).fetchone()
    if row is None:
        raise NotFoundError(tr("Document {id} is not in this project.").format(id=doc_id))
    return _doc(row)


def find_by_sha256(project: Project, sha256: str) -> Document | None:
    row = project.db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE sha256 = ?", [sha256]).fetchone()
    return _doc(row) if row else None


def list_documents(project: Project) -> list[Document]:
    return [_doc(r) for r in project.db.execute(f"SELECT {_DOC_COLS} FROM documents ORDER BY id").fetchall()]


def rename_document(project: Project, doc_id: int, title: str) -> None:
    with project.atomic() as db:
        db.execute("UPDATE documents SET title = ? WHERE id = ?", [title, doc_id])


def delete_document(project: Project, doc_id: int) -> None:
    """Removes the document, its pages and figures (records keep their text, lose the link)."""
    doc = get_document(project, doc_id)
    with project.atomic() as db:
        for (fid,) in db.execute("SELECT id FROM figures WHERE doc_id = ?", [doc_id]).fetchall():
            search.forget(db, "figure", fid)
        db.execute("DELETE FROM figures WHERE doc_id = ?", [doc_id])
        db.execute("DELETE FROM documents WHERE id = ?", [doc_id])
    path = project.source_path(doc.file)
    if path.exists():
        path.unlink()


def get_page(project: Project, doc_id: int, index: int, *, with_text: bool = False) -> Page:
    row = project.db.execute(
        f"SELECT {_PAGE_COLS}, text FROM pages WHERE doc_id = ? AND idx = ?", [doc_id, index]
    ).fetchone()
    if row is None:
        raise NotFoundError(tr("Page {page} of document {id} is not in this project.").format(page=index + 1, id=doc_id))
    return _page(row[:-1], row[-1] if with_text else "")


def list_pages(project: Project, doc_id: int) -> list[Page]:
    rows = project.db.execute(f"SELECT {_PAGE_COLS} FROM pages WHERE doc_id = ? ORDER BY idx", [doc_id]).fetchall()
    return [_page(r) for r in rows]


def set_page_flags(
    project: Project, doc_id: int, index: int, *, reviewed: bool | None = None, corrected: bool | None = None
) -> None:
    sets, params = [], []
    for name, value in (("reviewed", reviewed), ("corrected", corrected)):
        if value is not None:
            sets.append(f"{name} = ?")
            params.append(int(value))
    if not sets:
        return
    with project.atomic() as db:
        db.execute(f"UPDATE pages SET {', '.join(sets)} WHERE doc_id = ? AND idx = ?", [*params, doc_id, index])
        changes = {k: v for k, v in (("reviewed", reviewed), ("corrected", corrected)) if v is not None}
        log_edit(db, "document", doc_id, "page_flags", after={"page": index, **changes})


def review_progress(project: Project, doc_id: int) -> tuple[int, int]:
    """(pages reviewed, pages) of a document."""
    row = project.db.conn.execute("SELECT sum(reviewed), count(*) FROM pages WHERE doc_id = ?", [doc_id]).fetchone()
    return int(row[0] or 0), int(row[1])


def next_unreviewed_page(project: Project, doc_id: int, after: int = -1) -> int | None:
    row = project.db.execute(
        "SELECT idx FROM pages WHERE doc_id = ? AND reviewed = 0 AND idx > ? ORDER BY idx LIMIT 1", [doc_id, after]
    ).fetchone()
    return row[0] if row else None
