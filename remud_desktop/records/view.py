"""The records view: the project's records in a filterable, sortable table, the selected
record's editor, and its figure (crop, caption, context) beside it.

Keys while the table (or the view itself) has focus, never while typing in a field:
A accept, X reject, U reset to draft (each one undo step, over all selected rows),
J / K next / previous (Down / Up work as in any table). Accepting or rejecting one row
moves on to the next.

The view follows edits through the session's records_changed; records added by a job are
picked up by `reload()`, called on the session's records_added or by a cheap poll of the count.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QObject,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.errors import NotFoundError
from engine.store import documents, records, search
from engine.store.models import Record, RecordKind, RecordStatus
from remud_desktop.records.editor import FigurePanel, RecordEditor
from remud_desktop.records.model import (
    ANY_FLAG,
    FLAGS,
    ID,
    KIND,
    LANG,
    NO_FLAGS,
    SCORE,
    STATUS,
    RecordFilters,
    RecordTableModel,
    kind_name,
    read_rows,
    status_name,
)
from remud_desktop.synthesis.dialog import language_title
from remud_desktop.workers import Task, start

SEARCH_DELAY_MS = 250
POLL_MS = 3000  # how often a visible view checks whether records were added elsewhere
SEARCH_LIMIT = 1000  # a search shows at most this many matches (best first)
KEY_ACTIONS = {Qt.Key.Key_A: RecordStatus.ACCEPTED, Qt.Key.Key_X: RecordStatus.REJECTED,
               Qt.Key.Key_U: RecordStatus.DRAFT}


class RecordsView(QWidget):
    loaded = Signal()  # a reload() finished: the table shows the store's records

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.loading = False
        self._load_generation = 0
        self._changed_while_loading: set[int] = set()
        self._tasks: set[Task] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._known_count = -1
        self._search_cache: tuple[str, frozenset[int]] | None = None  # (text, matching ids)
        self._selecting = False
        self.model = RecordTableModel(self)
        self._build()
        session.records_changed.connect(self._records_changed)  # bound methods: disconnected when this dies
        session.records_added.connect(self.reload)
        session.project_opened.connect(self._project_opened)
        session.about_to_close.connect(self.editor.flush)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _: self._search_timer.start())
        self._poll_timer = QTimer(self, interval=POLL_MS)
        self._poll_timer.timeout.connect(self.poll)
        self._poll_timer.start()
        self._project_opened()

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> None:
        def combo(label: str, items) -> QComboBox:
            box = QComboBox()
            box.addItem(label, None)
            for text, data in items:
                box.addItem(text, data)
            box.currentIndexChanged.connect(self.apply_filters)
            return box

        statuses = {RecordStatus.DRAFT: self.tr("Draft"), RecordStatus.ACCEPTED: self.tr("Accepted"),
                    RecordStatus.REJECTED: self.tr("Rejected")}
        self.status_combo = combo(self.tr("All statuses"), [(statuses.get(s, s.value), s.value) for s in RecordStatus])
        self.kind_combo = combo(self.tr("All kinds"), [(kind_name(k.value), k.value) for k in RecordKind])
        self.lang_combo = combo(self.tr("All languages"), [])
        self.flag_combo = combo(self.tr("Any flags"), self._flag_choices())
        self.doc_combo = combo(self.tr("All documents"), [])
        self.min_score = QDoubleSpinBox(minimum=0.0, maximum=5.0, singleStep=0.5, decimals=1)
        self.min_score.setSpecialValueText(self.tr("Any score"))
        self.min_score.setToolTip(self.tr("Minimum judge score (records without a score are hidden once set)"))
        self.min_score.valueChanged.connect(self.apply_filters)
        self.search = QLineEdit(placeholderText=self.tr("Search question, thinking, answer, options…"))
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)  # calls model.sort(): sorted in Python, once
        self.table.horizontalHeader().setSortIndicator(ID, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # at least as wide as the shown kind and status names (translated, they can be longer) and the titles
        metrics = self.table.fontMetrics()
        names = {KIND: [kind_name(k.value) for k in RecordKind], STATUS: [status_name(s.value) for s in RecordStatus]}
        for col, width in ((ID, 56), (KIND, 48), (LANG, 44), (STATUS, 70), (SCORE, 48), (FLAGS, 110)):
            texts = [*names.get(col, []), str(self.model.headerData(col, Qt.Orientation.Horizontal))]
            self.table.setColumnWidth(col, max(width, *(metrics.horizontalAdvance(t) + 16 for t in texts)))
        self.table.installEventFilter(self)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.selectionModel().currentRowChanged.connect(self._selection_changed)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        filters1 = QHBoxLayout()
        for w in (self.status_combo, self.kind_combo, self.lang_combo, self.flag_combo):
            filters1.addWidget(w)
        filters2 = QHBoxLayout()
        filters2.addWidget(self.doc_combo, 1)
        filters2.addWidget(self.min_score)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        left_layout.addLayout(filters1)
        left_layout.addLayout(filters2)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)

        self.editor = RecordEditor(self.session)
        self.figure_panel = FigurePanel(self.session)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for w, stretch in ((left, 3), (self.editor, 3), (self.figure_panel, 2)):
            self.splitter.addWidget(w)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def _flag_choices(self) -> list[tuple[str, str]]:
        return [(self.tr("No flags"), NO_FLAGS), (self.tr("Flagged"), ANY_FLAG)]

    # -- loading ------------------------------------------------------------------------------
    def _project_opened(self) -> None:
        self.doc_combo.blockSignals(True)
        self.doc_combo.clear()
        self.doc_combo.addItem(self.tr("All documents"), None)
        if self.session.project is not None:
            for doc in documents.list_documents(self.session.project):
                self.doc_combo.addItem(doc.title or self.tr("Document {id}").format(id=doc.id), doc.id)
        self.doc_combo.blockSignals(False)
        self.reload()

    def reload(self) -> None:
        """Read every record again (records added or removed elsewhere), in a worker with its
        own connection; `loaded` is emitted when the table shows them. Keeps the selection."""
        self._load_generation += 1
        project = self.session.project
        if project is None:
            self._rows_loaded(self._load_generation, [])
            return
        self.loading = True
        self._changed_while_loading.clear()
        folder = project.folder
        task = Task(self._load_generation, lambda: read_rows(folder))
        task.signals.done.connect(self._rows_loaded)
        task.signals.failed.connect(self._load_failed)
        self._tasks.add(task)
        start(task, self.pool)

    def _load_failed(self, generation, message: str) -> None:
        self._tasks = {t for t in self._tasks if t.tag != generation}
        if generation == self._load_generation:
            self.loading = False
            self.session.message.emit(self.tr("Could not read the records: {reason}").format(reason=message))

    def _rows_loaded(self, generation, rows) -> None:
        self._tasks = {t for t in self._tasks if t.tag != generation}
        if generation != self._load_generation:
            return  # an older reload, or another project
        self.loading = False
        keep = self.selected_ids()
        self._known_count = len(rows)
        self._search_cache = None  # new records may match
        self.model.reset_rows(rows)
        self._refill(self.lang_combo, [(language_title(x), x) for x in self.model.languages()])
        self._refill(self.flag_combo, self._flag_choices() + [(p, p) for p in self.model.flag_prefixes()])
        self.apply_filters(keep=keep)
        if self._changed_while_loading:  # edits made while the worker read: show them
            changed, self._changed_while_loading = list(self._changed_while_loading), set()
            self._records_changed(changed)
        self.loaded.emit()

    def poll(self) -> None:
        """Cheap check for records a job added: reload only when the count changed."""
        if self.session.project is None or self.loading or not self.isVisible():
            return
        if records.count_records(self.session.project) != self._known_count:
            self.reload()

    def _refill(self, box: QComboBox, items) -> None:
        current = box.currentData()
        box.blockSignals(True)
        while box.count() > 1:
            box.removeItem(1)
        for text, data in items:
            box.addItem(text, data)
        box.setCurrentIndex(max(0, box.findData(current)) if current is not None else 0)
        box.blockSignals(False)

    def _records_changed(self, ids: list) -> None:
        project = self.session.project
        if project is None:
            return
        if self.loading:
            self._changed_while_loading.update(ids)
        for rid in ids:
            try:
                rec = records.get_record(project, rid)
            except NotFoundError:
                continue
            self.model.update_record(rec)
            if self.editor.record is not None and rid == self.editor.record.id:
                self.editor.refresh(rec)
        self._update_count()

    # -- filters ------------------------------------------------------------------------------
    def current_filters(self) -> RecordFilters:
        text = self.search.text().strip()
        hits = None
        if text and self.session.project is not None:
            if self._search_cache is None or self._search_cache[0] != text:  # other filters reuse it
                found = search.query(self.session.project, text, entity="record", limit=SEARCH_LIMIT)
                self._search_cache = (text, frozenset(h.id for h in found))
            hits = self._search_cache[1]
        score = self.min_score.value()
        return RecordFilters(status=self.status_combo.currentData(), kind=self.kind_combo.currentData(),
                             language=self.lang_combo.currentData(), min_score=score if score > 0 else None,
                             flag=self.flag_combo.currentData(), doc_id=self.doc_combo.currentData(),
                             search_ids=hits)

    def apply_filters(self, *_, keep: list[int] | None = None) -> None:
        self._search_timer.stop()
        keep = self.selected_ids() if keep is None else keep
        self.model.set_filters(self.current_filters())
        self.select_ids(keep)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total()
        text = (self.tr("%n record(s)", "", total) if shown == total
                else self.tr("{shown} of %n record(s)", "", total).format(shown=shown))
        hits = self.model.filters.search_ids
        if hits is not None and len(hits) >= SEARCH_LIMIT:
            text = self.tr("{count} (search shows the best {limit} matches)").format(count=text, limit=SEARCH_LIMIT)
        self.count_label.setText(text)

    # -- selection ----------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.row(r).id for r in rows]

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.row(index.row()).id if index.isValid() else None

    def select_ids(self, ids: list[int]) -> None:
        selection = QItemSelection()
        rows = [r for r in (self.model.row_of(i) for i in ids) if r is not None]
        for row in rows:
            selection.select(self.model.index(row, 0), self.model.index(row, self.model.columnCount() - 1))
        sm = self.table.selectionModel()
        self._selecting = True
        try:
            sm.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            if rows:
                sm.setCurrentIndex(self.model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate)
                self.table.scrollTo(self.model.index(rows[0], 0))
        finally:
            self._selecting = False
        self._selection_changed()

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.select_ids([self.model.row(row).id])

    def step(self, delta: int) -> None:
        """Next (+1) / previous (-1) record in view order."""
        current = self.current_id()
        row = self.model.row_of(current) if current is not None else None
        self.select_row(0 if row is None else max(0, min(self.model.rowCount() - 1, row + delta)))

    def _selection_changed(self, *_) -> None:
        if self._selecting:
            return
        ids = self.selected_ids()
        current = self.current_id()
        rid = current if current in ids else (ids[0] if ids else None)
        rec: Record | None = None
        if rid is not None and self.session.project is not None:
            try:
                rec = records.get_record(self.session.project, rid)
            except NotFoundError:
                rec = None
        if rec is None or self.editor.record is None or rec.id != self.editor.record.id:
            self.editor.load(rec)
            self.figure_panel.show_record(rec)

    # -- actions ------------------------------------------------------------------------------
    def set_status(self, status: RecordStatus) -> None:
        """Accept / reject / reset the selected rows: one undo step; one row moves on."""
        ids = self.selected_ids()
        if not ids:
            return
        self.editor.flush()  # typing first, then the status: two steps in order
        following = None
        if len(ids) == 1 and status != RecordStatus.DRAFT:
            row = self.model.row_of(ids[0])
            if row is not None and row + 1 < self.model.rowCount():
                following = self.model.row(row + 1).id
        self.session.set_record_status(ids, status)
        if following is not None:
            self.select_ids([following])

    def accept(self) -> None:
        self.set_status(RecordStatus.ACCEPTED)

    def reject(self) -> None:
        self.set_status(RecordStatus.REJECTED)

    def reset(self) -> None:
        self.set_status(RecordStatus.DRAFT)

    def handle_key(self, event: QKeyEvent) -> bool:
        """A / X / U / J / K without modifiers; True if the key was one of ours."""
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        key = event.key()
        if key in KEY_ACTIONS:
            if event.type() == QEvent.Type.KeyPress:
                self.set_status(KEY_ACTIONS[key])
            return True
        if key in (Qt.Key.Key_J, Qt.Key.Key_K):
            if event.type() == QEvent.Type.KeyPress:
                self.step(1 if key == Qt.Key.Key_J else -1)
            return True
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        keys = (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
        # ShortcutOverride and KeyPress events are QKeyEvents; the filter's signature says QEvent
        if watched is self.table and event.type() in keys and self.handle_key(event):  # type: ignore[arg-type]
            event.accept()  # our keys win over window shortcuts while the list has focus
            return True
        return super().eventFilter(watched, event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self.hasFocus() and self.handle_key(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.hasFocus() and self.handle_key(event):
            return
        if self.hasFocus() and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) and not event.modifiers():
            self.step(1 if event.key() == Qt.Key.Key_Down else -1)
            return
        super().keyPressEvent(event)

    def flush(self) -> None:
        """Save typing still waiting for its pause (before closing the project)."""
        self.editor.flush()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Before the window closes: save pending typing and let workers finish."""
        self.editor.flush()
        self._poll_timer.stop()
        self._load_generation += 1  # a load still running is dropped
        self.figure_panel.shutdown(timeout_ms)
        self.pool.waitForDone(timeout_ms)
