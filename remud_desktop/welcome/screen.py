"""The welcome screen shown while no project is open: the three ways in (the sample
project, a new project, an existing one), the recent projects, and a checklist of what
is set up (an API key for synthesis, a chat model, the sample project).

It knows no project logic: it only emits what the user asked for, and the main window
does it. Colours come from the palette (no style sheets), so light and dark both work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine import settings
from engine.errors import RemudError
from engine.key_status import KeyKind, KeyStatus, all_key_statuses, synthesis_key_set
from remud_desktop.settings import SettingsPage
from remud_desktop.theme import app_icon
from remud_desktop.workers import Task, start

RECENT_KEY = "recentProjects"  # the QSettings key the recent projects are kept under (newest first)
GGUF_FILTER = QT_TRANSLATE_NOOP("WelcomeScreen", "GGUF files (*.gguf);;All files (*)")  # translated where used
DONE, TODO, CHECKING = "✓", "○", "…"
GREEN = QColor(0x2d, 0xa4, 0x4e)
PATH_ROLE = Qt.ItemDataRole.UserRole


def _font(widget: QWidget, scale: float = 1.0, bold: bool = False) -> QFont:
    font = QFont(widget.font())
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * scale)
    else:
        font.setPixelSize(round(font.pixelSize() * scale))
    font.setBold(bold)
    return font


def _muted(label: QLabel) -> QLabel:
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def recent_projects(qsettings: QSettings) -> list[str]:
    """The recent project folders, newest first (one value comes back from QSettings as a str)."""
    value = qsettings.value(RECENT_KEY, [])
    return [value] if isinstance(value, str) else [str(v) for v in (value or [])]


@dataclass
class SetupState:
    """What the welcome screen shows, found off the GUI thread (disk and keyring checks)."""

    recent: list[tuple[str, bool]]  # (folder, still there)
    model: str
    model_found: bool
    mmproj: str
    mmproj_found: bool
    sample_made: bool
    keys: list[KeyStatus] = field(default_factory=list)
    keys_error: str = ""


def check_setup(recent: list[str], model: str, mmproj: str, sample_folder: Path) -> SetupState:
    """The disk checks and the keyring check, in one go (run in a worker: drives and keyrings can be slow)."""
    state = SetupState([(folder, Path(folder).is_dir()) for folder in recent], model,
                       bool(model) and Path(model).is_file(), mmproj, bool(mmproj) and Path(mmproj).is_file(),
                       (sample_folder / "project.sqlite").is_file())
    try:
        state.keys = all_key_statuses()
    except Exception as exc:  # noqa: BLE001 - any keyring backend error: shown on the row, the rest still shows
        state.keys_error = str(exc) or type(exc).__name__
    return state


def find_mmproj(model: Path) -> Path | None:
    """The vision projector next to a model: the one .gguf in its folder with "mmproj" in its name."""
    candidates = sorted(p for p in model.parent.glob("*.gguf") if "mmproj" in p.name.lower() and p != model)
    return candidates[0] if len(candidates) == 1 else None


class ActionButton(QPushButton):
    """A large button with a title and a one-line explanation under it."""

    def __init__(self, title: str, detail: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(title)
        self.setToolTip(detail)
        self.setMinimumHeight(84)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.title = QLabel(title)
        self.title.setFont(_font(self, 1.15, bold=True))
        self.detail = _muted(QLabel(detail))
        self.detail.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 14, 18, 14)
        lay.setSpacing(4)
        lay.addWidget(self.title)
        lay.addWidget(self.detail)
        lay.addStretch(1)
        for label in (self.title, self.detail):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def sizeHint(self) -> QSize:
        return self.layout().sizeHint().expandedTo(QSize(200, 84))


class CheckRow(QWidget):
    """One line of the checklist: a mark, what it is, its state in words, and a button."""

    def __init__(self, title: str, button: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons = QHBoxLayout()
        self.done: bool | None = None
        self.mark = QLabel(CHECKING)
        self.mark.setFont(_font(self, 1.45, bold=True))
        self.mark.setFixedWidth(28)
        self.mark.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.title = QLabel(title)
        self.title.setFont(_font(self, 1.0, bold=True))
        self.detail = _muted(QLabel())
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton(button)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title)
        text.addWidget(self.detail)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 10, 0, 10)
        lay.setSpacing(12)
        lay.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(text, 1)
        self.buttons.addWidget(self.button)
        lay.addLayout(self.buttons, 0)

    def add_button(self, text: str) -> QPushButton:
        """Another button, before the row's own."""
        button = QPushButton(text)
        self.buttons.insertWidget(0, button)
        return button

    def set_state(self, done: bool | None, detail: str) -> None:
        """done: True (✓), False (○) or None (still checking)."""
        self.mark.setText(CHECKING if done is None else DONE if done else TODO)
        palette = self.mark.palette()
        color = GREEN if done else self.palette().color(QPalette.ColorRole.PlaceholderText)
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
            palette.setColor(role, color)
        self.mark.setPalette(palette)
        self.detail.setText(detail)
        self.done = done


class WelcomeScreen(QWidget):
    open_sample_requested = Signal()
    new_project_requested = Signal()
    open_project_requested = Signal()
    open_recent_requested = Signal(str)  # the project folder
    settings_requested = Signal(str)  # the Settings page to show (a SettingsPage)
    open_chat_requested = Signal()
    chat_model_changed = Signal()  # a model was chosen here and saved in the chat settings

    def __init__(self, qsettings: QSettings, sample_folder: Path, parent: QWidget | None = None) -> None:
        """`sample_folder`: where the sample project is (or will be made), for its checklist row."""
        super().__init__(parent)
        self.setObjectName("welcomeScreen")
        self.qsettings = qsettings
        self.sample_folder = Path(sample_folder)
        self._check_task: Task | None = None  # the setup check running now
        self._recheck = False  # check again when it ends

        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        icon.setFixedSize(64, 64)
        title = QLabel("ReMUD Desktop")
        title.setFont(_font(self, 2.1, bold=True))
        tagline = _muted(QLabel(self.tr("Turn ultrasound books and reports into reasoning training data, "
                                        "then ask the trained model, offline.")))
        tagline.setFont(_font(self, 1.1))
        tagline.setWordWrap(True)
        heading = QVBoxLayout()
        heading.setSpacing(4)
        heading.addWidget(title)
        heading.addWidget(tagline)
        header = QHBoxLayout()
        header.setSpacing(18)
        header.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(heading, 1)

        self.sample_button = ActionButton(self.tr("Open the sample project"),
                                          self.tr("A short scanned atlas to try everything on"))
        self.new_button = ActionButton(self.tr("New project…"), self.tr("Start from your own PDFs: books, guidelines, reports"))
        self.open_button = ActionButton(self.tr("Open project…"), self.tr("A .remud project folder on this computer"))
        self.sample_button.clicked.connect(self.open_sample_requested.emit)
        self.new_button.clicked.connect(self.new_project_requested.emit)
        self.open_button.clicked.connect(self.open_project_requested.emit)
        actions = QHBoxLayout()
        actions.setSpacing(14)
        for button in (self.sample_button, self.new_button, self.open_button):
            actions.addWidget(button, 1)

        self.recent = QListWidget()
        self.recent.setObjectName("recentProjects")
        self.recent.setAlternatingRowColors(False)
        self.recent.setSpacing(2)
        self.recent.setMinimumHeight(180)
        self.recent.setMaximumHeight(330)
        self.recent.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recent.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.recent.itemActivated.connect(self._recent_activated)

        self.keys_row = CheckRow(self.tr("API key for synthesis"), self.tr("Set up…"))
        self.keys_row.button.clicked.connect(lambda: self.settings_requested.emit(SettingsPage.SYNTHESIS))
        self.chat_row = CheckRow(self.tr("Chat model (GGUF)"), self.tr("Choose model…"))
        self.chat_row.button.clicked.connect(self.choose_model)
        self.open_chat_button = self.chat_row.add_button(self.tr("Open chat"))
        self.open_chat_button.setToolTip(self.tr("Chat with the model now; no project is needed"))
        self.open_chat_button.hide()  # until a model is there
        self.open_chat_button.clicked.connect(self.open_chat_requested.emit)
        self.sample_row = CheckRow(self.tr("Sample project"), self.tr("Open sample"))
        self.sample_row.button.clicked.connect(self.open_sample_requested.emit)
        checklist = QVBoxLayout()
        checklist.setSpacing(0)
        for i, row in enumerate((self.keys_row, self.chat_row, self.sample_row)):
            if i:
                checklist.addWidget(self._rule())
            checklist.addWidget(row)

        columns = QGridLayout()
        columns.setHorizontalSpacing(28)
        columns.setVerticalSpacing(10)
        columns.addWidget(self._section(self.tr("Recent projects")), 0, 0)
        columns.addWidget(self._section(self.tr("Setup")), 0, 1)
        columns.addWidget(self.recent, 1, 0)
        setup = QFrame()
        setup.setObjectName("setupChecklist")
        setup.setFrameShape(QFrame.Shape.StyledPanel)
        setup.setAutoFillBackground(True)
        setup.setBackgroundRole(QPalette.ColorRole.Base)
        setup.setLayout(checklist)
        checklist.setContentsMargins(16, 6, 16, 6)
        columns.addWidget(setup, 1, 1, Qt.AlignmentFlag.AlignTop)
        columns.setColumnStretch(0, 5)
        columns.setColumnStretch(1, 6)

        column = QWidget()
        column.setMaximumWidth(980)
        lay = QVBoxLayout(column)
        lay.setContentsMargins(40, 44, 40, 40)
        lay.setSpacing(0)
        lay.addLayout(header)
        lay.addSpacing(32)
        lay.addLayout(actions)
        lay.addSpacing(36)
        lay.addLayout(columns)
        lay.addStretch(1)

        inner = QWidget()
        centre = QHBoxLayout(inner)
        centre.setContentsMargins(0, 0, 0, 0)
        centre.addStretch(1)
        centre.addWidget(column, 12)
        centre.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        # filled in when shown (showEvent): nothing is checked for a screen nobody sees

    @staticmethod
    def _section(text: str) -> QLabel:
        label = QLabel(text)
        label.setFont(_font(label, 1.15, bold=True))
        return label

    @staticmethod
    def _rule() -> QFrame:
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        return rule

    # -- filling in ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Check the recent projects and the setup again, in a worker; while one check runs,
        another is queued behind it. Rows show "…" until the answer is in."""
        opts = settings.chat_options()
        for row in (self.keys_row, self.chat_row, self.sample_row):
            row.set_state(None, self.tr("Checking…"))
        if self._check_task is not None:
            self._recheck = True
            return
        self._recheck = False
        args = (recent_projects(self.qsettings), str(opts["model_path"] or ""), str(opts["mmproj_path"] or ""),
                self.sample_folder)
        task = Task("setup", lambda: check_setup(*args))
        task.signals.done.connect(self._checked)
        task.signals.failed.connect(self._check_failed)
        self._check_task = start(task)

    def settings_changed(self) -> None:
        """The settings (or keys) may have changed: check again if the screen is on show."""
        if self.isVisible():
            self.refresh()

    def _checked(self, _tag, state: SetupState) -> None:
        self._check_task = None
        if self._recheck:  # something changed while this check ran
            self.refresh()
            return
        self._show_recent(state.recent)
        self._show_chat_model(state)
        self.sample_row.set_state(state.sample_made,
                                  self.tr("Ready in {folder}").format(folder=self.sample_folder) if state.sample_made
                                  else self.tr("A short scanned atlas, made the first time you open it."))
        self._show_keys(state)

    def _check_failed(self, _tag, message: str) -> None:
        self._check_task = None
        if self._recheck:
            self.refresh()
            return
        for row in (self.keys_row, self.chat_row, self.sample_row):
            row.set_state(False, self.tr("This could not be checked: {reason}").format(reason=message))

    def _show_recent(self, recent: list[tuple[str, bool]]) -> None:
        self.recent.clear()
        for folder, found in recent:
            path = Path(folder)
            item = QListWidgetItem(f"{path.name}\n{folder}" if found
                                   else self.tr("{name} — not found\n{folder}").format(name=path.name, folder=folder))
            item.setData(PATH_ROLE, folder)
            item.setToolTip(folder if found else self.tr(
                "{folder} is not there any more (moved, renamed or on a removed drive).").format(folder=folder))
            item.setSizeHint(QSize(0, self.recent.fontMetrics().height() * 2 + 14))
            if not found:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.recent.addItem(item)
        if not self.recent.count():
            item = QListWidgetItem(self.tr("No recent projects yet.\nProjects you open will be listed here."))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(item)
        else:
            first = next((i for i in range(self.recent.count()) if self.recent.item(i).flags() & Qt.ItemFlag.ItemIsEnabled), -1)
            self.recent.setCurrentRow(first)

    def _show_chat_model(self, state: SetupState) -> None:
        model, mmproj = Path(state.model), Path(state.mmproj)
        self.open_chat_button.setVisible(state.model_found)
        if not state.model:
            self.chat_row.set_state(False, self.tr("No model chosen yet. Chat runs a GGUF file (e.g. ReMUD-7B-Q4_K_M.gguf) "
                                                   "on this computer, offline."))
        elif not state.model_found:
            self.chat_row.set_state(False, self.tr("{name} is not at {folder} any more.").format(
                name=model.name, folder=model.parent))
        else:
            vision = (self.tr("vision projector {name}").format(name=mmproj.name) if state.mmproj_found else
                      self.tr("vision projector {name} not found").format(name=mmproj.name) if state.mmproj else
                      self.tr("no vision projector (mmproj), so no images"))
            self.chat_row.set_state(True, f"{model.name} · {vision}")

    def _show_keys(self, state: SetupState) -> None:
        if state.keys_error:
            self.keys_row.set_state(False, self.tr("The keys could not be checked: {reason}").format(
                reason=state.keys_error))
            return
        synth = [s for s in state.keys if s.kind == KeyKind.SYNTHESIS]
        self.keys_row.set_state(synthesis_key_set(state.keys),
                                " · ".join(self.tr("{provider}: {state}").format(provider=s.title, state=s.describe())
                                           for s in synth) or self.tr("No synthesis provider needs one."))

    def key_check_done(self) -> bool:
        """The last setup check (keyring, disk) has answered."""
        return self._check_task is None and self.keys_row.done is not None

    def set_sample_busy(self, busy: bool) -> None:
        """While the sample project is being made, its buttons wait."""
        for button in (self.sample_button, self.sample_row.button):
            button.setEnabled(not busy)

    # -- actions ---------------------------------------------------------------------------
    def _recent_activated(self, item: QListWidgetItem) -> None:
        folder = item.data(PATH_ROLE)
        if folder and item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.open_recent_requested.emit(str(folder))

    def choose_model(self) -> str | None:
        """A file dialog for the GGUF; saves it (and an mmproj found beside it) as the chat model."""
        current = str(settings.chat_options()["model_path"] or "")
        start_dir = str(Path(current).parent) if current else str(Path.home())
        name = QFileDialog.getOpenFileName(self, self.tr("Choose the chat model (GGUF)"), start_dir,
                                           QCoreApplication.translate("WelcomeScreen", GGUF_FILTER))[0]
        if not name:
            return None
        changes = {"model_path": name}
        saved = str(settings.chat_options()["mmproj_path"] or "")
        if not saved or Path(saved).parent != Path(name).parent:  # another folder: the old model's projector
            mmproj = find_mmproj(Path(name))
            changes["mmproj_path"] = str(mmproj) if mmproj is not None else ""
        try:
            settings.set_chat_options(**changes)
        except RemudError as exc:
            QMessageBox.warning(self, self.tr("Chat model"), str(exc))
            return None
        self.chat_model_changed.emit()
        self.refresh()
        return name

    # -- events ----------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark: the grey marks follow
            for row in (self.keys_row, self.chat_row, self.sample_row):
                if row.done is not None:
                    row.set_state(row.done, row.detail.text())
