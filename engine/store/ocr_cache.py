"""Stored OCR results, so a scanned page is read once per project."""

from __future__ import annotations

import json
from typing import Any

from engine.geometry import Rect
from engine.store.project import Project


def _area_key(area: Rect | None) -> str:
    return "" if area is None else ",".join(f"{v:.1f}" for v in area.as_tuple())


def get(project: Project, doc_id: int, page: int, area: Rect | None, dpi: int,
        engine: str) -> list[dict[str, Any]] | None:
    row = project.db.conn.execute(
        "SELECT lines FROM page_ocr WHERE doc_id = ? AND page = ? AND area = ? AND dpi = ? AND engine = ?",
        [doc_id, page, _area_key(area), dpi, engine],
    ).fetchone()
    return json.loads(row[0]) if row else None


def put(project: Project, doc_id: int, page: int, area: Rect | None, dpi: int, engine: str,
        lines: list[dict[str, Any]]) -> None:
    with project.atomic() as db:
        db.execute(
            "INSERT OR REPLACE INTO page_ocr(doc_id, page, area, dpi, engine, lines) VALUES (?, ?, ?, ?, ?, ?)",
            [doc_id, page, _area_key(area), dpi, engine, json.dumps(lines, ensure_ascii=False)],
        )


def page_lines(project: Project, doc_id: int, page: int) -> list[dict[str, Any]]:
    """Every stored line of a page, whatever area, resolution or engine it was read with."""
    rows = project.db.conn.execute("SELECT lines FROM page_ocr WHERE doc_id = ? AND page = ?", [doc_id, page])
    return [line for (lines,) in rows.fetchall() for line in json.loads(lines)]


def pages_read(project: Project, doc_id: int, engine: str) -> set[tuple[int, int]]:
    """(page, dpi) of every whole page of the document already read by `engine`."""
    rows = project.db.conn.execute(
        "SELECT page, dpi FROM page_ocr WHERE doc_id = ? AND area = '' AND engine = ?", [doc_id, engine])
    return {(int(page), int(dpi)) for page, dpi in rows.fetchall()}
