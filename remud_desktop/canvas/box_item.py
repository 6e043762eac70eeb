"""One figure box over the page: coloured by status with a tint of the detector that found
it, a small tag outside the box ("A · scanned 0.98"), and 8 resize handles when selected.
Lines, tags and handles keep their screen size at every zoom. The item only paints; the
canvas does the editing.

Every outline has a thin halo of the opposite lightness, so that it shows on white paper
as well as on a dark banner or a dark ultrasound frame. Rejected boxes are drawn solid
with a light halo and hatched, never faded. Tags sit outside the box, a few pixels clear
of the frame, on a translucent background: above it where that covers nothing, else below
it, else beside it, wherever they cover the least of the page's ink (text, pictures), of
the other boxes and of the other tags (layout_tags). A tag wider than its box (zoomed out)
shrinks to its sub-label and score."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from enum import StrEnum

from PySide6.QtCore import QCoreApplication, QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from engine.geometry import Rect
from engine.store.models import Figure, FigureStatus
from remud_desktop.canvas.edit_geometry import handle_points

STATUS_COLORS = {
    FigureStatus.PROPOSED: QColor("#f5a623"),  # amber
    FigureStatus.ACCEPTED: QColor("#2ecc71"),  # green
    FigureStatus.REJECTED: QColor("#ff3b30"),  # red, drawn untinted: it must read as "rejected" at a glance
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

LINE_PX, SELECTED_LINE_PX = 1.5, 2.5
DARK_HALO = QColor(0, 0, 0, 130)  # around proposed and accepted outlines: they are light colours
LIGHT_HALO = QColor(255, 255, 255, 235)  # around rejected outlines: red on black needs a light ring
REJECTED_HALO_PX = 5.0  # a white ring 1.5 px wide on each side of the red line
HATCH_SPACING_PX = 12.0
HATCH_ALPHA = 140

HANDLE_PX = 8.0  # handle side on screen
HANDLE_HIT_PX = 7.0  # how near the pointer must come to a handle to grab it
TAG_PX = 10  # tag font size on screen
TAG_PAD = 3.0
SWATCH_PX = 6.0
TAG_GAP_PX = 4.0  # between the frame (with its halo) and the tag
SELECTED_TAG_GAP_PX = 6.0  # clear of the handles, which stand out of the frame
TAG_ALPHA = 200


class TagSide(StrEnum):
    """Where a tag sits, in the order they are tried (the first of equal cost wins)."""

    ABOVE = "above"  # over the top-left corner
    BELOW = "below"  # under the bottom-left corner
    ABOVE_RIGHT = "above-right"  # over the top-right corner, right-aligned
    BELOW_RIGHT = "below-right"
    RIGHT = "right"  # beside the top of the right edge
    LEFT = "left"  # beside the top of the left edge
    INSIDE = "inside"  # only when nothing outside is on the page: inside the top edge, clear of the frame


OUTSIDE = (TagSide.ABOVE, TagSide.BELOW, TagSide.ABOVE_RIGHT, TagSide.BELOW_RIGHT, TagSide.RIGHT, TagSide.LEFT)


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(*(x + (y - x) * amount for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3])))


def label_text(fig: Figure) -> str:
    return f"{fig.text.sublabel or fig.label} · {fig.detector} {fig.score:.2f}"


def short_label_text(fig: Figure) -> str:
    """The tag of a box too small on screen for the whole one."""
    return f"{fig.text.sublabel} {fig.score:.2f}" if fig.text.sublabel else f"{fig.score:.2f}"


def to_qrect(r: Rect) -> QRectF:
    return QRectF(r.x0, r.y0, r.width, r.height)


def to_rect(q: QRectF) -> Rect:
    return Rect(q.left(), q.top(), q.right(), q.bottom())


def _tag_font() -> QFont:
    font = QFont()
    font.setPixelSize(TAG_PX)
    return font


class BoxItem(QGraphicsRectItem):
    def __init__(self, fig: Figure, view_scale: float = 1.0) -> None:
        super().__init__()
        self.setZValue(10)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # the canvas handles the mouse
        self.view_scale = max(view_scale, 1e-6)
        self.box_selected = False
        self.show_tag = True
        self.tag_side = TagSide.ABOVE
        self.tag_shift = 0.0  # points to the left, keeping a tag that would run off the page on it
        self._font = _tag_font()
        self.set_figure(fig)

    # -- state ----------------------------------------------------------------------------
    @property
    def fid(self) -> int:
        return self.figure.id

    def set_figure(self, fig: Figure) -> None:
        self.figure = fig
        self.label = label_text(fig)
        self.short_label = short_label_text(fig)
        status = FigureStatus(fig.status) if fig.status in set(FigureStatus) else FigureStatus.PROPOSED
        self.status = status
        self.tint = DETECTOR_TINTS.get(fig.detector, OTHER_TINT)
        self.rejected = status == FigureStatus.REJECTED
        self.color = QColor(STATUS_COLORS[status]) if self.rejected else mix(STATUS_COLORS[status], self.tint, TINT_AMOUNT)
        metrics = QFontMetricsF(self._font)
        self.prepareGeometryChange()
        self._tag_sizes = tuple((metrics.horizontalAdvance(text) + 3 * TAG_PAD + SWATCH_PX, metrics.height() + 2)
                                for text in (self.label, self.short_label))
        self.setToolTip(fig.text.caption or QCoreApplication.translate("BoxItem", "Figure {id}").format(id=fig.id))
        self.set_box(fig.rect)

    def box(self) -> Rect:
        return to_rect(self.rect())

    def set_box(self, rect: Rect) -> None:
        """Shown where `rect` is (also while a gesture drags it, before it is stored)."""
        if to_qrect(rect) != self.rect():
            self.setRect(to_qrect(rect))  # QGraphicsRectItem calls prepareGeometryChange

    @property
    def short_tag(self) -> bool:
        """The whole tag is wider than the box on screen: its sub-label and score only."""
        return self._tag_sizes[0][0] > self.rect().width() * self.view_scale + 2 * TAG_GAP_PX

    def tag_text(self) -> str:
        return self.short_label if self.short_tag else self.label

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

    def set_show_tag(self, on: bool) -> None:
        if bool(on) != self.show_tag:
            self.prepareGeometryChange()
            self.show_tag = bool(on)
            self.update()

    def set_tag_place(self, side: TagSide, shift: float = 0.0) -> None:
        if (side, shift) != (self.tag_side, self.tag_shift):
            self.prepareGeometryChange()
            self.tag_side, self.tag_shift = side, shift
            self.update()

    # -- geometry (scene points) ------------------------------------------------------------
    def tag_size_pts(self) -> tuple[float, float]:
        w, h = self._tag_sizes[1 if self.short_tag else 0]
        return w / self.view_scale, h / self.view_scale

    def tag_gap_pts(self) -> float:
        return (SELECTED_TAG_GAP_PX if self.box_selected else TAG_GAP_PX) / self.view_scale

    def tag_rect_for(self, side: TagSide, shift: float = 0.0) -> Rect:
        """Where the tag goes on `side` of the box, moved `shift` points sideways."""
        w, h = self.tag_size_pts()
        g = self.tag_gap_pts()
        b = self.box()
        x0 = {TagSide.ABOVE_RIGHT: b.x1 - w, TagSide.BELOW_RIGHT: b.x1 - w, TagSide.RIGHT: b.x1 + g,
              TagSide.LEFT: b.x0 - g - w, TagSide.INSIDE: b.x0 + g}.get(side, b.x0) + shift
        y0 = {TagSide.ABOVE: b.y0 - g - h, TagSide.ABOVE_RIGHT: b.y0 - g - h, TagSide.BELOW: b.y1 + g,
              TagSide.BELOW_RIGHT: b.y1 + g}.get(side, b.y0 + (g if side == TagSide.INSIDE else 0.0))
        return Rect(x0, y0, x0 + w, y0 + h)

    def tag_rect(self) -> Rect | None:
        """The tag's rectangle in scene points; None while tags are hidden."""
        return self.tag_rect_for(self.tag_side, self.tag_shift) if self.show_tag else None

    def handle_positions(self) -> list[QPointF]:
        return [QPointF(x, y) for x, y in handle_points(self.box())]

    # -- painting -------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        m = (HANDLE_PX / 2 + 4) / self.view_scale  # handles, halo
        bounds = self.rect().adjusted(-m, -m, m, m)
        tag = self.tag_rect()
        if tag is not None:
            one = 1 / self.view_scale
            bounds = bounds.united(to_qrect(tag).adjusted(-one, -one, one, one))
        return bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        try:
            self._paint(painter)
        except Exception:  # noqa: BLE001 - a paint must never raise into Qt
            traceback.print_exc()

    def _paint(self, painter: QPainter) -> None:
        world = painter.worldTransform()
        dev = world.mapRect(self.rect())
        tag = self.tag_rect()
        dev_tag = world.mapRect(to_qrect(tag)) if tag is not None else None
        painter.save()
        painter.resetTransform()  # from here on: screen pixels, so sizes stay constant
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if self.rejected:
            self._paint_rejected(painter, dev)
        else:
            self._paint_outline(painter, dev)
        if dev_tag is not None:
            self._paint_tag(painter, dev_tag)
        if self.box_selected:
            self._paint_handles(painter, dev)
        painter.restore()

    def _pen(self, color: QColor, width: float) -> QPen:
        pen = QPen(color, width)
        pen.setCosmetic(True)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        return pen

    def _paint_outline(self, painter: QPainter, dev: QRectF) -> None:
        width = SELECTED_LINE_PX if self.box_selected else LINE_PX
        fill = QColor(self.color)
        fill.setAlpha(40 if self.box_selected else 22)
        painter.setPen(self._pen(DARK_HALO, width + 2))
        painter.setBrush(QBrush(fill))
        painter.drawRect(dev)
        painter.setPen(self._pen(self.color, width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(dev)

    def _paint_rejected(self, painter: QPainter, dev: QRectF) -> None:
        """Hatched inside, a solid red line in a light ring: plain on any background."""
        painter.save()
        painter.setClipRect(dev)
        hatch = QColor(self.color)
        hatch.setAlpha(HATCH_ALPHA)
        painter.setPen(self._pen(hatch, 1.0))
        span = dev.width() + dev.height()
        step = HATCH_SPACING_PX
        lines = []
        k = step
        while k < span:  # "/" lines from the bottom-left corner up
            lines.append(QLineF(dev.left() + k - dev.height(), dev.bottom(), dev.left() + k, dev.top()))
            k += step
        painter.drawLines(lines)
        painter.restore()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        width = SELECTED_LINE_PX if self.box_selected else 2.0
        painter.setPen(self._pen(LIGHT_HALO, width + REJECTED_HALO_PX - 2.0))
        painter.drawRect(dev)
        painter.setPen(self._pen(self.color, width))
        painter.drawRect(dev)

    def _paint_tag(self, painter: QPainter, tag: QRectF) -> None:
        tag = QRectF(round(tag.left()), round(tag.top()), round(tag.width()), round(tag.height()))
        background = QColor(self.color.darker(175))
        background.setAlpha(TAG_ALPHA)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRect(tag)
        swatch = QRectF(tag.left() + TAG_PAD, tag.center().y() - SWATCH_PX / 2, SWATCH_PX, SWATCH_PX)
        painter.setBrush(self.tint)
        painter.drawRect(swatch)
        painter.setFont(self._font)
        painter.setPen(QColor("#ffffff"))
        text_rect = tag.adjusted(2 * TAG_PAD + SWATCH_PX, 0, -TAG_PAD, 0)
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), self.tag_text())

    def _paint_handles(self, painter: QPainter, dev: QRectF) -> None:
        painter.setPen(QPen(self.color.darker(170), 1))
        painter.setBrush(QColor("#ffffff"))
        for x, y in handle_points(to_rect(dev)):
            painter.drawRect(QRectF(x - HANDLE_PX / 2, y - HANDLE_PX / 2, HANDLE_PX, HANDLE_PX))


OFF_PAGE = 1e9  # a tag off the page costs more than anything it could cover
INK_WEIGHT = 1.0  # covering the page's text or pictures costs as much as covering another box
TAG_WEIGHT = 2.0  # covering another tag costs more: both become unreadable
SIDE_PREFERENCE = 0.02  # of the tag's area per place down the list: above wins a near tie


def layout_tags(items: Iterable[BoxItem], page: Rect, ink: Callable[[Rect], float] | None = None) -> None:
    """Put each shown box's tag outside the box where it covers the least: of the page's ink
    (`ink(rect)`: 0 blank .. 1 solid print or picture; None: not known yet), of the other boxes
    and of the tags placed before it (boxes are placed top to bottom, left to right). Above the
    box is tried first, then below, then the right-aligned and side places; a tag stays on the
    page (it slides sideways at an edge) and goes inside the box only when no place outside fits."""
    items = [i for i in items if i.isVisible()]
    placed: list[Rect] = []
    for item in sorted(items, key=lambda i: (i.box().y0, i.box().x0, i.fid)):
        if not item.show_tag:
            continue
        pad = 2.0 / item.view_scale  # keep clear of the other frames too, not only their inside
        others = [o.box().expanded(pad) for o in items if o is not item]
        best: tuple[float, TagSide, float, Rect] | None = None
        for rank, side in enumerate(OUTSIDE):
            rect = item.tag_rect_for(side)
            shift = 0.0
            if side not in (TagSide.LEFT, TagSide.RIGHT):  # slide along the edge to stay on the page
                if rect.x1 > page.x1:
                    shift = max(page.x1 - rect.x1, page.x0 - rect.x0)
                elif rect.x0 < page.x0:
                    shift = min(page.x0 - rect.x0, page.x1 - rect.x1)
                rect = rect.moved(shift, 0)
            if rect.x0 < page.x0 - 1e-6 or rect.x1 > page.x1 + 1e-6 or rect.y0 < page.y0 - 1e-6 or rect.y1 > page.y1 + 1e-6:
                cost = OFF_PAGE
            else:
                cost = rank * SIDE_PREFERENCE * rect.area
                cost += sum(rect.intersect(o).area for o in others if not rect.intersect(o).is_empty)
                cost += TAG_WEIGHT * sum(rect.intersect(t).area for t in placed if not rect.intersect(t).is_empty)
                if ink is not None:
                    cost += INK_WEIGHT * ink(rect) * rect.area
            if best is None or cost < best[0]:
                best = (cost, side, shift, rect)
        assert best is not None
        cost, side, shift, rect = best
        if cost >= OFF_PAGE:  # no room outside on the page: inside, under the top edge
            side, shift = TagSide.INSIDE, min(0.0, page.x1 - item.tag_rect_for(TagSide.INSIDE).x1)
            rect = item.tag_rect_for(side, shift)
        item.set_tag_place(side, shift)
        placed.append(rect)
