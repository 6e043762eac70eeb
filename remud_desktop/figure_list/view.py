"""The Figures dock: every figure of the current document in a table; filter by status and
text, hide proposals under a detector score (the canvas hides them too: the threshold lives in
the BoxVisibility they share), click to go to it, Enter / R / Del to accept, reject or delete
the selected rows. The count line under the table says how many rows are shown, of how many,
and how many proposals the threshold hides; it is recounted whenever rows come or go.

The model follows the session by rows: a changed figure updates its row, a changed page
replaces that page's rows (changes are gathered and applied together a moment later),
and only a document switch reloads everything.
"""

from __future__ import annotations

from contextlib import nullcontext
from enum import StrEnum

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
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
from remud_desktop.canvas.visibility import BoxVisibility
from remud_desktop.figure_list.model import (
    COLUMNS,
    DETECTOR,
    FIGURE_ID_ROLE,
    PAGE,
    SCORE,
    STATUS,
    SUBLABEL,
    FigureFilter,
    FigureTableModel,
    position_key,
    status_title,
)

APPLY_DELAY_MS = 30  # session changes are gathered this long, then applied together
FILTER_DELAY_MS = 150


class RowAction(StrEnum):
    """What Enter / R / Del do to the selected rows."""

    ACCEPT = "accept"
    REJECT = "reject"
    DELETE = "delete"


class FigureList(QWidget):
    def __init__(self, session, parent: QWidget | None = None, *, visibility: BoxVisibility | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.visibility = visibility if visibility is not None else BoxVisibility(session, parent=self)
        self.doc_id: int | None = None
        self._dirty_pages: set[int] = set()
        self._dirty_ids: set[int] = set()
        self._applying = False  # our own go_to/select is running: don't echo it back
        self.model = FigureTableModel(self)
        self.proxy = FigureFilter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.min_score = self.visibility.score_threshold

        self.status_combo = QComboBox()
        self.status_combo.addItem(self.tr("All statuses"), None)
        for s in FigureStatus:
            self.status_combo.addItem(status_title(s), s.value)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Filter captions, sub-labels, sections…"))
        self.search.setClearButtonEnabled(True)
        self.threshold = QDoubleSpinBox()
        self.threshold.setObjectName("scoreThreshold")
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setPrefix(self.tr("score ≥ "))
        self.threshold.setSpecialValueText(self.tr("any score"))  # at 0: nothing hidden
        self.threshold.setKeyboardTracking(False)  # typing "0.75" filters once, not at "0.7" on the way
        self.threshold.setToolTip(self.tr("Hide proposed boxes whose detector score is under this, here and on the "
                                          "page (remembered for this project)"))
        self.threshold.setValue(self.visibility.score_threshold)
        self.count_label = QLabel()
        self.count_label.setObjectName("figureCount")
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
        top.addWidget(self.threshold)
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
        self.threshold.valueChanged.connect(self.visibility.set_threshold)
        self.visibility.changed.connect(self._visibility_changed)
        self.table.selectionModel().selectionChanged.connect(self._rows_selected)
        # The proxy removes its rows before the model does (so the totals differ for a moment):
        # count again on the model's own signals too, which come last.
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset, self.proxy.layoutChanged,
                       self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset, self.model.dataChanged):
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
        self._update_count()

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
        self._update_count()

    def flush(self) -> None:
        """Apply gathered changes now (tests, before reading the model)."""
        self._apply_timer.stop()
        self._apply_changes()

    def _apply_filters(self) -> None:
        self._filter_timer.stop()
        self.proxy.set_filters(self.status_combo.currentData(), self.search.text(), self.visibility.score_threshold)
        self._update_count()

    def _visibility_changed(self) -> None:
        if abs(self.threshold.value() - self.visibility.score_threshold) > 1e-9:  # e.g. another project's threshold
            self.threshold.blockSignals(True)
            self.threshold.setValue(self.visibility.score_threshold)
            self.threshold.blockSignals(False)
        if self.proxy.min_score != self.visibility.score_threshold:
            self._apply_filters()

    def count_text(self) -> str:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        text = (self.tr("%n figure(s)", "", total) if shown == total
                else self.tr("{shown} of %n figure(s)", "", total).format(shown=shown))
        hidden = self.proxy.hidden_by_threshold()
        if hidden:
            text += " · " + self.tr("%n proposal(s) under score {score} hidden", "", hidden).format(
                score=f"{self.proxy.min_score:.2f}")
        return text

    def _step_text(self, action: RowAction, n: int) -> str:
        """The undo step's name when the rows are on several pages."""
        if action == RowAction.ACCEPT:
            return self.tr("Accept %n figure(s)", "", n)
        if action == RowAction.REJECT:
            return self.tr("Reject %n figure(s)", "", n)
        return self.tr("Delete %n figure(s)", "", n)

    def _update_count(self, *_) -> None:
        self.count_label.setText(self.count_text())

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
    KEYS = {Qt.Key.Key_Return: RowAction.ACCEPT, Qt.Key.Key_Enter: RowAction.ACCEPT, Qt.Key.Key_R: RowAction.REJECT,
            Qt.Key.Key_Delete: RowAction.DELETE, Qt.Key.Key_Backspace: RowAction.DELETE}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            key_event: QKeyEvent = event  # type: ignore[assignment]  # these two event types are QKeyEvents
            action = self.KEYS.get(key_event.key())
            plain = not key_event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if action and plain and self.table.selectionModel().hasSelection():
                event.accept()  # the list's own keys win over window shortcuts while it has focus
                if event.type() == QEvent.Type.KeyPress:
                    self.act(action)
                return True
        return super().eventFilter(watched, event)

    def act(self, action: RowAction) -> None:
        """Accept, reject or delete the selected rows (one undo step)."""
        figs = self.selected_figures()
        if not figs:
            return
        by_page: dict[int, list[int]] = {}
        for f in figs:
            by_page.setdefault(f.page, []).append(f.id)
        following = self._row_after(figs) if action != RowAction.DELETE and len(figs) == 1 else None
        several = len(by_page) > 1  # one command per page: together, one undo step
        with self.session.one_step(self._step_text(action, len(figs))) if several else nullcontext():
            for ids in by_page.values():
                if action == RowAction.DELETE:
                    self.session.delete(ids)
                else:
                    self.session.set_status(ids, FigureStatus.ACCEPTED if action == RowAction.ACCEPT else FigureStatus.REJECTED)
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
