"""The chat option widgets (budget forcing, sampling, system prompt, loading), one set of
them for both the Chat tab's side panel and the Settings dialog's Chat page. Each place lays
them out its own way; reading and writing engine.settings.chat_options happens here."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QPlainTextEdit, QSpinBox, QWidget

CONTEXT = "ChatOptionFields"  # the translation context of the texts here
MODES = ((QT_TRANSLATE_NOOP("ChatOptionFields", "Off"), False, False),
         (QT_TRANSLATE_NOOP("ChatOptionFields", "Minimum only"), True, False),
         (QT_TRANSLATE_NOOP("ChatOptionFields", "Maximum only"), False, True),
         (QT_TRANSLATE_NOOP("ChatOptionFields", "Minimum and maximum"), True, True))
# the texts themselves are sent to the model: never translated
WAIT_CHOICES = ("Wait,", "等等，", "Hmm, wait,")
ANSWER_PREFIXES = ("", "Answer:", "答案：")


def spin(lo: int, hi: int, step: int = 1, suffix: str = "", special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setAccelerated(True)
    box.setGroupSeparatorShown(True)
    if special:
        box.setSpecialValueText(special)
    return box


def _dspin(lo: float, hi: float, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(2)
    return box


def _combo(items, tip: str) -> QComboBox:
    box = QComboBox()
    box.setEditable(True)
    box.addItems(list(items))
    box.setToolTip(tip)
    return box


class ChatOptionFields:
    """The widgets; `budget_rows`, `sampling_rows` and `loading_rows` give (label, widget) pairs."""

    def __init__(self) -> None:
        tokens = QCoreApplication.translate("ChatOptionFields", " tokens")
        self.mode = QComboBox()
        self.mode.addItems([QCoreApplication.translate(CONTEXT, m[0]) for m in MODES])
        self.mode.setToolTip(QCoreApplication.translate(
            "ChatOptionFields", "Budget forcing: a minimum thinking length (a wait string is inserted when the model "
            "stops too early) and a maximum (thinking is cut off there)"))
        self.min_tokens = spin(0, 32768, 16, tokens)
        self.max_tokens = spin(16, 32768, 64, tokens)
        self.wait = _combo(WAIT_CHOICES, QCoreApplication.translate(
            "ChatOptionFields", "Inserted when the model ends its thinking before the minimum; 等等， for Chinese"))
        self.num_waits = spin(0, 16)
        self.answer_prefix = _combo(ANSWER_PREFIXES, QCoreApplication.translate(
            "ChatOptionFields", "Written after the thinking when the maximum cuts it off"))
        self.temperature = _dspin(0.0, 2.0, 0.05)
        self.top_p = _dspin(0.05, 1.0, 0.05)
        self.max_answer = spin(16, 32768, 64, tokens)
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setPlaceholderText(QCoreApplication.translate(
            "ChatOptionFields", "e.g. You are an experienced sonographer. Answer briefly."))
        self.n_ctx = spin(512, 131072, 1024, tokens)
        self.n_gpu_layers = spin(-1, 999, special=QCoreApplication.translate("ChatOptionFields", "all layers"))
        self.n_gpu_layers.setToolTip(QCoreApplication.translate(
            "ChatOptionFields", "Layers put on the GPU: 0 runs on the CPU only, “all layers” (-1) puts the "
            "whole model there"))
        self.n_threads = spin(0, 256, special=QCoreApplication.translate("ChatOptionFields", "automatic"))
        self.mode.currentIndexChanged.connect(self.update_enabled)

    def budget_rows(self) -> list[tuple[str, QWidget]]:
        return [(QCoreApplication.translate("ChatOptionFields", "Mode"), self.mode),
                (QCoreApplication.translate("ChatOptionFields", "Minimum"), self.min_tokens),
                (QCoreApplication.translate("ChatOptionFields", "Maximum"), self.max_tokens),
                (QCoreApplication.translate("ChatOptionFields", "Wait string"), self.wait),
                (QCoreApplication.translate("ChatOptionFields", "Waits at most"), self.num_waits),
                (QCoreApplication.translate("ChatOptionFields", "After a cut"), self.answer_prefix)]

    def sampling_rows(self) -> list[tuple[str, QWidget]]:
        return [(QCoreApplication.translate("ChatOptionFields", "Temperature"), self.temperature),
                (QCoreApplication.translate("ChatOptionFields", "Top-p"), self.top_p),
                (QCoreApplication.translate("ChatOptionFields", "Answer at most"), self.max_answer)]

    def loading_rows(self) -> list[tuple[str, QWidget]]:
        return [(QCoreApplication.translate("ChatOptionFields", "Context"), self.n_ctx),
                (QCoreApplication.translate("ChatOptionFields", "GPU layers"), self.n_gpu_layers),
                (QCoreApplication.translate("ChatOptionFields", "CPU threads"), self.n_threads)]

    def change_signals(self) -> list:
        """Every signal that says a value changed (for saving after an edit)."""
        boxes = (self.min_tokens, self.max_tokens, self.num_waits, self.max_answer, self.n_ctx, self.n_gpu_layers,
                 self.n_threads, self.temperature, self.top_p)
        return ([b.valueChanged for b in boxes] + [self.wait.currentTextChanged, self.answer_prefix.currentTextChanged,
                                                   self.mode.currentIndexChanged, self.system_prompt.textChanged])

    def load(self, opts: dict[str, Any]) -> None:
        """Show engine.settings.chat_options() values."""
        b, s = opts["budget"], opts["sampling"]
        self.mode.setCurrentIndex(next(i for i, m in enumerate(MODES)
                                       if (m[1], m[2]) == (bool(b["use_min"]), bool(b["use_max"]))))
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
        self.update_enabled()

    def values(self) -> dict[str, Any]:
        """What engine.settings.set_chat_options stores."""
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

    def uses_max(self) -> bool:
        return MODES[self.mode.currentIndex()][2]

    def update_enabled(self, *_args) -> None:
        _, use_min, use_max = MODES[self.mode.currentIndex()]
        for w in (self.min_tokens, self.wait, self.num_waits):
            w.setEnabled(use_min)
        for w in (self.max_tokens, self.answer_prefix):
            w.setEnabled(use_max)
