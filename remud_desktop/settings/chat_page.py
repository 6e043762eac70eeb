"""The Chat page of the settings: the GGUF model and its vision projector, how llama.cpp
loads them, and the defaults a new chat starts with (budget forcing, sampling, system
prompt). Saved through engine.settings.set_chat_options, so the Chat tab and
`remud chat` use the same values."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from engine import settings
from remud_desktop.chat.model_bar import PathField
from remud_desktop.chat.option_fields import ChatOptionFields, spin

PIXEL_STEP = 28 * 28 * 64  # Qwen2.5-VL sees 28x28 patches


def _form(title: str, rows) -> QGroupBox:
    group = QGroupBox(title)
    form = QFormLayout(group)
    form.setContentsMargins(14, 12, 14, 12)
    form.setHorizontalSpacing(16)
    form.setVerticalSpacing(10)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    for label, widget in rows:
        form.addRow(label, widget)
    return group


class ChatSettingsPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PathField(self.tr("A .gguf file, e.g. ReMUD-7B-Q4_K_M.gguf"), self.tr("Choose the chat model (GGUF)"))
        self.mmproj = PathField(self.tr("Optional: the mmproj .gguf that lets the model see images"),
                                self.tr("Choose the vision projector (mmproj GGUF)"))
        self.max_image_pixels = spin(PIXEL_STEP, 28 * 28 * 16384, PIXEL_STEP, self.tr(" pixels"))
        self.max_image_pixels.setToolTip(self.tr("Larger images are scaled down to this many pixels before the model "
                                                 "sees them"))
        self.fields = f = ChatOptionFields()
        f.system_prompt.setFixedHeight(84)

        model = _form(self.tr("Model"), [(self.tr("Model file"), self.model), (self.tr("Vision projector"), self.mmproj),
                                         *f.loading_rows(), (self.tr("Image size at most"), self.max_image_pixels)])
        budget = _form(self.tr("Default budget forcing"), f.budget_rows())
        sampling = _form(self.tr("Default sampling"), f.sampling_rows())
        prompt = QGroupBox(self.tr("System prompt"))
        inner = QVBoxLayout(prompt)
        inner.setContentsMargins(14, 12, 14, 12)
        inner.addWidget(f.system_prompt)

        intro = QLabel(self.tr("Chat runs a GGUF model with llama.cpp on this computer, offline. These are the defaults "
                               "the Chat tab and the <tt>remud chat</tt> command start with."))
        intro.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(14)
        lay.addWidget(intro)
        for group in (model, budget, sampling, prompt):
            lay.addWidget(group)
        lay.addStretch(1)
        self.load_saved()

    def load_saved(self) -> None:
        opts = settings.chat_options()
        self.model.set_path(str(opts["model_path"] or ""))
        self.mmproj.set_path(str(opts["mmproj_path"] or ""))
        self.max_image_pixels.setValue(int(opts["max_image_pixels"]))
        self.fields.load(opts)

    def values(self) -> dict[str, Any]:
        """What set_chat_options stores."""
        return {**self.fields.values(), "model_path": self.model.path(), "mmproj_path": self.mmproj.path(),
                "max_image_pixels": self.max_image_pixels.value()}

    def save(self) -> None:
        """Write the chat settings; SettingsError (a readable sentence) when they do not fit together."""
        settings.set_chat_options(**self.values())
