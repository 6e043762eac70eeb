"""Text of boxes drawn, moved or resized by hand, filled in the background.

A detected box gets its caption, context, section, sub-label and burned-in text from the
detection run; a box a person draws, moves or resizes gets them here, the same way
(engine.text.pipeline.figure_text_for, with the document's other figures in place), in a
worker thread. Each box is read twice: at once from the text layer and the OCR the project
already holds (a fraction of a second: what it finds is filled in, nothing is cleared), then
in full, reading image-only pages near it and its own crop by OCR (seconds: this settles every
field, and clears what no longer belongs to the box, such as the caption of a frame it was
moved away from).

Quick successive changes are read once, FILL_DELAY_MS after the last; one read runs at a time,
and a box that changes while it is read is read again. Fields a person changed are kept, per
field (engine.store.figures.text_fields_edited_by_user). What is found is stored as the app's
own edit (by_user=False), outside the undo history: undoing a move moves the box back, and its
text follows it again.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from engine.errors import NotFoundError
from engine.geometry import Rect
from engine.store import figures
from engine.store.models import FigureText
from engine.text.ocr import OcrEngine
from engine.text.pipeline import default_ocr, figure_text_for
from remud_desktop.workers import Job, JobContext

if TYPE_CHECKING:
    from remud_desktop.session.session import Session

FILL_DELAY_MS = 200  # a run of nudges is read once, this long after the last
CACHE_ONLY = -1  # figure_text_for(reach=...): OCR no page, only what the project has cached


class TextFiller(QObject):
    """Reads and stores the text of the boxes the Session says were drawn, moved or resized."""

    state_changed = Signal()  # a read was asked for, started or finished: `reading(fid)` / `busy()` changed
    filled = Signal(int, bool)  # (figure id, final): its text was read and stored (perhaps unchanged)

    def __init__(self, session: Session, *, ocr: OcrEngine | None | bool = True) -> None:
        """`ocr`: the OCR engine (True: the default one, made in the worker on first use; None:
        text layers and the project's OCR cache only)."""
        super().__init__(session)
        self.session = session
        self._ocr: Any = ocr
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._pending: dict[int, None] = {}  # figure ids waiting, in the order asked
        self._job: Job | None = None
        self._reading: tuple[int, ...] = ()
        self._timer = QTimer(self, singleShot=True, interval=FILL_DELAY_MS)
        self._timer.timeout.connect(self._start)
        session.boxes_reshaped.connect(self.request)
        session.about_to_close.connect(self.cancel)
        session.project_opened.connect(self.cancel)

    # -- asking --------------------------------------------------------------------------
    def request(self, ids: list[int]) -> None:
        """Read the text of these boxes soon (a later request within FILL_DELAY_MS joins this one);
        a read of one of them in progress is stopped, it is read again."""
        project = self.session.project
        if project is None or project.read_only:
            return
        for fid in ids:
            self._pending[fid] = None
        if self._job is not None and set(ids) & set(self._reading):
            self._job.cancel()
        self._timer.start()
        self.state_changed.emit()

    def cancel(self) -> None:
        """Forget what is asked; a read in progress stops at its next step and is dropped."""
        self._pending.clear()
        self._timer.stop()
        if self._job is not None:
            self._job.cancel()
        self.state_changed.emit()

    def busy(self) -> bool:
        return bool(self._pending) or self._job is not None

    def reading(self, fid: int) -> bool:
        """Whether this box's text is being read or is waiting to be."""
        return fid in self._pending or (self._job is not None and not self._job.cancelled and fid in self._reading)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Let a read in progress finish (closing the window); True if nothing runs any more."""
        return self.pool.waitForDone(timeout_ms)

    # -- reading -------------------------------------------------------------------------
    def _start(self) -> None:
        if self._job is not None or not self._pending or self.session.project is None:
            return
        ids = tuple(self._pending)
        self._pending.clear()
        project = self.session.project

        def work(ctx: JobContext) -> None:
            handle = project.reopen()  # this thread's own connection
            try:
                ocr = self._engine()  # made at once; its model loads when it first reads
                for final in (False, True):  # everyone's quick text first, then the full reads
                    for fid in ids:
                        if ctx.cancelled():
                            return
                        try:
                            rect = figures.get_figure(handle, fid).rect
                            text = figure_text_for(handle, fid, ocr=ocr, read_crop=final,
                                                   reach=1 if final else CACHE_ONLY, cancel=ctx.cancelled)
                        except NotFoundError:
                            continue  # deleted meanwhile (undo of a draw)
                        ctx.emit((fid, rect, text, final))
            finally:
                handle.close()

        job = self._job = Job("Reading the text of boxes", work)
        self._reading = ids
        # bound methods: the connections go when this object does (the window closing)
        job.signals.item.connect(self._found)
        job.signals.failed.connect(self._failed)
        job.signals.finished.connect(self._finished)
        self.pool.start(job)
        self.state_changed.emit()

    def _current(self) -> Job | None:
        """The running job, if the signal being handled is its own."""
        job = self._job
        return job if job is not None and self.sender() is job.signals else None

    def _engine(self) -> OcrEngine | None:
        """The OCR engine, made on first use."""
        if self._ocr is True:
            self._ocr = default_ocr()
        return self._ocr or None

    def _found(self, item: tuple[int, Rect, FigureText, bool]) -> None:
        job = self._current()
        if job is not None and not job.cancelled and self.session.project is not None:
            self._apply(*item)

    def _failed(self, message: str) -> None:
        job = self._current()
        if job is not None and not job.cancelled:
            self.session.message.emit(f"Could not read the text of the box: {message}")

    def _finished(self) -> None:
        if self._current() is None:
            return
        self._job, self._reading = None, ()
        if self._pending and not self._timer.isActive():
            self._start()
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

