"""The document library dock: documents with their counts above, page thumbnails below."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.errors import RemudError
from engine.store import documents, figures
from engine.store.models import Document
from remud_desktop.library.thumbnails import ThumbnailView

DocRole = Qt.ItemDataRole.UserRole


class LibraryPanel(QWidget):
    import_requested = Signal()  # the "Import PDFs…" button
    document_removed = Signal(int)

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.docs = QListWidget()
        self.docs.setObjectName("documentList")
        self.docs.setWordWrap(True)
        self.docs.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.docs.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.docs.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.docs.customContextMenuRequested.connect(self._context_menu)
        self.docs.itemClicked.connect(self._doc_clicked)
        self.thumbnails = ThumbnailView(session)
        self.empty = QLabel(self.tr("No documents yet.\nImport PDFs, or drop them on the window."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: palette(mid); padding: 12px;")
        import_button = QPushButton(self.tr("Import PDFs…"))
        import_button.clicked.connect(self.import_requested)
        self.remove_button = QPushButton(self.tr("Remove…"))
        self.remove_button.setToolTip(self.tr("Remove the selected document from the project"))
        self.remove_button.clicked.connect(lambda: self.remove_document(self.selected_doc()))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(import_button)
        buttons.addWidget(self.remove_button)
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.addWidget(self.docs)
        top_lay.addWidget(self.empty)
        top_lay.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.thumbnails)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([170, 520])
        self.splitter = split
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)
        # counts change per detected page; recount at most every 150 ms
        self._recount = QTimer(self, singleShot=True, interval=150)
        self._recount.timeout.connect(self.refresh_counts)
        session.project_opened.connect(self.reload)
        session.documents_changed.connect(self.reload)
        session.pages_changed.connect(lambda _doc: self._recount.start())
        session.figures_changed.connect(lambda _doc, _page: self._recount.start())
        session.page_changed.connect(self._follow)
        self.reload()

    # -- contents ----------------------------------------------------------------------------
    def document_summary(self, project, doc: Document) -> str:
        """'120 pages · 34 proposed · 12 accepted · 5/120 reviewed'."""
        counts = figures.count_by_status(project, doc.id)
        reviewed = sum(1 for p in documents.list_pages(project, doc.id) if p.reviewed)
        return self.tr("%n page(s) · {proposed} proposed · {accepted} accepted · {reviewed}/{pages} reviewed", "",
                       doc.page_count).format(proposed=counts["proposed"], accepted=counts["accepted"],
                                              reviewed=reviewed, pages=doc.page_count)

    def reload(self) -> None:
        project = self.session.project
        self.docs.clear()
        docs = documents.list_documents(project) if project is not None else []
        for doc in docs:
            item = QListWidgetItem()
            item.setData(DocRole, doc.id)
            self.docs.addItem(item)
        self.refresh_counts()
        self.empty.setVisible(project is not None and not docs)
        self.remove_button.setEnabled(bool(docs))
        if self.session.doc_id is not None:
            self._follow(self.session.doc_id, self.session.page)

    def refresh_counts(self) -> None:
        project = self.session.project
        if project is None:
            return
        by_id = {d.id: d for d in documents.list_documents(project)}
        for row in range(self.docs.count()):
            item = self.docs.item(row)
            doc = by_id.get(item.data(DocRole))
            if doc is not None:
                text = f"{doc.title}\n{self.document_summary(project, doc)}"
                item.setText(text)
                item.setToolTip(text)

    def item_text(self, doc_id: int) -> str:
        for row in range(self.docs.count()):
            if self.docs.item(row).data(DocRole) == doc_id:
                return self.docs.item(row).text()
        return ""

    def selected_doc(self) -> int | None:
        item = self.docs.currentItem()
        return item.data(DocRole) if item is not None else None

    def _follow(self, doc_id: int, _page: int) -> None:
        for row in range(self.docs.count()):
            if self.docs.item(row).data(DocRole) == doc_id and self.docs.currentRow() != row:
                self.docs.setCurrentRow(row)

    def _doc_clicked(self, item: QListWidgetItem) -> None:
        doc_id = item.data(DocRole)
        if doc_id != self.session.doc_id:
            self.session.go_to(doc_id, 0)

    # -- removing ------------------------------------------------------------------------------
    def _context_menu(self, pos) -> None:
        item = self.docs.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("Remove document…"), lambda: self.remove_document(item.data(DocRole)))
        menu.exec(self.docs.viewport().mapToGlobal(pos))

    def remove_document(self, doc_id: int | None) -> bool:
        project = self.session.project
        if project is None or doc_id is None:
            return False
        doc = documents.get_document(project, doc_id)
        answer = QMessageBox.question(
            self, self.tr("Remove document"),
            self.tr("Remove “{title}” and its %n page(s) and figures from this project?\n\n"
                    "Records synthesized from its figures keep their text. This cannot be undone.", "",
                    doc.page_count).format(title=doc.title),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self.session.remove_document(doc_id)
        except RemudError as exc:
            QMessageBox.warning(self, self.tr("Remove document"), str(exc))
            return False
        self.document_removed.emit(doc_id)
        return True
