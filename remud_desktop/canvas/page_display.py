"""The page picture under the boxes: which render is on screen, and getting the right one.

A cached render is shown at once; otherwise a render of the page at another zoom stands
in (or a blank page with a note, never the previous page) while a worker makes it. Once
the sharp render is up, the neighbouring pages are rendered ahead into the cache.

The render on screen also tells where the page has ink (text, pictures, banners): box tags
are laid out where they cover the least of it (`ink`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPixmap, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsSimpleTextItem,
)

from engine.geometry import Rect
from engine.store import documents
from remud_desktop.canvas.protocols import PageView
from remud_desktop.canvas.render_cache import RenderCache, render_bucket
from remud_desktop.canvas.renderer import (
    PRIORITY_CURRENT,
    PRIORITY_PREFETCH,
    PageRenderer,
    RenderTag,
)
from remud_desktop.session import Session

PREFETCH = (1, -1, 2)  # neighbours rendered once the current page is on screen
INK_CELL_PT = 2.0  # the ink map's cell: a render is averaged down to one value per 2 x 2 points
INK_FULL = 110.0  # this much darker than the paper (0-255) counts as fully inked
Shown = tuple[int, int, int]  # (doc_id, page, zoom bucket)


class PageDisplay(QObject):
    page_shown = Signal(int, int)  # (doc_id, page): its sharp render is on screen
    render_failed = Signal(str)

    def __init__(self, canvas: PageView, cache: RenderCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.cache = cache
        self.renderer = PageRenderer(self)
        self.renderer.rendered.connect(self._on_rendered)
        self.renderer.failed.connect(self._on_failed)
        self.generation = 0  # bumped per project: renders for an older one are dropped
        self.doc_key: str | None = None  # the current document's PDF path
        self.shown: Shown | None = None
        self._doc_paths: dict[int, Path] = {}
        self._image: QImage | None = None  # the render on screen, for the ink map
        self._ink: np.ndarray | None = None  # 0..1 per cell, made on first use

        self.pixmap_item = QGraphicsPixmapItem()
        self.pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.pixmap_item.setZValue(0)
        self.note = QGraphicsSimpleTextItem()
        self.note.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.note.setBrush(QColor("#6b7280"))
        self.note.setZValue(5)
        canvas.scene().addItem(self.pixmap_item)
        canvas.scene().addItem(self.note)

    @property
    def session(self) -> Session:
        return self.canvas.session

    # -- what is wanted -------------------------------------------------------------------
    def new_project(self) -> None:
        self.generation += 1
        self._doc_paths.clear()
        self.renderer.want(())
        self.clear()

    def set_document(self, doc_id: int) -> None:
        """Raises the engine's typed error when the document cannot be found."""
        if doc_id not in self._doc_paths:
            doc = documents.get_document(self.session.project, doc_id)
            self._doc_paths[doc_id] = self.session.project.source_path(doc.file)
        self.doc_key = str(self._doc_paths[doc_id])

    def wanted(self) -> Shown:
        page = self.canvas.page_rect
        scale = self.canvas.zoom * self.canvas.viewport().devicePixelRatioF()
        return (self.session.doc_id, self.session.page, render_bucket(scale, page.width, page.height))

    def ready(self) -> bool:
        return self.canvas.page_rect is not None and self.doc_key is not None and self.shown == self.wanted()

    def _is_current(self, tag: RenderTag) -> bool:
        return self.canvas.page_rect is not None and (tag.doc_key, tag.doc_id, tag.page) == (
            self.doc_key, self.session.doc_id, self.session.page)

    def _neighbour_keys(self, page: int, bucket: int) -> list[tuple]:
        count = self.session.page_count()
        pages = [page] + [page + d for d in PREFETCH if 0 <= page + d < count]
        return [(self.doc_key, p, bucket) for p in pages]

    # -- showing --------------------------------------------------------------------------
    def show_current(self) -> None:
        """Show the current page's render from the cache, or ask a worker for it."""
        doc_id, page, bucket = self.wanted()
        image = self.cache.get((self.doc_key, page, bucket))
        if image is not None:
            self._set_pixmap(image, (doc_id, page, bucket))
            self._ready()
            return
        if self.shown is None or self.shown[:2] != (doc_id, page):
            stand_in = self.cache.best_for(self.doc_key, page, bucket)
            if stand_in is not None:
                self._set_pixmap(stand_in[1], (doc_id, page, stand_in[0]))
            else:
                self._show_blank(self.tr("Rendering page {page}…").format(page=page + 1))
        # (else: the same page at another zoom stays up, scaled, until the sharp one comes)
        self.renderer.want(self._neighbour_keys(page, bucket))
        tag = RenderTag(self.generation, self.doc_key, doc_id, page, bucket)
        self.renderer.request(tag, self.doc_key, PRIORITY_CURRENT)

    def refresh_for_zoom(self) -> None:
        if self.canvas.page_rect is not None and self.doc_key is not None and self.shown != self.wanted():
            self.show_current()

    def _ready(self) -> None:
        """The sharp render is up: now warm the cache with the neighbouring pages."""
        doc_id, page, bucket = self.shown
        keys = self._neighbour_keys(page, bucket)
        self.renderer.want(keys)
        for key in keys[1:]:
            if not self.cache.contains(key) and not self.renderer.pending(key):
                tag = RenderTag(self.generation, self.doc_key, doc_id, key[1], bucket)
                self.renderer.request(tag, self.doc_key, PRIORITY_PREFETCH)
        self.page_shown.emit(doc_id, page)

    def _on_rendered(self, tag: RenderTag, image: QImage) -> None:
        if tag.generation != self.generation:
            return  # from a project that is no longer open
        self.cache.put(tag.key, image)
        if not self._is_current(tag):
            return  # the user has moved on: kept for later, not shown
        shown = (tag.doc_id, tag.page, tag.bucket)
        if shown == self.wanted():
            self._set_pixmap(image, shown)
            self._ready()
        elif self.shown is None or self.shown[:2] != shown[:2]:
            self._set_pixmap(image, shown)  # another zoom, still better than a blank page

    def _on_failed(self, tag: RenderTag, message: str) -> None:
        if tag.generation == self.generation and self._is_current(tag):
            self._show_blank(self.tr("This page could not be rendered."))
            self.render_failed.emit(message)

    def _set_pixmap(self, image: QImage, shown: Shown) -> None:
        page = self.canvas.page_rect
        self.pixmap_item.setPixmap(QPixmap.fromImage(image))
        sx, sy = page.width / max(image.width(), 1), page.height / max(image.height(), 1)
        self.pixmap_item.setTransform(QTransform.fromScale(sx, sy))
        self.pixmap_item.setPos(page.x0, page.y0)
        self.pixmap_item.show()
        self.note.hide()
        self.shown = shown
        self._image, self._ink = image, None

    def _show_blank(self, text: str) -> None:
        page, zoom = self.canvas.page_rect, self.canvas.zoom
        self.pixmap_item.hide()
        self.pixmap_item.setPixmap(QPixmap())
        self.shown = None
        self._image, self._ink = None, None
        self.note.setText(text)
        self.note.setPos(page.x0 + 12 / zoom, page.y0 + 12 / zoom)
        self.note.show()

    def clear(self) -> None:
        self.doc_key, self.shown = None, None
        self._image, self._ink = None, None
        self.pixmap_item.setPixmap(QPixmap())
        self.pixmap_item.hide()
        self.note.hide()

    # -- where the page has ink ------------------------------------------------------------
    def ink(self, rect: Rect) -> float:
        """How much of `rect` (page points) is covered by text or pictures on the render shown:
        0 for blank paper, 1 for solid print or a dark picture; 0 with no render on screen."""
        ink = self._ink_map()
        page = self.canvas.page_rect
        if ink is None or page is None:
            return 0.0
        rows, cols = ink.shape
        x0 = int(max(0, min(cols, (rect.x0 - page.x0) / INK_CELL_PT)))
        x1 = int(max(0, min(cols, -(-(rect.x1 - page.x0) // INK_CELL_PT))))
        y0 = int(max(0, min(rows, (rect.y0 - page.y0) / INK_CELL_PT)))
        y1 = int(max(0, min(rows, -(-(rect.y1 - page.y0) // INK_CELL_PT))))
        if x1 <= x0 or y1 <= y0:
            return 0.0
        return float(ink[y0:y1, x0:x1].mean())

    def _ink_map(self) -> np.ndarray | None:
        if self._ink is None and self._image is not None and self.canvas.page_rect is not None:
            page = self.canvas.page_rect
            cols = max(1, round(page.width / INK_CELL_PT))
            rows = max(1, round(page.height / INK_CELL_PT))
            small = self._image.convertToFormat(QImage.Format.Format_Grayscale8).scaled(
                cols, rows, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
            stride = small.bytesPerLine()
            grey = np.frombuffer(bytes(small.constBits()), dtype=np.uint8).reshape(small.height(), stride)[:, :small.width()]
            paper = float(np.percentile(grey, 90))  # most of a page is paper, whatever its tint
            self._ink = np.clip((paper - grey.astype(np.float32)) / INK_FULL, 0.0, 1.0)
        return self._ink

    def shutdown(self) -> None:
        self.renderer.shutdown()
