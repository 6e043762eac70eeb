"""The part every list-backed table model shares: rows in a list, fixed column titles."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt

ROOT = QModelIndex()  # a table's root: the default parent


class RowTableModel(QAbstractTableModel):
    """A flat table over `self._rows` (visible rows in display order) with `columns` as titles;
    `self._row_of` maps a row's id to its index. Subclasses fill both and provide `data`."""

    columns: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list = []
        self._row_of: dict[int, int] = {}

    def rowCount(self, parent=ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None
