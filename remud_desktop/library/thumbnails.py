"""Page thumbnails of the current document: rendered lazily in workers, cached.

Only the thumbnails the view asks for (the visible ones) are rendered; each shows a ✓
when its page is reviewed, a badge with its figure count, and a red ! when detection or OCR
crashed on it (the reason on hover). Clicking one goes there.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QRect, QSize, Qt, QThreadPool, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate

from engine.pdf.opener import DocumentCache
from engine.pdf.render import render_page
from engine.store import documents, figures, page_failures
from engine.store.models import Page
from remud_desktop.qimages import raster_to_qimage
from remud_desktop.workers import Task

THUMB_WIDTH = 92  # logical pixels; rendered at the screen's device pixel ratio
CACHE_SIZE = 400  # pixmaps kept (per window)
PageRole = Qt.ItemDataRole.UserRole + 1
ReviewedRole = Qt.ItemDataRole.UserRole + 2
CountRole = Qt.ItemDataRole.UserRole + 3
FailedRole = Qt.ItemDataRole.UserRole + 4  # why work on the page crashed ("" when it did not)
_ROOT = QModelIndex()  # the list's root: the default parent

_pdfs = DocumentCache(size=2)  # open PDFs, one set per worker thread


def _render_thumb(path: Path, index: int, width_px: int, page_width_pt: float) -> QImage:
    raster = render_page(_pdfs.get(path), index, width_px / page_width_pt)
    return raster_to_qimage(raster)


class ThumbnailModel(QAbstractListModel):
    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.doc_id: int | None = None
        self.pages: list[Page] = []
        self.counts: dict[int, int] = {}
        self.failures: dict[int, str] = {}
        self.dpr = 1.0
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # thumbnails never compete with the page render
        self._cache: OrderedDict[tuple, QPixmap] = OrderedDict()
        self._pending: set[tuple] = set()
        self._tasks: dict[tuple, Task] = {}
        self._generation = 0  # bumped when the project changes: late renders are dropped
        self._refresh = QTimer(self, singleShot=True, interval=30)
        self._refresh.timeout.connect(self.refresh_flags)
        session.project_opened.connect(self._project_opened)
        session.page_changed.connect(self._page_changed)
        session.pages_changed.connect(self._pages_changed)
        session.documents_changed.connect(self._documents_changed)

    # -- following the session ----------------------------------------------------------
    def _project_opened(self) -> None:
        self._generation += 1
        self._cache.clear()
        self._pending.clear()
        self.set_document(None)

    def _page_changed(self, doc_id: int, _page: int) -> None:
        if doc_id != self.doc_id:
            self.set_document(doc_id)

    def _documents_changed(self) -> None:
        if self.doc_id is not None and self.session.project is not None:
            ids = {d.id for d in documents.list_documents(self.session.project)}
            if self.doc_id not in ids:
                self.set_document(None)

    def _pages_changed(self, doc_id: int) -> None:
        if doc_id == self.doc_id and not self._refresh.isActive():
            self._refresh.start()  # many changes in a row (detection) are read once

    def set_document(self, doc_id: int | None) -> None:
        self._refresh.stop()
        self.beginResetModel()
        self.doc_id = doc_id
        project = self.session.project
        if doc_id is None or project is None:
            self.pages, self.counts, self.failures = [], {}, {}
        else:
            self.pages = documents.list_pages(project, doc_id)
            self.counts = figures.counts_per_page(project, doc_id)
            self.failures = page_failures.failed(project, doc_id)
        self.endResetModel()

    def refresh_flags(self) -> None:
        """Reviewed marks and figure counts changed: re-read them, repaint the rows that differ."""
        if self.doc_id is None or self.session.project is None:
            return
        pages = documents.list_pages(self.session.project, self.doc_id)
        counts = figures.counts_per_page(self.session.project, self.doc_id)
        failures = page_failures.failed(self.session.project, self.doc_id)
        changed = [i for i, p in enumerate(pages)
                   if i >= len(self.pages) or p.reviewed != self.pages[i].reviewed or counts.get(i, 0) != self.counts.get(i, 0)
                   or failures.get(i) != self.failures.get(i)]
        self.pages, self.counts, self.failures = pages, counts, failures
        for i in changed:
            idx = self.index(i)
            self.dataChanged.emit(idx, idx, [ReviewedRole, CountRole, FailedRole, Qt.ItemDataRole.ToolTipRole])

    # -- the model -------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.pages)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.pages):
            return None
        page = self.pages[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(page.index + 1)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.pixmap(page)
        if role == Qt.ItemDataRole.ToolTipRole:
            n = self.counts.get(page.index, 0)
            failed = self.failures.get(page.index, "")
            parts = [self.tr("Page {page}").format(page=page.index + 1), self.tr("%n figure(s)", "", n)]
            if page.reviewed:
                parts.append(self.tr("reviewed"))
            if page.image_only:
                parts.append(self.tr("scanned"))
            return " · ".join(parts) + (f"\n{failed}" if failed else "")  # why it failed: the engine's sentence
        if role == PageRole:
            return page.index
        if role == ReviewedRole:
            return page.reviewed
        if role == CountRole:
            return self.counts.get(page.index, 0)
        if role == FailedRole:
            return self.failures.get(page.index, "")
        return None

    def thumb_size(self, page: Page) -> QSize:
        return QSize(THUMB_WIDTH, max(1, round(THUMB_WIDTH * page.height / max(page.width, 1))))

    def pixmap(self, page: Page) -> QPixmap | None:
        """The cached thumbnail, or None while it renders (the request is made here:
        views only ask for the rows they show, so rendering is lazy)."""
        key = (self._generation, self.doc_id, page.index, round(self.dpr * 100))
        pix = self._cache.get(key)
        if pix is not None:
            self._cache.move_to_end(key)
            return pix
        if key not in self._pending and self.session.project is not None:
            self._request(key, page)
        return None

    def _request(self, key: tuple, page: Page) -> None:
        project = self.session.project
        doc = documents.get_document(project, self.doc_id)
        path = project.source_path(doc.file)
        width_px = max(8, round(THUMB_WIDTH * self.dpr))
        task = Task(key, lambda: _render_thumb(path, page.index, width_px, page.width))
        task.signals.done.connect(self._rendered)
        task.signals.failed.connect(self._render_failed)
        self._pending.add(key)
        self._tasks[key] = task
        self.pool.start(task)

    def _rendered(self, key: tuple, image: QImage) -> None:
        self._pending.discard(key)
        self._tasks.pop(key, None)
        if key[0] != self._generation:
            return
        pix = QPixmap.fromImage(image)
        pix.setDevicePixelRatio(key[3] / 100)
        self._cache[key] = pix
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        if key[1] == self.doc_id and key[2] < len(self.pages):
            idx = self.index(key[2])
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def _render_failed(self, key: tuple, _message: str) -> None:
        self._pending.discard(key)  # a page that cannot render keeps its placeholder
        self._tasks.pop(key, None)

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints the page (or a placeholder), its number, the ✓ and the figure-count badge."""

    PAD = 6

    def sizeHint(self, option, index) -> QSize:
        model = index.model()
        page = model.pages[index.row()]
        size = model.thumb_size(page)
        return QSize(size.width() + 2 * self.PAD, size.height() + 2 * self.PAD + 16)

    def paint(self, painter: QPainter, option, index) -> None:
        painter.save()
        try:
            self._paint(painter, option, index)
        finally:
            painter.restore()

    def _paint(self, painter: QPainter, option, index) -> None:
        model = index.model()
        page = model.pages[index.row()]
        r = option.rect
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(r, option.palette.highlight())
        size = model.thumb_size(page)
        target = QRect(r.x() + (r.width() - size.width()) // 2, r.y() + self.PAD, size.width(), size.height())
        pix = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pix, QPixmap) and not pix.isNull():
            painter.drawPixmap(target, pix)
        else:
            painter.fillRect(target, QColor("#f2f2f2"))
        painter.setPen(QColor("#888888"))
        painter.drawRect(target.adjusted(0, 0, -1, -1))
        text_rect = QRect(r.x(), target.bottom() + 2, r.width(), 14)
        painter.setPen(option.palette.color(option.palette.ColorRole.HighlightedText
                                            if option.state & QStyle.StateFlag.State_Selected
                                            else option.palette.ColorRole.Text))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, str(page.index + 1))
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        count = index.data(CountRole) or 0
        if count:
            badge = QRect(target.right() - 21, target.top() + 3, 18, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#1f6feb"))
            painter.drawRoundedRect(badge, 7, 7)
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(count))
        if index.data(ReviewedRole):
            mark = QRect(target.left() + 3, target.top() + 3, 18, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#2da44e"))
            painter.drawRoundedRect(mark, 7, 7)
            painter.setPen(QColor("white"))
            painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, "✓")
        if index.data(FailedRole):
            mark = QRect(target.left() + 3, target.bottom() - 19, 18, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#cf222e"))
            painter.drawRoundedRect(mark, 7, 7)
            painter.setPen(QColor("white"))
            painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, "!")


class ThumbnailView(QListView):
    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.thumbs = ThumbnailModel(session, self)
        self.setModel(self.thumbs)
        self.setItemDelegate(ThumbnailDelegate(self))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # page keys keep going to the canvas
        self.clicked.connect(self._clicked)
        session.page_changed.connect(self._follow)
        self.thumbs.modelReset.connect(self._after_reset)

    def showEvent(self, event) -> None:
        self.thumbs.dpr = self.devicePixelRatioF()
        super().showEvent(event)

    def _clicked(self, index: QModelIndex) -> None:
        if index.isValid() and self.thumbs.doc_id is not None and not (
            self.selectionModel().selectedIndexes() and len(self.selectionModel().selectedIndexes()) > 1
        ):
            self.session.go_to(self.thumbs.doc_id, index.row())

    def _follow(self, doc_id: int, page: int) -> None:
        if doc_id == self.thumbs.doc_id and 0 <= page < self.thumbs.rowCount():
            idx = self.thumbs.index(page)
            if self.currentIndex() != idx or len(self.selectionModel().selectedIndexes()) != 1:
                self.setCurrentIndex(idx)
            self.scrollTo(idx)

    def _after_reset(self) -> None:
        if self.session.doc_id == self.thumbs.doc_id:
            self._follow(self.session.doc_id, self.session.page)

    def selected_pages(self) -> list[int]:
        return sorted(i.row() for i in self.selectionModel().selectedIndexes())
