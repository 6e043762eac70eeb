"""Budget forcing, sampling, system prompt and loading options, saved to the user's
settings (engine.settings.chat_options) so `remud chat` answers the same way."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import settings
from engine.chat import BudgetSettings, Sampling
from engine.errors import RemudError

MODES = (("Off", False, False), ("Minimum only", True, False), ("Maximum only", False, True),
         ("Minimum and maximum", True, True))
WAIT_CHOICES = ("Wait,", "等等，", "Hmm, wait,")
SAVE_DELAY_MS = 300


def _spin(lo: int, hi: int, step: int = 1, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setAccelerated(True)
    return box


def _dspin(lo: float, hi: float, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(2)
    return box


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
        self.mode = QComboBox()
        self.mode.addItems([m[0] for m in MODES])
        self.mode.setToolTip("Budget forcing: a minimum thinking length (a wait string is inserted when the model "
                             "stops too early) and a maximum (thinking is cut off there)")
        self.min_tokens = _spin(0, 32768, 16, " tokens")
        self.max_tokens = _spin(16, 32768, 64, " tokens")
        self.wait = QComboBox()
        self.wait.setEditable(True)
        self.wait.addItems(WAIT_CHOICES)
        self.wait.setToolTip("Inserted when the model ends its thinking before the minimum; 等等， for Chinese")
        self.num_waits = _spin(0, 16)
        self.answer_prefix = QComboBox()
        self.answer_prefix.setEditable(True)
        self.answer_prefix.addItems(["", "Answer:", "答案："])
        self.answer_prefix.setToolTip("Written after the thinking when the maximum cuts it off")
        self.temperature = _dspin(0.0, 2.0, 0.05)
        self.top_p = _dspin(0.05, 1.0, 0.05)
        self.max_answer = _spin(16, 32768, 64, " tokens")
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setPlaceholderText("e.g. You are an experienced sonographer. Answer briefly.")
        self.system_prompt.setFixedHeight(90)
        self.n_ctx = _spin(512, 131072, 1024, " tokens")
        self.n_gpu_layers = _spin(-1, 999)
        self.n_gpu_layers.setSpecialValueText("all (-1)")
        self.n_gpu_layers.setToolTip("Layers put on the GPU; 0 runs on the CPU only, -1 puts all of them there")
        self.n_threads = _spin(0, 256)
        self.n_threads.setSpecialValueText("automatic")

        budget = QGroupBox("Thinking budget")
        form = QFormLayout(budget)
        form.addRow("Mode", self.mode)
        form.addRow("Minimum", self.min_tokens)
        form.addRow("Maximum", self.max_tokens)
        form.addRow("Wait string", self.wait)
        form.addRow("Waits at most", self.num_waits)
        form.addRow("After a cut", self.answer_prefix)
        sampling = QGroupBox("Sampling")
        form = QFormLayout(sampling)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-p", self.top_p)
        form.addRow("Answer at most", self.max_answer)
        prompt = QGroupBox("System prompt")
        QVBoxLayout(prompt).addWidget(self.system_prompt)
        loading = QGroupBox("Loading (applies at the next Load)")
        form = QFormLayout(loading)
        form.addRow("Context", self.n_ctx)
        form.addRow("GPU layers", self.n_gpu_layers)
        form.addRow("CPU threads", self.n_threads)
        note = QLabel("Saved for the next session and for the remud chat command.")
        note.setObjectName("controlsNote")
        note.setWordWrap(True)
        inner = QWidget()
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(8, 8, 8, 8)
        for group in (budget, sampling, prompt, loading):
            lay.addWidget(group)
        lay.addWidget(note)
        lay.addStretch(1)
        self.setWidget(inner)
        self.setMinimumWidth(290)

        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save)
        self.load_saved()
        for box in (self.min_tokens, self.max_tokens, self.num_waits, self.max_answer, self.n_ctx, self.n_gpu_layers,
                    self.n_threads, self.temperature, self.top_p):
            box.valueChanged.connect(self._edited)
        for combo in (self.wait, self.answer_prefix):
            combo.currentTextChanged.connect(self._edited)
        self.mode.currentIndexChanged.connect(self._edited)
        self.system_prompt.textChanged.connect(self._edited)

    # -- reading and writing -------------------------------------------------------------------
    def load_saved(self) -> None:
        opts = settings.chat_options()
        b, s = opts["budget"], opts["sampling"]
        mode = next(i for i, m in enumerate(MODES) if (m[1], m[2]) == (bool(b["use_min"]), bool(b["use_max"])))
        self.mode.setCurrentIndex(mode)
        self.min_tokens.setValue(int(b["min_thinking_tokens"]))
        self.max_tokens.setValue(int(b["max_thinking_tokens"]))
        self.wait.setCurrentText(str(b["wait"]))
        self.num_waits.setValue(int(b["num_waits"]))
        self.answer_prefix.setCurrentText(str(b.get("answer_prefix", "")))
        self.temperature.setValue(float(s["temperature"]))
        self.top_p.setValue(float(s["top_p"]))
        self.max_answer.setValue(int(s["max_answer_tokens"]))
        self.system_prompt.setPlainText(str(opts["system_prompt"]))
        self.n_ctx.setValue(int(opts["n_ctx"]))
        self.n_gpu_layers.setValue(int(opts["n_gpu_layers"]))
        self.n_threads.setValue(int(opts["n_threads"] or 0))
        self._update_enabled()

    def values(self) -> dict[str, Any]:
        """What set_chat_options stores."""
        _, use_min, use_max = MODES[self.mode.currentIndex()]
        return {
            "budget": {"use_min": use_min, "use_max": use_max, "min_thinking_tokens": self.min_tokens.value(),
                       "max_thinking_tokens": self.max_tokens.value(), "wait": self.wait.currentText(),
                       "num_waits": self.num_waits.value(), "answer_prefix": self.answer_prefix.currentText()},
            "sampling": {"temperature": round(self.temperature.value(), 2), "top_p": round(self.top_p.value(), 2),
                         "max_answer_tokens": self.max_answer.value()},
            "system_prompt": self.system_prompt.toPlainText(),
            "n_ctx": self.n_ctx.value(),
            "n_gpu_layers": self.n_gpu_layers.value(),
            "n_threads": self.n_threads.value(),
        }

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
        return self.max_tokens.value() if MODES[self.mode.currentIndex()][2] else None

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
        self._update_enabled()
        self._save_timer.start()
        self.changed.emit()

    def _update_enabled(self) -> None:
        _, use_min, use_max = MODES[self.mode.currentIndex()]
        for w in (self.min_tokens, self.wait, self.num_waits):
            w.setEnabled(use_min)
        for w in (self.max_tokens, self.answer_prefix):
            w.setEnabled(use_max)
