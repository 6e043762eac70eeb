"""The Synthesis jobs panel: every synthesis job of the project with its state, progress,
tokens and cost, and the selected job's failures with their raw responses. Running,
pausing and cancelling go through the SynthController."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, QTimer, Signal
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

from engine.errors import RemudError
from engine.store.jobs import JobState, JobStatus, list_jobs
from engine.synth.jobs import job_status
from remud_desktop.synthesis.controller import FINAL_STATES, SynthController
from remud_desktop.synthesis.dialog import state_name
from remud_desktop.workers import Job, JobRunner

COLUMNS = (QT_TRANSLATE_NOOP("JobsPanel", "Job"), QT_TRANSLATE_NOOP("JobsPanel", "Synthesizer"),
           QT_TRANSLATE_NOOP("JobsPanel", "State"), QT_TRANSLATE_NOOP("JobsPanel", "Progress"),
           QT_TRANSLATE_NOOP("JobsPanel", "Tokens"), QT_TRANSLATE_NOOP("JobsPanel", "Cost"),
           QT_TRANSLATE_NOOP("JobsPanel", "Message"))
HINT_HEIGHT = 180  # what the dock asks for when it opens: a few rows, under a third of a laptop's window


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
        self.table.setHorizontalHeaderLabels([QCoreApplication.translate("JobsPanel", c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.run_button = QPushButton(self.tr("Run"))
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.setCheckable(True)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.retry_button = QPushButton(self.tr("Retry failed"))
        self.run_button.setToolTip(self.tr("Send the job's pending items (a stopped job resumes where it stopped)"))
        self.retry_button.setToolTip(self.tr("Send the failed items again, and only those"))
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
        self.raw.setPlaceholderText(self.tr("Select a failure to see its error and the raw response"))
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

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """A few jobs' rows high: the dock opens small under the page (the user can drag it taller)."""
        return QSize(super().sizeHint().width(), HINT_HEIGHT)

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
            state = state_name("paused" if self.controller.paused(job_id) else st.job.state)
            finished = st.counts.get("done", 0) + st.counts.get("failed", 0)
            failed = st.counts.get("failed", 0)
            progress = (self.tr("{finished}/{total} ({failed} failed)") if failed
                        else "{finished}/{total}").format(finished=finished, total=st.total, failed=failed)
            cells = (f"{job_id} {st.job.name}".strip(), f"{st.job.synthesizer} · {st.job.model}", state, progress,
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
        self.run_button.setText(self.tr("Resume") if st is not None and st.job.state in (
            JobState.STOPPED, JobState.PAUSED, JobState.CANCELLED) else self.tr("Run"))
        self.pause_button.blockSignals(True)
        self.pause_button.setEnabled(running and not self.controller.batch(job_id))  # batches cannot pause
        self.pause_button.setChecked(running and self.controller.paused(job_id))
        self.pause_button.blockSignals(False)
        self.cancel_button.setEnabled(st is not None and (running or st.job.state not in FINAL_STATES))
        self.retry_button.setEnabled(st is not None and not running and st.counts.get("failed", 0) > 0)
        self.failures.clear()
        self.raw.clear()
        if st is None:
            self.summary.setText(self.tr("No synthesis jobs yet: Synthesize → Synthesize…") if not self._status else "")
            return
        counts = self.tr(", ").join(self.tr("{count} {state}").format(count=n, state=state_name(k))
                                    for k, n in st.counts.items() if n)
        summary = (self.tr("Job {job}: {total} item(s), {counts}; {tokens_in} tokens in, {tokens_out} out, {cost}. {message}")
                   if st.job.message else
                   self.tr("Job {job}: {total} item(s), {counts}; {tokens_in} tokens in, {tokens_out} out, {cost}"))
        self.summary.setText(summary.format(job=job_id, total=st.total, counts=counts, tokens_in=f"{st.tokens_in:,}",
                                            tokens_out=f"{st.tokens_out:,}", cost=_cost(st.cost), message=st.job.message))
        for failure in st.failures:
            item = QListWidgetItem(self.tr("Item {item}: {error}").format(item=failure.item_id, error=failure.error))
            item.setData(Qt.ItemDataRole.UserRole, failure)
            self.failures.addItem(item)
        if job_id is not None:
            self.job_selected.emit(job_id)

    def _show_failure(self, current: QListWidgetItem | None, _previous=None) -> None:
        if current is None:
            self.raw.clear()
            return
        failure = current.data(Qt.ItemDataRole.UserRole)
        self.raw.setPlainText(self.tr("Error: {error}\n\nRaw response:\n{raw}").format(
            error=failure.error, raw=failure.raw or self.tr("(none)")))

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
            QMessageBox.warning(self, self.tr("Synthesis"), str(exc))
        self.refresh()

    def retry_selected(self) -> int:
        job_id = self.selected_job()
        if job_id is None:
            return 0
        try:
            count = self.controller.retry_failed(job_id)
        except RemudError as exc:
            QMessageBox.warning(self, self.tr("Synthesis"), str(exc))
            return 0
        self.refresh()
        return count

    def _run_finished(self, job_id: int, report) -> None:
        self.refresh()
        if report.state == JobState.STOPPED:
            QMessageBox.warning(self, self.tr("Synthesis stopped"),
                                self.tr("Synthesis job {job} stopped: {message}\n\n"
                                        "Fix the cause (for a key: File → Settings → Synthesis), then press Resume.").format(
                                    job=job_id, message=report.message))

    def _run_failed(self, job_id: int, message: str) -> None:
        self.refresh()
        QMessageBox.warning(self, self.tr("Synthesis"),
                            self.tr("Synthesis job {job} could not run: {message}").format(job=job_id, message=message))
