"""Budget forcing, sampling, system prompt and loading options, saved to the user's
settings (engine.settings.chat_options) so `remud chat` answers the same way."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from engine import settings
from engine.chat import BudgetSettings, Sampling
from engine.errors import RemudError
from remud_desktop.chat.option_fields import ChatOptionFields

SAVE_DELAY_MS = 300


def _group(title: str, rows) -> QGroupBox:
    group = QGroupBox(title)
    form = QFormLayout(group)
    for label, widget in rows:
        form.addRow(label, widget)
    return group


class ChatControls(QScrollArea):
    """The right-hand panel. Every change is saved shortly after it is made."""

    changed = Signal()
    save_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatControls")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.fields = f = ChatOptionFields()
        f.system_prompt.setFixedHeight(90)
        prompt = QGroupBox(self.tr("System prompt"))
        QVBoxLayout(prompt).addWidget(f.system_prompt)
        groups = (_group(self.tr("Thinking budget"), f.budget_rows()), _group(self.tr("Sampling"), f.sampling_rows()),
                  prompt, _group(self.tr("Loading (applies at the next Load)"), f.loading_rows()))
        note = QLabel(self.tr("Saved for the next session and for the remud chat command."))
        note.setObjectName("controlsNote")
        note.setWordWrap(True)
        inner = QWidget()
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(8, 8, 8, 8)
        for group in groups:
            lay.addWidget(group)
        lay.addWidget(note)
        lay.addStretch(1)
        self.setWidget(inner)
        self.setMinimumWidth(290)

        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save)
        self.load_saved()
        for signal in f.change_signals():
            signal.connect(self._edited)

    # -- reading and writing -------------------------------------------------------------------
    def load_saved(self) -> None:
        self.fields.load(settings.chat_options())

    def values(self) -> dict[str, Any]:
        """What set_chat_options stores."""
        return self.fields.values()

    def budget(self) -> BudgetSettings:
        b = self.values()["budget"]
        return BudgetSettings(use_min=b["use_min"], use_max=b["use_max"], min_thinking_tokens=b["min_thinking_tokens"],
                              max_thinking_tokens=b["max_thinking_tokens"], wait=b["wait"], num_waits=b["num_waits"],
                              answer_prefix=b["answer_prefix"])

    def sampling(self) -> Sampling:
        s = self.values()["sampling"]
        return Sampling(temperature=s["temperature"], top_p=s["top_p"], max_answer_tokens=s["max_answer_tokens"])

    def max_thinking(self) -> int | None:
        """The maximum shown on the budget bar (None when no maximum applies)."""
        return self.fields.max_tokens.value() if self.fields.uses_max() else None

    def save(self) -> None:
        self._save_timer.stop()
        try:
            settings.set_chat_options(**self.values())
        except RemudError as exc:
            self.save_failed.emit(str(exc))

    def flush(self) -> None:
        """Save now if a change is waiting (closing, tests)."""
        if self._save_timer.isActive():
            self.save()

    def _edited(self, *_args) -> None:
        self._save_timer.start()
        self.changed.emit()
