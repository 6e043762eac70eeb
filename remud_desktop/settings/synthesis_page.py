"""The Synthesis page of the settings: per synthesizer card its model, base URL,
temperature and max tokens (engine.settings), how many requests run at once, and the API
key, which goes to the OS keyring under the card's key name ("openai", "gemini") only.
The page never calls the keyring itself: the Settings dialog checks and stores keys in
the thread pool and hands the results over (set_saved_keys, typed_keys)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine import settings
from engine.key_status import key_name
from engine.synth.registry import create, load_cards
from remud_desktop.workers import Task, start

FIELDS = ("model", "base_url", "temperature", "max_tokens")


class SynthesisPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards = load_cards()
        self.key_names = {name: key_name(card) for name, card in self.cards.items()}  # card -> keyring entry
        self._saved_keys: dict[str, bool] | None = None  # keyring entry -> has a key; None until checked
        self._closed = False
        self.card = QComboBox()
        for card in self.cards.values():
            self.card.addItem(card.title, card.name)
        self.model = QLineEdit()
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText(self.tr("The provider's default (or OPENAI_BASE_URL)"))
        self.temperature = QDoubleSpinBox(minimum=0.0, maximum=2.0, singleStep=0.1, decimals=2)
        self.max_tokens = QSpinBox(minimum=1, maximum=1_000_000, singleStep=256)
        self.concurrency = QSpinBox(minimum=1, maximum=256)
        self.concurrency.setValue(int(settings.synthesis_options()["concurrency"]))
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.test_button = QPushButton(self.tr("Test connection"))
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        form = QFormLayout(self)
        intro = QLabel(self.tr("Synthesizers write the question, thinking and answer records about each figure."))
        intro.setWordWrap(True)
        form.addRow(intro)
        form.addRow(self.tr("Synthesizer"), self.card)
        form.addRow(self.tr("Model"), self.model)
        form.addRow(self.tr("Base URL"), self.base_url)
        form.addRow(self.tr("Temperature"), self.temperature)
        form.addRow(self.tr("Max tokens"), self.max_tokens)
        form.addRow(self.tr("Requests at once"), self.concurrency)
        form.addRow(self.tr("API key"), self.key)
        form.addRow(test_row)

        self._edits: dict[str, dict] = {}  # card -> values typed on this page
        self._keys: dict[str, str] = {}  # keyring name -> key typed on this page
        self._shown: str | None = None
        self._task: Task | None = None
        self.card.currentIndexChanged.connect(self._show_card)
        self.card.setCurrentIndex(max(0, self.card.findData(settings.synthesis_options()["card"])))
        self._show_card()

    def current_card(self) -> str:
        return str(self.card.currentData())

    def _keep_shown(self) -> None:
        if self._shown is None:
            return
        self._edits[self._shown] = self.values()
        key = self.key.text().strip()
        if key:
            self._keys[self.key_names[self._shown]] = key

    def _show_card(self, *_args) -> None:
        self._keep_shown()
        name = self.current_card()
        card = self.cards[name]
        saved = self._edits.get(name) or {**card.params, **settings.synthesizer_params(name)}
        self.model.setText(str(saved.get("model", "")))
        self.base_url.setText(str(saved.get("base_url", "")))
        self.temperature.setValue(float(saved.get("temperature", 0.7)))
        self.max_tokens.setValue(int(saved.get("max_tokens", 4096)))
        self.key.setText(self._keys.get(self.key_names[name], ""))
        self._show_key_hint()
        self.test_result.clear()
        self._shown = name

    def _show_key_hint(self) -> None:
        secret = self.key_names[self.current_card()]
        if self._saved_keys is None:
            self.key.setPlaceholderText(self.tr("Checking the system keyring…"))
        elif self._saved_keys.get(secret):
            self.key.setPlaceholderText(self.tr("A key is saved in the system keyring as “{name}” (type to replace it)")
                                        .format(name=secret))
        else:
            self.key.setPlaceholderText(self.tr("Stored in the system keyring as “{name}”").format(name=secret))

    def set_saved_keys(self, found: dict[str, bool]) -> None:
        """Which keyring entries hold a key (the dialog's background check)."""
        self._saved_keys = dict(found)
        self._show_key_hint()

    def drop_late_results(self) -> None:
        """The dialog closed: a connection test that finishes later changes nothing."""
        self._closed = True

    def values(self) -> dict:
        return {"model": self.model.text().strip(), "base_url": self.base_url.text().strip(),
                "temperature": round(self.temperature.value(), 2), "max_tokens": self.max_tokens.value()}

    def save(self) -> None:
        """Settings file for the cards edited here (not the keys: see typed_keys); raises on failure."""
        self._keep_shown()
        for name, values in self._edits.items():
            settings.set_synthesizer_params(name, values)
        settings.set_synthesis_options(concurrency=self.concurrency.value(), card=self.current_card())

    def typed_keys(self) -> dict[str, str]:
        """Keyring entry -> the key typed for it on this page."""
        self._keep_shown()
        return dict(self._keys)

    def test_connection(self) -> Task:
        name, values = self.current_card(), {k: v for k, v in self.values().items() if v not in ("", None)}
        key = self.key.text().strip()
        if key:
            values["api_key"] = key
        self.test_button.setEnabled(False)
        self.test_result.setText(self.tr("Connecting…"))
        task = Task(name, lambda: create(name, **values).test_connection())
        task.signals.done.connect(lambda _tag, message: self._tested(message, True))
        task.signals.failed.connect(lambda _tag, message: self._tested(message, False))
        self._task = task
        return start(task)

    def _tested(self, message: str, ok: bool) -> None:
        if self._closed:
            return
        self.test_button.setEnabled(True)
        self.test_result.setStyleSheet("color: #2da44e;" if ok else "color: #cf222e;")
        self.test_result.setText(message)
