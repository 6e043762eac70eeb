"""The shortcuts cheat-sheet (F1 or ?): every key the window and the canvas answer to."""

from __future__ import annotations

from collections.abc import Iterable

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

# Keys the page canvas handles itself (they act on the boxes under the mouse / selected).
CANVAS_KEYS: tuple[tuple[str, str], ...] = (
    ("W", "Draw a box: press, then drag on the page (hold Shift while releasing to draw another)"),
    ("Arrow keys", "Nudge the selected boxes (Shift: 10×)"),
    ("Del", "Delete the selected boxes"),
    ("Ctrl+D", "Duplicate the selected boxes"),
    ("Enter", "Accept the selected boxes"),
    ("R", "Reject the selected boxes"),
    ("Tab / Shift+Tab", "Select the next / previous box in reading order (columns respected; wraps)"),
    ("Click / Ctrl+click / drag", "Select one, add to the selection, select with a rubber band"),
    ("Space + drag, middle drag", "Pan the page"),
    ("Ctrl+wheel", "Zoom"),
)


def action_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(keys, what it does) for every action with a shortcut, in the order given."""
    rows, seen = [], set()
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        name = action.text().replace("&", "").rstrip("…").strip()
        if keys and (name, tuple(keys)) not in seen:
            seen.add((name, tuple(keys)))
            rows.append((" or ".join(keys).replace("Space", "Space (tap)"), name))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 640)
        rows = [("Window", k, d) for k, d in action_rows(actions)] + [("Page canvas", k, d) for k, d in CANVAS_KEYS]
        table = QTableWidget(len(rows), 3)
        table.setHorizontalHeaderLabels(["Where", "Keys", "What it does"])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(text))
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
