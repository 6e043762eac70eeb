"""The main window: documents and pages on the left, the page in the centre."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox,
                               QSplitter)

from engine.pdf.opener import DocumentCache
from engine.pdf.render import render_page
from engine.store import Project, documents, figures
from engine.store.info import project_info
from remud_desktop.page_view import PageView, raster_to_qimage
from remud_desktop.workers import Task, start

_render_cache = DocumentCache()  # one set of open PDFs per worker thread


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.project: Project | None = None
        self.generation = 0  # bumped on every project switch: late results of the old one are dropped
        self.doc_id: int | None = None
        self.page_index = 0
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._tasks: set[Task] = set()
        self.setWindowTitle("ReMUD Desktop")
        self.resize(1280, 860)

        self.view = PageView(self)
        self.setCentralWidget(self.view)
        self.view.show_message("Preparing…")

        self.doc_list = QListWidget()
        self.page_list = QListWidget()
        self.doc_list.currentRowChanged.connect(self._doc_selected)
        self.page_list.currentRowChanged.connect(self._page_selected)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.doc_list)
        split.addWidget(self.page_list)
        split.setSizes([160, 600])
        dock = QDockWidget("Library", self)
        dock.setObjectName("library")
        dock.setWidget(split)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [300], Qt.Orientation.Horizontal)

        self.status_page = QLabel()
        self.status_counts = QLabel()
        self.statusBar().addWidget(self.status_page)
        self.statusBar().addPermanentWidget(self.status_counts)

        for text, key, slot in (("Previous page", "A", lambda: self._step(-1)), ("Next page", "D", lambda: self._step(1))):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(slot)
            self.addAction(action)

    # -- project --------------------------------------------------------------------------
    def open_project(self, folder: str | Path) -> None:
        if self.project:
            self.project.close()
        self.project = Project.open(folder)
        self.generation += 1
        self.setWindowTitle(f"{self.project.folder.name} — ReMUD Desktop")
        self.doc_list.clear()
        for doc in documents.list_documents(self.project):
            item = QListWidgetItem(f"{doc.title}\n{doc.page_count} pages")
            item.setData(Qt.ItemDataRole.UserRole, doc.id)
            self.doc_list.addItem(item)
        self._update_counts()
        if self.doc_list.count():
            self.doc_list.setCurrentRow(0)
        else:
            self.view.show_message("This project has no documents yet.\nImport PDFs with `remud import`.")

    def _update_counts(self) -> None:
        info = project_info(self.project)
        by = info.figures_by_status
        self.status_counts.setText(
            f"{info.documents} documents · {info.pages} pages · {info.figures} figures "
            f"({by['accepted']} accepted, {by['proposed']} proposed)"
        )

    def _doc_selected(self, row: int) -> None:
        if row < 0 or not self.project:
            return
        self.doc_id = self.doc_list.item(row).data(Qt.ItemDataRole.UserRole)
        counts = figures.counts_per_page(self.project, self.doc_id)
        self.page_list.clear()
        for page in documents.list_pages(self.project, self.doc_id):
            kind = "scanned" if page.image_only else "text"
            n = counts.get(page.index, 0)
            mark = "✓ " if page.reviewed else ""
            self.page_list.addItem(f"{mark}Page {page.index + 1} · {kind} · {n} figure{'s' if n != 1 else ''}")
        self.page_list.setCurrentRow(0)

    def _page_selected(self, row: int) -> None:
        if row < 0 or self.doc_id is None:
            return
        self.page_index = row
        doc = documents.get_document(self.project, self.doc_id)
        page = documents.get_page(self.project, self.doc_id, row)
        self.status_page.setText(f"{doc.title} — page {row + 1} of {doc.page_count}")
        dpr = self.devicePixelRatioF()
        zoom = max(0.5, min(4.0, self.view.viewport().height() / page.height)) * dpr
        path = self.project.source_path(doc.file)
        tag = (self.generation, self.doc_id, row)
        task = Task(tag, lambda: render_page(_render_cache.get(path), row, zoom))
        task.signals.done.connect(self._page_rendered)
        task.signals.failed.connect(self._failed)
        self._tasks.add(task)
        start(task, self.pool)

    def _page_rendered(self, tag, raster) -> None:
        self._tasks = {t for t in self._tasks if t.tag != tag}
        if tag != (self.generation, self.doc_id, self.page_index):
            return  # the user has moved on
        page = documents.get_page(self.project, self.doc_id, self.page_index)
        figs = figures.list_figures(self.project, self.doc_id, self.page_index)
        self.view.show_page(raster_to_qimage(raster), 1.0, (page.width, page.height), figs)

    def _failed(self, tag, message: str) -> None:
        self._tasks = {t for t in self._tasks if t.tag != tag}
        QMessageBox.warning(self, "ReMUD Desktop", message)

    def _step(self, delta: int) -> None:
        row = self.page_list.currentRow() + delta
        if 0 <= row < self.page_list.count():
            self.page_list.setCurrentRow(row)

    def closeEvent(self, event) -> None:
        self.pool.waitForDone(3000)
        if self.project:
            self.project.close()
        super().closeEvent(event)
