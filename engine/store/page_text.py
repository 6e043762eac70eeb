"""Which boxes of each page had their text read last, so a later run skips the pages that did not change."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.geometry import Rect
from engine.store.models import Figure
from engine.store.project import Project


def boxes_key(figs: Iterable[Figure]) -> str:
    """The figures of one page as text: their ids, rectangles and masks (a box moved, replaced or
    masked changes it)."""
    return ";".join(f"{f.id}:{_rects((f.rect, *f.redactions))}" for f in sorted(figs, key=lambda f: f.id))


def _rects(rects: Iterable[Rect]) -> str:
    return "/".join(",".join(f"{v:.1f}" for v in r.as_tuple()) for r in rects)


def read_keys(project: Project, doc_id: int) -> dict[int, str]:
    """The key of each page of the document whose text was read, by page index."""
    rows = project.db.conn.execute("SELECT page, boxes FROM page_text WHERE doc_id = ?", [doc_id]).fetchall()
    return {int(page): str(boxes) for page, boxes in rows}


def mark_read(project: Project, doc_id: int, keys: Mapping[int, str]) -> None:
    """Remember that the text of these pages was read with these boxes."""
    if not keys:
        return
    with project.atomic() as db:
        db.conn.executemany("INSERT OR REPLACE INTO page_text(doc_id, page, boxes) VALUES (?, ?, ?)",
                       [(doc_id, page, key) for page, key in keys.items()])
