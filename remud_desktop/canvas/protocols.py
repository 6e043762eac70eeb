"""What the page canvas's helpers see of it. PageDisplay, CanvasEditor and CanvasKeys each
take the canvas as one of these small protocols and go through its methods only, never its
private fields; PageCanvas is all three."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QGraphicsScene, QWidget

from engine.geometry import Rect
from remud_desktop.canvas.box_item import BoxItem
from remud_desktop.session import Session


class PageView(Protocol):
    """The page on screen: what PageDisplay needs to show its render."""

    session: Session
    page_rect: Rect | None  # the current page in PDF points; None while no page is shown

    @property
    def zoom(self) -> float: ...  # screen pixels per PDF point

    def scene(self) -> QGraphicsScene: ...

    def viewport(self) -> QWidget: ...


class EditableView(PageView, Protocol):
    """The boxes on the page and their selection: what CanvasEditor's mouse gestures need."""

    @property
    def draw_mode(self) -> bool: ...

    @property
    def space_held(self) -> bool: ...  # Space is down: a left drag pans

    def box_items(self) -> list[BoxItem]: ...

    def to_scene(self, view_pos: QPointF) -> QPointF: ...

    def to_view(self, scene_pos: QPointF) -> QPointF: ...

    def scroll_by(self, dx: float, dy: float) -> None: ...

    def select(self, ids: Sequence[int]) -> None: ...  # through the session

    def show_selection(self, ids: Sequence[int]) -> None: ...  # on screen only

    def set_draw_mode(self, on: bool) -> None: ...

    def relayout_labels(self) -> None: ...

    def gesture_finished(self) -> None: ...

    def note_panned(self) -> None: ...  # a pan started: releasing Space is not a tap


class KeyedView(Protocol):
    """What CanvasKeys' keys act on."""

    session: Session

    @property
    def draw_mode(self) -> bool: ...

    @property
    def editing(self) -> bool: ...  # a mouse gesture is in progress

    def box_item(self, fid: int) -> BoxItem | None: ...

    def box_items(self) -> list[BoxItem]: ...  # the boxes on show

    def select_next(self, step: int) -> None: ...  # Tab / Shift+Tab: the next box in reading order

    def cancel_gesture(self) -> bool: ...

    def set_draw_mode(self, on: bool) -> None: ...

    def select(self, ids: Sequence[int]) -> None: ...

    def select_all(self) -> None: ...

    def zoom_in(self) -> None: ...

    def zoom_out(self) -> None: ...

    def fit_page(self) -> None: ...

    def fit_width(self) -> None: ...

    def hold_space(self) -> None: ...

    def release_space(self) -> None: ...
