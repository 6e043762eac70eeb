"""The editable text of one figure, stored as you type.

Every change of a field is reported at once (`text_edited(field, value, burst)`), and the
inspector stores it before the next event is handled: text typed just before the app is
killed is in the project. `burst` names one run of typing in one field (from focusing it to
leaving it, or to another figure), which the undo history keeps as one step. `set_text` shows
a change made elsewhere (undo, text read in the background): a field that changes under the
cursor keeps the cursor where it was, and nothing set from outside is reported back as an
edit, so there is no save loop.
"""

from __future__ import annotations

from dataclasses import asdict
from itertools import count

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QObject, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFormLayout, QLineEdit, QPlainTextEdit, QWidget

from engine.store.models import FigureText

FIELDS = (  # (FigureText field, label (shown as self.tr(label)), lines shown; 0 = one-line edit)
    ("caption", QT_TRANSLATE_NOOP("TextFields", "Caption"), 2),
    ("context", QT_TRANSLATE_NOOP("TextFields", "Context"), 4),
    ("burned_text", QT_TRANSLATE_NOOP("TextFields", "Burned-in text"), 2),
    ("section", QT_TRANSLATE_NOOP("TextFields", "Section"), 0),
    ("sublabel", QT_TRANSLATE_NOOP("TextFields", "Sub-label"), 0),
)
_BURSTS = count(1)


class TextFields(QWidget):
    text_edited = Signal(str, str, int)  # (field, value, burst): each change, as it happens

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, QLineEdit | QPlainTextEdit] = {}
        self._burst = next(_BURSTS)
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
            form.addRow(self.tr(label), editor)

    # -- reading and writing ----------------------------------------------------------
    def text(self) -> FigureText:
        return FigureText(**{name: _value(editor) for name, editor in self.editors.items()})

    def set_text(self, text: FigureText) -> None:
        """Show `text` (a change made elsewhere)."""
        for name, value in asdict(text).items():
            _replace_keeping_cursor(self.editors[name], value)

    def reset(self, text: FigureText | None) -> None:
        """Another figure (or none): show its text; typing there starts a new undo step."""
        self._burst = next(_BURSTS)
        self.set_text(text or FigureText())
        self.setEnabled(text is not None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self._burst = next(_BURSTS)  # typing after leaving a field (or coming back) is a new step
        return False

    def _typed(self, name: str) -> None:
        self.text_edited.emit(name, _value(self.editors[name]), self._burst)


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
