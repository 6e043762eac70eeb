"""Mouse gestures on the page canvas: draw, move, resize, rubber-band select and pan.

Nothing is stored while the pointer moves: boxes are shown where they would go and the
session's rect_preview tells the inspector. On release, one session call (one undo step)
stores the whole gesture; Esc puts everything back as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from engine.geometry import Rect
from remud_desktop.canvas import edit_geometry as geo
from remud_desktop.canvas.box_item import HANDLE_HIT_PX, BoxItem, to_qrect, to_rect
from remud_desktop.canvas.protocols import EditableView
from remud_desktop.session import MIN_BOX_PT, Session

DRAG_START_PX = 3.0  # the pointer must travel this far before a press becomes a drag
EDGE_GRAB_PX = 4.0  # a box's edge can be grabbed from this far outside

HANDLE_CURSORS = {
    geo.TOP_LEFT: Qt.CursorShape.SizeFDiagCursor, geo.BOTTOM_RIGHT: Qt.CursorShape.SizeFDiagCursor,
    geo.TOP_RIGHT: Qt.CursorShape.SizeBDiagCursor, geo.BOTTOM_LEFT: Qt.CursorShape.SizeBDiagCursor,
    geo.TOP: Qt.CursorShape.SizeVerCursor, geo.BOTTOM: Qt.CursorShape.SizeVerCursor,
    geo.LEFT: Qt.CursorShape.SizeHorCursor, geo.RIGHT: Qt.CursorShape.SizeHorCursor,
}


class GestureKind(StrEnum):
    DRAW = "draw"  # a new box (draw mode)
    MOVE = "move"  # the selected boxes
    RESIZE = "resize"  # one box, by a handle
    RUBBER = "rubber"  # a band that selects the boxes it touches
    PAN = "pan"  # the view (Space + drag, or the middle button)


@dataclass
class Gesture:
    kind: GestureKind
    start_view: QPointF
    start_scene: QPointF
    items: list[BoxItem] = field(default_factory=list)
    originals: dict[int, Rect] = field(default_factory=dict)
    handle: int = -1
    additive: bool = False
    base: list[int] = field(default_factory=list)
    dragging: bool = False
    last_view: QPointF | None = None
    band: QGraphicsRectItem | None = None


def _band_item(color: str, dashed: bool) -> QGraphicsRectItem:
    item = QGraphicsRectItem()
    pen = QPen(QColor(color), 1.5, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
    pen.setCosmetic(True)
    item.setPen(pen)
    fill = QColor(color)
    fill.setAlpha(30)
    item.setBrush(fill)
    item.setZValue(20)
    return item


class CanvasEditor:
    def __init__(self, canvas: EditableView) -> None:
        self.canvas = canvas
        self.gesture: Gesture | None = None
        self._keep_drawing = False  # Shift held when a box was drawn: stay in draw mode

    @property
    def session(self) -> Session:
        return self.canvas.session

    @property
    def active(self) -> bool:
        return self.gesture is not None

    @property
    def banding(self) -> bool:
        """A rubber band is choosing the selection: the boxes show its pick, not the session's."""
        return self.gesture is not None and self.gesture.kind == GestureKind.RUBBER

    # -- hit testing ----------------------------------------------------------------------
    def handle_at(self, view_pos: QPointF) -> tuple[BoxItem, int] | None:
        """A resize handle of a selected box under the pointer (nearest wins)."""
        best = None
        for item in self.canvas.box_items():
            if not item.box_selected:
                continue
            for index, pt in enumerate(item.handle_positions()):
                d = (self.canvas.to_view(pt) - view_pos).manhattanLength()
                if d <= HANDLE_HIT_PX * 1.5 and (best is None or d < best[0]):
                    best = (d, item, index)
        return (best[1], best[2]) if best else None

    def box_at(self, scene_pos: QPointF) -> BoxItem | None:
        """The smallest box under the pointer, so a box inside another can be picked."""
        slack = EDGE_GRAB_PX / max(self.canvas.zoom, 1e-6)
        hits = [i for i in self.canvas.box_items() if i.box().expanded(slack).contains_point(scene_pos.x(), scene_pos.y())]
        return min(hits, key=lambda i: i.box().area, default=None)

    def cursor_for(self, view_pos: QPointF) -> Qt.CursorShape:
        if self.gesture and self.gesture.kind == GestureKind.PAN:
            return Qt.CursorShape.ClosedHandCursor
        if self.canvas.space_held:
            return Qt.CursorShape.OpenHandCursor
        if self.canvas.draw_mode:
            return Qt.CursorShape.CrossCursor
        hit = self.handle_at(view_pos)
        if hit:
            return HANDLE_CURSORS[hit[1]]
        if self.box_at(self.canvas.to_scene(view_pos)):
            return Qt.CursorShape.SizeAllCursor
        return Qt.CursorShape.ArrowCursor

    # -- events ---------------------------------------------------------------------------
    def press(self, event) -> bool:
        pos = event.position()
        scene = self.canvas.to_scene(pos)
        button = event.button()
        if self.gesture is not None:
            return True  # a second button during a gesture changes nothing
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self.canvas.space_held):
            self.canvas.note_panned()
            self.gesture = Gesture(GestureKind.PAN, pos, scene, last_view=pos)
            return True
        if button != Qt.MouseButton.LeftButton or self.canvas.page_rect is None:
            return False
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if self.canvas.draw_mode:
            self.gesture = Gesture(GestureKind.DRAW, pos, scene, band=_band_item("#38bdf8", dashed=False))
            return True
        hit = self.handle_at(pos)
        if hit is not None:
            item, handle = hit
            self.gesture = Gesture(GestureKind.RESIZE, pos, scene, [item], {item.fid: item.box()}, handle=handle)
            return True
        item = self.box_at(scene)
        selection = list(self.session.selection)
        if item is not None and ctrl:
            ids = [i for i in selection if i != item.fid] if item.fid in selection else selection + [item.fid]
            self.canvas.select(ids)
            return True
        if item is not None:
            if item.fid not in selection:
                self.canvas.select([item.fid])
            moving = [i for i in self.canvas.box_items() if i.fid in self.session.selection]
            self.gesture = Gesture(GestureKind.MOVE, pos, scene, moving, {i.fid: i.box() for i in moving})
            return True
        if not ctrl:
            self.canvas.select([])
        self.gesture = Gesture(GestureKind.RUBBER, pos, scene, additive=ctrl, base=list(self.session.selection),
                               band=_band_item("#93c5fd", dashed=True))
        return True

    def move(self, event) -> bool:
        g = self.gesture
        if g is None:
            self.canvas.viewport().setCursor(self.cursor_for(event.position()))
            return False
        pos = event.position()
        if g.kind == GestureKind.PAN:
            delta = pos - g.last_view
            g.last_view = pos
            self.canvas.scroll_by(-delta.x(), -delta.y())
            return True
        if not g.dragging:
            if (pos - g.start_view).manhattanLength() < DRAG_START_PX:
                return True
            g.dragging = True
            if g.band is not None:
                self.canvas.scene().addItem(g.band)
        scene = self.canvas.to_scene(pos)
        bounds = self.canvas.page_rect
        dx, dy = scene.x() - g.start_scene.x(), scene.y() - g.start_scene.y()
        if g.kind == GestureKind.DRAW:
            start = (g.start_scene.x(), g.start_scene.y())
            g.band.setRect(to_qrect(geo.drawn_rect(start, (scene.x(), scene.y()), bounds)))
        elif g.kind == GestureKind.MOVE:
            dx, dy = geo.clamp_move(g.originals.values(), dx, dy, bounds)
            self._preview({i.fid: g.originals[i.fid].moved(dx, dy) for i in g.items})
        elif g.kind == GestureKind.RESIZE:
            item = g.items[0]
            self._preview({item.fid: geo.resize(g.originals[item.fid], g.handle, dx, dy, bounds, MIN_BOX_PT)})
        elif g.kind == GestureKind.RUBBER:
            band = QRectF(g.start_scene, scene).normalized()
            g.band.setRect(band)
            picked = set(self._in_band(to_rect(band)))
            for item in self.canvas.box_items():
                item.set_box_selected(item.fid in picked or (g.additive and item.fid in g.base))
        return True

    def release(self, event) -> bool:
        g = self.gesture
        if g is None:
            return False
        if g.kind == GestureKind.PAN and event.button() not in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            return True
        if g.kind != GestureKind.PAN and event.button() != Qt.MouseButton.LeftButton:
            return True
        self.gesture = None
        self._drop_band(g)
        self._keep_drawing = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        try:
            self._commit(g)
        finally:
            self.canvas.gesture_finished()
            self.canvas.viewport().setCursor(self.cursor_for(event.position()))
        return True

    def _commit(self, g: Gesture) -> None:
        if not g.dragging:
            return
        if g.kind == GestureKind.DRAW:
            rect = to_rect(g.band.rect())
            if geo.big_enough(rect, MIN_BOX_PT):
                self.session.create_figure(rect)
                if not self._keep_drawing:  # one box per W, like other annotation tools; Shift keeps drawing
                    self.canvas.set_draw_mode(False)
        elif g.kind in (GestureKind.MOVE, GestureKind.RESIZE):
            changes = {i.fid: i.box() for i in g.items if i.box() != g.originals[i.fid]}
            if changes:
                text = (QCoreApplication.translate("CanvasEditor", "Move box") if g.kind == GestureKind.MOVE
                        else QCoreApplication.translate("CanvasEditor", "Resize box"))
                self.session.set_rects(changes, text=text)
        elif g.kind == GestureKind.RUBBER:
            picked = self._in_band(to_rect(g.band.rect()))
            ids = g.base + [i for i in picked if i not in g.base] if g.additive else picked
            self.canvas.select(ids)
            self.canvas.show_selection(ids)

    def cancel(self) -> bool:
        """Esc, a page change or a project switch: put back what the gesture changed."""
        g, self.gesture = self.gesture, None
        if g is None:
            return False
        self._drop_band(g)
        if g.kind in (GestureKind.MOVE, GestureKind.RESIZE) and g.dragging:
            for item in g.items:
                item.set_box(g.originals[item.fid])
                self.session.rect_preview.emit(item.fid, g.originals[item.fid])
        if g.kind == GestureKind.RUBBER:
            self.canvas.show_selection(self.session.selection)
        self.canvas.gesture_finished()
        return True

    # -- helpers --------------------------------------------------------------------------
    def _preview(self, rects: dict[int, Rect]) -> None:
        for item in self.gesture.items:
            rect = rects.get(item.fid)
            if rect is not None and rect != item.box():
                item.set_box(rect)
                self.session.rect_preview.emit(item.fid, rect)
        self.canvas.relayout_labels()

    def _in_band(self, band: Rect) -> list[int]:
        return [i.fid for i in self.canvas.box_items() if not i.box().intersect(band).is_empty]

    def _drop_band(self, g: Gesture) -> None:
        if g.band is not None and g.band.scene() is not None:
            g.band.scene().removeItem(g.band)
