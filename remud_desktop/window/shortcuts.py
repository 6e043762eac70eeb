"""The shortcuts cheat-sheet (F1 or ?): every key the window and the canvas answer to."""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# Keys the page canvas handles itself (they act on the boxes under the mouse / selected); translated
# where shown, in the context "ShortcutsDialog" (key names like "W" or "Ctrl+D" stay as they are).
CANVAS_KEYS: tuple[tuple[str, str], ...] = (
    ("W", QT_TRANSLATE_NOOP("ShortcutsDialog",
                            "Draw a box: press, then drag on the page (hold Shift while releasing to draw another)")),
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Arrow keys"),
     QT_TRANSLATE_NOOP("ShortcutsDialog", "Nudge the selected boxes (Shift: 10×)")),
    ("Del", QT_TRANSLATE_NOOP("ShortcutsDialog", "Delete the selected boxes")),
    ("Ctrl+D", QT_TRANSLATE_NOOP("ShortcutsDialog", "Duplicate the selected boxes")),
    ("Enter", QT_TRANSLATE_NOOP("ShortcutsDialog", "Accept the selected boxes")),
    ("R", QT_TRANSLATE_NOOP("ShortcutsDialog", "Reject the selected boxes")),
    ("Tab / Shift+Tab", QT_TRANSLATE_NOOP("ShortcutsDialog",
                                          "Select the next / previous box in reading order (columns respected; wraps)")),
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Click / Ctrl+click / drag"),
     QT_TRANSLATE_NOOP("ShortcutsDialog", "Select one, add to the selection, select with a rubber band")),
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Space + drag, middle drag"), QT_TRANSLATE_NOOP("ShortcutsDialog", "Pan the page")),
    (QT_TRANSLATE_NOOP("ShortcutsDialog", "Ctrl+wheel"), QT_TRANSLATE_NOOP("ShortcutsDialog", "Zoom")),
)
ACCELERATOR = re.compile(r"\s*\(&[^)]\)")  # a translation's accelerator: "文件(&F)"


def plain_text(text: str) -> str:
    """An action's text as a sentence: no accelerator ("&Open…" -> "Open", "打开…(&O)" -> "打开"), no
    trailing "…"; a doubled "&&" is a real ampersand."""
    text = ACCELERATOR.sub("", text).replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text.rstrip("…").strip()


def _tapped(key: QKeySequence) -> str:
    """A key as the platform (and Qt's catalog) names it; Space is tapped, not held (held, it pans)."""
    text = key.toString(QKeySequence.SequenceFormat.NativeText)
    if key.toString(QKeySequence.SequenceFormat.PortableText) == "Space":
        return QCoreApplication.translate("ShortcutsDialog", "{key} (tap)").format(key=text)
    return text


def canvas_keys(keys: str) -> str:
    """A CANVAS_KEYS key as shown: a real key sequence ("Del", "Ctrl+D") in the platform's words, like the
    window's keys; a description ("Arrow keys", "Tab / Shift+Tab") translated."""
    sequence = QKeySequence.fromString(keys, QKeySequence.SequenceFormat.PortableText)
    if sequence.count() == 1 and sequence.toString(QKeySequence.SequenceFormat.PortableText) == keys:
        return sequence.toString(QKeySequence.SequenceFormat.NativeText)
    return QCoreApplication.translate("ShortcutsDialog", keys)


def action_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(keys, what it does) for every action with a shortcut, in the order given."""
    rows, seen = [], set()
    for action in actions:
        keys = [_tapped(k) for k in action.shortcuts() if not k.isEmpty()]
        name = plain_text(action.text())
        if keys and (name, tuple(keys)) not in seen:
            seen.add((name, tuple(keys)))
            # Translators: between two keys that do the same ("Ctrl+Shift+Z or Ctrl+Y")
            rows.append((QCoreApplication.translate("ShortcutsDialog", " or ").join(keys), name))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.resize(560, 640)
        window, canvas = self.tr("Window"), self.tr("Page canvas")
        rows = [(window, k, d) for k, d in action_rows(actions)] + [
            (canvas, canvas_keys(k), QCoreApplication.translate("ShortcutsDialog", d)) for k, d in CANVAS_KEYS]
        table = QTableWidget(len(rows), 3)
        table.setHorizontalHeaderLabels([self.tr("Where"), self.tr("Keys"), self.tr("What it does")])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # a long description is elided in its column
                table.setItem(r, c, item)
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(table)
        lay.addWidget(buttons)

    def texts(self) -> list[str]:
        return [self.table.item(r, 1).text() for r in range(self.table.rowCount())]
