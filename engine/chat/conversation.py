"""A stored conversation driven through a chat engine: ask, regenerate, edit and resend, export.

The CLI and the GUI both go through here, so what is stored is the same whichever asked.
The context sent to the model is built from the stored messages: user text and image,
and each earlier assistant ANSWER — its thinking is kept in the store for the reader
but never fed back to the model.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from engine.chat import BudgetSettings, ChatTurn, GenerationResult, Sampling, StreamEvent
from engine.chat.errors import NoVisionError
from engine.store import chats
from engine.store.chats import ChatMessage
from engine.store.project import Project


class Generator(Protocol):
    def generate(self, turns: Sequence[ChatTurn], *, budget: BudgetSettings = ..., sampling: Sampling = ...,
                 on_event: Callable[[StreamEvent], None] | None = None,
                 cancel: Callable[[], bool] = ...) -> GenerationResult: ...


def context_turns(project: Project, session_id: int, system_prompt: str = "") -> list[ChatTurn]:
    turns = [ChatTurn("system", system_prompt)] if system_prompt.strip() else []
    for m in chats.list_messages(project, session_id):
        if m.role == "system":
            continue
        image = chats.image_file(project, m.image_path) if m.image_path else None
        turns.append(ChatTurn(m.role, m.content, image))
    return turns


def settings_record(budget: BudgetSettings, sampling: Sampling, system_prompt: str, model: str) -> dict[str, Any]:
    """The settings an answer was made with, stored beside it."""
    return {"model": model, "system_prompt": system_prompt, "budget": asdict(budget),
            "sampling": {k: v for k, v in asdict(sampling).items() if k != "logit_bias"}}


def _answer(project: Project, session_id: int, engine: Generator, *, model: str, budget: BudgetSettings,
            sampling: Sampling, system_prompt: str, on_event, cancel) -> ChatMessage:
    turns = context_turns(project, session_id, system_prompt)
    result = engine.generate(turns, budget=budget, sampling=sampling, on_event=on_event, cancel=cancel)
    stats = {**result.to_dict(), "settings": settings_record(budget, sampling, system_prompt, model)}
    stats.pop("answer", None)
    stats.pop("thinking", None)
    return chats.add_message(project, session_id, "assistant", result.answer, thinking=result.thinking, stats=stats)


def ask(project: Project, session_id: int, engine: Generator, text: str, *, image: str | Path | None = None,
        model: str = "", budget: BudgetSettings = BudgetSettings(), sampling: Sampling = Sampling(),
        system_prompt: str = "", on_event: Callable[[StreamEvent], None] | None = None,
        cancel: Callable[[], bool] = lambda: False) -> ChatMessage:
    """Store the question (the image copied into the project), answer it, store the answer.

    An image for a model that cannot see is refused before anything is stored."""
    if image and not getattr(engine, "has_vision", True):
        raise NoVisionError()
    rel = chats.store_image(project, image) if image else ""
    chats.add_message(project, session_id, "user", text, image_path=rel)
    if not chats.get_session(project, session_id).title:
        chats.update_session(project, session_id, title=title_from(text))
    return _answer(project, session_id, engine, model=model, budget=budget, sampling=sampling,
                   system_prompt=system_prompt, on_event=on_event, cancel=cancel)


def regenerate(project: Project, session_id: int, engine: Generator, **kw) -> ChatMessage:
    """Drop the last answer (and anything after the last question) and answer the last question again."""
    messages = chats.list_messages(project, session_id)
    last_user = next((m for m in reversed(messages) if m.role == "user"), None)
    if last_user is None:
        raise ValueError("There is no question to answer again in this conversation.")
    later = [m for m in messages if m.id > last_user.id]
    if later:
        chats.delete_messages_from(project, later[0].id)
    return _answer(project, session_id, engine, **_answer_kw(kw))


def edit_and_resend(project: Project, message_id: int, text: str, engine: Generator, **kw) -> ChatMessage:
    """Replace a question's text, forget everything after it, and answer it again."""
    msg = chats.get_message(project, message_id)
    if msg.role != "user":
        raise ValueError("Only your own questions can be edited and sent again.")
    following = [m for m in chats.list_messages(project, msg.session_id) if m.id > message_id]
    if following:
        chats.delete_messages_from(project, following[0].id)
    chats.update_message(project, message_id, content=text)
    return _answer(project, msg.session_id, engine, **_answer_kw(kw))


def _answer_kw(kw: dict) -> dict:
    return {"model": kw.get("model", ""), "budget": kw.get("budget", BudgetSettings()),
            "sampling": kw.get("sampling", Sampling()), "system_prompt": kw.get("system_prompt", ""),
            "on_event": kw.get("on_event"), "cancel": kw.get("cancel", lambda: False)}


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
    out = [f"# {session.title or 'Conversation'}", ""]
    if session.model:
        out += [f"Model: `{session.model}`", ""]
    for m in chats.list_messages(project, session_id):
        out.append(f"## {m.role.capitalize()}")
        out.append("")
        if m.image_path:
            out += [f"![image]({m.image_path})", ""]
        if m.thinking:
            quoted = "\n".join("> " + line if line else ">" for line in m.thinking.splitlines())
            tokens = m.stats.get("thinking_tokens")
            out += [f"> **Thinking**{f' ({tokens} tokens)' if tokens is not None else ''}", ">", quoted, ""]
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
