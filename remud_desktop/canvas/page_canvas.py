"""The page in the centre of the window, with its figure boxes, editable.

Scene units are PDF points of the page's own rect (after rotation), so a box's scene
rect is its stored rect. Pages are rendered in workers at the view's zoom × device pixel
ratio, through a RenderCache: a cached page is shown at once, an uncached one shows a
blank page (or a render at another zoom) until its render arrives. Edits go through the
Session, one undoable command per gesture or key press.

The canvas owns its state (zoom, fit, draw mode, Space held for panning); its helpers see
it through the protocols in canvas/protocols.py: PageDisplay (the render under the boxes),
CanvasEditor (mouse gestures) and CanvasKeys (keys).

Which boxes are shown (the score threshold for proposals, rejected boxes on or off, tags on
or off) is a BoxVisibility the canvas shares with the figure list. A hidden box is left out
of every gesture and key, unless it is selected (picked in the figure list): then it shows.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from enum import StrEnum

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

from engine.errors import RemudError
from engine.geometry import Rect
from engine.store import figures
from engine.store.models import FigureStatus
from remud_desktop.canvas.box_item import BoxItem, layout_tags, to_qrect
from remud_desktop.canvas.editing import CanvasEditor
from remud_desktop.canvas.keys import CanvasKeys
from remud_desktop.canvas.page_display import PageDisplay
from remud_desktop.canvas.render_cache import RenderCache
from remud_desktop.canvas.visibility import BoxVisibility
from remud_desktop.session import Session

MIN_ZOOM, MAX_ZOOM = 0.05, 16.0
ZOOM_STEP = 1.25
RERENDER_DELAY_MS = 150  # after the last zoom step, render sharp again
FIT_MARGIN_PX = 8
BACKGROUND = QColor("#3a3f44")


class Fit(StrEnum):
    """How the zoom follows the view's size; None (no fit) once the user zooms."""

    PAGE = "page"  # the whole page
    WIDTH = "width"  # the page's width


class PageCanvas(QGraphicsView):
    zoom_changed = Signal(float)  # screen pixels per PDF point (1.0 = 72 dpi at 100 %)
    draw_mode_changed = Signal(bool)
    page_shown = Signal(int, int)  # (doc_id, page): its sharp render is on screen
    render_failed = Signal(str)  # a readable message: the current page could not be rendered
    space_tapped = Signal()  # Space pressed and released without panning, and no Space action found

    def __init__(self, session: Session, parent=None, *, cache: RenderCache | None = None,
                 visibility: BoxVisibility | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.cache = cache if cache is not None else RenderCache()
        self.visibility = visibility if visibility is not None else BoxVisibility(session, parent=self)
        self.setScene(QGraphicsScene(self))
        self.display = PageDisplay(self, self.cache, parent=self)
        self.renderer = self.display.renderer
        self.editor = CanvasEditor(self)
        self.keys = CanvasKeys(self)
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform | QPainter.RenderHint.TextAntialiasing)
        self.setBackgroundBrush(BACKGROUND)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)

        self._items: dict[int, BoxItem] = {}
        self.page_rect: Rect | None = None
        self._zoom = 1.0
        self._fit: Fit | None = Fit.PAGE
        self._draw_mode = False
        self._space_held = False  # Space is down: a left drag pans
        self._panned = False  # a pan happened since Space went down (its release is not a tap)
        self._sync_pending = False
        self._selecting_here = False
        self._rerender = QTimer(self, singleShot=True, interval=RERENDER_DELAY_MS)
        self._rerender.timeout.connect(self.display.refresh_for_zoom)
        self.display.page_shown.connect(self.page_shown)
        self.display.page_shown.connect(lambda *_: self.relayout_labels())  # now the page's ink is known
        self.display.render_failed.connect(self.render_failed)

        session.project_opened.connect(self._on_project_opened)
        session.page_changed.connect(self._on_page_changed)
        session.figures_changed.connect(self._on_figures_changed)
        session.figure_updated.connect(self._on_figure_updated)
        session.selection_changed.connect(self._on_selection_changed)
        self.visibility.changed.connect(self._on_visibility_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if session.project is not None and session.doc_id is not None:
            self._on_page_changed(session.doc_id, session.page)

    # -- public state ---------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def draw_mode(self) -> bool:
        return self._draw_mode

    @property
    def space_held(self) -> bool:
        return self._space_held

    @property
    def editing(self) -> bool:
        """A mouse gesture (draw, move, resize, rubber band, pan) is in progress."""
        return self.editor.active

    def cancel_gesture(self) -> bool:
        """Put back what the gesture in progress changed; False if there was none."""
        return self.editor.cancel()

    @property
    def displayed(self) -> tuple[int, int, int] | None:
        """(doc_id, page, zoom bucket) of the render on screen, None for a blank page."""
        return self.display.shown

    def page_ready(self) -> bool:
        """The current page is on screen, rendered sharp for the current zoom."""
        return self.display.ready()

    def box_items(self) -> list[BoxItem]:
        """The boxes on show (hidden ones are out of every gesture and key)."""
        return [item for item in self._items.values() if item.isVisible()]

    def box_item(self, fid: int) -> BoxItem | None:
        return self._items.get(fid)

    def set_draw_mode(self, on: bool) -> None:
        on = bool(on)
        if on != self._draw_mode:
            if self.editor.active:
                self.editor.cancel()
            self._draw_mode = on
            self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
            self.draw_mode_changed.emit(on)

    # -- coordinates ----------------------------------------------------------------------
    def to_scene(self, view_pos: QPointF) -> QPointF:
        return self.viewportTransform().inverted()[0].map(QPointF(view_pos))

    def to_view(self, scene_pos: QPointF) -> QPointF:
        return self.viewportTransform().map(QPointF(scene_pos))

    def scroll_by(self, dx: float, dy: float) -> None:
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(dx))
        v.setValue(v.value() + round(dy))

    # -- zoom -----------------------------------------------------------------------------
    def set_zoom(self, zoom: float, anchor: QPointF | None = None, *, keep_fit: bool = False) -> None:
        """Zoom keeping the scene point under `anchor` (viewport pixels; default the centre) still."""
        if not keep_fit:
            self._fit = None
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        if abs(zoom - self._zoom) < 1e-9:
            return
        anchor = QPointF(anchor) if anchor is not None else QPointF(self.viewport().rect().center())
        fixed = self.to_scene(anchor)
        self._zoom = zoom
        self.setTransform(QTransform.fromScale(zoom, zoom))
        moved = self.to_view(fixed) - anchor
        self.scroll_by(moved.x(), moved.y())
        for item in self._items.values():
            item.set_view_scale(zoom)
        self.relayout_labels()
        self.zoom_changed.emit(zoom)
        if self.page_rect is not None:
            self._rerender.start()

    def zoom_in(self) -> None:
        self.set_zoom(self._zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self._zoom / ZOOM_STEP)

    def fit_page(self) -> None:
        self._fit = Fit.PAGE
        self._apply_fit()

    def fit_width(self) -> None:
        self._fit = Fit.WIDTH
        self._apply_fit()

    def _apply_fit(self) -> None:
        if self.page_rect is None or self._fit is None:
            return
        w, h = self.page_rect.width, self.page_rect.height
        size = self.maximumViewportSize()  # as if there were no scroll bars
        vw, vh = size.width() - 2 * FIT_MARGIN_PX, size.height() - 2 * FIT_MARGIN_PX
        if self._fit == Fit.PAGE:
            zoom = min(vw / w, vh / h)
        else:
            zoom = vw / w
            if h * zoom > vh + 2 * FIT_MARGIN_PX:  # a vertical scroll bar will take its room
                zoom = (vw - self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent)) / w
        self.set_zoom(max(zoom, MIN_ZOOM), keep_fit=True)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._apply_fit()

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120.0
            if steps:
                self.set_zoom(self._zoom * ZOOM_STEP ** steps, event.position())
            event.accept()
            return
        super().wheelEvent(event)

    # -- project and page -----------------------------------------------------------------
    def _on_project_opened(self) -> None:
        self.editor.cancel()
        self.display.new_project()  # renders still running for the old project are dropped
        self._clear_page()

    def _clear_page(self) -> None:
        for item in self._items.values():
            self.scene().removeItem(item)
        self._items.clear()
        self.page_rect = None
        self.display.clear()
        self.viewport().update()

    def _on_page_changed(self, doc_id: int, page: int) -> None:
        self.editor.cancel()
        if self.session.project is None:
            return self._clear_page()
        try:
            self.display.set_document(doc_id)
            bounds = self.session.page_bounds()
        except RemudError as exc:
            self._clear_page()
            self.render_failed.emit(str(exc))
            return
        old = self.page_rect
        self.page_rect = bounds
        self.scene().setSceneRect(to_qrect(bounds))
        if old is None or (bounds.width, bounds.height) != (old.width, old.height):
            self._apply_fit()
        self.verticalScrollBar().setValue(self.verticalScrollBar().minimum())  # a new page starts at its top
        for item in self._items.values():
            self.scene().removeItem(item)
        self._items.clear()
        self._sync_boxes()
        self.display.show_current()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        try:
            super().drawBackground(painter, rect)
            if self.page_rect is not None:  # the paper, under the render or in its place
                page = to_qrect(self.page_rect)
                painter.fillRect(page.translated(3 / self._zoom, 3 / self._zoom), QColor(0, 0, 0, 90))
                painter.fillRect(page, QColor("#ffffff"))
            else:
                self._draw_hint(painter)
        except Exception:  # noqa: BLE001 - a paint never raises
            traceback.print_exc()

    def _draw_hint(self, painter: QPainter) -> None:
        """No page to show: say what to do, centred in the view."""
        if self.session.project is None:
            text = self.tr("No project open.\nFile → Open project… or New project…")
        else:
            text = self.tr("No document yet.\nImport PDFs (File → Import PDFs…) or drop PDFs or folders here.")
        painter.save()
        painter.resetTransform()
        painter.setPen(QColor("#c8ccd0"))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        painter.setFont(font)
        flags = int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap)
        painter.drawText(self.viewport().rect().adjusted(32, 0, -32, 0), flags, text)
        painter.restore()

    # -- boxes ----------------------------------------------------------------------------
    def _on_figures_changed(self, doc_id: int, page: int) -> None:
        if self.page_rect is not None and (doc_id, page) == (self.session.doc_id, self.session.page):
            self._sync_boxes()

    def _on_figure_updated(self, fid: int) -> None:
        item = self._items.get(fid)
        if item is None:
            return
        if self.editor.active:
            self._sync_pending = True
            return
        try:
            fig = figures.get_figure(self.session.project, fid)
        except RemudError:
            return  # deleted: the page's figures_changed removes it
        item.set_figure(fig)
        self._show_or_hide(item)
        self.relayout_labels()

    def _sync_boxes(self) -> None:
        """Bring the items in line with the store, keeping selection, zoom and scroll."""
        if self.editor.active:
            self._sync_pending = True  # never under the user's pointer mid-drag
            return
        self._sync_pending = False
        figs = self.session.current_figures() if self.page_rect is not None else []
        keep = {f.id for f in figs}
        for fid in [fid for fid in self._items if fid not in keep]:
            self.scene().removeItem(self._items.pop(fid))
        for fig in figs:
            item = self._items.get(fig.id)
            if item is None:
                item = self._items[fig.id] = BoxItem(fig, self._zoom)
                item.set_show_tag(self.visibility.show_tags)
                self.scene().addItem(item)
            else:
                item.set_figure(fig)
        self.show_selection(self.session.selection)
        self.relayout_labels()

    def relayout_labels(self) -> None:
        if self.page_rect is not None:
            layout_tags(self._items.values(), self.page_rect, self.display.ink if self.display.shown else None)

    def _show_or_hide(self, item: BoxItem) -> bool:
        """Show the box unless the visibility hides it and it is not selected; True if that changed."""
        shown = item.box_selected or not self.visibility.hides(item.figure)
        if shown == item.isVisible():
            return False
        item.setVisible(shown)
        return True

    def _on_visibility_changed(self) -> None:
        """The threshold or a toggle changed: boxes now hidden leave the selection, tags follow."""
        hidden = {fid for fid, item in self._items.items() if self.visibility.hides(item.figure)}
        if hidden & set(self.session.selection):
            self.select([fid for fid in self.session.selection if fid not in hidden])
        for item in self._items.values():
            item.set_show_tag(self.visibility.show_tags)
            self._show_or_hide(item)
        self.relayout_labels()
        self.viewport().update()

    def shown_proposals(self) -> list[int]:
        """The proposed boxes on show on this page, in reading order."""
        return [i.fid for i in self.reading_order() if i.status == FigureStatus.PROPOSED]

    def reading_order(self) -> list[BoxItem]:
        """The boxes on show, top to bottom and left to right, a column at a time."""
        from engine.text.lines import reading_order  # here: it loads pymupdf and the OCR helpers, on first use

        items = sorted(self.box_items(), key=lambda i: (i.box().y0, i.box().x0, i.fid))
        return reading_order(items, lambda i: i.box())

    def gesture_finished(self) -> None:
        if self._sync_pending:
            self._sync_boxes()
        self.relayout_labels()

    # -- selection ------------------------------------------------------------------------
    def select(self, ids: Sequence[int]) -> None:
        self._selecting_here = True
        try:
            self.session.select(list(ids))
        finally:
            self._selecting_here = False

    def show_selection(self, ids: Sequence[int]) -> None:
        chosen = set(ids)
        changed = False
        for item in self._items.values():
            item.set_box_selected(item.fid in chosen)
            changed |= self._show_or_hide(item)
        if changed:
            self.relayout_labels()

    def _on_selection_changed(self, ids: list) -> None:
        if self.editor.banding:
            return
        self.show_selection(ids)
        if ids and not self._selecting_here and ids[0] in self._items:
            self.reveal(self._items[ids[0]])  # picked in the figure list

    def select_all(self) -> None:
        self.select([item.fid for item in self.box_items()])

    def select_next(self, step: int) -> None:
        """Tab / Shift+Tab: select the next (step 1) or previous (-1) box in reading order, wrapping,
        and scroll it into view with its tag."""
        order = self.reading_order()
        if not order:
            return
        ids = [item.fid for item in order]
        current = [fid for fid in self.session.selection if fid in ids]
        if not current:
            index = 0 if step > 0 else len(ids) - 1
        else:
            at = [ids.index(fid) for fid in current]
            index = (max(at) + 1) % len(ids) if step > 0 else (min(at) - 1) % len(ids)
        self.select([ids[index]])
        self.reveal(order[index])

    def reveal(self, item: BoxItem) -> None:
        """Scroll so that the box and its tag are on screen; of a box larger than the view, its
        top-left part (where its tag is, most often)."""
        margin = 24
        area = item.rect()
        tag = item.tag_rect()
        if tag is not None:
            area = area.united(to_qrect(tag))
        room = self.viewport().rect().adjusted(margin, margin, -margin, -margin)
        width, height = max(room.width(), 1) / self._zoom, max(room.height(), 1) / self._zoom
        self.ensureVisible(QRectF(area.left(), area.top(), min(area.width(), width), min(area.height(), height)),
                           margin, margin)

    # -- input ----------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if not self.editor.press(event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if not self.editor.move(event):
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if not self.editor.release(event):
            super().mouseReleaseEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self.keys.claims(event):
            event.accept()  # this key is the canvas's while it has focus
            return True
        if event.type() == QEvent.Type.KeyPress and self.keys.is_tab(event) and self.keys.claims(event):
            self.keys.press(event)  # Tab walks the boxes here, ahead of Qt's focus chain
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if not self.keys.press(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if not self.keys.release(event):
            super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        self._space_held = False
        super().focusOutEvent(event)

    # -- Space: held, a left drag pans; tapped, the window's Space action -------------------
    def hold_space(self) -> None:
        self._space_held, self._panned = True, False
        self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)

    def release_space(self) -> None:
        was_held, self._space_held = self._space_held, False
        self.viewport().setCursor(self.editor.cursor_for(self.viewport().mapFromGlobal(self.cursor().pos()).toPointF()))
        if was_held and not self._panned:
            self.pass_space_on()

    def note_panned(self) -> None:
        self._panned = True

    def pass_space_on(self) -> None:
        """A Space tap (no pan) belongs to the window: trigger its Space action."""
        space = QKeySequence(Qt.Key.Key_Space)
        for action in self.window().findChildren(QAction):
            if action.isEnabled() and any(s.matches(space) == QKeySequence.SequenceMatch.ExactMatch
                                          for s in action.shortcuts()):
                action.trigger()
                return
        self.space_tapped.emit()

    def shutdown(self) -> None:
        """Let running renders finish and start no more (call from the window's closeEvent)."""
        self._rerender.stop()
        self.display.shutdown()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
