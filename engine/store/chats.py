"""Chat conversations: sessions and their messages, each change its own transaction.

An attached image is copied into the project (`chat-images/<sha256>.<ext>`) so a
conversation stays complete when the original file moves; messages keep the relative
path. An assistant message keeps its answer in `content` and its thinking apart, in
`thinking`, with the generation statistics (tokens, waits, timings, settings) as JSON.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from engine.errors import NotFoundError
from engine.i18n import tr
from engine.store.project import Project, inserted_id, now

IMAGES_DIR = "chat-images"
_SESSION_COLS = "id, title, model, settings, created_at, updated_at"
_MESSAGE_COLS = "id, session_id, role, content, thinking, image_path, stats, created_at"


@dataclass(frozen=True)
class ChatSession:
    id: int
    title: str
    model: str
    settings: dict[str, Any]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class ChatMessage:
    id: int
    session_id: int
    role: str  # system | user | assistant
    content: str
    thinking: str = ""
    image_path: str = ""  # relative to the project folder
    stats: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""


@dataclass(frozen=True)
class NewMessage:
    role: str
    content: str
    thinking: str = ""
    image_path: str = ""
    stats: dict[str, Any] = field(default_factory=dict)


def _session(row: Sequence[Any]) -> ChatSession:
    i, title, model, settings, created, updated = row
    return ChatSession(i, title, model, json.loads(settings or "{}"), created, updated)


def _message(row: Sequence[Any]) -> ChatMessage:
    i, sid, role, content, thinking, image, stats, created = row
    return ChatMessage(i, sid, role, content, thinking, image, json.loads(stats or "{}"), created)


def _touch(db: sqlite_utils.Database, session_id: int) -> None:
    db.execute("UPDATE chat_sessions SET updated_at = ? WHERE id = ?", [now(), session_id])


def create_session(project: Project, title: str = "", *, model: str = "",
                   settings: dict[str, Any] | None = None) -> ChatSession:
    stamp = now()
    with project.atomic() as db:
        cur = db.execute(
            "INSERT INTO chat_sessions(title, model, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [title, model, json.dumps(settings or {}, ensure_ascii=False), stamp, stamp],
        )
    return get_session(project, inserted_id(cur))


def get_session(project: Project, session_id: int) -> ChatSession:
    row = project.db.execute(f"SELECT {_SESSION_COLS} FROM chat_sessions WHERE id = ?", [session_id]).fetchone()
    if row is None:
        raise NotFoundError(tr("Conversation {id} is not in this project.").format(id=session_id))
    return _session(row)


def list_sessions(project: Project, query: str = "") -> list[ChatSession]:
    """Newest first; `query` matches the title or any message text (case-insensitive)."""
    sql = f"SELECT {_SESSION_COLS} FROM chat_sessions"
    params: list[str] = []
    if query.strip():
        like = f"%{query.strip()}%"
        sql += (" WHERE title LIKE ? OR id IN (SELECT session_id FROM chat_messages"
                " WHERE content LIKE ? OR thinking LIKE ?)")
        params = [like, like, like]
    sql += " ORDER BY updated_at DESC, id DESC"
    return [_session(r) for r in project.db.execute(sql, params).fetchall()]


def update_session(project: Project, session_id: int, *, title: str | None = None, model: str | None = None,
                   settings: dict[str, Any] | None = None) -> ChatSession:
    get_session(project, session_id)
    changes = {k: v for k, v in (("title", title), ("model", model)) if v is not None}
    if settings is not None:
        changes["settings"] = json.dumps(settings, ensure_ascii=False)
    if changes:
        with project.atomic() as db:
            sets = ", ".join(f"{k} = ?" for k in changes)
            db.execute(f"UPDATE chat_sessions SET {sets}, updated_at = ? WHERE id = ?",
                       [*changes.values(), now(), session_id])
    return get_session(project, session_id)


def delete_session(project: Project, session_id: int) -> None:
    """The conversation and its messages; images another conversation still uses are kept."""
    images = {m.image_path for m in list_messages(project, session_id) if m.image_path}
    with project.atomic() as db:
        db.execute("DELETE FROM chat_sessions WHERE id = ?", [session_id])
    remove_unused_images(project, images)


def add_message(project: Project, session_id: int, role: str, content: str, *, thinking: str = "",
                image_path: str = "", stats: dict[str, Any] | None = None) -> ChatMessage:
    return commit_messages(project, session_id, [NewMessage(role, content, thinking, image_path, stats or {})])[0]


def commit_messages(project: Project, session_id: int, messages: list[NewMessage], *,
                    drop_from: int | None = None) -> list[ChatMessage]:
    """In one transaction: forget the messages from `drop_from` on (if given), then add `messages`."""
    get_session(project, session_id)
    removed = [m for m in list_messages(project, session_id) if drop_from is not None and m.id >= drop_from]
    ids: list[int] = []
    with project.atomic() as db:
        if drop_from is not None:
            db.execute("DELETE FROM chat_messages WHERE session_id = ? AND id >= ?", [session_id, drop_from])
        stamp = now()
        for m in messages:
            cur = db.execute(
                "INSERT INTO chat_messages(session_id, role, content, thinking, image_path, stats, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [session_id, m.role, m.content, m.thinking, m.image_path, json.dumps(m.stats, ensure_ascii=False),
                 stamp],
            )
            ids.append(inserted_id(cur))
        _touch(db, session_id)
    remove_unused_images(project, {m.image_path for m in removed if m.image_path})
    return [get_message(project, i) for i in ids]


def get_message(project: Project, message_id: int) -> ChatMessage:
    row = project.db.execute(f"SELECT {_MESSAGE_COLS} FROM chat_messages WHERE id = ?", [message_id]).fetchone()
    if row is None:
        raise NotFoundError(tr("Chat message {id} is not in this project.").format(id=message_id))
    return _message(row)


def list_messages(project: Project, session_id: int) -> list[ChatMessage]:
    rows = project.db.execute(
        f"SELECT {_MESSAGE_COLS} FROM chat_messages WHERE session_id = ? ORDER BY id", [session_id]
    ).fetchall()
    return [_message(r) for r in rows]


def store_image(project: Project, source: str | Path) -> str:
    """Copy an image file into the project once (by content); returns its project-relative path."""
    source = Path(source)
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(tr("The image {path} does not exist.").format(path=source)) from None
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{IMAGES_DIR}/{digest}{source.suffix.lower() or '.png'}"
    target = project.folder / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        shutil.copyfile(source, tmp)
        tmp.replace(target)
    return relative


def image_file(project: Project, relative: str) -> Path:
    return project.folder / relative


def remove_unused_images(project: Project, candidates: set[str]) -> None:
    """Delete copied images that no message refers to (any more)."""
    for relative in candidates:
        used = project.db.execute("SELECT 1 FROM chat_messages WHERE image_path = ? LIMIT 1", [relative]).fetchone()
        if used is None:
            (project.folder / relative).unlink(missing_ok=True)
