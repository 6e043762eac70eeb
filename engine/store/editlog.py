"""The edit log: who changed what, before and after, written in the same transaction."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from engine.store.project import NEW_UID, now

AUTO_SUFFIX = ":auto"  # actions the app did on its own (detection, text association), not a person


def log_edit(
    db: sqlite_utils.Database, entity: str, entity_id: int, action: str, before: Any = None, after: Any = None,
    *, by_user: bool = True,
) -> None:
    db.execute(
        f"INSERT INTO edit_log(at, entity, entity_id, action, before, after, uid) VALUES (?, ?, ?, ?, ?, ?, {NEW_UID})",
        [
            now(),
            entity,
            entity_id,
            action if by_user else action + AUTO_SUFFIX,
            "" if before is None else json.dumps(before, ensure_ascii=False, default=str),
            "" if after is None else json.dumps(after, ensure_ascii=False, default=str),
        ],
    )


def history(db: sqlite_utils.Database, entity: str, entity_id: int) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT at, action, before, after FROM edit_log WHERE entity = ? AND entity_id = ? ORDER BY id",
        [entity, entity_id],
    ).fetchall()
    return [
        {"at": at, "action": action, "before": json.loads(b) if b else None, "after": json.loads(a) if a else None}
        for at, action, b, a in rows
    ]


def was_edited_by_user(db: sqlite_utils.Database, entity: str, entity_id: int, action: str) -> bool:
    return db.execute(
        "SELECT 1 FROM edit_log WHERE entity = ? AND entity_id = ? AND action = ? LIMIT 1", [entity, entity_id, action]
    ).fetchone() is not None
