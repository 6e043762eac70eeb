"""Detection in the background: page by page, cancellable, one undo step per run.

A child process opens its own Project handle and runs engine.detect.run.iter_detect,
which stores each page's boxes as soon as they are found; every PageResult is relayed to
the GUI thread, which refreshes that page. Then the child reads the text of the detected
pages, the page shown in the window first (and the next one), following the person as they
page; each page's figures are refreshed as soon as their text is stored. Progress names the
phase ("Finding figures 120/600", "Reading text 37/600 · about 9 min left"). At the end the
run becomes one undo step, the status bar and the job bar say what was done, and pages a
person had corrected (which the engine leaves alone) are offered for re-detection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.detect.background import Message, detect_in_subprocess
from engine.detect.run import PageResult
from engine.errors import CancelledError, RemudError
from engine.store import Project, documents, figures
from remud_desktop.workers import Job, JobContext, JobRunner

FLUSH_MS = 40  # pages detected within this time refresh the views together


@dataclass
class DetectionOutcome:
    doc_id: int
    detector: str
    results: list[PageResult] = field(default_factory=list)
    cancelled: bool = False
    error: str = ""  # a readable message when the detector failed; pages before it are kept
    text_error: str = ""  # reading captions failed (the boxes are kept)
    text_pages: int = 0  # pages whose text was read by OCR in this run
    text_total: int = 0  # pages that needed it
    text_failures: list[str] = field(default_factory=list)  # one sentence per page whose OCR crashed

    @property
    def applied(self) -> list[PageResult]:
        return [r for r in self.results if not r.skipped and not r.error]

    @property
    def page_errors(self) -> list[str]:
        """One sentence per page that could not be analysed (the run went on without it)."""
        return [r.error for r in self.results if r.error]

    @property
    def skipped_pages(self) -> list[int]:
        return [r.page for r in self.results if r.skipped]


@dataclass(frozen=True)
class TextRead:
    """The figures of this page got their text (relayed like a PageResult)."""

    doc_id: int
    page: int


def run_detection(folder: Path, doc_id: int, pages: Sequence[int] | None, detector: str, force: bool,
                  fill_text: bool, ctx: JobContext, focus: Callable[[], int | None] = lambda: None,
                  retry_failed: bool = False) -> DetectionOutcome:
    """The worker side. The detector runs in a child process (engine.detect.background),
    so its work never takes turns with the event loop; this thread only relays results.
    `focus()` names the page the person is on (its text is read first). Raises nothing a
    user can cause: errors end up in the outcome."""
    outcome = DetectionOutcome(doc_id, detector)
    total = len(pages) if pages is not None else _page_count(folder, doc_id)
    # each phase's bar has one step more than its pages: something always follows the last page
    # (reading text, the closing pass over the book, recording the run), so it is never full while work goes on
    ctx.progress(0, total + 1, finding_figures(0, total))
    try:
        for kind, value in detect_in_subprocess(folder, doc_id, detector, pages, force=force, fill_text=fill_text,
                                                cancel=ctx.cancelled, focus=focus, retry_failed=retry_failed):
            if kind == Message.RESULT:
                outcome.results.append(value)
                ctx.emit(value)
                n = len(outcome.results)
                ctx.progress(n, total + 1, finding_figures(n, total))
            elif kind == Message.TEXT_PROGRESS:
                outcome.text_pages, outcome.text_total = value.done, value.total
                if value.closing:  # a short last pass: busy, never a full bar while it works
                    ctx.progress(0, 0, value.sentence())
                else:
                    ctx.progress(value.done, value.total + 1, value.sentence())
            elif kind == Message.TEXT_PAGE:
                ctx.emit(TextRead(doc_id, value))
            elif kind == Message.TEXT_FAILED:
                outcome.text_failures.append(value)
            elif kind == Message.TEXT_ERROR:
                outcome.text_error = value
    except CancelledError:
        outcome.cancelled = True
    except RemudError as exc:
        outcome.error = str(exc)
    return outcome


def finding_figures(done: int, total: int) -> str:
    """The first phase's progress text (the job bar shows it)."""
    return QCoreApplication.translate("DetectionController", "Finding figures {done}/{total}").format(
        done=done, total=total)


def _page_count(folder: Path, doc_id: int) -> int:
    with Project.open(folder) as project:
        return documents.get_document(project, doc_id).page_count


class DetectionController(QObject):
    page_detected = Signal(object)  # PageResult, as each page is stored
    run_finished = Signal(object)  # DetectionOutcome, after it was recorded for undo
    status_message = Signal(str)

    def __init__(self, session, runner: JobRunner, parent_widget: QWidget, *, fill_text: bool = True) -> None:
        super().__init__(parent_widget)
        self.session = session
        self.runner = runner
        self.parent_widget = parent_widget
        self.fill_text = fill_text
        self.job: Job | None = None
        self._changed: dict[int, set[int]] = {}
        self._flush = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._flush.timeout.connect(self.flush)
        self._shown: tuple[int | None, int] = (session.doc_id, session.page)  # read by the worker thread
        session.page_changed.connect(self._page_shown)

    def _page_shown(self, doc_id: int, page: int) -> None:
        self._shown = (doc_id, page)

    def shown_page(self, doc_id: int) -> int | None:
        """The page of `doc_id` shown in the window (None: another document is shown): its text is read first."""
        shown_doc, page = self._shown
        return page if shown_doc == doc_id else None

    def running(self) -> bool:
        return self.job is not None

    def detect(self, doc_id: int, pages: Sequence[int] | None, detector: str = "auto", *, force: bool = False,
               retry_failed: bool = False) -> Job | None:
        if self.session.project is None:
            return None
        if self.job is not None:
            QMessageBox.information(self.parent_widget, self.tr("Detect figures"),
                                    self.tr("A detection run is already going; wait for it or cancel it first."))
            return None
        folder = self.session.project.folder
        pages = None if pages is None else sorted(set(pages))
        title = (self.tr("Detecting ({detector}) on the whole document") if pages is None
                 else self.tr("Detecting ({detector}) on %n page(s)", "", len(pages))).format(detector=detector)
        fill = self.fill_text
        job = Job(title,
                  lambda ctx: run_detection(folder, doc_id, pages, detector, force, fill, ctx,
                                            focus=lambda: self.shown_page(doc_id), retry_failed=retry_failed))
        job.signals.item.connect(lambda r: self._page_done(folder, r))
        job.signals.done.connect(lambda outcome: self._finished(folder, outcome, job))
        job.signals.failed.connect(lambda message: self._failed(message, job))
        self.job = job
        return self.runner.start(job)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _current(self, folder: Path) -> bool:
        return self.session.project is not None and self.session.project.folder == folder

    def _page_done(self, folder: Path, result: PageResult | TextRead) -> None:
        if not self._current(folder):
            return  # the project was closed or switched: drop it
        if isinstance(result, TextRead):  # its figures' text is in: refresh them like a detected page
            self._changed.setdefault(result.doc_id, set()).add(result.page)
            if not self._flush.isActive():
                self._flush.start()
            return
        if not result.skipped:
            # Results can arrive in bursts (one queued signal per page): views are told
            # in one batch a little later, so a burst never stalls the event loop.
            self._changed.setdefault(result.doc_id, set()).add(result.page)
            if not self._flush.isActive():
                self._flush.start()
        self.page_detected.emit(result)

    def flush(self) -> None:
        """Tell the views which pages changed: each page's figures, each document's counts once."""
        self._flush.stop()
        changed, self._changed = self._changed, {}
        if self.session.project is not None:
            self.session.notify_pages(changed)

    def _failed(self, message: str, job: Job) -> None:
        if job is self.job:
            self.job = None
        QMessageBox.warning(self.parent_widget, self.tr("Detect figures"), message)

    def _finished(self, folder: Path, outcome: DetectionOutcome, job: Job) -> None:
        if job is self.job:
            self.job = None
        if not self._current(folder):
            return
        self._record(outcome)
        for page in {r.page for r in outcome.applied}:  # captions were read after the boxes
            self._changed.setdefault(outcome.doc_id, set()).add(page)
        self.flush()
        done, skipped = len(outcome.applied), outcome.skipped_pages
        summary = self.summary(outcome)
        job.summary = summary  # the job bar keeps it as the run's last line
        self.status_message.emit(summary)
        if outcome.error:
            stopped = (self.tr("Detection stopped: {error}\n\n%n page(s) detected before the error are kept.", "", done)
                       if done else self.tr("Detection stopped: {error}"))
            QMessageBox.warning(self.parent_widget, self.tr("Detect figures"), stopped.format(error=outcome.error))
        elif outcome.text_error:
            QMessageBox.warning(self.parent_widget, self.tr("Detect figures"),
                                self.tr("The boxes were found, but reading captions failed: {error}").format(
                                    error=outcome.text_error))
        self.run_finished.emit(outcome)
        if skipped and not outcome.cancelled and not outcome.error:
            self._offer_redetect(outcome.doc_id, skipped, outcome.detector)

    def summary(self, outcome: DetectionOutcome) -> str:
        """One sentence on what the run did: 'Detection (auto) done: 12 figures on 4 pages; text read on 4 pages.'"""
        done, found = len(outcome.applied), sum(len(r.figure_ids) for r in outcome.applied)
        if outcome.cancelled:
            head = self.tr("Detection ({detector}) cancelled: {figures} on {pages}")
        elif outcome.error:
            head = self.tr("Detection ({detector}) stopped: {figures} on {pages}")
        else:
            head = self.tr("Detection ({detector}) done: {figures} on {pages}")
        text = head.format(detector=outcome.detector, figures=self.tr("%n figure(s)", "", found),
                           pages=self.tr("%n page(s)", "", done))
        if outcome.text_total:
            read = outcome.text_pages
            text += (self.tr("; text read on %n page(s)", "", read) if read == outcome.text_total
                     else self.tr("; text read on {read} of {total} pages").format(read=read, total=outcome.text_total))
        if outcome.cancelled:
            text += self.tr("; what was done so far is kept")
        if outcome.page_errors or outcome.text_failures:
            text = self.tr("{summary}. {errors}").format(
                summary=text, errors=" ".join(outcome.page_errors + outcome.text_failures))
        return text if text.endswith((".", "。")) else self.tr("{summary}.").format(summary=text)

    def _record(self, outcome: DetectionOutcome) -> None:
        """The run as one undo step. A page the user edited while the run went on is left
        out of it (undo would otherwise delete their edit along with the boxes)."""
        project = self.session.project
        keep = []
        for r in outcome.applied:
            present = {f.id for f in figures.list_figures(project, r.doc_id, r.page)}
            touched = documents.get_page(project, r.doc_id, r.page).corrected  # edited after the result came
            if set(r.figure_ids) <= present and not touched:
                keep.append(r)
        self.session.record_detection(keep, outcome.detector)

    def _offer_redetect(self, doc_id: int, pages: list[int], detector: str) -> None:
        n = len(pages)
        answer = QMessageBox.question(
            self.parent_widget, self.tr("Corrected pages"),
            self.tr("%n corrected page(s) left alone — re-detect them and replace your edits?", "", n),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.detect(doc_id, pages, detector, force=True)
