"""Records: (image, question, thinking, answer) quadruplets and text-only QA."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any

import sqlite_utils

from engine.errors import NotFoundError
from engine.i18n import tr
from engine.store import search
from engine.store.editlog import log_edit
from engine.store.models import NewRecord, Record, RecordKind, RecordStatus
from engine.store.project import NEW_UID, Project, inserted_id, now

_FIELDS = [f.name for f in fields(NewRecord)]
_JSON = {"options", "flags"}
_EDITABLE = {"question", "thinking", "answer", "options", "correct", "status", "score", "language", "flags"}


def _row_values(rec: NewRecord) -> list[object]:
    out: list[object] = []
    for name in _FIELDS:
        value = getattr(rec, name)
        if name in _JSON:
            value = json.dumps(list(value), ensure_ascii=False)
        elif name in ("kind", "status"):
            value = str(value)
        elif name == "reasoning":
            value = int(value)
        out.append(value)
    return out


def _record(row: Sequence[Any]) -> Record:
    data = dict(zip(["id", *_FIELDS, "created_at", "edited_at"], row))
    for name in _JSON:
        data[name] = tuple(json.loads(data[name]))
    data["kind"] = RecordKind(data["kind"])
    data["status"] = RecordStatus(data["status"])
    data["reasoning"] = bool(data["reasoning"])
    return Record(**data)


def _insert(db: sqlite_utils.Database, rec: NewRecord) -> int:
    cols = ", ".join(_FIELDS)
    marks = ", ".join("?" for _ in range(len(_FIELDS) + 1))
    cur = db.execute(f"INSERT INTO records({cols}, created_at, uid) VALUES ({marks}, {NEW_UID})",
                     [*_row_values(rec), now()])
    record_id = inserted_id(cur)
    search.reindex_record(db, record_id)
    return record_id


def add_record(project: Project, rec: NewRecord) -> Record:
    with project.atomic() as db:
        rid = _insert(db, rec)
    return get_record(project, rid)


def add_records(project: Project, recs: Iterable[NewRecord]) -> list[int]:
    with project.atomic() as db:
        return [_insert(db, r) for r in recs]


def get_record(project: Project, record_id: int) -> Record:
    row = project.db.execute(
        f"SELECT id, {', '.join(_FIELDS)}, created_at, edited_at FROM records WHERE id = ?", [record_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(tr("Record {id} is not in this project.").format(id=record_id))
    return _record(row)


def list_records(
    project: Project, *, figure_id: int | None = None, status: str | None = None, limit: int | None = None
) -> list[Record]:
    where: list[str] = []
    params: list[object] = []
    if figure_id is not None:
        where.append("figure_id = ?")
        params.append(figure_id)
    if status is not None:
        where.append("status = ?")
        params.append(status)
    sql = f"SELECT id, {', '.join(_FIELDS)}, created_at, edited_at FROM records"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_record(r) for r in project.db.execute(sql, params).fetchall()]


def update_record(project: Project, record_id: int, **changes: Any) -> Record:
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValueError(f"Cannot edit {', '.join(sorted(unknown))} of a record.")
    before = get_record(project, record_id)
    values = {
        k: json.dumps(list(v), ensure_ascii=False) if k in _JSON else (str(v) if k == "status" else v)
        for k, v in changes.items()
    }
    with project.atomic() as db:
        sets = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE records SET {sets}, edited_at = ? WHERE id = ?", [*values.values(), now(), record_id])
        search.reindex_record(db, record_id)
        log_edit(db, "record", record_id, "edit", before={k: getattr(before, k) for k in changes}, after=values)
    return get_record(project, record_id)


def record_languages(project: Project) -> list[str]:
    """The languages the project's records are written in, sorted."""
    rows = project.db.execute("SELECT DISTINCT language FROM records WHERE language != '' ORDER BY language")
    return [language for (language,) in rows.fetchall()]


def count_records(project: Project) -> int:
    count: int = project.db.execute("SELECT count(*) FROM records").fetchone()[0]
    return count
