"""Synthesis jobs from the window, run in the background.

SynthController starts engine.synth.jobs.run_job in a JobRunner worker (it opens its own
project handles), forwards its progress to the status bar and the jobs panel, pauses and
cancels it, and tells the Records view (through the Session) when records arrive. A job in
batch mode (chosen in the dialog, or one that already has provider batches waiting) runs
engine.synth.batch.run_batch instead: it polls the same batches again on Resume and never
submits them twice; Cancel asks the provider to cancel them, and closing the window only
stops polling.

A job made for "Generate now" (create_and_run) is made only once the provider's key is found
(the lookup runs off the GUI thread) and only when something is new: no job is left behind
that could send nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal

from engine import settings
from engine.errors import RemudError
from engine.key_status import KeyStatus, synthesizer_key
from engine.store.jobs import Job as SynthJob
from engine.store.jobs import JobState, get_job, list_batches
from engine.synth.batch import cancel_batches, run_batch
from engine.synth.jobs import NothingToSendError, cancel_job, retry_failed, run_job
from remud_desktop.synthesis.dialog import SynthRequest, missing_key, state_name
from remud_desktop.workers import Job, JobContext, JobRunner, Task, start

FINAL_STATES = {JobState.DONE, JobState.FINISHED, JobState.CANCELLED, JobState.STOPPED}


def progress_text(done: int, total: int, cost: float, paused: bool, batch: bool) -> str:
    """A running job's progress line (job bar and status bar); built in the worker thread."""
    if paused and batch:
        text = QCoreApplication.translate("SynthController", "{done}/{total} done, {cost} (paused) (batch)")
    elif paused:
        text = QCoreApplication.translate("SynthController", "{done}/{total} done, {cost} (paused)")
    elif batch:
        text = QCoreApplication.translate("SynthController", "{done}/{total} done, {cost} (batch)")
    else:
        text = QCoreApplication.translate("SynthController", "{done}/{total} done, {cost}")
    return text.format(done=done, total=total, cost=f"${cost:.4f}")


class SynthController(QObject):
    """Runs synthesis jobs in the background, one worker per job."""

    progressed = Signal(object)  # engine.synth.runner.JobProgress
    run_finished = Signal(int, object)  # (job id, RunReport)
    run_failed = Signal(int, str)  # (job id, readable message): the run could not even start
    status_message = Signal(str)
    batches_cancelled = Signal(int, int)  # (job id, provider batches asked to cancel)

    poll_s = 30.0  # seconds between polls of a provider batch

    def __init__(self, session, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.runner = runner
        self._running: dict[int, tuple[Job, threading.Event]] = {}
        self._done: dict[int, int] = {}  # items done per running job, to know when records arrived
        self._batch: dict[int, tuple[threading.Event, threading.Event]] = {}  # batch runs: (stop, cancel)
        self._cancelling: dict[int, Job] = {}  # cancel_batches workers
        # create_and_run requests waiting for their key lookup: tag -> (request, project, started, refused, task)
        self._waiting: dict[int, tuple[SynthRequest, object, Callable[[SynthJob], object], Callable[[str], object],
                                       Task]] = {}
        self._next_tag = 0

    def running(self, job_id: int | None = None) -> bool:
        return bool(self._running) if job_id is None else job_id in self._running

    def paused(self, job_id: int) -> bool:
        entry = self._running.get(job_id)
        return entry is not None and entry[1].is_set()

    def batch(self, job_id: int) -> bool:
        """Whether the job's current run uses the provider's batch API."""
        return job_id in self._batch

    def batch_mode(self, job_id: int) -> bool:
        """Whether the job runs in batch mode: created so, or provider batches are still waiting for it."""
        project = self.session.project
        if project is None:
            return False
        return bool(get_job(project, job_id).settings.get("batch")) or bool(list_batches(project, job_id, active=True))

    def run(self, job_id: int, batch: bool = False) -> Job | None:
        """Start (or resume) a job in the background; None if it is already running.
        `batch`, a job created in batch mode, or one with provider batches still active runs
        through the provider's batch API (resuming those batches, never submitting them again)."""
        project = self.session.project
        if project is None or job_id in self._running or job_id in self._cancelling:
            return None
        folder = project.folder
        use_batch = batch or self.batch_mode(job_id)
        concurrency = max(1, int(settings.synthesis_options().get("concurrency", settings.DEFAULT_CONCURRENCY)))
        pause = threading.Event()
        stop, cancel = threading.Event(), threading.Event()
        poll_s = self.poll_s

        def work(ctx: JobContext):
            def progress(p) -> None:
                ctx.progress(p.done + p.failed, p.total, progress_text(p.done, p.total, p.cost,
                                                                       p.state == JobState.PAUSED, use_batch))
                ctx.emit(p)
            if use_batch:
                # The pool's cancel (closing the window) only stops polling; the batches keep
                # running at the provider and the next run collects them. Cancel cancels them.
                return run_batch(folder, job_id, poll_s=poll_s, progress=progress,
                                 stop=lambda: stop.is_set() or ctx.cancelled(), cancel=cancel.is_set)
            return run_job(folder, job_id, concurrency=concurrency, progress=progress, cancel=ctx.cancelled,
                           pause=pause.is_set)

        job = Job((self.tr("Synthesis job {job} (batch)") if use_batch else self.tr("Synthesis job {job}")).format(
            job=job_id), work)
        self._running[job_id] = (job, pause)
        if use_batch:
            self._batch[job_id] = (stop, cancel)
        self._done[job_id] = -1
        job.signals.item.connect(self._progress)
        job.signals.done.connect(lambda report, j=job_id: self._finished(j, report))
        job.signals.failed.connect(lambda message, j=job_id: self._failed(j, message))
        job.signals.finished.connect(lambda j=job_id: self._forget(j))
        return self.runner.start(job)

    def create_and_run(self, request: SynthRequest, started: Callable[[SynthJob], object],
                       refused: Callable[[str], object]) -> Task | None:
        """Make the job for `request` and hand it to `started` (which runs it), once the provider's
        key is found. Nothing is made when the key is missing (`refused` gets the reason) or when
        every item exists already (the status bar says so). Returns the key lookup."""
        project = self.session.project
        if project is None:
            return None
        card, params = request.card, settings.synthesizer_params(request.card)
        self._next_tag += 1
        task = Task(self._next_tag, lambda: synthesizer_key(card, params))
        task.signals.done.connect(self._key_found)
        task.signals.failed.connect(self._key_failed)
        self._waiting[self._next_tag] = (request, project, started, refused, task)
        return start(task)

    def _key_found(self, tag: int, status: KeyStatus | None) -> None:
        waiting = self._waiting.pop(tag, None)
        if waiting is None:
            return
        request, project, started, refused, _task = waiting
        if self.session.project is not project:
            return  # the project was closed meanwhile: nothing to make
        if status is not None and not status.is_set:
            refused(missing_key(status))
            return
        try:
            job, _created, _skipped = request.create(project)
        except NothingToSendError as exc:
            self.status_message.emit(str(exc).replace("Nothing to send", "Nothing to generate", 1))  # English only
            return
        except RemudError as exc:
            refused(str(exc))
            return
        started(job)

    def _key_failed(self, tag: int, message: str) -> None:
        waiting = self._waiting.pop(tag, None)
        if waiting is not None:
            waiting[3](self.tr("The API key could not be looked up: {message}").format(message=message))

    def set_paused(self, job_id: int, on: bool) -> None:
        entry = self._running.get(job_id)
        if entry is not None:
            (entry[1].set if on else entry[1].clear)()

    def cancel(self, job_id: int) -> None:
        """Stop a running job (items in flight finish; the rest stay for later), or mark an idle one cancelled.
        A batch run asks the provider to cancel its batches (what they answered is still
        collected); an idle job with active batches has them cancelled in a worker."""
        entry = self._running.get(job_id)
        if entry is not None:
            entry[1].clear()
            if job_id in self._batch:
                self._batch[job_id][1].set()
            else:
                entry[0].cancel()
        elif self.session.project is not None and job_id not in self._cancelling:
            project = self.session.project
            if list_batches(project, job_id, active=True):
                folder = project.folder
                job = Job(self.tr("Cancelling the batches of synthesis job {job}").format(job=job_id),
                          lambda _ctx: cancel_batches(folder, job_id))
                self._cancelling[job_id] = job
                job.signals.done.connect(lambda n, j=job_id: self._batches_cancelled(j, n))
                job.signals.failed.connect(lambda message, j=job_id: self._failed(j, message))
                job.signals.finished.connect(lambda j=job_id: self._cancelling.pop(j, None))
                self.runner.start(job)
                return
            cancel_job(project, job_id)
            self.status_message.emit(self.tr("Synthesis job {job} cancelled.").format(job=job_id))

    def stop(self, job_id: int) -> None:
        """Stop a run for now: a live one like cancel; a batch run stops polling, its batches keep going."""
        entry = self._running.get(job_id)
        if entry is None:
            return
        entry[1].clear()
        if job_id in self._batch:
            self._batch[job_id][0].set()
        else:
            entry[0].cancel()

    def retry_failed(self, job_id: int) -> int:
        """Failed items of the job go back to pending, and the job runs again to send only them."""
        if self.session.project is None or job_id in self._running:
            return 0
        count = retry_failed(self.session.project, job_id)
        if count:
            self.run(job_id)
        return count

    def cancel_all(self) -> None:
        """Stop every run (closing the window): provider batches are not cancelled, Resume collects them."""
        for job_id in list(self._running):
            self.stop(job_id)

    # -- from the worker -------------------------------------------------------------------------
    def _progress(self, p) -> None:
        if p.done != self._done.get(p.job_id, p.done):
            self.session.notify_records_added()
        self._done[p.job_id] = p.done
        self.progressed.emit(p)

    def _finished(self, job_id: int, report) -> None:
        self._forget(job_id)
        if report.stored:
            self.session.notify_records_added()
        self.run_finished.emit(job_id, report)
        if report.state == JobState.STOPPED:
            self.status_message.emit(self.tr("Synthesis job {job} stopped: {message}").format(
                job=job_id, message=report.message))
        elif report.message:
            self.status_message.emit(self.tr("Synthesis job {job}: {message}").format(job=job_id, message=report.message))
        else:
            self.status_message.emit(self.tr("Synthesis job {job}: {state}, %n item(s) written.", "", report.stored).format(
                job=job_id, state=state_name(report.state)))

    def _failed(self, job_id: int, message: str) -> None:
        self._forget(job_id)
        self.run_failed.emit(job_id, message)
        self.status_message.emit(self.tr("Synthesis job {job}: {message}").format(job=job_id, message=message))

    def _batches_cancelled(self, job_id: int, count: int) -> None:
        self.batches_cancelled.emit(job_id, count)
        self.status_message.emit(self.tr("Synthesis job {job} cancelled (%n provider batch(es) asked to cancel; "
                                         "Resume collects what they answered).", "", count).format(job=job_id))

    def _forget(self, job_id: int) -> None:
        self._running.pop(job_id, None)
        self._done.pop(job_id, None)
        self._batch.pop(job_id, None)
