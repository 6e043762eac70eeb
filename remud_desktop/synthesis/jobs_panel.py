"""Synthesis jobs from the window: run them in the background, and a panel that lists them.

SynthController starts engine.synth.jobs.run_job in a JobRunner worker (it opens its own
project handles), forwards its progress to the status bar and the panel, pauses and
cancels it, and tells the Records view when records arrive. A job in batch mode (chosen in
the dialog, or one that already has provider batches waiting) runs engine.synth.batch.run_batch
instead: it polls the same batches again on Resume and never submits them twice; Cancel asks
the provider to cancel them, and closing the window only stops polling. JobsPanel shows every job of
the project with its state, progress, tokens and cost, and the selected job's failures
with their raw responses.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine import settings
from engine.errors import RemudError
from engine.store.jobs import JobState, JobStatus, get_job, list_batches, list_jobs
from engine.synth.batch import cancel_batches, run_batch
from engine.synth.jobs import cancel_job, job_status, retry_failed, run_job
from remud_desktop.job_bar import JobRunner
from remud_desktop.records.commands import record_events
from remud_desktop.workers import Job, JobContext

FINAL_STATES = {JobState.DONE, JobState.FINISHED, JobState.CANCELLED, JobState.STOPPED}


class SynthController(QObject):
    """Runs synthesis jobs in the background, one worker per job."""

    progressed = Signal(object)  # engine.synth.runner.Progress
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
                ctx.progress(p.done + p.failed, p.total, f"{p.done}/{p.total} done, ${p.cost:.4f}"
                             + (" (paused)" if p.state == JobState.PAUSED else "")
                             + (" (batch)" if use_batch else ""))
                ctx.emit(p)
            if use_batch:
                # The pool's cancel (closing the window) only stops polling; the batches keep
                # running at the provider and the next run collects them. Cancel cancels them.
                return run_batch(folder, job_id, poll_s=poll_s, progress=progress,
                                 stop=lambda: stop.is_set() or ctx.cancelled(), cancel=cancel.is_set)
            return run_job(folder, job_id, concurrency=concurrency, progress=progress, cancel=ctx.cancelled,
                           pause=pause.is_set)

        job = Job(f"Synthesis job {job_id}" + (" (batch)" if use_batch else ""), work)
        self._running[job_id] = (job, pause)
        if use_batch:
            self._batch[job_id] = (stop, cancel)
        self._done[job_id] = -1
        job.signals.item.connect(self._progress)
        job.signals.done.connect(lambda report, j=job_id: self._finished(j, report))
        job.signals.failed.connect(lambda message, j=job_id: self._failed(j, message))
        job.signals.finished.connect(lambda j=job_id: self._forget(j))
        return self.runner.start(job)

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
                job = Job(f"Cancelling the batches of synthesis job {job_id}",
                          lambda _ctx: cancel_batches(folder, job_id))
                self._cancelling[job_id] = job
                job.signals.done.connect(lambda n, j=job_id: self._batches_cancelled(j, n))
                job.signals.failed.connect(lambda message, j=job_id: self._failed(j, message))
                job.signals.finished.connect(lambda j=job_id: self._cancelling.pop(j, None))
                self.runner.start(job)
                return
            cancel_job(project, job_id)
            self.status_message.emit(f"Synthesis job {job_id} cancelled.")

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
            record_events(self.session).added.emit()
        self._done[p.job_id] = p.done
        self.progressed.emit(p)

    def _finished(self, job_id: int, report) -> None:
        self._forget(job_id)
        if report.stored:
            record_events(self.session).added.emit()
        self.run_finished.emit(job_id, report)
        if report.state == JobState.STOPPED:
            self.status_message.emit(f"Synthesis job {job_id} stopped: {report.message}")
        elif report.message:
            self.status_message.emit(f"Synthesis job {job_id}: {report.message}")
        else:
            self.status_message.emit(f"Synthesis job {job_id}: {report.state}, {report.stored} item(s) written.")

    def _failed(self, job_id: int, message: str) -> None:
        self._forget(job_id)
        self.run_failed.emit(job_id, message)
        self.status_message.emit(f"Synthesis job {job_id}: {message}")

    def _batches_cancelled(self, job_id: int, count: int) -> None:
        self.batches_cancelled.emit(job_id, count)
        self.status_message.emit(f"Synthesis job {job_id} cancelled ({count} provider batch(es) asked to cancel; "
                                 "Resume collects what they answered).")

    def _forget(self, job_id: int) -> None:
        self._running.pop(job_id, None)
        self._done.pop(job_id, None)
        self._batch.pop(job_id, None)


COLUMNS = ("Job", "Synthesizer", "State", "Progress", "Tokens", "Cost", "Message")


def _cost(value: float) -> str:
    return f"${value:.4f}"


class JobsPanel(QWidget):
    """Every synthesis job of the project; the selected one's failures with raw responses."""

    job_selected = Signal(int)

    def __init__(self, session, runner: JobRunner, parent: QWidget | None = None,
                 controller: SynthController | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.controller = controller or SynthController(session, runner, self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.run_button = QPushButton("Run")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.cancel_button = QPushButton("Cancel")
        self.retry_button = QPushButton("Retry failed")
        self.run_button.setToolTip("Send the job's pending items (a stopped job resumes where it stopped)")
        self.retry_button.setToolTip("Send the failed items again, and only those")
        self.run_button.clicked.connect(self.run_selected)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.retry_button.clicked.connect(self.retry_selected)
        buttons = QHBoxLayout()
        for b in (self.run_button, self.pause_button, self.cancel_button, self.retry_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.failures = QListWidget()
        self.failures.currentItemChanged.connect(self._show_failure)
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setPlaceholderText("Select a failure to see its error and the raw response")
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.failures)
        lower.addWidget(self.raw)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(buttons)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)

        self._status: dict[int, JobStatus] = {}
        self._refresh_timer = QTimer(self, singleShot=True, interval=150)  # progress comes in bursts
        self._refresh_timer.timeout.connect(self.refresh)
        self.controller.progressed.connect(lambda _p: self._refresh_timer.start())
        self.controller.run_finished.connect(self._run_finished)
        self.controller.run_failed.connect(self._run_failed)
        self.controller.batches_cancelled.connect(lambda _j, _n: self.refresh())
        session.project_opened.connect(self.refresh)
        self.refresh()

    # -- contents ---------------------------------------------------------------------------------
    def selected_job(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return int(self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole))

    def select_job(self, job_id: int) -> None:
        for row in range(self.table.rowCount()):
            if int(self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)) == job_id:
                self.table.selectRow(row)
                return

    def status(self, job_id: int) -> JobStatus | None:
        return self._status.get(job_id)

    def refresh(self) -> None:
        """Reload the jobs (and the selected job's failures) from the project."""
        project = self.session.project
        keep = self.selected_job()
        self._status = {}
        if project is not None:
            for job in list_jobs(project):
                self._status[job.id] = job_status(project, job.id)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self._status))
        for row, (job_id, st) in enumerate(sorted(self._status.items(), reverse=True)):
            state = str(st.job.state)
            if self.controller.paused(job_id):
                state = "paused"
            finished = st.counts.get("done", 0) + st.counts.get("failed", 0)
            failed = st.counts.get("failed", 0)
            cells = (f"{job_id} {st.job.name}".strip(), f"{st.job.synthesizer} · {st.job.model}", state,
                     f"{finished}/{st.total}" + (f" ({failed} failed)" if failed else ""),
                     f"{st.tokens_in + st.tokens_out:,}", _cost(st.cost), st.job.message)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setData(Qt.ItemDataRole.UserRole, job_id)
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        if keep is not None and keep in self._status:
            self.select_job(keep)
        elif self._status and self.selected_job() is None:
            self.table.selectRow(0)
        self._selection_changed()

    def _selection_changed(self) -> None:
        job_id = self.selected_job()
        st = self._status.get(job_id) if job_id is not None else None
        running = job_id is not None and self.controller.running(job_id)
        self.run_button.setEnabled(st is not None and not running and st.job.state is not JobState.DONE)
        self.run_button.setText("Resume" if st is not None and st.job.state in (JobState.STOPPED, JobState.PAUSED,
                                                                                  JobState.CANCELLED) else "Run")
        self.pause_button.blockSignals(True)
        self.pause_button.setEnabled(running and not self.controller.batch(job_id))  # batches cannot pause
        self.pause_button.setChecked(running and self.controller.paused(job_id))
        self.pause_button.blockSignals(False)
        self.cancel_button.setEnabled(st is not None and (running or st.job.state not in FINAL_STATES))
        self.retry_button.setEnabled(st is not None and not running and st.counts.get("failed", 0) > 0)
        self.failures.clear()
        self.raw.clear()
        if st is None:
            self.summary.setText("No synthesis jobs yet: Synthesize → Synthesize…" if not self._status else "")
            return
        self.summary.setText(f"Job {job_id}: {st.total} item(s), " + ", ".join(f"{n} {k}" for k, n in st.counts.items() if n)
                             + f"; {st.tokens_in:,} tokens in, {st.tokens_out:,} out, {_cost(st.cost)}"
                             + (f". {st.job.message}" if st.job.message else ""))
        for failure in st.failures:
            item = QListWidgetItem(f"Item {failure.item_id}: {failure.error}")
            item.setData(Qt.ItemDataRole.UserRole, failure)
            self.failures.addItem(item)
        if job_id is not None:
            self.job_selected.emit(job_id)

    def _show_failure(self, current: QListWidgetItem | None, _previous=None) -> None:
        if current is None:
            self.raw.clear()
            return
        failure = current.data(Qt.ItemDataRole.UserRole)
        self.raw.setPlainText(f"Error: {failure.error}\n\nRaw response:\n{failure.raw or '(none)'}")

    # -- buttons ------------------------------------------------------------------------------------
    def run_selected(self) -> Job | None:
        job_id = self.selected_job()
        if job_id is None:
            return None
        job = self.controller.run(job_id)
        self._selection_changed()
        return job

    def _pause_toggled(self, on: bool) -> None:
        job_id = self.selected_job()
        if job_id is not None:
            self.controller.set_paused(job_id, on)
            self._refresh_timer.start()

    def cancel_selected(self) -> None:
        job_id = self.selected_job()
        if job_id is None:
            return
        try:
            self.controller.cancel(job_id)
        except RemudError as exc:
            QMessageBox.warning(self, "Synthesis", str(exc))
        self.refresh()

    def retry_selected(self) -> int:
        job_id = self.selected_job()
        if job_id is None:
            return 0
        try:
            count = self.controller.retry_failed(job_id)
        except RemudError as exc:
            QMessageBox.warning(self, "Synthesis", str(exc))
            return 0
        self.refresh()
        return count

    def _run_finished(self, job_id: int, report) -> None:
        self.refresh()
        if report.state == JobState.STOPPED:
            QMessageBox.warning(self, "Synthesis stopped",
                                f"Synthesis job {job_id} stopped: {report.message}\n\n"
                                "Fix the cause (for a key: File → Settings → Synthesis), then press Resume.")

    def _run_failed(self, job_id: int, message: str) -> None:
        self.refresh()
        QMessageBox.warning(self, "Synthesis", f"Synthesis job {job_id} could not run: {message}")
