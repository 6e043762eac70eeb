"""Settings: the qwen-vl detector's endpoint (URL, model, image size) and its API key;
the synthesizers (remud_desktop.synth_settings).

Non-secret settings go to engine.settings (a JSON file the `remud` command reads too).
The key goes to the OS keyring through engine.secrets, never to a file or QSettings.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                               QPushButton, QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from engine import settings
from engine.detect import registry
from engine.errors import RemudError
from engine.secrets import get_secret, set_secret
from remud_desktop.workers import Task, start

QWEN = "qwen-vl"


def _card_defaults() -> dict:
    cards = registry.load_cards()
    return dict(cards[QWEN].params) if QWEN in cards else {}


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        from engine.detect.qwen_parse import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS

        defaults = {"min_pixels": DEFAULT_MIN_PIXELS, "max_pixels": DEFAULT_MAX_PIXELS, **_card_defaults()}
        saved = settings.detector_params(QWEN)
        value = lambda k: saved.get(k, defaults.get(k, ""))  # noqa: E731

        self.base_url = QLineEdit(str(value("base_url")))
        self.base_url.setPlaceholderText("http://127.0.0.1:8000/v1")
        self.model = QLineEdit(str(value("model")))
        self.min_pixels = QSpinBox(maximum=2_000_000_000, singleStep=28 * 28 * 64)
        self.min_pixels.setValue(int(value("min_pixels")))
        self.max_pixels = QSpinBox(maximum=2_000_000_000, singleStep=28 * 28 * 256)
        self.max_pixels.setValue(int(value("max_pixels")))
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.has_key = bool(get_secret(QWEN))
        self.key.setPlaceholderText("A key is saved in the system keyring (type to replace it)"
                                    if self.has_key else "Empty for local servers")
        self.forget_key = QPushButton("Forget key")
        self.forget_key.setEnabled(self.has_key)
        self.forget_key.clicked.connect(self._forget_key)
        self._forget = False
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.forget_key)

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        page = QWidget()
        form = QFormLayout(page)
        intro = QLabel("The <b>qwen-vl</b> detector asks a Qwen2.5-VL model behind an OpenAI-compatible endpoint "
                       "(vLLM, llama.cpp server, DashScope) to box the figures of each page.")
        intro.setWordWrap(True)
        form.addRow(intro)
        form.addRow("Base URL", self.base_url)
        form.addRow("Model", self.model)
        form.addRow("Min pixels", self.min_pixels)
        form.addRow("Max pixels", self.max_pixels)
        form.addRow("API key", key_row)
        form.addRow(test_row)
        note = QLabel(f"Saved in {settings.settings_path()} (the key only in the keyring).")
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid);")
        form.addRow(note)
        tabs = QTabWidget()
        tabs.addTab(page, "Detection")
        from remud_desktop.synth_settings import SynthesisPage

        self.synthesis = SynthesisPage()
        tabs.addTab(self.synthesis, "Synthesis")
        self.tabs = tabs

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(tabs)
        lay.addWidget(buttons)
        self._task: Task | None = None

    def values(self) -> dict:
        return {
            "base_url": self.base_url.text().strip(),
            "model": self.model.text().strip(),
            "min_pixels": self.min_pixels.value(),
            "max_pixels": self.max_pixels.value(),
        }

    def _forget_key(self) -> None:
        self._forget = True
        self.key.clear()
        self.key.setPlaceholderText("The key will be removed from the keyring when you save")
        self.forget_key.setEnabled(False)

    def save(self) -> bool:
        """Write the settings file and the keyring; a readable message on failure."""
        values = self.values()
        if values["min_pixels"] > values["max_pixels"]:
            QMessageBox.warning(self, "Settings", "Min pixels must not be larger than max pixels.")
            return False
        try:
            settings.set_detector_params(QWEN, values)
            key = self.key.text().strip()
            if key:
                set_secret(QWEN, key)
            elif self._forget:
                set_secret(QWEN, "")
            self.synthesis.save()
        except RemudError as exc:
            QMessageBox.warning(self, "Settings", str(exc))
            return False
        except Exception as exc:  # keyring backends raise their own errors
            QMessageBox.warning(self, "Settings", f"The key could not be saved in the system keyring ({type(exc).__name__}).")
            return False
        return True

    def accept(self) -> None:
        if self.save():
            super().accept()

    def test_connection(self) -> Task:
        from engine.detect.endpoint import check_endpoint

        values = self.values()
        key = self.key.text().strip() or None
        self.test_button.setEnabled(False)
        self.test_result.setText("Connecting…")
        task = Task("test", lambda: check_endpoint(values["base_url"], values["model"], key))
        task.signals.done.connect(lambda _tag, check: self._tested(check.message, check.has_model))
        task.signals.failed.connect(lambda _tag, message: self._tested(message, False))
        self._task = task
        return start(task)

    def _tested(self, message: str, ok: bool) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setStyleSheet("color: #2da44e;" if ok else "color: #cf222e;")
        self.test_result.setText(message)
