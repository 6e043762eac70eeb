"""The conversations of the chat project: search, new, rename, delete, export.

The header says where they are kept: in the open project, or (with none open) in the
personal chat project in the user's data folder.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.store import chats
from engine.store.project import Project

ID_ROLE = Qt.ItemDataRole.UserRole


class ExportFormat(StrEnum):
    """How a conversation is exported; the value is the file's suffix."""

    MARKDOWN = "md"
    JSON = "json"


class ConversationList(QWidget):
    selected = Signal(object)  # session id, or None when nothing is selected
    export_requested = Signal(int, str)  # (session id, ExportFormat)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.header = QLabel(self.tr("Conversations"))
        self.header.setObjectName("conversationsHeader")
        self.where = QLabel()
        self.where.setObjectName("conversationsWhere")
        self.where.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search conversations…"))
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=200)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda: self._search_timer.start())
        self.list = QListWidget()
        self.list.setObjectName("conversationList")
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.rename_dialog())
        self.new = QPushButton(self.tr("New"))
        self.new.setToolTip(self.tr("Start a new conversation"))
        self.new.clicked.connect(lambda: self.create())
        self.rename = QPushButton(self.tr("Rename"))
        self.rename.clicked.connect(self.rename_dialog)
        self.delete = QPushButton(self.tr("Delete"))
        self.delete.clicked.connect(self.delete_dialog)
        self.export = QToolButton()
        self.export.setText(self.tr("Export"))
        self.export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export)
        menu.addAction(self.tr("As Markdown…"), lambda: self._export(ExportFormat.MARKDOWN))
        menu.addAction(self.tr("As JSON…"), lambda: self._export(ExportFormat.JSON))
        self.export.setMenu(menu)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.setSpacing(4)
        for b in (self.new, self.rename, self.delete, self.export):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 4, 8)
        lay.setSpacing(6)
        lay.addWidget(self.header)
        lay.addWidget(self.where)
        lay.addWidget(self.search)
        lay.addWidget(self.list, 1)
        lay.addLayout(buttons)
        self.setStyleSheet("#conversationsHeader { font-weight: 600; } #conversationsWhere { color: palette(dark); }"
                           " #conversationList::item { padding: 4px 2px; }")
        self._update_buttons()

    # -- the project ----------------------------------------------------------------------------
    def set_project(self, project: Project | None, where: str) -> None:
        self.project = project
        self.where.setText(where)
        self.where.setToolTip(str(project.folder) if project else "")
        self.search.clear()
        self.refresh()

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(ID_ROLE) if item is not None else None

    def ids(self) -> list[int]:
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]

    def refresh(self, select: int | None = None) -> None:
        """Re-read the list (filtered by the search box), keeping or moving the selection."""
        keep = select if select is not None else self.current_id()
        self.list.blockSignals(True)
        self.list.clear()
        sessions = chats.list_sessions(self.project, self.search.text()) if self.project else []
        untitled, no_model = self.tr("New conversation"), self.tr("no model yet")
        for s in sessions:
            item = QListWidgetItem(s.title or untitled)
            item.setData(ID_ROLE, s.id)
            item.setToolTip(f"{s.title or untitled}\n{s.model or no_model} · {s.updated_at[:16].replace('T', ' ')}")
            self.list.addItem(item)
        row = next((i for i, s in enumerate(sessions) if s.id == keep), 0 if sessions else -1)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self._update_buttons()
        if self.current_id() != keep or select is not None:
            self.selected.emit(self.current_id())

    def _current_changed(self, *_args) -> None:
        self._update_buttons()
        self.selected.emit(self.current_id())

    def _update_buttons(self) -> None:
        has = self.current_id() is not None
        for b in (self.rename, self.delete, self.export):
            b.setEnabled(has)
        self.new.setEnabled(self.project is not None)

    # -- editing --------------------------------------------------------------------------------
    def create(self, title: str = "") -> int | None:
        if self.project is None:
            return None
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        session = chats.create_session(self.project, title)
        self.refresh(select=session.id)
        return session.id

    def rename_to(self, session_id: int, title: str) -> None:
        chats.update_session(self.project, session_id, title=title.strip())
        self.refresh(select=session_id)

    def rename_dialog(self) -> None:
        sid = self.current_id()
        if sid is None:
            return
        old = chats.get_session(self.project, sid).title
        title, ok = QInputDialog.getText(self, self.tr("Rename conversation"), self.tr("New name:"), text=old)
        if ok and title.strip():
            self.rename_to(sid, title)

    def delete_dialog(self) -> None:
        sid = self.current_id()
        if sid is None:
            return
        title = chats.get_session(self.project, sid).title
        question = (self.tr("Delete “{title}” and all its messages? This cannot be undone.").format(title=title) if title
                    else self.tr("Delete this conversation and all its messages? This cannot be undone."))
        answer = QMessageBox.question(self, self.tr("Delete conversation"), question)
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(sid)

    def remove(self, session_id: int) -> None:
        row = self.list.currentRow()
        chats.delete_session(self.project, session_id)
        self.refresh(select=-1)
        if self.list.count():
            self.list.setCurrentRow(min(row, self.list.count() - 1))

    def _export(self, fmt: ExportFormat) -> None:
        sid = self.current_id()
        if sid is not None:
            self.export_requested.emit(sid, fmt)
