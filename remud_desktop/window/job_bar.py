"""Background jobs in the status bar: what runs (in the window's JobRunner), how far it is, and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QToolButton, QWidget

from remud_desktop.workers import Job, JobRunner


class JobBar(QWidget):
    """Shows the most recent running job; Cancel asks it to stop. When the last job ends with a
    summary (Job.summary), that line stays, with a button to dismiss it, until the next job starts."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.bar.setMaximumHeight(16)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop the background job; work done so far is kept"))
        self.cancel_button.clicked.connect(self.cancel)
        self.dismiss_button = QToolButton()
        self.dismiss_button.setText("✕")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.setToolTip(self.tr("Hide this line"))
        self.dismiss_button.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        for w in (self.label, self.bar, self.cancel_button, self.dismiss_button):
            lay.addWidget(w)
        self._current: Job | None = None
        self._latest: tuple[int, int, str] | None = None
        self._repaint = QTimer(self, singleShot=True, interval=50)
        self._repaint.timeout.connect(self._show_progress)
        runner.started.connect(self._started)
        runner.ended.connect(self._ended)
        self.hide()

    def _started(self, job: Job) -> None:
        self._watch(job)
        job.signals.progress.connect(lambda done, total, text, j=job: self._progress(j, done, total, text))

    def _watch(self, job: Job) -> None:
        self._current, self._latest = job, None
        self.label.setText(job.title)
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.bar.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText(self.tr("Cancel"))
        self.cancel_button.show()
        self.dismiss_button.hide()
        self.show()

    def _progress(self, job: Job, done: int, total: int, text: str) -> None:
        """Progress comes in bursts; the bar shows the latest, at most every 50 ms."""
        if job is self._current:
            self._latest = (done, total, text)
            if not self._repaint.isActive():
                self._repaint.start()

    def _show_progress(self) -> None:
        if self._current is None or self._latest is None:
            return
        (done, total, text), job = self._latest, self._current
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        else:
            self.bar.setRange(0, 0)
        self.label.setText(self.tr("{job} — {progress}").format(job=job.title, progress=text) if text else job.title)

    def _ended(self, job: Job) -> None:
        if job is not self._current:
            return
        self._current = None
        if self.runner.jobs:
            self._watch(self.runner.jobs[-1])
        elif job.summary:
            self._repaint.stop()
            self.label.setText(job.summary)
            self.bar.hide()
            self.cancel_button.hide()
            self.dismiss_button.show()
        else:
            self.hide()

    def cancel(self) -> None:
        if self._current is not None:
            self._current.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText(self.tr("Cancelling…"))

    def current(self) -> Job | None:
        return self._current
