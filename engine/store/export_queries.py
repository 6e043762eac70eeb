"""The queries an export runs: the selected records in id order, a chunk at a time, with the
document each comes from, and the texts of records by id (for duplicate checks)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from engine.store.models import Record, RecordKind, RecordStatus
from engine.store.project import Project

CHUNK = 1000
_IDS_PER_QUERY = 500  # well under SQLite's limit on bound parameters

_COLUMNS = (
    "r.id, r.kind, r.question, r.answer, r.figure_id, r.page, r.reasoning, r.language, r.thinking, r.options, "
    "r.correct, r.status, r.score, r.synthesizer, r.model, r.prompt_version, r.flags, r.created_at, r.edited_at, "
    "COALESCE(f.doc_id, r.doc_id), COALESCE(f.page, r.page), d.sha256, d.title"
)
_FROM = (
    "FROM records r LEFT JOIN figures f ON f.id = r.figure_id "
    "LEFT JOIN documents d ON d.id = COALESCE(f.doc_id, r.doc_id)"
)


@dataclass(frozen=True)
class Selection:
    """Which records an export takes."""

    statuses: tuple[str, ...] = ("accepted",)
    kinds: tuple[str, ...] = ()  # () = all of qa/vqa/mcq
    languages: tuple[str, ...] = ()  # () = all
    min_score: float | None = None  # records without a score are left out when a minimum is set
    doc_ids: tuple[int, ...] = ()  # () = all documents (text-only records without a document stay in)
    reasoning: bool | None = None  # None = both


@dataclass(frozen=True)
class SelectedRecord:
    """A selected record with the document it comes from (doc and page via its figure when it has one)."""

    record: Record
    doc_id: int | None
    page: int | None
    doc_sha256: str | None
    doc_title: str | None


def _where(sel: Selection) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []

    def within(column: str, values: Sequence[object]) -> None:
        clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
        params.extend(values)

    within("r.status", sel.statuses)
    if sel.kinds:
        within("r.kind", sel.kinds)
    if sel.languages:
        within("r.language", sel.languages)
    if sel.min_score is not None:
        clauses.append("r.score >= ?")
        params.append(sel.min_score)
    if sel.doc_ids:
        marks = ", ".join("?" for _ in sel.doc_ids)
        clauses.append(f"(COALESCE(f.doc_id, r.doc_id) IN ({marks}) OR COALESCE(f.doc_id, r.doc_id) IS NULL)")
        params.extend(sel.doc_ids)
    if sel.reasoning is not None:
        clauses.append("r.reasoning = ?")
        params.append(int(sel.reasoning))
    return " AND ".join(clauses), params


def count_selected(project: Project, sel: Selection) -> int:
    where, params = _where(sel)
    count: int = project.db.execute(f"SELECT count(*) {_FROM} WHERE {where}", params).fetchone()[0]
    return count


def _selected(values: Sequence[Any]) -> SelectedRecord:
    (rid, kind, question, answer, figure_id, rec_page, reasoning, language, thinking, options, correct, status,
     score, synthesizer, model, prompt_version, flags, created_at, edited_at, doc_id, page, sha, title) = values
    record = Record(
        kind=RecordKind(kind), question=question, answer=answer, figure_id=figure_id, doc_id=doc_id, page=rec_page,
        reasoning=bool(reasoning), language=language, thinking=thinking, options=tuple(json.loads(options)),
        correct=correct, status=RecordStatus(status), score=score, synthesizer=synthesizer, model=model,
        prompt_version=prompt_version, flags=tuple(json.loads(flags)), id=rid, created_at=created_at,
        edited_at=edited_at,
    )
    return SelectedRecord(record, doc_id, page, sha, title)


def iter_selected(project: Project, sel: Selection, *, chunk: int = CHUNK) -> Iterator[list[SelectedRecord]]:
    """Chunks of selected records in id order (keyset paging: memory stays flat in the record count)."""
    where, params = _where(sel)
    sql = f"SELECT {_COLUMNS} {_FROM} WHERE r.id > ? AND {where} ORDER BY r.id LIMIT {int(chunk)}"
    last = 0
    while True:
        rows = project.db.execute(sql, [last, *params]).fetchall()
        if not rows:
            return
        yield [_selected(r) for r in rows]
        last = rows[-1][0]


def record_texts(project: Project, record_ids: Sequence[int]) -> dict[int, tuple[str, tuple[str, ...], str]]:
    """record id -> (question, options, answer) for the ids that exist."""
    out: dict[int, tuple[str, tuple[str, ...], str]] = {}
    ids = [int(i) for i in record_ids]
    for start in range(0, len(ids), _IDS_PER_QUERY):
        part = ids[start:start + _IDS_PER_QUERY]
        marks = ", ".join("?" for _ in part)
        rows = project.db.execute(f"SELECT id, question, options, answer FROM records WHERE id IN ({marks})", part)
        for rid, question, options, answer in rows.fetchall():
            out[rid] = (question, tuple(json.loads(options)), answer)
    return out
