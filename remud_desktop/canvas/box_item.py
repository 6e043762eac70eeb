"""One figure box over the page: coloured by status with a tint of the detector that found
it, a label tag, and 8 resize handles when selected. Lines, tags and handles keep their
screen size at every zoom. The item only paints; the canvas does the editing."""

from __future__ import annotations

import traceback
from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from engine.geometry import Rect
from engine.store.models import Figure, FigureStatus
from remud_desktop.canvas.edit_geometry import handle_points

STATUS_COLORS = {
    FigureStatus.PROPOSED: QColor("#f5a623"),  # amber
    FigureStatus.ACCEPTED: QColor("#2ecc71"),  # green
    FigureStatus.REJECTED: QColor("#e74c3c"),  # red
}
DETECTOR_TINTS = {
    "scanned": QColor("#3b82f6"),
    "embedded": QColor("#06b6d4"),
    "layout": QColor("#a855f7"),
    "qwen-vl": QColor("#ec4899"),
    "manual": QColor("#f8fafc"),
}
OTHER_TINT = QColor("#9ca3af")
TINT_AMOUNT = 0.22  # how much of the detector's colour goes into the outline

HANDLE_PX = 8.0  # handle side on screen
HANDLE_HIT_PX = 7.0  # how near the pointer must come to a handle to grab it
LABEL_PX = 11  # tag font size on screen
LABEL_PAD = 3.0
SWATCH_PX = 7.0


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(*(x + (y - x) * amount for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3])))


def label_text(fig: Figure) -> str:
    return f"{fig.text.sublabel or fig.label} · {fig.detector} {fig.score:.2f}"


def to_qrect(r: Rect) -> QRectF:
    return QRectF(r.x0, r.y0, r.width, r.height)


def to_rect(q: QRectF) -> Rect:
    return Rect(q.left(), q.top(), q.right(), q.bottom())


def _label_font() -> QFont:
    font = QFont()
    font.setPixelSize(LABEL_PX)
    return font


class BoxItem(QGraphicsRectItem):
    def __init__(self, fig: Figure, view_scale: float = 1.0) -> None:
        super().__init__()
        self.setZValue(10)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # the canvas handles the mouse
        self.view_scale = max(view_scale, 1e-6)
        self.box_selected = False
        self.label_inside = False
        self._font = _label_font()
        self.set_figure(fig)

    # -- state ----------------------------------------------------------------------------
    @property
    def fid(self) -> int:
        return self.figure.id

    def set_figure(self, fig: Figure) -> None:
        self.figure = fig
        self.label = label_text(fig)
        status = FigureStatus(fig.status) if fig.status in set(FigureStatus) else FigureStatus.PROPOSED
        self.tint = DETECTOR_TINTS.get(fig.detector, OTHER_TINT)
        self.color = mix(STATUS_COLORS[status], self.tint, TINT_AMOUNT)
        self.rejected = status == FigureStatus.REJECTED
        self.setOpacity(0.55 if self.rejected else 1.0)
        metrics = QFontMetricsF(self._font)
        self._label_size = (metrics.horizontalAdvance(self.label) + 3 * LABEL_PAD + SWATCH_PX, metrics.height() + 2)
        self.setToolTip(fig.text.caption or f"Figure {fig.id}")
        self.set_box(fig.rect)

    def box(self) -> Rect:
        return to_rect(self.rect())

    def set_box(self, rect: Rect) -> None:
        """Shown where `rect` is (also while a gesture drags it, before it is stored)."""
        if to_qrect(rect) != self.rect():
            self.setRect(to_qrect(rect))  # QGraphicsRectItem calls prepareGeometryChange

    def set_box_selected(self, selected: bool) -> None:
        if selected != self.box_selected:
            self.prepareGeometryChange()
            self.box_selected = selected
            self.setZValue(11 if selected else 10)
            self.update()

    def set_view_scale(self, scale: float) -> None:
        if scale > 0 and scale != self.view_scale:
            self.prepareGeometryChange()
            self.view_scale = scale

    def set_label_inside(self, inside: bool) -> None:
        if inside != self.label_inside:
            self.prepareGeometryChange()
            self.label_inside = inside

    def label_size_pts(self) -> tuple[float, float]:
        w, h = self._label_size
        return w / self.view_scale, h / self.view_scale

    def handle_positions(self) -> list[QPointF]:
        return [QPointF(x, y) for x, y in handle_points(self.box())]

    # -- painting -------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        s = self.view_scale
        m = (HANDLE_PX / 2 + 3) / s
        lw, lh = self.label_size_pts()
        r = self.rect()
        extra_right = max(0.0, lw - r.width())
        extra_top = 0.0 if self.label_inside else lh
        return r.adjusted(-m, -m - extra_top, m + extra_right, m)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        try:
            self._paint(painter)
        except Exception:  # noqa: BLE001 - a paint must never raise into Qt
            traceback.print_exc()

    def _paint(self, painter: QPainter) -> None:
        dev = painter.worldTransform().mapRect(self.rect())
        painter.save()
        painter.resetTransform()  # from here on: screen pixels, so sizes stay constant
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pen = QPen(self.color, 2.0 if self.box_selected else 1.5)
        pen.setCosmetic(True)
        if self.rejected:
            pen.setStyle(Qt.PenStyle.DashLine)
        fill = QColor(self.color)
        fill.setAlpha(12 if self.rejected else (40 if self.box_selected else 24))
        painter.setPen(pen)
        painter.setBrush(QBrush(fill))
        painter.drawRect(dev)
        self._paint_label(painter, dev)
        if self.box_selected:
            self._paint_handles(painter, dev)
        painter.restore()

    def _paint_label(self, painter: QPainter, dev: QRectF) -> None:
        w, h = self._label_size
        top = dev.top() + 1 if self.label_inside else dev.top() - h
        tag = QRectF(dev.left() + (1 if self.label_inside else 0), top, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.color.darker(150))
        painter.drawRect(tag)
        swatch = QRectF(tag.left() + LABEL_PAD, tag.center().y() - SWATCH_PX / 2, SWATCH_PX, SWATCH_PX)
        painter.setBrush(self.tint)
        painter.drawRect(swatch)
        painter.setFont(self._font)
        painter.setPen(QColor("#ffffff"))
        text_rect = tag.adjusted(2 * LABEL_PAD + SWATCH_PX, 0, -LABEL_PAD, 0)
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), self.label)

    def _paint_handles(self, painter: QPainter, dev: QRectF) -> None:
        painter.setPen(QPen(self.color.darker(170), 1))
        painter.setBrush(QColor("#ffffff"))
        for x, y in handle_points(to_rect(dev)):
            painter.drawRect(QRectF(x - HANDLE_PX / 2, y - HANDLE_PX / 2, HANDLE_PX, HANDLE_PX))


def layout_labels(items: Iterable[BoxItem], page: Rect) -> None:
    """Put each tag above its box, or inside the box's top-left corner when above it would
    leave the page or cover another box."""
    items = list(items)
    for item in items:
        lw, lh = item.label_size_pts()
        b = item.box()
        above = Rect(b.x0, b.y0 - lh, b.x0 + lw, b.y0)
        blocked = above.y0 < page.y0 or any(
            other is not item and not other.box().intersect(above).is_empty for other in items
        )
        item.set_label_inside(blocked)
