"""The Chat page of the settings: the GGUF model and its vision projector, how llama.cpp
loads them, and the defaults a new chat starts with (budget forcing, sampling, system
prompt). Saved through engine.settings.set_chat_options, so the Chat tab and
`remud chat` use the same values."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import settings
from engine.settings import SettingsError
from remud_desktop.chat.controls import MODES, WAIT_CHOICES
from remud_desktop.chat.model_bar import PathField

ANSWER_PREFIXES = ("", "Answer:", "答案：")
PIXEL_STEP = 28 * 28 * 64  # Qwen2.5-VL sees 28x28 patches


def _spin(lo: int, hi: int, step: int = 1, suffix: str = "", special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setAccelerated(True)
    box.setGroupSeparatorShown(True)
    if special:
        box.setSpecialValueText(special)
    return box


def _form(title: str) -> tuple[QGroupBox, QFormLayout]:
    group = QGroupBox(title)
    form = QFormLayout(group)
    form.setContentsMargins(14, 12, 14, 12)
    form.setHorizontalSpacing(16)
    form.setVerticalSpacing(10)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return group, form


class ChatSettingsPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PathField("A .gguf file, e.g. ReMUD-7B-Q4_K_M.gguf", "Choose the chat model (GGUF)")
        self.mmproj = PathField("Optional: the mmproj .gguf that lets the model see images",
                                "Choose the vision projector (mmproj GGUF)")
        self.n_ctx = _spin(512, 131072, 1024, " tokens")
        self.n_threads = _spin(0, 256, special="automatic")
        self.n_gpu_layers = _spin(-1, 999, special="all layers")
        self.n_gpu_layers.setToolTip("0 runs on the CPU only; “all layers” (-1) puts the whole model on the GPU")
        self.max_image_pixels = _spin(PIXEL_STEP, 28 * 28 * 16384, PIXEL_STEP, " pixels")
        self.max_image_pixels.setToolTip("Larger images are scaled down to this many pixels before the model sees them")

        self.mode = QComboBox()
        self.mode.addItems([m[0] for m in MODES])
        self.min_tokens = _spin(0, 32768, 16, " tokens")
        self.max_tokens = _spin(16, 32768, 64, " tokens")
        self.wait = QComboBox()
        self.wait.setEditable(True)
        self.wait.addItems(WAIT_CHOICES)
        self.wait.setToolTip("Inserted when the model ends its thinking before the minimum; 等等， for Chinese")
        self.num_waits = _spin(0, 16)
        self.answer_prefix = QComboBox()
        self.answer_prefix.setEditable(True)
        self.answer_prefix.addItems(ANSWER_PREFIXES)
        self.answer_prefix.setToolTip("Written after the thinking when the maximum cuts it off")
        self.temperature = QDoubleSpinBox(minimum=0.0, maximum=2.0, singleStep=0.05, decimals=2)
        self.top_p = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.05, decimals=2)
        self.max_answer = _spin(16, 32768, 64, " tokens")
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setPlaceholderText("e.g. You are an experienced sonographer. Answer briefly.")
        self.system_prompt.setFixedHeight(84)

        model, form = _form("Model")
        form.addRow("Model file", self.model)
        form.addRow("Vision projector", self.mmproj)
        form.addRow("Context length", self.n_ctx)
        form.addRow("CPU threads", self.n_threads)
        form.addRow("GPU layers", self.n_gpu_layers)
        form.addRow("Image size at most", self.max_image_pixels)
        budget, form = _form("Default budget forcing")
        form.addRow("Mode", self.mode)
        form.addRow("Minimum thinking", self.min_tokens)
        form.addRow("Maximum thinking", self.max_tokens)
        form.addRow("Wait string", self.wait)
        form.addRow("Waits at most", self.num_waits)
        form.addRow("After a cut", self.answer_prefix)
        sampling, form = _form("Default sampling")
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-p", self.top_p)
        form.addRow("Answer at most", self.max_answer)
        prompt = QGroupBox("System prompt")
        inner = QVBoxLayout(prompt)
        inner.setContentsMargins(14, 12, 14, 12)
        inner.addWidget(self.system_prompt)

        intro = QLabel("Chat runs a GGUF model with llama.cpp on this computer, offline. These are the defaults "
                       "the Chat tab and the <tt>remud chat</tt> command start with.")
        intro.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(14)
        lay.addWidget(intro)
        for group in (model, budget, sampling, prompt):
            lay.addWidget(group)
        lay.addStretch(1)
        self.load_saved()
        self.mode.currentIndexChanged.connect(self._update_enabled)

    def load_saved(self) -> None:
        opts = settings.chat_options()
        b, s = opts["budget"], opts["sampling"]
        self.model.set_path(str(opts["model_path"] or ""))
        self.mmproj.set_path(str(opts["mmproj_path"] or ""))
        self.n_ctx.setValue(int(opts["n_ctx"]))
        self.n_threads.setValue(int(opts["n_threads"] or 0))
        self.n_gpu_layers.setValue(int(opts["n_gpu_layers"]))
        self.max_image_pixels.setValue(int(opts["max_image_pixels"]))
        self.mode.setCurrentIndex(next(i for i, m in enumerate(MODES)
                                       if (m[1], m[2]) == (bool(b["use_min"]), bool(b["use_max"]))))
        self.min_tokens.setValue(int(b["min_thinking_tokens"]))
        self.max_tokens.setValue(int(b["max_thinking_tokens"]))
        self.wait.setCurrentText(str(b["wait"]))
        self.num_waits.setValue(int(b["num_waits"]))
        self.answer_prefix.setCurrentText(str(b["answer_prefix"]))
        self.temperature.setValue(float(s["temperature"]))
        self.top_p.setValue(float(s["top_p"]))
        self.max_answer.setValue(int(s["max_answer_tokens"]))
        self.system_prompt.setPlainText(str(opts["system_prompt"]))
        self._update_enabled()

    def values(self) -> dict[str, Any]:
        """What set_chat_options stores."""
        _, use_min, use_max = MODES[self.mode.currentIndex()]
        return {
            "model_path": self.model.path(),
            "mmproj_path": self.mmproj.path(),
            "n_ctx": self.n_ctx.value(),
            "n_threads": self.n_threads.value(),
            "n_gpu_layers": self.n_gpu_layers.value(),
            "max_image_pixels": self.max_image_pixels.value(),
            "system_prompt": self.system_prompt.toPlainText(),
            "budget": {"use_min": use_min, "use_max": use_max, "min_thinking_tokens": self.min_tokens.value(),
                       "max_thinking_tokens": self.max_tokens.value(), "wait": self.wait.currentText(),
                       "num_waits": self.num_waits.value(), "answer_prefix": self.answer_prefix.currentText()},
            "sampling": {"temperature": round(self.temperature.value(), 2), "top_p": round(self.top_p.value(), 2),
                         "max_answer_tokens": self.max_answer.value()},
        }

    def save(self) -> None:
        """Write the chat settings; SettingsError (a readable sentence) when they do not fit together."""
        values = self.values()
        b = values["budget"]
        if b["use_min"] and b["use_max"] and b["min_thinking_tokens"] > b["max_thinking_tokens"]:
            raise SettingsError("The minimum thinking length must not be larger than the maximum.")
        if b["use_min"] and b["num_waits"] > 0 and not b["wait"].strip():
            raise SettingsError("Give a wait string (e.g. “Wait,”) or set the number of waits to 0.")
        settings.set_chat_options(**values)

    def _update_enabled(self, *_args) -> None:
        _, use_min, use_max = MODES[self.mode.currentIndex()]
        for w in (self.min_tokens, self.wait, self.num_waits):
            w.setEnabled(use_min)
        for w in (self.max_tokens, self.answer_prefix):
            w.setEnabled(use_max)
