"""A stored conversation driven through a chat engine: ask, regenerate, edit and resend, export.

The CLI and the GUI both go through here, so what is stored is the same whichever asked.
The context sent to the model is built from the stored messages: user text and image,
and each earlier assistant ANSWER — its thinking is kept in the store for the reader
but never fed back to the model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from engine.chat import BudgetSettings, ChatTurn, GenerationResult, Role, Sampling, StreamEvent
from engine.chat.errors import NoVisionError
from engine.errors import CancelledError
from engine.i18n import N_, tr
from engine.store import chats
from engine.store.chats import ChatMessage
from engine.store.project import Project


class Generator(Protocol):
    has_vision: bool

    def generate(self, turns: Sequence[ChatTurn], *, budget: BudgetSettings = ..., sampling: Sampling = ...,
                 on_event: Callable[[StreamEvent], None] | None = None,
                 cancel: Callable[[], bool] = ...) -> GenerationResult: ...


IMAGE_NOT_SHOWN = "[An image was attached here; the model now loaded cannot see images.]"  # for the model: English
# Translators: the headings of a conversation exported as Markdown
ROLE_TITLES = {"user": N_("User"), "assistant": N_("Assistant"), "system": N_("System")}


def context_turns(project: Project, session_id: int, system_prompt: str = "", *, with_images: bool = True,
                  before: int | None = None) -> list[ChatTurn]:
    """The model's context from the stored messages (those with an id below `before`, if given).

    Assistant turns carry the answer only; answers that were stopped before any text are left
    out. Without `with_images` (a model that cannot see) an earlier image becomes a note."""
    turns = [ChatTurn(Role.SYSTEM, system_prompt)] if system_prompt.strip() else []
    for m in chats.list_messages(project, session_id):
        if m.role == Role.SYSTEM or (before is not None and m.id >= before):
            continue
        if m.role == Role.ASSISTANT and not m.content.strip():
            continue
        role = Role(m.role)
        image = chats.image_file(project, m.image_path) if m.image_path else None
        if image is not None and not with_images:
            turns.append(ChatTurn(role, f"{m.content}\n\n{IMAGE_NOT_SHOWN}"))
        else:
            turns.append(ChatTurn(role, m.content, image))
    return turns


def settings_record(budget: BudgetSettings, sampling: Sampling, system_prompt: str, model: str) -> dict[str, Any]:
    """The settings an answer was made with, stored beside it."""
    return {"model": model, "system_prompt": system_prompt, "budget": asdict(budget),
            "sampling": {k: v for k, v in asdict(sampling).items() if k != "logit_bias"}}


def _generate(engine: Generator, turns: list[ChatTurn], kw: dict[str, Any]) -> chats.NewMessage:
    """The answer as a message to store; nothing to store when stopped before any text."""
    result = engine.generate(turns, budget=kw["budget"], sampling=kw["sampling"], on_event=kw["on_event"],
                             cancel=kw["cancel"])
    if result.stopped and not result.answer.strip() and not result.thinking.strip():
        raise CancelledError(tr("Stopped before the model wrote anything."))
    stats = {**result.to_dict(), "settings": settings_record(kw["budget"], kw["sampling"], kw["system_prompt"],
                                                             kw["model"])}
    stats.pop("answer", None)
    stats.pop("thinking", None)
    return chats.NewMessage(Role.ASSISTANT, result.answer, thinking=result.thinking, stats=stats)


def _options(kw: dict[str, Any]) -> dict[str, Any]:
    unknown = set(kw) - {"model", "budget", "sampling", "system_prompt", "on_event", "cancel"}
    if unknown:
        raise TypeError(f"unexpected options: {', '.join(sorted(unknown))}")
    return {"model": kw.get("model", ""), "budget": kw.get("budget", BudgetSettings()),
            "sampling": kw.get("sampling", Sampling()), "system_prompt": kw.get("system_prompt", ""),
            "on_event": kw.get("on_event"), "cancel": kw.get("cancel", lambda: False)}


def _history(project: Project, session_id: int, engine: Generator, kw: dict[str, Any],
             before: int | None = None) -> list[ChatTurn]:
    return context_turns(project, session_id, kw["system_prompt"], with_images=getattr(engine, "has_vision", True),
                         before=before)


def ask(project: Project, session_id: int, engine: Generator, text: str, *, image: str | Path | None = None,
        **kw: Any) -> ChatMessage:
    """Answer a new question; the question (its image copied into the project) and the answer
    are stored together once the answer exists, so a failure or an early stop stores nothing.

    Options: model, budget, sampling, system_prompt, on_event, cancel."""
    kw = _options(kw)
    if image and not getattr(engine, "has_vision", True):
        raise NoVisionError()
    chats.get_session(project, session_id)
    rel = chats.store_image(project, image) if image else ""
    turns = _history(project, session_id, engine, kw)
    turns.append(ChatTurn(Role.USER, text, chats.image_file(project, rel) if rel else None))
    try:
        answer = _generate(engine, turns, kw)
    except BaseException:
        chats.remove_unused_images(project, {rel} if rel else set())
        raise
    stored = chats.commit_messages(project, session_id, [chats.NewMessage(Role.USER, text, image_path=rel), answer])
    if not chats.get_session(project, session_id).title:
        chats.update_session(project, session_id, title=title_from(text))
    return stored[-1]


def regenerate(project: Project, session_id: int, engine: Generator, **kw: Any) -> ChatMessage:
    """Answer the last question again; its old answer is replaced only once the new one exists."""
    kw = _options(kw)
    messages = chats.list_messages(project, session_id)
    last_user = next((m for m in reversed(messages) if m.role == Role.USER), None)
    if last_user is None:
        raise ValueError(tr("There is no question to answer again in this conversation."))
    turns = _history(project, session_id, engine, kw, before=last_user.id + 1)
    answer = _generate(engine, turns, kw)
    later = [m for m in messages if m.id > last_user.id]
    return chats.commit_messages(project, session_id, [answer], drop_from=later[0].id if later else None)[-1]


def edit_and_resend(project: Project, message_id: int, text: str, engine: Generator, **kw: Any) -> ChatMessage:
    """Answer an edited question; the edit and the new answer replace what followed it, all at once."""
    kw = _options(kw)
    msg = chats.get_message(project, message_id)
    if msg.role != Role.USER:
        raise ValueError(tr("Only your own questions can be edited and sent again."))
    turns = _history(project, msg.session_id, engine, kw, before=message_id)
    image = chats.image_file(project, msg.image_path) if msg.image_path else None
    if image is not None and not getattr(engine, "has_vision", True):
        raise NoVisionError()
    turns.append(ChatTurn(Role.USER, text, image))
    answer = _generate(engine, turns, kw)
    edited = chats.NewMessage(Role.USER, text, image_path=msg.image_path)
    return chats.commit_messages(project, msg.session_id, [edited, answer], drop_from=message_id)[-1]


def title_from(text: str, limit: int = 48) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


# -- export ---------------------------------------------------------------------------
def export_json(project: Project, session_id: int) -> dict[str, Any]:
    session = chats.get_session(project, session_id)
    return {
        "title": session.title,
        "model": session.model,
        "created_at": session.created_at,
        "messages": [
            {"role": m.role, "content": m.content, "thinking": m.thinking,
             "image": m.image_path or None, "stats": m.stats, "created_at": m.created_at}
            for m in chats.list_messages(project, session_id)
        ],
    }


def export_markdown(project: Project, session_id: int) -> str:
    session = chats.get_session(project, session_id)
    out = ["# " + (session.title or tr("Conversation")), ""]
    if session.model:
        out += [tr("Model: `{model}`").format(model=session.model), ""]
    for m in chats.list_messages(project, session_id):
        out.append(f"## {tr(ROLE_TITLES[m.role]) if m.role in ROLE_TITLES else m.role.capitalize()}")
        out.append("")
        if m.image_path:
            out += [f"![image]({m.image_path})", ""]
        if m.thinking:
            quoted = "\n".join("> " + line if line else ">" for line in m.thinking.splitlines())
            tokens = m.stats.get("thinking_tokens")
            count = tr(" ({n} tokens)").format(n=tokens) if tokens is not None else ""
            out += ["> **" + tr("Thinking") + "**" + count, ">", quoted, ""]
        out += [m.content, ""]
    return "\n".join(out).rstrip() + "\n"


def write_export(project: Project, session_id: int, target: str | Path) -> Path:
    """A conversation as Markdown (.md) or JSON (.json), written atomically."""
    target = Path(target)
    if target.suffix.lower() == ".json":
        text = json.dumps(export_json(project, session_id), ensure_ascii=False, indent=2)
    else:
        text = export_markdown(project, session_id)
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
