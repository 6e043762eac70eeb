"""Undo commands for figures and pages. Each applies or reverts engine operations, which write to the store at
once; the first redo() does the edit. After applying, a command tells the session which
page changed, and brings that page into view when undone from elsewhere."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QUndoCommand

from engine.geometry import Rect
from engine.store import documents, figures
from engine.store.models import Figure, FigureStatus, NewFigure
from remud_desktop.session.guard import GuardedCommand

MERGE_TEXT, MERGE_NUDGE = 1, 2


class FigureCommandTexts(QObject):
    """Undo-step names with a count. A QUndoCommand is no QObject, and lupdate sees plural forms
    only in a QObject's `self.tr(text, "", n)`."""

    def delete_boxes(self, n: int) -> str:
        return self.tr("Delete %n box(es)", "", n)

    def detect_pages(self, n: int, detector: str) -> str:
        return self.tr("Detect %n page(s) ({detector})", "", n).format(detector=detector)


def _status_step(status: FigureStatus) -> str:
    if status == FigureStatus.ACCEPTED:
        return QCoreApplication.translate("FigureCommands", "Mark accepted")
    if status == FigureStatus.REJECTED:
        return QCoreApplication.translate("FigureCommands", "Mark rejected")
    return QCoreApplication.translate("FigureCommands", "Mark proposed")


class _Command(GuardedCommand):
    def __init__(self, session, text: str, doc_id: int, page: int) -> None:
        super().__init__(text)
        self.session, self.doc_id, self.page = session, doc_id, page
        self._done_once = False

    @property
    def project(self):
        return self.session.project

    def _show(self) -> None:
        """Undo/redo of an edit on another page takes the user there to see it."""
        if self._done_once and (self.session.doc_id, self.session.page) != (self.doc_id, self.page):
            self.session.go_to(self.doc_id, self.page)
        self._done_once = True

    def show_store(self) -> None:
        """After a failed edit: the page as the store has it (a box dragged on screen goes back)."""
        self.session.notify_page(self.doc_id, self.page)

    def _changed(self, ids: Sequence[int] = (), pages: Sequence[tuple[int, int]] = ()) -> None:
        for doc_id, page in dict.fromkeys([(self.doc_id, self.page), *pages]):
            self.session.notify_page(doc_id, page)
        for fid in ids:
            self.session.figure_updated.emit(fid)


class CreateFigures(_Command):
    def __init__(self, session, news: Sequence[NewFigure], text: str, *, fill_text: bool = False) -> None:
        """`fill_text`: the new boxes read their text (caption, context...) in the background."""
        super().__init__(session, text, news[0].doc_id, news[0].page)
        self.news = list(news)
        self.made: list[Figure] = []
        self.fill_text = fill_text

    def redo(self) -> None:
        self._show()
        if not self.made:
            self.made = [figures.add_figure(self.project, f) for f in self.news]
        else:
            self.made = [figures.restore_figure(self.project, f) for f in self.made]
        self._changed()
        self.session.select([f.id for f in self.made])
        if self.fill_text:
            self.session.boxes_reshaped.emit([f.id for f in self.made])

    def undo(self) -> None:
        self._show()
        self.made = figures.delete_figures(self.project, [f.id for f in self.made])
        self._changed()
        self.session.select([])


class DeleteFigures(_Command):
    def __init__(self, session, ids: Sequence[int]) -> None:
        first = figures.get_figure(session.project, ids[0])
        super().__init__(session, FigureCommandTexts().delete_boxes(len(ids)), first.doc_id, first.page)
        self.ids = list(ids)
        self.gone: list[Figure] = []

    def _pages(self) -> list[tuple[int, int]]:
        return [(f.doc_id, f.page) for f in self.gone]

    def redo(self) -> None:
        self._show()
        self.gone = figures.delete_figures(self.project, self.ids)
        self._changed(pages=self._pages())
        self.session.select([])

    def undo(self) -> None:
        self._show()
        for f in self.gone:
            figures.restore_figure(self.project, f)
        self._changed(pages=self._pages())
        self.session.select(self.ids)


class SetRects(_Command):
    def __init__(self, session, changes: dict[int, Rect], text: str, merge_key: str = "") -> None:
        first = figures.get_figure(session.project, next(iter(changes)))
        super().__init__(session, text, first.doc_id, first.page)
        self.new = dict(changes)
        self.old = {fid: figures.get_figure(session.project, fid).rect for fid in changes}
        self.merge_key = merge_key

    def _apply(self, rects: dict[int, Rect]) -> None:
        self._show()
        for fid, rect in rects.items():
            figures.set_rect(self.project, fid, rect)
        self._changed(list(rects))
        self.session.boxes_reshaped.emit(list(rects))  # their text follows the boxes

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)

    def id(self) -> int:
        return MERGE_NUDGE if self.merge_key == "nudge" else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetRects) or set(other.new) != set(self.new):
            return False
        self.new = other.new  # a run of arrow-key nudges is one undo step
        return True


class SetStatus(_Command):
    def __init__(self, session, ids: Sequence[int], status: FigureStatus) -> None:
        figs = [figures.get_figure(session.project, fid) for fid in ids]
        super().__init__(session, _status_step(FigureStatus(status)), figs[0].doc_id, figs[0].page)
        self.old = {f.id: f.status for f in figs}
        self.pages = [(f.doc_id, f.page) for f in figs]
        self.status = status

    def redo(self) -> None:
        self._show()
        for fid in self.old:
            figures.set_status(self.project, fid, self.status)
        self._changed(list(self.old), self.pages)

    def undo(self) -> None:
        self._show()
        for fid, status in self.old.items():
            figures.set_status(self.project, fid, status)
        self._changed(list(self.old), self.pages)


class SetLabel(_Command):
    def __init__(self, session, fid: int, label: str) -> None:
        f = figures.get_figure(session.project, fid)
        super().__init__(session, QCoreApplication.translate("FigureCommands", "Change label"), f.doc_id, f.page)
        self.fid, self.old, self.new = fid, f.label, label

    def redo(self) -> None:
        self._show()
        figures.set_label(self.project, self.fid, self.new)
        self._changed([self.fid])
        self.session.user_label = self.new  # boxes drawn from now on take it

    def undo(self) -> None:
        self._show()
        figures.set_label(self.project, self.fid, self.old)
        self._changed([self.fid])


class SetText(_Command):
    """Some text fields of one figure. Typing writes each keystroke at once (`burst` names the run of
    typing in one field); consecutive edits of the same fields of one figure in one burst are one undo
    step. Undo puts back only the fields this step changed, so text filled in meanwhile stays."""

    def __init__(self, session, fid: int, changes: dict[str, str], burst: object = None,
                 continues: bool = False) -> None:
        f = figures.get_figure(session.project, fid)
        super().__init__(session, QCoreApplication.translate("FigureCommands", "Edit text"), f.doc_id, f.page)
        self.fid, self.burst = fid, burst
        self.old = {name: getattr(f.text, name) for name in changes}
        self.new = dict(changes)
        self._continues = continues  # the step below will take this one in: one edit-log entry for both

    def redo(self) -> None:
        self._show()
        continues, self._continues = self._continues, False
        figures.set_text_fields(self.project, self.fid, self.new, continue_log=continues)
        self.session.figure_updated.emit(self.fid)  # text only: the page's boxes and counts are as they were

    def undo(self) -> None:
        self._show()
        figures.set_text_fields(self.project, self.fid, self.old)
        self.session.figure_updated.emit(self.fid)

    def id(self) -> int:
        return MERGE_TEXT

    def merges(self, fid: int, fields: set[str], burst: object) -> bool:
        return fid == self.fid and fields == set(self.new) and burst == self.burst and not self.isObsolete()

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetText) or not self.merges(other.fid, set(other.new), other.burst):
            return False
        self.new = dict(other.new)  # one undo step per burst of typing in one field
        if self.new == self.old:
            self.setObsolete(True)  # typed and taken back: no step left in the history
        return True


class SetMasks(_Command):
    def __init__(self, session, fid: int, masks: tuple[Rect, ...]) -> None:
        f = figures.get_figure(session.project, fid)
        super().__init__(session, QCoreApplication.translate("FigureCommands", "Edit redaction masks"), f.doc_id, f.page)
        self.fid, self.old, self.new = fid, f.redactions, masks

    def redo(self) -> None:
        self._show()
        figures.set_redactions(self.project, self.fid, self.new)
        self._changed([self.fid])

    def undo(self) -> None:
        self._show()
        figures.set_redactions(self.project, self.fid, self.old)
        self._changed([self.fid])


class SetReviewed(_Command):
    def __init__(self, session, doc_id: int, page: int, reviewed: bool) -> None:
        text = (QCoreApplication.translate("FigureCommands", "Mark page reviewed") if reviewed
                else QCoreApplication.translate("FigureCommands", "Mark page not reviewed"))
        super().__init__(session, text, doc_id, page)
        self.old = documents.get_page(session.project, doc_id, page).reviewed
        self.new = reviewed

    def redo(self) -> None:
        self._show()
        documents.set_page_flags(self.project, self.doc_id, self.page, reviewed=self.new)
        self.session.pages_changed.emit(self.doc_id)

    def undo(self) -> None:
        self._show()
        documents.set_page_flags(self.project, self.doc_id, self.page, reviewed=self.old)
        self.session.pages_changed.emit(self.doc_id)


class DetectionRun(GuardedCommand):
    """Pages a background detection already stored; undo puts back what each replaced."""

    def __init__(self, session, results: Sequence, detector: str) -> None:
        super().__init__(FigureCommandTexts().detect_pages(len(results), detector))
        self.session = session
        self.pages = [
            (r.doc_id, r.page, list(r.replaced), [figures.get_figure(session.project, i) for i in r.figure_ids])
            for r in results
        ]
        self._first = True

    def redo(self) -> None:
        if self._first:  # the worker already applied it
            self._first = False
            return
        self._swap(new_index=3, old_index=2)

    def undo(self) -> None:
        self._swap(new_index=2, old_index=3)

    def show_store(self) -> None:
        for doc_id, page, *_ in self.pages:
            self.session.notify_page(doc_id, page)

    def _swap(self, new_index: int, old_index: int) -> None:
        project = self.session.project
        for entry in self.pages:
            doc_id, page = entry[0], entry[1]
            # undoing the app's own detection is not a person correcting the page
            figures.delete_figures(project, [f.id for f in entry[old_index]], by_user=False)
            for f in entry[new_index]:
                figures.restore_figure(project, f, by_user=False)
            self.session.notify_page(doc_id, page)
        self.session.select([])
