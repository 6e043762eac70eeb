"""Settings, one tab per page: Detection (the detectors, and the qwen-vl endpoint with
its API key), Synthesis (providers, keys, base URLs, models, concurrency; prices),
Chat (remud_desktop.settings.chat_page) and Appearance (light, dark or the system's).

Non-secret settings go to engine.settings (a JSON file `remud settings` reads too).
Keys go to the OS keyring through engine.secrets, never to a file or QSettings. Keyring
calls can be slow, so they run in the thread pool: which keys are saved is checked while
the dialog opens, and typed keys are stored before it closes.
"""

from __future__ import annotations

from enum import StrEnum

import shiboken6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLocale, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine import i18n, settings
from engine.detect import registry
from engine.detect.endpoint import check_endpoint
from engine.detect.qwen_parse import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS
from engine.errors import RemudError
from engine.key_status import KEYRING, key_status
from engine.resources import resource
from engine.secrets import set_secret
from engine.synth.base import load_pricing
from remud_desktop.card_text import description_html
from remud_desktop.settings.chat_page import ChatSettingsPage
from remud_desktop.settings.synthesis_page import SynthesisPage
from remud_desktop.theme import apply_theme
from remud_desktop.workers import Task, start

QWEN = "qwen-vl"


class SettingsPage(StrEnum):
    """The dialog's pages, in tab order."""

    DETECTION = "detection"
    SYNTHESIS = "synthesis"
    CHAT = "chat"
    APPEARANCE = "appearance"


PAGES = tuple(SettingsPage)
THEME_CHOICES = (("system", QT_TRANSLATE_NOOP("AppearancePage", "Same as the system"),
                  QT_TRANSLATE_NOOP("AppearancePage",
                                    "Light or dark as your operating system is set, and it follows when it changes.")),
                 ("light", QT_TRANSLATE_NOOP("AppearancePage", "Light"),
                  QT_TRANSLATE_NOOP("AppearancePage", "Dark text on light backgrounds.")),
                 ("dark", QT_TRANSLATE_NOOP("AppearancePage", "Dark"),
                  QT_TRANSLATE_NOOP("AppearancePage",
                                    "Light text on dark backgrounds, easier on the eyes in a dim scanning room.")))


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _scrolled(page: QWidget) -> QScrollArea:
    """A page in a frameless scroll area with room around it, so small screens can reach all of it."""
    holder = QWidget()
    lay = QVBoxLayout(holder)
    lay.setContentsMargins(16, 16, 16, 16)
    lay.addWidget(page)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(holder)
    return area


def _group(title: str, *widgets: QWidget) -> QGroupBox:
    group = QGroupBox(title)
    lay = QVBoxLayout(group)
    lay.setContentsMargins(14, 12, 14, 12)
    lay.setSpacing(10)
    for w in widgets:
        lay.addWidget(w)
    return group


class DetectorList(QWidget):
    """The detectors there are (read-only): name, title and what each one does."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(12)
        self.names: list[str] = []
        for card in registry.available():
            entry = QVBoxLayout()
            entry.setSpacing(2)
            heading = (self.tr("<b>{title}</b> &nbsp;<tt>{name}</tt> · uses the network") if card.remote
                       else "<b>{title}</b> &nbsp;<tt>{name}</tt>")
            entry.addWidget(QLabel(heading.format(title=card.title, name=card.name)))
            entry.addWidget(_note(description_html(card.description)))
            lay.addLayout(entry)
            self.names.append(card.name)


class PriceTable(QWidget):
    """The prices synthesis cost is estimated with (resources/pricing.toml), read-only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = resource("pricing.toml")
        self.table = QTableWidget(0, 3)
        for col, title in enumerate((self.tr("Model"), self.tr("Input / 1M tokens"), self.tr("Output / 1M tokens"))):
            head = QTableWidgetItem(title)
            head.setTextAlignment((Qt.AlignmentFlag.AlignLeft if col == 0 else Qt.AlignmentFlag.AlignRight)
                                  | Qt.AlignmentFlag.AlignVCenter)
            self.table.setHorizontalHeaderItem(col, head)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        try:
            pricing = load_pricing(self.path)
        except RemudError as exc:
            lay.addWidget(_note(str(exc)))
            return
        for name, price in pricing.prices.items():
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(name))
            for col, value in ((1, price.input), (2, price.output)):
                item = QTableWidgetItem(f"${value:,.2f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        rows = self.table.rowCount()
        self.table.setFixedHeight(self.table.horizontalHeader().height() + sum(self.table.rowHeight(r) for r in range(rows))
                                  + 2 * self.table.frameWidth())
        lay.addWidget(self.table)
        lay.addWidget(_note(self.tr("US dollars per million tokens; batch jobs cost ×{discount}. Models not listed "
                                    "get no estimate. To change prices, edit {path}")
                            .format(discount=f"{pricing.batch_discount:g}", path=self.path)))


class AppearancePage(QWidget):
    """The theme (used at once when saved) and the language (used from the next start)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        saved = settings.appearance_options()
        self.buttons = QButtonGroup(self)
        box = QGroupBox(self.tr("Theme"))
        lay = QVBoxLayout(box)
        lay.setContentsMargins(14, 12, 14, 12)
        lay.setSpacing(4)
        self.radios: dict[str, QRadioButton] = {}
        for i, (name, title, detail) in enumerate(THEME_CHOICES):
            radio = QRadioButton(QCoreApplication.translate("AppearancePage", title))
            self.radios[name] = radio
            self.buttons.addButton(radio)
            if i:
                lay.addSpacing(8)
            lay.addWidget(radio)
            note = _note(QCoreApplication.translate("AppearancePage", detail))
            note.setContentsMargins(24, 0, 0, 0)
            lay.addWidget(note)
        self.radios[saved["theme"]].setChecked(True)

        # the language: each one named in itself; "system" says which one it means on this computer
        self.system_language = i18n.system_language(ui_languages=QLocale.system().uiLanguages())
        self.saved_language = str(saved["language"])
        self.language_buttons = QButtonGroup(self)
        languages = QGroupBox(self.tr("Language"))
        lang_lay = QVBoxLayout(languages)
        lang_lay.setContentsMargins(14, 12, 14, 12)
        lang_lay.setSpacing(6)
        self.language_radios: dict[str, QRadioButton] = {}
        choices = [(i18n.SYSTEM, self.tr("Same as the system ({language})").format(
            language=i18n.LANGUAGES[self.system_language])), *i18n.LANGUAGES.items()]
        for code, title in choices:
            radio = QRadioButton(title)
            self.language_radios[code] = radio
            self.language_buttons.addButton(radio)
            lang_lay.addWidget(radio)
        lang_lay.addSpacing(4)
        lang_lay.addWidget(_note(self.tr("The language is chosen when ReMUD Desktop starts: a change takes effect "
                                         "when ReMUD Desktop is restarted.")))
        self.restart_note = QLabel()
        self.restart_note.setObjectName("languageRestartNote")
        self.restart_note.setWordWrap(True)
        self.restart_note.setStyleSheet("font-weight: 600; color: #b35c00;")
        lang_lay.addWidget(self.restart_note)
        self.language_radios.get(self.saved_language, self.language_radios[i18n.SYSTEM]).setChecked(True)
        self.language_buttons.buttonToggled.connect(self._language_changed)
        self._language_changed()

        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(14)
        page.addWidget(box)
        page.addWidget(languages)
        page.addStretch(1)

    def theme(self) -> str:
        return next(name for name, radio in self.radios.items() if radio.isChecked())

    def language(self) -> str:
        """The choice: "system" or a key of engine.i18n.LANGUAGES."""
        return next(code for code, radio in self.language_radios.items() if radio.isChecked())

    def language_to_use(self) -> str:
        """The language the choice means on this computer."""
        choice = self.language()
        return self.system_language if choice == i18n.SYSTEM else choice

    def needs_restart(self) -> bool:
        """Whether the chosen language differs from the one the app speaks now."""
        return self.language_to_use() != i18n.current_language()

    def _language_changed(self, *_args) -> None:
        self.restart_note.setText(self.tr("Restart ReMUD Desktop to see it in {language}.").format(
            language=i18n.LANGUAGES[self.language_to_use()]))
        self.restart_note.setVisible(self.needs_restart())

    def save(self) -> bool:
        """Save the theme (used at once) and the language; True when the language changed and
        ReMUD Desktop must be restarted to speak it."""
        theme, language = self.theme(), self.language()
        settings.set_appearance_options(theme=theme, language=language)
        changed, self.saved_language = language != self.saved_language, language
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)
        return changed and self.needs_restart()


class KeyringSaveError(RemudError):
    pass


def keys_in_keyring(names: list[str]) -> dict[str, bool]:
    """Which keyring entries hold a key (slow on some systems: call it off the GUI thread)."""
    return {name: key_status(name, name, "").source == KEYRING for name in names}


def store_keys(keys: dict[str, str]) -> None:
    """Put typed keys in the keyring; an empty key removes the entry (call it off the GUI thread)."""
    for name, value in keys.items():
        try:
            set_secret(name, value)
        except Exception as exc:  # keyring backends raise their own errors
            raise KeyringSaveError(QCoreApplication.translate(
                "SettingsDialog", "The key “{name}” could not be saved in the system keyring ({error}); check that "
                "a keyring is available and try again.").format(name=name, error=type(exc).__name__)) from exc


def _card_defaults() -> dict:
    cards = registry.load_cards()
    return dict(cards[QWEN].params) if QWEN in cards else {}


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(640)
        defaults = {"min_pixels": DEFAULT_MIN_PIXELS, "max_pixels": DEFAULT_MAX_PIXELS, **_card_defaults()}
        saved = settings.detector_params(QWEN)

        def value(k: str) -> object:
            return saved.get(k, defaults.get(k, ""))

        self.base_url = QLineEdit(str(value("base_url")))
        self.base_url.setPlaceholderText("http://127.0.0.1:8000/v1")
        self.model = QLineEdit(str(value("model")))
        self.min_pixels = QSpinBox(maximum=2_000_000_000, singleStep=28 * 28 * 64)
        self.min_pixels.setValue(int(value("min_pixels")))
        self.max_pixels = QSpinBox(maximum=2_000_000_000, singleStep=28 * 28 * 256)
        self.max_pixels.setValue(int(value("max_pixels")))
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.has_key = False  # known once the keyring check returns
        self.key.setPlaceholderText(self.tr("Checking the system keyring…"))
        self.forget_key = QPushButton(self.tr("Forget key"))
        self.forget_key.setEnabled(False)
        self.forget_key.clicked.connect(self._forget_key)
        self._forget = False
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.forget_key)

        self.test_button = QPushButton(self.tr("Test connection"))
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(10)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        intro = QLabel(self.tr("The <b>qwen-vl</b> detector asks a Qwen2.5-VL model behind an OpenAI-compatible "
                               "endpoint (vLLM, llama.cpp server, DashScope) to box the figures of each page."))
        intro.setWordWrap(True)
        form.addRow(intro)
        form.addRow(self.tr("Base URL"), self.base_url)
        form.addRow(self.tr("Model"), self.model)
        form.addRow(self.tr("Min pixels"), self.min_pixels)
        form.addRow(self.tr("Max pixels"), self.max_pixels)
        form.addRow(self.tr("API key"), key_row)
        form.addRow(test_row)
        endpoint = QGroupBox(self.tr("qwen-vl endpoint"))
        endpoint.setLayout(form)
        form.setContentsMargins(14, 12, 14, 12)
        self.detectors = DetectorList()
        detection = QWidget()
        lay = QVBoxLayout(detection)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(14)
        lay.addWidget(endpoint)
        lay.addWidget(_group(self.tr("Detectors"), self.detectors))
        lay.addWidget(_note(self.tr("Saved in {path} (keys only in the system keyring).")
                            .format(path=settings.settings_path())))
        lay.addStretch(1)

        self.synthesis = SynthesisPage()
        self.synthesis.layout().setContentsMargins(14, 12, 14, 12)
        self.synthesis.layout().setVerticalSpacing(10)
        self.synthesis.layout().setHorizontalSpacing(16)
        self.prices = PriceTable()
        synthesis = QWidget()
        lay = QVBoxLayout(synthesis)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(14)
        provider = QGroupBox(self.tr("Provider"))
        QVBoxLayout(provider).addWidget(self.synthesis)
        provider.layout().setContentsMargins(0, 0, 0, 0)
        lay.addWidget(provider)
        lay.addWidget(_group(self.tr("Prices"), self.prices))
        lay.addStretch(1)
        self.chat = ChatSettingsPage()
        self.appearance = AppearancePage()

        tabs = QTabWidget()
        for page, title in ((detection, self.tr("Detection")), (synthesis, self.tr("Synthesis")),
                            (self.chat, self.tr("Chat")), (self.appearance, self.tr("Appearance"))):
            tabs.addTab(_scrolled(page), title)
        self.tabs = tabs

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.status = QLabel()
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.buttons)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        lay.setSpacing(12)
        lay.addWidget(tabs, 1)
        lay.addLayout(bottom)
        self.resize(760, 700)
        self._task: Task | None = None
        self._saving: Task | None = None
        self._closed = False  # results that arrive after this are dropped
        names = [QWEN, *sorted(set(self.synthesis.key_names.values()) - {QWEN})]
        self.key_check = Task("keys", lambda: keys_in_keyring(names))
        # bound methods, not lambdas: the connections go with the dialog when it is deleted before the answer
        self.key_check.signals.done.connect(self._keys_found)
        self.key_check.signals.failed.connect(self._keys_not_read)
        start(self.key_check)

    def show_page(self, name: SettingsPage | str) -> None:
        """Bring a page to the front (a SettingsPage, or its name: "detection", "synthesis"...)."""
        if name not in PAGES:
            raise ValueError(f"No settings page {name!r}; pages: {', '.join(PAGES)}")
        self.tabs.setCurrentIndex(PAGES.index(SettingsPage(name)))

    def current_page(self) -> SettingsPage:
        return PAGES[self.tabs.currentIndex()]

    def values(self) -> dict:
        return {
            "base_url": self.base_url.text().strip(),
            "model": self.model.text().strip(),
            "min_pixels": self.min_pixels.value(),
            "max_pixels": self.max_pixels.value(),
        }

    def _keys_found(self, _tag, found: dict[str, bool]) -> None:
        self._keys_checked(found)

    def _keys_not_read(self, _tag, _message: str) -> None:
        self._keys_checked({})

    def _keys_checked(self, found: dict[str, bool]) -> None:
        if self._closed or not shiboken6.isValid(self.key):  # closed, or deleted, while the keyring was read
            return
        self.has_key = found.get(QWEN, False)
        if not self._forget:
            self.key.setPlaceholderText(self.tr("A key is saved in the system keyring (type to replace it)")
                                        if self.has_key else self.tr("Empty for local servers"))
            self.forget_key.setEnabled(self.has_key)
        self.synthesis.set_saved_keys(found)

    def _forget_key(self) -> None:
        self._forget = True
        self.key.clear()
        self.key.setPlaceholderText(self.tr("The key will be removed from the keyring when you save"))
        self.forget_key.setEnabled(False)

    def save(self) -> dict[str, str] | None:
        """Write the settings file; the keys still to put in the keyring ("" removes one), or
        None after showing a readable message."""
        values = self.values()
        if values["min_pixels"] > values["max_pixels"]:
            self.show_page(SettingsPage.DETECTION)
            QMessageBox.warning(self, self.tr("Settings"), self.tr("Min pixels must not be larger than max pixels."))
            return None
        try:
            self.chat.save()
        except RemudError as exc:
            self.show_page(SettingsPage.CHAT)
            QMessageBox.warning(self, self.tr("Settings"), str(exc))
            return None
        try:
            settings.set_detector_params(QWEN, values)
            self.synthesis.save()
            restart = self.appearance.save()
        except RemudError as exc:
            QMessageBox.warning(self, self.tr("Settings"), str(exc))
            return None
        if restart:
            QMessageBox.information(self, self.tr("Settings"), self.tr(
                "The language is saved: restart ReMUD Desktop to see it in {language}.").format(
                    language=i18n.LANGUAGES[self.appearance.language_to_use()]))
        keys = self.synthesis.typed_keys()
        key = self.key.text().strip()
        if key or self._forget:
            keys[QWEN] = key
        return keys

    def accept(self) -> None:
        """Save; typed keys go to the keyring in the thread pool and the dialog closes when they are in."""
        if self._saving is not None:
            return
        keys = self.save()
        if keys is None:
            return
        if not keys:
            super().accept()
            return
        self.buttons.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Saving the keys in the system keyring…"))
        task = Task("store-keys", lambda: store_keys(keys))
        task.signals.done.connect(lambda _tag, _result: self._keys_stored(None))
        task.signals.failed.connect(lambda _tag, message: self._keys_stored(message))
        self._saving = start(task)

    def _keys_stored(self, error: str | None) -> None:
        self._saving = None
        self.buttons.setEnabled(True)
        self.status.clear()
        if error is None:
            super().accept()
            return
        self.status.setStyleSheet("color: #cf222e;")
        self.status.setText(error)
        QMessageBox.warning(self, self.tr("Settings"), error)

    def reject(self) -> None:
        if self._saving is None:  # keys being stored: wait for them
            super().reject()

    def done(self, result: int) -> None:
        self._closed = True
        self.synthesis.drop_late_results()
        super().done(result)

    def test_connection(self) -> Task:
        values = self.values()
        key = self.key.text().strip() or None
        self.test_button.setEnabled(False)
        self.test_result.setText(self.tr("Connecting…"))
        task = Task("test", lambda: check_endpoint(values["base_url"], values["model"], key))
        task.signals.done.connect(lambda _tag, check: self._tested(check.message, check.has_model))
        task.signals.failed.connect(lambda _tag, message: self._tested(message, False))
        self._task = task
        return start(task)

    def _tested(self, message: str, ok: bool) -> None:
        if self._closed:  # the dialog was closed while the test ran
            return
        self.test_button.setEnabled(True)
        self.test_result.setStyleSheet("color: #2da44e;" if ok else "color: #cf222e;")
        self.test_result.setText(message)
