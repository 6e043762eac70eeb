"""The records table: lightweight rows (no thinking/answer bodies kept), filtered and
sorted in plain Python by the model itself, so 20k records filter and sort in a few
milliseconds without a proxy calling back into Python per row or per comparison.

A row whose record changes is updated in place and stays visible until the filters are
applied again (a record accepted under a "draft" filter does not jump away mid-review).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, QObject, Qt
from PySide6.QtGui import QColor

from engine.quality.flags import describe_flag
from engine.store import Project, records
from engine.store.models import Record
from remud_desktop.table_model import RowTableModel

COLUMNS = (QT_TRANSLATE_NOOP("RecordTableModel", "ID"), QT_TRANSLATE_NOOP("RecordTableModel", "Kind"),
           QT_TRANSLATE_NOOP("RecordTableModel", "Lang"), QT_TRANSLATE_NOOP("RecordTableModel", "Status"),
           QT_TRANSLATE_NOOP("RecordTableModel", "Score"), QT_TRANSLATE_NOOP("RecordTableModel", "Flags"),
           QT_TRANSLATE_NOOP("RecordTableModel", "Question"))
ID, KIND, LANG, STATUS, SCORE, FLAGS, QUESTION = range(len(COLUMNS))
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_COLORS = {"draft": QColor("#d68910"), "accepted": QColor("#1e8449"), "rejected": QColor("#c0392b")}
QUESTION_CHARS = 160  # what a row keeps of the question

# how a stored status or kind (data, matched by code) is shown: translated with its context
STATUS_NAMES = {"draft": QT_TRANSLATE_NOOP("RecordStatus", "draft"),
                "accepted": QT_TRANSLATE_NOOP("RecordStatus", "accepted"),
                "rejected": QT_TRANSLATE_NOOP("RecordStatus", "rejected")}
KIND_NAMES = {"qa": QT_TRANSLATE_NOOP("RecordKind", "qa"), "vqa": QT_TRANSLATE_NOOP("RecordKind", "vqa"),
              "mcq": QT_TRANSLATE_NOOP("RecordKind", "mcq")}

NO_FLAGS = "<none>"  # flag filter: records without flags
ANY_FLAG = "<any>"  # flag filter: records with at least one flag


def status_name(status: str) -> str:
    """A record status as shown ("draft" -> "草稿" in Chinese); an unknown one as it is stored."""
    return QCoreApplication.translate("RecordStatus", STATUS_NAMES[status]) if status in STATUS_NAMES else status


def kind_name(kind: str) -> str:
    """A record kind as shown ("mcq" -> "选择题" in Chinese); an unknown one as it is stored."""
    return QCoreApplication.translate("RecordKind", KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def flag_tip(flag: str) -> str:
    """A stored flag with what it means, in the current language ("figure_ref: It refers to…")."""
    sentence = describe_flag(flag)
    return flag if sentence == flag else f"{flag}: {sentence}"


def flag_prefix(flag: str) -> str:
    return flag.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class RecordRow:
    id: int
    kind: str
    language: str
    status: str
    score: float | None
    flags: tuple[str, ...]
    question: str  # one line, shortened
    doc_id: int | None
    figure_id: int | None

    @classmethod
    def of(cls, rec: Record) -> RecordRow:
        question = " ".join(rec.question.split())[:QUESTION_CHARS]
        return cls(rec.id, str(rec.kind), rec.language, str(rec.status), rec.score, tuple(rec.flags),
                   question, rec.doc_id, rec.figure_id)


@dataclass
class RecordFilters:
    status: str | None = None
    kind: str | None = None
    language: str | None = None
    min_score: float | None = None  # records without a score fail any minimum
    flag: str | None = None  # None: any; NO_FLAGS; ANY_FLAG; or a flag prefix ("near_duplicate")
    doc_id: int | None = None
    search_ids: frozenset[int] | None = field(default=None)  # full-text matches; None: no search

    def accepts(self, row: RecordRow) -> bool:
        if self.status and row.status != self.status:
            return False
        if self.kind and row.kind != self.kind:
            return False
        if self.language and row.language != self.language:
            return False
        if self.min_score is not None and (row.score is None or row.score < self.min_score):
            return False
        if self.doc_id is not None and row.doc_id != self.doc_id:
            return False
        if self.flag == NO_FLAGS and row.flags:
            return False
        if self.flag == ANY_FLAG and not row.flags:
            return False
        if self.flag not in (None, NO_FLAGS, ANY_FLAG) and not any(flag_prefix(f) == self.flag for f in row.flags):
            return False
        return self.search_ids is None or row.id in self.search_ids


def _sort_key(column: int):
    if column == SCORE:
        return lambda r: (r.score is not None, r.score or 0.0, r.id)
    if column == FLAGS:
        return lambda r: (len(r.flags), ",".join(r.flags), r.id)
    if column in (KIND, LANG, STATUS, QUESTION):
        attr = {KIND: "kind", LANG: "language", STATUS: "status", QUESTION: "question"}[column]
        return lambda r: (getattr(r, attr).casefold(), r.id)
    return lambda r: r.id


def read_rows(folder) -> list[RecordRow]:
    """Every record of the project in `folder` as rows; for a worker thread (its own connection)."""
    with Project.open(folder) as project:
        return [RecordRow.of(r) for r in records.list_records(project)]


class RecordTableModel(RowTableModel):
    columns = COLUMNS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: dict[int, RecordRow] = {}
        self.filters = RecordFilters()
        self.sort_column, self.sort_order = ID, Qt.SortOrder.AscendingOrder

    # -- Qt ---------------------------------------------------------------------------------
    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == ID:
                return str(row.id)
            if col == SCORE:
                return "" if row.score is None else f"{row.score:g}"
            if col == FLAGS:
                return ", ".join(row.flags)
            return (None, kind_name(row.kind), row.language, status_name(row.status), None, None, row.question)[col]
        if role == RECORD_ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.ForegroundRole and col == STATUS:
            return STATUS_COLORS.get(row.status)
        if role == Qt.ItemDataRole.ToolTipRole and col == FLAGS and row.flags:
            return "\n".join(flag_tip(flag) for flag in row.flags)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (ID, SCORE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column, self.sort_order = (column if column >= 0 else ID), order
        self._rebuild()

    # -- access -------------------------------------------------------------------------------
    def row(self, index: int) -> RecordRow:
        return self._rows[index]

    def row_of(self, record_id: int) -> int | None:
        return self._row_of.get(record_id)

    def record_row(self, record_id: int) -> RecordRow | None:
        return self._all.get(record_id)

    def visible_ids(self) -> list[int]:
        return [r.id for r in self._rows]

    def total(self) -> int:
        return len(self._all)

    def languages(self) -> list[str]:
        return sorted({r.language for r in self._all.values() if r.language})

    def flag_prefixes(self) -> list[str]:
        return sorted({flag_prefix(f) for r in self._all.values() for f in r.flags})

    # -- changes ------------------------------------------------------------------------------
    def reset(self, recs: Iterable[Record]) -> None:
        self.reset_rows(RecordRow.of(r) for r in recs)

    def reset_rows(self, rows: Iterable[RecordRow]) -> None:
        self._all = {r.id: r for r in rows}
        self._rebuild()

    def set_filters(self, filters: RecordFilters) -> None:
        self.filters = filters
        self._rebuild()

    def update_record(self, rec: Record) -> None:
        """A changed record: its row shows the new values where it is (no re-filtering)."""
        new = RecordRow.of(rec)
        if self._all.get(rec.id) == new:
            return
        self._all[rec.id] = new
        row = self._row_of.get(rec.id)
        if row is not None:
            self._rows[row] = new
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _rebuild(self) -> None:
        self.beginResetModel()
        rows = [r for r in self._all.values() if self.filters.accepts(r)]
        rows.sort(key=_sort_key(self.sort_column), reverse=self.sort_order == Qt.SortOrder.DescendingOrder)
        self._rows = rows
        self._row_of = {r.id: i for i, r in enumerate(rows)}
        self.endResetModel()


__all__ = ["ANY_FLAG", "COLUMNS", "NO_FLAGS", "RECORD_ID_ROLE", "RecordFilters", "RecordRow", "RecordTableModel",
           "kind_name", "status_name"]
