"""The page in the centre: a rendered page with its figure boxes (read-only for now)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView

from engine.imaging import Raster
from engine.store.models import Figure

STATUS_COLORS = {"proposed": QColor("#f5a623"), "accepted": QColor("#2ecc71"), "rejected": QColor("#e74c3c")}


def raster_to_qimage(raster: Raster) -> QImage:
    fmt = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888, 4: QImage.Format.Format_RGBA8888}
    return QImage(raster.samples, raster.width, raster.height, raster.stride, fmt[raster.channels]).copy()


class PageView(QGraphicsView):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(QColor("#3a3f44"))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._page_size = (0.0, 0.0)
        self._zoom = 1.0

    def show_message(self, text: str) -> None:
        self.scene().clear()
        item = self.scene().addText(text, QFont("Sans", 13))
        item.setDefaultTextColor(QColor("#e8e8e8"))
        self.scene().setSceneRect(item.boundingRect())

    def show_page(self, image: QImage, zoom: float, page_size: tuple[float, float], figures: list[Figure]) -> None:
        """`image` rendered at `zoom` x device pixel ratio; scene units are PDF points."""
        scene = self.scene()
        scene.clear()
        self._page_size, self._zoom = page_size, zoom
        pixmap = QPixmap.fromImage(image)
        item = scene.addPixmap(pixmap)
        item.setScale(page_size[0] / image.width())
        item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        for fig in figures:
            self._add_box(fig)
        scene.setSceneRect(QRectF(0, 0, *page_size))
        self.fit_page()

    def _add_box(self, fig: Figure) -> None:
        color = STATUS_COLORS.get(str(fig.status), QColor("#3498db"))
        r = fig.rect
        box = QGraphicsRectItem(QRectF(r.x0, r.y0, r.width, r.height))
        pen = QPen(color, 2)
        pen.setCosmetic(True)
        box.setPen(pen)
        fill = QColor(color)
        fill.setAlpha(28)
        box.setBrush(QBrush(fill))
        box.setToolTip(fig.text.caption or f"Figure {fig.id}")
        self.scene().addItem(box)
        tag = QGraphicsSimpleTextItem(f"{fig.text.sublabel or fig.label} · {fig.detector} {fig.score:.2f}", box)
        tag.setBrush(QBrush(color.darker(130)))
        tag.setFont(QFont("Sans", 7))
        tag.setPos(r.x0 + 2, max(0.0, r.y0 - 11))

    def fit_page(self) -> None:
        if self._page_size[0]:
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_page()
