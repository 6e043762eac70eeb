"""Keys the page canvas answers while it has focus. Everything else (A / D / Space tap /
Ctrl+Shift+D / N / Shift+N page moves, Shift+Enter, T, H, Ctrl+Z / Ctrl+Shift+Z) is left to
the window's actions.

Tab / Shift+Tab select the next / previous box on show in reading order (wrapping), ahead
of Qt's focus chain while the page has boxes; on a page without boxes Tab moves the focus on.

Space is special: held, it turns a left drag into a pan, so the canvas claims it; the
canvas keeps the pan state and hands a plain tap (no pan) on to the window's Space action."""

from __future__ import annotations

from PySide6.QtCore import Qt

from engine.store.models import FigureStatus
from remud_desktop.canvas.protocols import KeyedView
from remud_desktop.session import Session

K = Qt.Key
NO_MODS = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
_MOD_MASK = CTRL | SHIFT | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier

ARROWS = {K.Key_Left: (-1, 0), K.Key_Right: (1, 0), K.Key_Up: (0, -1), K.Key_Down: (0, 1)}
NUDGE_PT, BIG_NUDGE_PT = 1.0, 10.0
PLAIN_KEYS = {K.Key_Delete, K.Key_Backspace, K.Key_Return, K.Key_Enter, K.Key_R, K.Key_W, K.Key_Escape}
CTRL_KEYS = {K.Key_D, K.Key_A, K.Key_Equal, K.Key_Plus, K.Key_Minus, K.Key_0, K.Key_9}


def _mods(event) -> Qt.KeyboardModifier:
    return event.modifiers() & _MOD_MASK


class CanvasKeys:
    def __init__(self, canvas: KeyedView) -> None:
        self.canvas = canvas

    @property
    def session(self) -> Session:
        return self.canvas.session

    def _selected(self) -> list[int]:
        return [fid for fid in self.session.selection if self.canvas.box_item(fid) is not None]

    @staticmethod
    def is_tab(event) -> bool:
        """Tab or Shift+Tab (Qt sends Shift+Tab as Backtab), without Ctrl or Alt."""
        return event.key() in (K.Key_Tab, K.Key_Backtab) and _mods(event) in (NO_MODS, SHIFT)

    def claims(self, event) -> bool:
        """Whether a key is the canvas's, ahead of any window shortcut bound to it."""
        key, mods = event.key(), _mods(event)
        if key == K.Key_Space and mods == NO_MODS:
            return True
        if self.is_tab(event):
            return bool(self.canvas.box_items())
        if key in ARROWS and mods in (NO_MODS, SHIFT):
            return bool(self._selected())
        if key in PLAIN_KEYS and mods == NO_MODS:
            return True
        if key in CTRL_KEYS and mods == CTRL:
            return True
        return key in (K.Key_Plus, K.Key_Equal) and mods == CTRL | SHIFT  # Ctrl++ on many layouts

    def press(self, event) -> bool:
        """Handle a key press; False lets the view (scrolling) and then the window have it."""
        if not self.claims(event):
            return False
        key, mods = event.key(), _mods(event)
        canvas, session = self.canvas, self.session
        if key == K.Key_Space:
            if not event.isAutoRepeat():
                canvas.hold_space()
            return True
        if event.isAutoRepeat() and key not in ARROWS and not self.is_tab(event):
            return True  # holding Del or R does it once
        if canvas.editing and key != K.Key_Escape:
            return True  # no edits under a gesture in progress
        selected = self._selected()
        if self.is_tab(event):
            canvas.select_next(-1 if key == K.Key_Backtab or mods & SHIFT else 1)
        elif key in ARROWS:
            step = BIG_NUDGE_PT if mods & SHIFT else NUDGE_PT
            dx, dy = ARROWS[key]
            session.nudge(selected, dx * step, dy * step)
        elif key == K.Key_Escape:
            if not canvas.cancel_gesture():
                if canvas.draw_mode:
                    canvas.set_draw_mode(False)
                else:
                    canvas.select([])
        elif key == K.Key_W:
            canvas.set_draw_mode(not canvas.draw_mode)
        elif key in (K.Key_Delete, K.Key_Backspace):
            session.delete(selected)
        elif key in (K.Key_Return, K.Key_Enter):
            session.set_status(selected, FigureStatus.ACCEPTED)
        elif key == K.Key_R:
            session.set_status(selected, FigureStatus.REJECTED)
        elif key == K.Key_D:
            session.duplicate(selected)
        elif key == K.Key_A:
            canvas.select_all()
        elif key in (K.Key_Equal, K.Key_Plus):
            canvas.zoom_in()
        elif key == K.Key_Minus:
            canvas.zoom_out()
        elif key == K.Key_0:
            canvas.fit_page()
        elif key == K.Key_9:
            canvas.fit_width()
        return True

    def release(self, event) -> bool:
        if event.key() != K.Key_Space or event.isAutoRepeat():
            return False
        self.canvas.release_space()
        return True
