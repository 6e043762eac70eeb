"""Text of boxes drawn, moved or resized by hand, filled in the background.

A detected box gets its caption, context, section, sub-label and burned-in text from the
detection run; a box a person draws, moves or resizes gets them here, the same way
(engine.text.pipeline.figure_text_for, with the document's other figures in place). Each box
is read twice:

- at once, in a worker thread, from its page and the two beside it, from the text layer and
  the OCR the project already holds (milliseconds): what it finds is filled in, nothing is
  cleared;
- then in full, the whole document in order, reading image-only pages near the box and its
  own crop by OCR, in a page worker process (engine.isolation.PageProcess, one per document,
  kept while it is used): PyMuPDF and OCR there never take turns with the window's event loop,
  and a native crash costs this read only. This settles every field, sections from far back
  too, and clears what no longer belongs to the box (the caption of a frame it moved away from).

Quick successive changes are read once, FILL_DELAY_MS after the last; one read runs at a time,
and a box that changes while it is read is read again. Fields a person changed are kept, per
field (engine.store.figures.text_fields_edited_by_user). What is found is stored as the app's
own edit (by_user=False), outside the undo history: undoing a move moves the box back, and its
text follows it again.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from engine.errors import NotFoundError
from engine.geometry import Rect
from engine.isolation import PageProcess, step
from engine.store import documents, figures
from engine.store.models import FigureText
from engine.text.pipeline import default_ocr, figure_text_for
from remud_desktop.workers import Job, JobContext

if TYPE_CHECKING:
    import pymupdf

    from engine.store import Project
    from remud_desktop.session.session import Session

FILL_DELAY_MS = 200  # a run of nudges is read once, this long after the last
IDLE_CLOSE_MS = 120_000  # a page worker unused this long is ended (it holds the OCR model)
CACHE_ONLY = -1  # figure_text_for(reach=...): OCR no page, only what the project has cached


class TextFiller(QObject):
    """Reads and stores the text of the boxes the Session says were drawn, moved or resized."""

    state_changed = Signal()  # a read was asked for, started or finished: `reading(fid)` / `busy()` changed
    filled = Signal(int, bool)  # (figure id, final): its text was read and stored (perhaps unchanged)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._pending: dict[int, None] = {}  # figure ids waiting, in the order asked
        self._job: Job | None = None
        self._reading: tuple[int, ...] = ()
        self._readers: dict[str, PageProcess] = {}  # a page worker per document (its PDF's path)
        self._closing = False  # the project is closing: a read in its worker is stopped at once
        self._timer = QTimer(self, singleShot=True, interval=FILL_DELAY_MS)
        self._timer.timeout.connect(self._start)
        self._idle = QTimer(self, singleShot=True, interval=IDLE_CLOSE_MS)
        self._idle.timeout.connect(self._end_readers)
        session.boxes_reshaped.connect(self.request)
        session.about_to_close.connect(self.cancel)
        session.project_opened.connect(self.cancel)

    # -- asking --------------------------------------------------------------------------
    def request(self, ids: list[int]) -> None:
        """Read the text of these boxes soon (a later request within FILL_DELAY_MS joins this one);
        one of them being read now is read again after."""
        project = self.session.project
        if project is None or project.read_only:
            return
        for fid in ids:
            self._pending[fid] = None
        self._timer.start()
        self.state_changed.emit()

    def cancel(self) -> None:
        """The project closes or changes: forget what is asked, stop a read in progress (its
        result is dropped) and end the page workers."""
        self._pending.clear()
        self._timer.stop()
        if self._job is not None:
            self._closing = True
            self._job.cancel()
        else:
            self._end_readers()
        self.state_changed.emit()

    def busy(self) -> bool:
        return bool(self._pending) or self._job is not None

    def reading(self, fid: int) -> bool:
        """Whether this box's text is being read or is waiting to be."""
        return fid in self._pending or (self._job is not None and not self._job.cancelled and fid in self._reading)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Let a read in progress finish (its results are then dropped if it was cancelled, else they
        arrive with the next turn of the event loop); True if nothing runs any more."""
        if not self.pool.waitForDone(timeout_ms):
            return False
        if self._job is not None and self._job.cancelled:
            self._job, self._reading = None, ()
            self._closing = False
            self._end_readers()
        return True

    # -- reading -------------------------------------------------------------------------
    def _start(self) -> None:
        if self._job is not None or not self._pending or self.session.project is None:
            return
        self._idle.stop()
        ids = tuple(self._pending)
        self._pending.clear()
        project = self.session.project

        def work(ctx: JobContext) -> None:
            handle = project.reopen()  # this thread's own connection
            try:
                self._read(handle, ids, ctx)
            finally:
                handle.close()

        job = self._job = Job(self.tr("Reading the text of boxes"), work)
        self._reading = ids
        # bound methods: the connections go when this object does (the window closing)
        job.signals.item.connect(self._found)
        job.signals.failed.connect(self._failed)
        job.signals.finished.connect(self._finished)
        self.pool.start(job)
        self.state_changed.emit()

    def _read(self, project: Project, ids: tuple[int, ...], ctx: JobContext) -> None:
        """In the worker thread: every box's quick text, then every box's full text."""
        quick_ocr = default_ocr()  # only names the OCR cache: with CACHE_ONLY and no crop it reads nothing
        for final in (False, True):
            for fid in ids:
                if ctx.cancelled():
                    return
                try:
                    fig = figures.get_figure(project, fid)
                    if final:
                        path = str(project.source_path(documents.get_document(project, fig.doc_id).file))
                        text = self._reader(path, project.folder).call(
                            _read_figure_text, fig.page, fid, cancel=lambda: self._closing)
                    else:
                        text = figure_text_for(project, fid, ocr=quick_ocr, read_crop=False, reach=CACHE_ONLY,
                                               pages=range(fig.page - 1, fig.page + 2))
                except NotFoundError:
                    continue  # deleted meanwhile (undo of a draw)
                ctx.emit((fid, fig.rect, text, final))

    def _reader(self, pdf_path: str, folder: Path) -> PageProcess:
        """The page worker for a document (worker thread only, or the GUI thread while no job runs)."""
        reader = self._readers.get(pdf_path)
        if reader is None:
            reader = self._readers[pdf_path] = PageProcess(pdf_path, _setup_reader, str(folder),
                                                           name="remud-box-text")
        return reader

    def _end_readers(self) -> None:
        if self._job is not None:
            return
        readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            reader.close()

    def _current(self) -> Job | None:
        """The running job, if the signal being handled is its own."""
        job = self._job
        return job if job is not None and self.sender() is job.signals else None

    def _found(self, item: tuple[int, Rect, FigureText, bool]) -> None:
        job = self._current()
        if job is not None and not job.cancelled and self.session.project is not None:
            self._apply(*item)

    def _failed(self, message: str) -> None:
        job = self._current()
        if job is not None and not job.cancelled:
            self.session.message.emit(self.tr("Could not read the text of the box: {reason}").format(reason=message))

    def _finished(self) -> None:
        if self._current() is None:
            return
        self._job, self._reading = None, ()
        if self._closing:
            self._closing = False
            self._end_readers()
        if self._pending and not self._timer.isActive():
            self._start()
        if self._job is None:
            self._idle.start()
        self.state_changed.emit()

    def _apply(self, fid: int, rect: Rect, fresh: FigureText, final: bool) -> None:
        """Store what was read, unless the box changed meanwhile (it is read again), keeping every
        field a person changed. The quick read only fills; the full one also clears."""
        try:
            fig = figures.get_figure(self.session.project, fid)
        except NotFoundError:
            return
        if fig.rect != rect:
            return  # moved while it was read: a newer read is asked for
        typed = figures.text_fields_edited_by_user(self.session.project, fid)
        current = asdict(fig.text)
        changes = {name: value for name, value in asdict(fresh).items()
                   if name not in typed and value != current[name] and (value or final)}
        self.session.fill_text(fid, changes)
        self.filled.emit(fid, final)


# -- in the page worker process -----------------------------------------------------------------
def _setup_reader(state: dict[str, Any], folder: str) -> None:
    from engine.store import Project

    project = Project.open(folder)
    state["project"], state["close"] = project, project.close
    state["ocr"] = default_ocr()  # its models load on its first read


def _read_figure_text(state: dict[str, Any], pdf: pymupdf.Document, page: int, figure_id: int) -> FigureText:
    step("reading the text around the box")
    return figure_text_for(state["project"], figure_id, ocr=state["ocr"])
