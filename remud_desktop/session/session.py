"""The open project as the GUI sees it: one place that edits, undoes and tells views.

Every edit of figures, pages and records is a QUndoCommand (session/figure_commands.py,
session/record_commands.py) that calls the engine, which writes it to the store in its own
transaction the moment it happens. Views never edit the store themselves: they call the
methods here and listen to the signals, which only the Session (and its commands) emit.
Work that writes from a worker with its own Project handle (imports, detection, synthesis)
tells the Session when it is done (the `notify_*` methods), and the Session tells the views.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine.errors import NotFoundError, RemudError
from engine.geometry import Rect
from engine.store import Project, documents, figures, records
from engine.store.models import Figure, FigureStatus, FigureText, NewFigure, RecordStatus
from remud_desktop.session.figure_commands import (
    CreateFigures,
    DeleteFigures,
    DetectionRun,
    SetLabel,
    SetMasks,
    SetRects,
    SetReviewed,
    SetStatus,
    SetText,
)
from remud_desktop.session.record_commands import SetRecordFields, SetRecordStatus
from remud_desktop.session.text_fill import TextFiller

if TYPE_CHECKING:  # for a type only: engine.detect.run loads every detector (about a second)
    from engine.detect.run import PageResult

MIN_BOX_PT = 8.0  # the smallest box a person can make


class Session(QObject):
    about_to_close = Signal()  # the project is about to close: save what is pending now
    project_opened = Signal()  # a project was opened; also emitted with project None after close
    documents_changed = Signal()  # documents added or removed
    page_changed = Signal(int, int)  # (doc_id, page): the current page
    figures_changed = Signal(int, int)  # (doc_id, page): figures on that page were added/removed/changed
    figure_updated = Signal(int)  # figure id: its box, text, status or masks changed
    pages_changed = Signal(int)  # doc_id: page flags (reviewed/corrected) or per-page counts changed
    selection_changed = Signal(list)  # selected figure ids on the current page
    rect_preview = Signal(int, object)  # (figure id, Rect) while a box is being dragged, before it is saved
    boxes_reshaped = Signal(list)  # figure ids of boxes drawn, moved or resized (also by undo): their text follows
    records_changed = Signal(list)  # ids of records whose fields or status changed
    records_added = Signal()  # records were added or removed (a synthesis job): record views reload
    message = Signal(str)  # something the user should read in the status bar
    fault = Signal(str, str)  # (what, why): an edit could not be saved (read-only, damaged, full disk, busy)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.undo_stack = QUndoStack(self)  # no limit: history lives as long as the project is open
        self.doc_id: int | None = None
        self.page: int = 0
        self.selection: list[int] = []
        self.user_label: str | None = None  # the label the person last gave a box: drawn boxes take it
        self.filler = TextFiller(self)  # fills the text of drawn, moved and resized boxes in the background

    # -- project ------------------------------------------------------------------------
    def open_project(self, folder: str | Path) -> None:
        project = Project.open(folder)  # raises a typed error; nothing changes then
        self._set_project(project)

    def create_project(self, folder: str | Path) -> None:
        self._set_project(Project.create(folder))

    def close_project(self) -> None:
        self._set_project(None)

    def _set_project(self, project: Project | None) -> None:
        if self.project is not None:
            self.about_to_close.emit()
            self.project.close()
        self.project = project
        self.undo_stack.clear()
        self.doc_id, self.page, self.selection = None, 0, []
        self.user_label = None
        self.project_opened.emit()

    # -- navigation ---------------------------------------------------------------------
    def go_to(self, doc_id: int, page: int) -> None:
        if self.project is None:
            return
        count = documents.get_document(self.project, doc_id).page_count
        page = max(0, min(page, count - 1))
        if (doc_id, page) == (self.doc_id, self.page):
            return
        self.doc_id, self.page = doc_id, page
        self.select([])
        self.page_changed.emit(doc_id, page)

    def step(self, delta: int) -> None:
        if self.doc_id is not None:
            self.go_to(self.doc_id, self.page + delta)

    def page_count(self) -> int:
        return documents.get_document(self.project, self.doc_id).page_count if self.doc_id else 0

    def select(self, ids: Sequence[int]) -> None:
        ids = list(ids)
        if ids != self.selection:
            self.selection = ids
            self.selection_changed.emit(ids)

    def current_figures(self) -> list[Figure]:
        if self.project is None or self.doc_id is None:
            return []
        return figures.list_figures(self.project, self.doc_id, self.page)

    def page_bounds(self) -> Rect:
        p = documents.get_page(self.project, self.doc_id, self.page)
        return Rect(0, 0, p.width, p.height)

    # -- edits (each is one undoable command) ---------------------------------------------
    @contextmanager
    def one_step(self, text: str) -> Iterator[None]:
        """The edits made inside are undone and redone together, as one step called `text`."""
        self.undo_stack.beginMacro(text)
        try:
            yield
        finally:
            self.undo_stack.endMacro()

    def create_figure(self, rect: Rect, *, label: str | None = None) -> None:
        """A box drawn by hand. Its label (unless given): the one the person last gave a box, else the
        most common label of the document's detected figures, else "figure". Its text is filled in
        the background (self.filler), as for detected boxes."""
        rect = self.fit_to_page(rect)
        label = label or self.user_label or figures.common_label(self.project, self.doc_id) or "figure"
        fig = NewFigure(self.doc_id, self.page, rect, label=label, detector="manual", status=FigureStatus.ACCEPTED)
        self.undo_stack.push(CreateFigures(self, [fig], self.tr("Draw box"), fill_text=True))

    def duplicate(self, ids: Iterable[int], offset: float = 12.0) -> None:
        bounds = self.page_bounds()
        news = []
        for fid in ids:
            f = figures.get_figure(self.project, fid)
            rect = _keep_inside(f.rect.moved(offset, offset), bounds)
            news.append(NewFigure(f.doc_id, f.page, rect, f.label, "manual", 1.0, f.status, f.text, 0, f.redactions))
        if news:
            self.undo_stack.push(CreateFigures(self, news, self.tr("Duplicate")))

    def set_rects(self, changes: dict[int, Rect], *, text: str | None = None, merge_key: str = "") -> None:
        """`text`: the undo step's name (default "Move box")."""
        text = text if text is not None else self.tr("Move box")
        bounds = self.page_bounds()
        changes = {fid: _keep_inside(r, bounds) for fid, r in changes.items()}
        if changes:
            self.undo_stack.push(SetRects(self, changes, text, merge_key))

    def nudge(self, ids: Iterable[int], dx: float, dy: float) -> None:
        rects = {fid: figures.get_figure(self.project, fid).rect.moved(dx, dy) for fid in ids}
        self.set_rects(rects, text=self.tr("Nudge"), merge_key="nudge")

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if ids:
            self.undo_stack.push(DeleteFigures(self, ids))

    def set_status(self, ids: Iterable[int], status: FigureStatus) -> None:
        ids = list(ids)
        if ids:
            self.undo_stack.push(SetStatus(self, ids, status))

    def set_label(self, fid: int, label: str) -> None:
        self.undo_stack.push(SetLabel(self, fid, label))

    def set_text(self, fid: int, text: FigureText) -> None:
        """Set a figure's text (the fields that differ); consecutive edits of the same fields of one
        figure merge into one undo step."""
        current = asdict(figures.get_figure(self.project, fid).text)
        changes = {name: value for name, value in asdict(text).items() if value != current[name]}
        if changes:
            self._push_text(fid, changes, None)

    def edit_text(self, fid: int, field: str, value: str, *, burst: object = None) -> None:
        """One keystroke's worth of typing in one text field, stored at once. Edits of the same field
        with the same `burst` (the run of typing, say from focus-in to focus-out) are one undo step."""
        if getattr(figures.get_figure(self.project, fid).text, field) != value:
            self._push_text(fid, {field: value}, burst)

    def _push_text(self, fid: int, changes: dict[str, str], burst: object) -> None:
        stack = self.undo_stack
        top = stack.command(stack.index() - 1) if burst is not None and stack.index() > 0 and not stack.isClean() else None
        continues = isinstance(top, SetText) and top.merges(fid, set(changes), burst)  # QUndoStack will merge the two
        stack.push(SetText(self, fid, changes, burst, continues=continues))

    def fill_text(self, fid: int, changes: dict[str, str]) -> None:
        """Text the app found for a figure (TextFiller): stored at once, outside the undo history,
        as the app's own edit (by_user=False), so later runs may refresh it."""
        if not changes or self.project is None:
            return
        try:
            figures.set_text_fields(self.project, fid, changes, by_user=False)
        except NotFoundError:
            return  # deleted meanwhile
        except RemudError as exc:
            self.message.emit(self.tr("Could not store the text found for the box: {reason}").format(reason=exc))
            return
        self.figure_updated.emit(fid)

    def set_masks(self, fid: int, masks: Sequence[Rect]) -> None:
        self.undo_stack.push(SetMasks(self, fid, tuple(masks)))

    def set_reviewed(self, doc_id: int, page: int, reviewed: bool) -> None:
        self.undo_stack.push(SetReviewed(self, doc_id, page, reviewed))

    def record_detection(self, results: Sequence[PageResult], detector: str) -> None:
        """A detection run the worker already stored: make it one undoable step."""
        applied = [r for r in results if not r.skipped]
        if applied:
            self.undo_stack.push(DetectionRun(self, applied, detector))

    def edit_record(self, record_id: int, **changes) -> bool:
        """Edit a record's text fields (question, thinking, answer, options, correct) if anything
        differs; typing in one record merges into one undo step. True if an edit was pushed."""
        current = records.get_record(self.project, record_id)
        changes = {k: v for k, v in changes.items() if (tuple(v) if k == "options" else v) != getattr(current, k)}
        if not changes:
            return False
        self.undo_stack.push(SetRecordFields(self, record_id, changes))
        return True

    def set_record_status(self, ids: Iterable[int], status: RecordStatus) -> bool:
        """Accept, reject or reset records: one undo step (those already at `status` are left out)."""
        ids = [rid for rid in dict.fromkeys(ids) if records.get_record(self.project, rid).status != RecordStatus(status)]
        if not ids:
            return False
        self.undo_stack.push(SetRecordStatus(self, ids, status))
        return True

    # -- documents (not undoable) ---------------------------------------------------------
    def remove_document(self, doc_id: int) -> None:
        """Delete a document with its pages and figures (records keep their text). Raises the
        engine's typed error if the store refuses. The undo history is cleared: it points at
        figures that are gone. The current page moves to the next document, if any."""
        documents.delete_document(self.project, doc_id)
        self.undo_stack.clear()
        if self.doc_id == doc_id:
            rest = documents.list_documents(self.project)
            self.doc_id = None
            if rest:
                self.go_to(rest[0].id, 0)
            else:  # nothing left to show: views reset as for a freshly opened project
                self.project_opened.emit()
        self.documents_changed.emit()

    # -- what workers wrote with their own Project handle ----------------------------------
    def notify_documents_added(self) -> None:
        """An import stored new documents."""
        self.documents_changed.emit()

    def notify_pages(self, changed: dict[int, Iterable[int]]) -> None:
        """Detection stored figures on these pages ({doc_id: pages}): each page's figures, then
        each document's counts once."""
        for doc_id, pages in changed.items():
            for page in sorted(pages):
                self.figures_changed.emit(doc_id, page)
            self.pages_changed.emit(doc_id)

    def notify_records_added(self) -> None:
        """A synthesis job stored new records."""
        self.records_added.emit()

    # -- helpers --------------------------------------------------------------------------
    def fit_to_page(self, rect: Rect) -> Rect:
        return _keep_inside(Rect.normalized(*rect.as_tuple()), self.page_bounds())

    def notify_page(self, doc_id: int, page: int) -> None:
        self.figures_changed.emit(doc_id, page)
        self.pages_changed.emit(doc_id)


def _keep_inside(rect: Rect, bounds: Rect) -> Rect:
    """Shift a box back onto the page, clip what is still outside, and keep a minimum size."""
    w = min(max(rect.width, MIN_BOX_PT), bounds.width)
    h = min(max(rect.height, MIN_BOX_PT), bounds.height)
    x0 = min(max(rect.x0, bounds.x0), bounds.x1 - w)
    y0 = min(max(rect.y0, bounds.y0), bounds.y1 - h)
    return Rect(x0, y0, x0 + w, y0 + h)
