"""The figures of one document as a table model (kept in page-then-position order and
updated row by row), and the status / text / score-threshold filter over it."""

from __future__ import annotations

import bisect

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, QObject, QSortFilterProxyModel, Qt

from engine.store.models import Figure, FigureStatus
from remud_desktop.table_model import RowTableModel
from remud_desktop.theme.palette import status_text_color

COLUMNS = (  # shown translated (FigureTableModel.headerData)
    QT_TRANSLATE_NOOP("FigureTableModel", "Page"),
    QT_TRANSLATE_NOOP("FigureTableModel", "Sub-label"),
    QT_TRANSLATE_NOOP("FigureTableModel", "Status"),
    QT_TRANSLATE_NOOP("FigureTableModel", "Detector"),
    QT_TRANSLATE_NOOP("FigureTableModel", "Score"),
    QT_TRANSLATE_NOOP("FigureTableModel", "Caption"),
)
PAGE, SUBLABEL, STATUS, DETECTOR, SCORE, CAPTION = range(len(COLUMNS))
FIGURE_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def status_name(status: FigureStatus | str) -> str:
    """A figure's status as shown (the stored value is "proposed", "accepted" or "rejected")."""
    value = FigureStatus(status) if status in set(FigureStatus) else status
    if value == FigureStatus.PROPOSED:
        return QCoreApplication.translate("FigureStatus", "proposed")
    if value == FigureStatus.ACCEPTED:
        return QCoreApplication.translate("FigureStatus", "accepted")
    if value == FigureStatus.REJECTED:
        return QCoreApplication.translate("FigureStatus", "rejected")
    return str(status)


def status_title(status: FigureStatus) -> str:
    """The same, as a menu or list entry: "Proposed"."""
    if status == FigureStatus.PROPOSED:
        return QCoreApplication.translate("FigureStatus", "Proposed")
    if status == FigureStatus.ACCEPTED:
        return QCoreApplication.translate("FigureStatus", "Accepted")
    return QCoreApplication.translate("FigureStatus", "Rejected")


def position_key(fig: Figure) -> tuple:
    return (fig.page, fig.rect.y0, fig.rect.x0, fig.id)


class FigureTableModel(RowTableModel):
    columns = COLUMNS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        fig = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(fig.page + 1), fig.text.sublabel, status_name(fig.status), fig.detector, f"{fig.score:.2f}",
                    " ".join(fig.text.caption.split()))[col]
        if role == FIGURE_ID_ROLE:
            return fig.id
        if role == Qt.ItemDataRole.ForegroundRole and col == STATUS:
            return status_text_color(fig.status.value)  # readable in the light and the dark theme
        if role == Qt.ItemDataRole.ToolTipRole and col == CAPTION:
            return fig.text.caption or None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (PAGE, SCORE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        title = super().headerData(section, orientation, role)
        return QCoreApplication.translate("FigureTableModel", title) if isinstance(title, str) else title

    # -- access ---------------------------------------------------------------------------
    def figure(self, row: int) -> Figure:
        return self._rows[row]

    def row_of(self, figure_id: int) -> int | None:
        """The model row (rows are kept in page-then-position order)."""
        return self._row_of.get(figure_id)

    def figures(self) -> list[Figure]:
        return list(self._rows)

    # -- changes --------------------------------------------------------------------------
    def reset(self, figs: list[Figure]) -> None:
        self.beginResetModel()
        self._rows = sorted(figs, key=position_key)
        self._reindex()
        self.endResetModel()

    def update_figure(self, fig: Figure) -> None:
        row = self._row_of.get(fig.id)
        if row is None or self._rows[row] == fig:
            return
        old = self._rows[row]
        self._rows[row] = fig
        if position_key(old) != position_key(fig):
            rest = self._rows[:row] + self._rows[row + 1:]
            new = bisect.bisect_left(rest, position_key(fig), key=position_key)
            if new != row:  # moved on its page: keep the rows in page order (and the view's selection)
                self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), new + 1 if new > row else new)
                self._rows = rest[:new] + [fig] + rest[new:]
                self._reindex()
                self.endMoveRows()
                row = new
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def replace_page(self, page: int, figs: list[Figure]) -> None:
        """The figures now on `page`: rows gone are removed, changed ones updated, new ones added."""
        keep = {f.id: f for f in figs}
        gone = [row for row, f in enumerate(self._rows) if f.page == page and f.id not in keep]
        for row in reversed(gone):  # one removal per row; a page has few figures
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
        if gone:
            self._reindex()
        for f in figs:
            if f.id in self._row_of:
                self.update_figure(f)
        for f in figs:
            if f.id not in self._row_of:
                row = bisect.bisect_left(self._rows, position_key(f), key=position_key)
                self.beginInsertRows(QModelIndex(), row, row)
                self._rows.insert(row, f)
                self._reindex()
                self.endInsertRows()

    def _reindex(self) -> None:
        self._row_of = {f.id: row for row, f in enumerate(self._rows)}


class FigureFilter(QSortFilterProxyModel):
    """Status and text filters, and a score threshold under which proposals are left out.
    Unsorted it keeps the model's page-then-position order (cheap for 10k rows); a click on a
    column header sorts by that column."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status: str | None = None
        self.needle = ""
        self.min_score = 0.0
        self.setDynamicSortFilter(True)

    def set_filters(self, status: str | None, text: str, min_score: float | None = None) -> None:
        self.beginFilterChange()
        self.status, self.needle = status, text.strip().casefold()
        if min_score is not None:
            self.min_score = min_score
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def below_threshold(self, fig: Figure) -> bool:
        return fig.status == FigureStatus.PROPOSED and fig.score < self.min_score - 1e-9

    def hidden_by_threshold(self) -> int:
        """Rows the status and text filters keep but the score threshold leaves out."""
        if self.min_score <= 0:
            return 0
        model = self.sourceModel()
        return sum(1 for fig in model.figures() if self.below_threshold(fig) and self._matches(fig))

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        fig = self.sourceModel().figure(row)
        return not self.below_threshold(fig) and self._matches(fig)

    def _matches(self, fig: Figure) -> bool:
        """The status and text filters."""
        if self.status and fig.status.value != self.status:
            return False
        if self.needle:
            t = fig.text
            hay = " ".join((t.caption, t.sublabel, t.section, t.context, fig.label, fig.detector)).casefold()
            return all(word in hay for word in self.needle.split())
        return True

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        model = self.sourceModel()
        a, b = model.figure(left.row()), model.figure(right.row())
        col = left.column()
        if col == SCORE:
            return (a.score, position_key(a)) < (b.score, position_key(b))
        if col == PAGE:
            return position_key(a) < position_key(b)
        return (model.data(left) or "", position_key(a)) < (model.data(right) or "", position_key(b))
