"""Pages where native code crashed, per kind of work ("detect", "text"): shown to the person, and left
out of later runs until they ask to retry them."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.store.project import Project

DETECT = "detect"
TEXT = "text"


def record(project: Project, doc_id: int, page: int, work: str, reason: str) -> None:
    with project.atomic() as db:
        db.execute("INSERT OR REPLACE INTO page_failures(doc_id, page, work, reason, at) VALUES (?, ?, ?, ?, ?)",
                   [doc_id, page, work, reason, datetime.now(UTC).isoformat(timespec="seconds")])


def clear(project: Project, doc_id: int, page: int, work: str) -> None:
    with project.atomic() as db:
        db.execute("DELETE FROM page_failures WHERE doc_id = ? AND page = ? AND work = ?", [doc_id, page, work])


def failed(project: Project, doc_id: int, work: str | None = None) -> dict[int, str]:
    """The reason each failed page of the document failed (of one kind of work, or any), by page index."""
    sql = "SELECT page, reason FROM page_failures WHERE doc_id = ?" + (" AND work = ?" if work else "") + \
        " ORDER BY page, work"
    rows = project.db.conn.execute(sql, [doc_id, work] if work else [doc_id]).fetchall()
    out: dict[int, str] = {}
    for page, reason in rows:
        out[int(page)] = f"{out[int(page)]} {reason}" if int(page) in out else str(reason)
    return out
