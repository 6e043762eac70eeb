"""The crop preview, scaled to fit, with redaction masks drawn over it and drawn by mouse.

Masks live in PDF points (what the store keeps); this widget shows and edits them in
crop pixels through the rect on the page the crop shows (`covered`).
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.geometry import Rect
from remud_desktop.inspector.crop_render import pixels_to_points, points_to_pixels

MIN_DRAG_PX = 4  # a smaller drag is a click
MASK_COLOR = QColor(231, 76, 60)
SELECTED_COLOR = QColor(241, 196, 15)


class CropView(QWidget):
    masks_edited = Signal(list)  # the new list of masks, PDF points (the user drew or removed one)
    mask_selected = Signal(int)  # index of the selected mask, -1 for none
    draw_mode_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(160, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self._image: QImage | None = None
        self._covered: Rect | None = None
        self._message = self.tr("Select a box")
        self._masks: list[Rect] = []
        self._selected = -1
        self._draw_mode = False
        self._press: QPointF | None = None
        self._drag: QPointF | None = None

    # -- content ----------------------------------------------------------------------
    def set_crop(self, image: QImage, covered: Rect) -> None:
        self._image, self._covered, self._message = image, covered, ""
        self.update()

    def show_message(self, text: str) -> None:
        """No crop: a hint or an error in its place (masks are kept)."""
        self._image, self._covered, self._message = None, None, text
        self._press = self._drag = None
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def covered(self) -> Rect | None:
        return self._covered

    def message(self) -> str:
        return self._message

    def masks(self) -> list[Rect]:
        return list(self._masks)

    def set_masks(self, masks: Sequence[Rect]) -> None:
        masks = list(masks)
        if masks != self._masks:
            self._masks = masks
            self._select(self._selected if self._selected < len(masks) else -1)
            self.update()

    def selected_mask(self) -> int:
        return self._selected

    def select_mask(self, index: int) -> None:
        self._select(index if 0 <= index < len(self._masks) else -1)

    def _select(self, index: int) -> None:
        if index != self._selected:
            self._selected = index
            self.mask_selected.emit(index)
            self.update()

    # -- editing ----------------------------------------------------------------------
    def draw_mode(self) -> bool:
        return self._draw_mode

    def set_draw_mode(self, on: bool) -> None:
        if on != self._draw_mode:
            self._draw_mode = on
            self.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
            self.draw_mode_changed.emit(on)

    def remove_selected(self) -> None:
        if 0 <= self._selected < len(self._masks):
            masks = self._masks[: self._selected] + self._masks[self._selected + 1:]
            self._selected = -1
            self.mask_selected.emit(-1)
            self._edited(masks)

    def clear_masks(self) -> None:
        if self._masks:
            self._select(-1)
            self._edited([])

    def _edited(self, masks: list[Rect]) -> None:
        self._masks = masks
        self.update()
        self.masks_edited.emit(list(masks))

    # -- geometry ---------------------------------------------------------------------
    def image_rect(self) -> QRectF:
        """Where the crop is drawn in widget coordinates (scaled to fit, centred)."""
        if self._image is None or self._image.isNull():
            return QRectF()
        w, h = self._image.width(), self._image.height()
        scale = min((self.width() - 8) / w, (self.height() - 8) / h)
        scale = max(scale, 1e-6)
        dw, dh = w * scale, h * scale
        return QRectF((self.width() - dw) / 2, (self.height() - dh) / 2, dw, dh)

    def widget_to_pixels(self, point: QPointF) -> tuple[float, float]:
        target = self.image_rect()
        sx = self._image.width() / target.width()
        sy = self._image.height() / target.height()
        x = min(max((point.x() - target.x()) * sx, 0.0), self._image.width())
        y = min(max((point.y() - target.y()) * sy, 0.0), self._image.height())
        return x, y

    def mask_widget_rect(self, mask: Rect) -> QRectF:
        target = self.image_rect()
        size = (self._image.width(), self._image.height())
        x0, y0, x1, y1 = points_to_pixels(mask, self._covered, size)
        sx, sy = target.width() / size[0], target.height() / size[1]
        return QRectF(target.x() + x0 * sx, target.y() + y0 * sy, (x1 - x0) * sx, (y1 - y0) * sy)

    def _mask_at(self, point: QPointF) -> int:
        if self._image is None:
            return -1
        for i in reversed(range(len(self._masks))):  # the topmost first
            if self.mask_widget_rect(self._masks[i]).contains(point):
                return i
        return -1

    # -- events -----------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._image is not None:
            self._press = event.position()
            self._drag = None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._press is not None and self._draw_mode:
            self._drag = event.position()
            self.update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        press, self._press, self._drag = self._press, None, None
        if press is None or event.button() != Qt.MouseButton.LeftButton or self._image is None:
            return super().mouseReleaseEvent(event)
        end = event.position()
        if self._draw_mode and abs(end.x() - press.x()) >= MIN_DRAG_PX and abs(end.y() - press.y()) >= MIN_DRAG_PX:
            (ax, ay), (bx, by) = self.widget_to_pixels(press), self.widget_to_pixels(end)
            if abs(bx - ax) >= 1 and abs(by - ay) >= 1:
                size = (self._image.width(), self._image.height())
                mask = pixels_to_points((ax, ay, bx, by), self._covered, size)
                self._selected = len(self._masks)
                self._edited([*self._masks, mask])
                self.mask_selected.emit(self._selected)
        else:
            self._select(self._mask_at(end))
        self.update()

    def event(self, event: QEvent) -> bool:
        # Del/Backspace/Escape belong to the crop view while it has focus (not to window shortcuts)
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self._owns_key(event):
            event.accept()
            return True
        return super().event(event)

    def _owns_key(self, event: QKeyEvent) -> bool:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            return self._selected >= 0
        return event.key() == Qt.Key.Key_Escape and (self._draw_mode or self._selected >= 0)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._selected >= 0:
            self.remove_selected()
        elif event.key() == Qt.Key.Key_Escape and (self._draw_mode or self._selected >= 0):
            self.set_draw_mode(False)
            self._select(-1)
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), QColor("#2b2f33"))
            if self._image is None or self._image.isNull():
                painter.setPen(QColor("#d0d0d0"))
                painter.drawText(self.rect().adjusted(8, 8, -8, -8), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 self._message)
                return
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.image_rect(), self._image)
            for i, mask in enumerate(self._masks):
                color = SELECTED_COLOR if i == self._selected else MASK_COLOR
                fill = QColor(color)
                fill.setAlpha(70)
                painter.setPen(QPen(color, 2 if i == self._selected else 1))
                painter.setBrush(fill)
                painter.drawRect(self.mask_widget_rect(mask))
            if self._press is not None and self._drag is not None:
                painter.setPen(QPen(MASK_COLOR, 1, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(self._press, self._drag).normalized())
        except Exception:  # a paintEvent never raises
            traceback.print_exc()
        finally:
            painter.end()
