"""Every figure of the current document in a table: filter by status and text, click to
go to it, Enter / R / Del to accept, reject or delete the selected rows.

The model follows the session by rows: a changed figure updates its row, a changed page
replaces that page's rows (changes are gathered and applied together a moment later),
and only a document switch reloads everything.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.errors import NotFoundError
from engine.store import figures
from engine.store.models import Figure, FigureStatus

COLUMNS = ("Page", "Sub-label", "Status", "Detector", "Score", "Caption")
PAGE, SUBLABEL, STATUS, DETECTOR, SCORE, CAPTION = range(len(COLUMNS))
FIGURE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_COLORS = {"proposed": QColor("#d68910"), "accepted": QColor("#1e8449"), "rejected": QColor("#c0392b")}
APPLY_DELAY_MS = 30  # session changes are gathered this long, then applied together
FILTER_DELAY_MS = 150


def position_key(fig: Figure) -> tuple:
    return (fig.page, fig.rect.y0, fig.rect.x0, fig.id)


class FigureTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Figure] = []
        self._row_of: dict[int, int] = {}

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        fig = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(fig.page + 1), fig.text.sublabel, fig.status.value, fig.detector, f"{fig.score:.2f}",
                    " ".join(fig.text.caption.split()))[col]
        if role == FIGURE_ID_ROLE:
            return fig.id
        if role == Qt.ItemDataRole.ForegroundRole and col == STATUS:
            return STATUS_COLORS.get(fig.status.value)
        if role == Qt.ItemDataRole.ToolTipRole and col == CAPTION:
            return fig.text.caption or None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (PAGE, SCORE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

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
    """Status and text filters. Unsorted it keeps the model's page-then-position order
    (cheap for 10k rows); a click on a column header sorts by that column."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status: str | None = None
        self.needle = ""
        self.setDynamicSortFilter(True)

    def set_filters(self, status: str | None, text: str) -> None:
        self.beginFilterChange()
        self.status, self.needle = status, text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        fig = self.sourceModel().figure(row)
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


class FigureList(QWidget):
    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.doc_id: int | None = None
        self._dirty_pages: set[int] = set()
        self._dirty_ids: set[int] = set()
        self._applying = False  # our own go_to/select is running: don't echo it back
        self.model = FigureTableModel(self)
        self.proxy = FigureFilter(self)
        self.proxy.setSourceModel(self.model)

        self.status_combo = QComboBox()
        self.status_combo.addItem("All statuses", None)
        for s in FigureStatus:
            self.status_combo.addItem(s.value.capitalize(), s.value)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter captions, sub-labels, sections…")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the model's own order
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in ((PAGE, 52), (SUBLABEL, 72), (STATUS, 74), (DETECTOR, 80), (SCORE, 52)):
            self.table.setColumnWidth(col, width)
        self.table.installEventFilter(self)

        top = QHBoxLayout()
        top.addWidget(self.status_combo)
        top.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        self._apply_timer = QTimer(self, singleShot=True, interval=APPLY_DELAY_MS)
        self._apply_timer.timeout.connect(self._apply_changes)
        self._filter_timer = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._apply_filters)
        self.status_combo.currentIndexChanged.connect(self._apply_filters)
        self.search.textChanged.connect(lambda _: self._filter_timer.start())
        self.table.selectionModel().selectionChanged.connect(self._rows_selected)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset, self.proxy.layoutChanged):
            signal.connect(self._update_count)

        session.project_opened.connect(self._project_opened)  # bound methods: disconnected when this dies
        session.page_changed.connect(self._page_changed)
        session.figures_changed.connect(self._figures_changed)
        session.figure_updated.connect(self._figure_updated)
        session.selection_changed.connect(self._session_selection)
        self.load(session.doc_id)

    # -- loading and following the session ---------------------------------------------
    def load(self, doc_id: int | None) -> None:
        """Show all figures of a document (None: none)."""
        self.doc_id = doc_id
        self._dirty_pages.clear()
        self._dirty_ids.clear()
        project = self.session.project
        figs = figures.list_figures(project, doc_id) if project is not None and doc_id is not None else []
        self.model.reset(figs)
        self._session_selection(list(self.session.selection))

    def _project_opened(self) -> None:
        self.load(self.session.doc_id)

    def _page_changed(self, doc_id: int, page: int) -> None:
        if doc_id != self.doc_id:
            self.load(doc_id)
        elif not self._applying:
            self._scroll_to_page(page)

    def _figures_changed(self, doc_id: int, page: int) -> None:
        if doc_id == self.doc_id:
            self._dirty_pages.add(page)
            self._apply_timer.start()

    def _figure_updated(self, fid: int) -> None:
        if self.model.row_of(fid) is not None:
            self._dirty_ids.add(fid)
            self._apply_timer.start()

    def _apply_changes(self) -> None:
        project = self.session.project
        if project is None or self.doc_id is None:
            return
        pages, ids = self._dirty_pages, self._dirty_ids
        self._dirty_pages, self._dirty_ids = set(), set()
        for page in sorted(pages):
            self.model.replace_page(page, figures.list_figures(project, self.doc_id, page))
        for fid in ids:
            try:
                self.model.update_figure(figures.get_figure(project, fid))
            except NotFoundError:
                pass  # deleted: its page's change removes the row
        selected = {f.id for f in self.selected_figures()}
        if not set(self.session.selection) <= selected:  # e.g. undo brought back selected boxes
            self._session_selection(list(self.session.selection))

    def flush(self) -> None:
        """Apply gathered changes now (tests, before reading the model)."""
        self._apply_timer.stop()
        self._apply_changes()

    def _apply_filters(self) -> None:
        self._filter_timer.stop()
        self.proxy.set_filters(self.status_combo.currentData(), self.search.text())
        self._update_count()

    def _update_count(self, *_) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{total} figure{'s' if total != 1 else ''}" if shown == total
                                 else f"{shown} of {total} figures")

    # -- selection ----------------------------------------------------------------------
    def _view_index(self, fid: int) -> QModelIndex:
        row = self.model.row_of(fid)
        return QModelIndex() if row is None else self.proxy.mapFromSource(self.model.index(row, 0))

    def _session_selection(self, ids: list) -> None:
        """The canvas selected boxes: select their rows (without sending it back)."""
        if self._applying:
            return
        selection = QItemSelection()
        for fid in ids:
            index = self._view_index(fid)
            if index.isValid():
                selection.select(index, index.siblingAtColumn(len(COLUMNS) - 1))
        self._applying = True
        try:
            self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            if not selection.isEmpty():
                self.table.scrollTo(selection.indexes()[0])
        finally:
            self._applying = False

    def _scroll_to_page(self, page: int) -> None:
        """Bring the page's first visible row into view (the canvas went to that page)."""
        rows = [self._view_index(f.id).row() for f in self.model.figures() if f.page == page]
        rows = [r for r in rows if r >= 0]
        if rows:
            self.table.scrollTo(self.proxy.index(min(rows), 0), QAbstractItemView.ScrollHint.PositionAtTop)

    def selected_figures(self) -> list[Figure]:
        rows = self.table.selectionModel().selectedRows()
        return sorted((self.model.figure(self.proxy.mapToSource(i).row()) for i in rows), key=position_key)

    def _rows_selected(self, *_) -> None:
        if self._applying or self.doc_id is None:
            return
        figs = self.selected_figures()
        if not figs:
            return
        current = self.table.currentIndex()
        anchor = self.model.figure(self.proxy.mapToSource(current).row()) if current.isValid() else figs[0]
        page = anchor.page if any(f.id == anchor.id for f in figs) else figs[0].page
        self._applying = True
        try:
            self.session.go_to(self.doc_id, page)
            self.session.select([f.id for f in figs if f.page == page])  # the canvas shows one page
        finally:
            self._applying = False

    # -- keys ----------------------------------------------------------------------------
    KEYS = {Qt.Key.Key_Return: "accept", Qt.Key.Key_Enter: "accept", Qt.Key.Key_R: "reject",
            Qt.Key.Key_Delete: "delete", Qt.Key.Key_Backspace: "delete"}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            key_event: QKeyEvent = event  # type: ignore[assignment]
            action = self.KEYS.get(key_event.key())
            plain = not key_event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if action and plain and self.table.selectionModel().hasSelection():
                event.accept()  # the list's own keys win over window shortcuts while it has focus
                if event.type() == QEvent.Type.KeyPress:
                    self.act(action)
                return True
        return super().eventFilter(watched, event)

    def act(self, action: str) -> None:
        """Accept, reject or delete the selected rows (one undo step)."""
        figs = self.selected_figures()
        if not figs:
            return
        by_page: dict[int, list[int]] = {}
        for f in figs:
            by_page.setdefault(f.page, []).append(f.id)
        following = self._row_after(figs) if action != "delete" and len(figs) == 1 else None
        stack = self.session.undo_stack
        macro = len(by_page) > 1
        if macro:
            stack.beginMacro(f"{action.capitalize()} {len(figs)} figures")
        try:
            for ids in by_page.values():
                if action == "delete":
                    self.session.delete(ids)
                else:
                    self.session.set_status(ids, FigureStatus.ACCEPTED if action == "accept" else FigureStatus.REJECTED)
        finally:
            if macro:
                stack.endMacro()
        if following is not None:  # fast review: Enter or R on one row moves on to the next
            self.flush()
            index = self._view_index(following)
            if index.isValid():
                self.table.selectRow(index.row())

    def _row_after(self, figs: list[Figure]) -> int | None:
        row = max(self._view_index(f.id).row() for f in figs) + 1
        if row >= self.proxy.rowCount():
            return None
        return self.proxy.index(row, 0).data(FIGURE_ID_ROLE)
