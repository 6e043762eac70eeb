"""The generation the Chat tab is waiting for: where it belongs, what it showed, what streamed so far.

Nothing is stored until the answer exists, so the tab itself must know what to show while it
is written (the pending question over the growing answer, also after the user looked at
another conversation and came back) and what to give back to the composer when no answer
comes (an error, or Stop before the model wrote anything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from remud_desktop.chat.worker import StreamDelta


@dataclass
class ActiveRequest:
    request: int
    folder: Path  # the project folder of the conversation: session ids repeat across projects
    session_id: int
    action: str  # "ask" | "regenerate" | "edit"
    question: str = ""  # the text sent (ask, edit): shown pending, given back if no answer comes
    image: Path | None = None  # the image shown with the pending question
    message_id: int | None = None  # the edited question (edit)
    shown_below: int | None = None  # stored messages shown above the answer: ids below this (None: all)
    max_tokens: int | None = None  # the thinking maximum the budget bar is drawn against
    thinking: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    last: StreamDelta | None = None

    def belongs_to(self, folder: Path | None, session_id: int | None) -> bool:
        return folder == self.folder and session_id == self.session_id

    def add(self, delta: StreamDelta) -> None:
        """Keep what streamed in, so it can be painted again when the user comes back."""
        if delta.thinking:
            self.thinking.append(delta.thinking)
        if delta.answer:
            self.answer.append(delta.answer)
        self.last = delta

    def so_far(self) -> StreamDelta | None:
        """Everything streamed so far as one delta (None before the first one)."""
        if self.last is None:
            return None
        d = self.last
        return StreamDelta(self.request, "".join(self.thinking), "".join(self.answer), d.thinking_tokens,
                           d.answer_tokens, d.waits, d.cut)


@dataclass(frozen=True)
class Unanswered:
    """A question that got no answer, to put back in the composer of its conversation."""

    text: str
    image: Path | None = None  # the image it was asked with (ask only)
    message_id: int | None = None  # the question being edited (edit only)
