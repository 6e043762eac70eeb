"""The editable text of one figure, saved as you type (debounced).

`text_edited(FigureText)` fires once typing pauses for SAVE_DELAY_MS. `set_text` shows a
change made elsewhere (undo, re-read): fields with unsaved typing are left alone, and a
field that changes under the cursor keeps the cursor where it was. Nothing set from
outside is reported back as an edit, so there is no save loop.
"""

from __future__ import annotations

from dataclasses import asdict

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFormLayout, QLineEdit, QPlainTextEdit, QWidget

from engine.store.models import FigureText

SAVE_DELAY_MS = 400
FIELDS = (  # (FigureText field, label, lines shown; 0 = one-line edit)
    ("caption", "Caption", 2),
    ("context", "Context", 4),
    ("burned_text", "Burned-in text", 2),
    ("section", "Section", 0),
    ("sublabel", "Sub-label", 0),
)


class TextFields(QWidget):
    text_edited = Signal(object)  # FigureText, after a pause in typing

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, QLineEdit | QPlainTextEdit] = {}
        self._dirty: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.flush)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for name, label, lines in FIELDS:
            if lines:
                editor = QPlainTextEdit()
                editor.setTabChangesFocus(True)
                height = editor.fontMetrics().lineSpacing() * lines + 12
                editor.setMinimumHeight(height)
                editor.setMaximumHeight(height * 2 if name != "context" else 16777215)  # context grows
            else:
                editor = QLineEdit()
            editor.setObjectName(name)
            editor.installEventFilter(self)
            editor.textChanged.connect(lambda *_, n=name: self._typed(n))
            self.editors[name] = editor
            form.addRow(label, editor)

    # -- reading and writing ----------------------------------------------------------
    def text(self) -> FigureText:
        return FigureText(**{name: _value(editor) for name, editor in self.editors.items()})

    def set_text(self, text: FigureText) -> None:
        """Show `text` (a change made elsewhere) without touching unsaved typing."""
        for name, value in asdict(text).items():
            if name not in self._dirty:
                _replace_keeping_cursor(self.editors[name], value)

    def reset(self, text: FigureText | None) -> None:
        """Another figure (or none): drop pending state and show its text."""
        self._timer.stop()
        self._dirty.clear()
        self.set_text(text or FigureText())
        self.setEnabled(text is not None)

    def pending(self) -> bool:
        return bool(self._dirty)

    def flush(self) -> None:
        """Report unsaved typing now (before switching figures, closing...)."""
        self._timer.stop()
        if self._dirty:
            self._dirty.clear()
            self.text_edited.emit(self.text())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut:
            self.flush()  # leaving a field saves it at once
        return False

    def _typed(self, name: str) -> None:
        self._dirty.add(name)
        self._timer.start()


def _value(editor: QLineEdit | QPlainTextEdit) -> str:
    return editor.text() if isinstance(editor, QLineEdit) else editor.toPlainText()


def _replace_keeping_cursor(editor: QLineEdit | QPlainTextEdit, value: str) -> None:
    if _value(editor) == value:
        return
    editor.blockSignals(True)
    try:
        if isinstance(editor, QLineEdit):
            pos = editor.cursorPosition()
            editor.setText(value)
            editor.setCursorPosition(min(pos, len(value)))
            return
        cursor = editor.textCursor()
        anchor, pos = cursor.anchor(), cursor.position()
        scroll = editor.verticalScrollBar().value()
        editor.setPlainText(value)
        end = len(editor.toPlainText())
        cursor = editor.textCursor()
        cursor.setPosition(min(anchor, end))
        cursor.setPosition(min(pos, end), QTextCursor.MoveMode.KeepAnchor)
        editor.setTextCursor(cursor)
        editor.verticalScrollBar().setValue(scroll)
    finally:
        editor.blockSignals(False)
