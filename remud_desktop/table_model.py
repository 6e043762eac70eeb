"""The part every list-backed table model shares: rows in a list, fixed column titles."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QObject, Qt

ROOT = QModelIndex()  # a table's root: the default parent


class RowTableModel(QAbstractTableModel):
    """A flat table over `self._rows` (visible rows in display order) with `columns` as titles;
    `self._row_of` maps a row's id to its index. Subclasses fill both and provide `data`.

    The titles are shown translated in the context `columns_context` (default: the subclass's
    name), so a subclass marks them with QT_TRANSLATE_NOOP("<that context>", "Page")."""

    columns: tuple[str, ...] = ()
    columns_context: str = ""  # the translation context of the titles; "" means type(self).__name__

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
            return QCoreApplication.translate(self.columns_context or type(self).__name__, self.columns[section])
        return None
