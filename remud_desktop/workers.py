"""Running engine work off the GUI thread. Results come back through signals only."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

from engine.errors import RemudError


class _Signals(QObject):
    done = Signal(object, object)  # (tag, result)
    failed = Signal(object, str)  # (tag, message)


class Task(QRunnable):
    """Calls fn() in the thread pool; emits done(tag, result) or failed(tag, message).

    `tag` says what the result belongs to (document, page...), so the receiver can drop
    results for something the user has moved away from.
    """

    def __init__(self, tag: Any, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.tag = tag
        self.fn = fn
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.fn()
        except RemudError as exc:
            self._emit(self.signals.failed, str(exc))
        except Exception as exc:  # a bug: say so, keep the app alive
            traceback.print_exc()
            self._emit(self.signals.failed,
                       QCoreApplication.translate("Workers", "Unexpected error: {error}").format(error=exc))
        else:
            self._emit(self.signals.done, result)

    def _emit(self, signal, value: Any) -> None:
        try:
            signal.emit(self.tag, value)
        except RuntimeError:  # the app is closing and took the receiver with it: nobody wants the result
            pass


def start(task: Task, pool: QThreadPool | None = None) -> Task:
    (pool or QThreadPool.globalInstance()).start(task)
    return task


class JobContext:
    """What a Job's function gets: a cancel flag to check, and ways to report back."""

    def __init__(self, signals: _JobSignals) -> None:
        self._signals = signals
        self._cancel = threading.Event()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._signals.progress.emit(done, total, text)

    def emit(self, item: Any) -> None:
        """Hand one partial result to the GUI thread (e.g. one detected page)."""
        self._signals.item.emit(item)


class _JobSignals(QObject):
    progress = Signal(int, int, str)  # (done, total, text)
    item = Signal(object)
    done = Signal(object)  # the function's return value
    failed = Signal(str)  # a readable message: a RemudError's sentence, or "Unexpected error: ..."
    finished = Signal()  # always last, after done or failed


class Job(QRunnable):
    """A cancellable background job: fn(ctx) runs in the pool; results arrive by signal.

    Signals are delivered in the GUI thread (queued), in order: any number of progress
    and item, then done or failed, then finished. Cancelling is cooperative: fn checks
    ctx.cancelled() (engine functions take it as their `cancel` callable).
    """

    def __init__(self, title: str, fn: Callable[[JobContext], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the owner keeps it (and its signals) until finished
        self.title = title
        self.fn = fn
        self.signals = _JobSignals()
        self.ctx = JobContext(self.signals)
        self.running = True
        self.summary = ""  # what it did, in one line, set by its owner when it is done (the job bar keeps it)

    def cancel(self) -> None:
        self.ctx._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self.ctx.cancelled()

    def run(self) -> None:
        try:
            result = self.fn(self.ctx)
        except RemudError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # a bug: say so, keep the app alive
            traceback.print_exc()
            self.signals.failed.emit(QCoreApplication.translate("Workers", "Unexpected error: {kind}: {error}").format(
                kind=type(exc).__name__, error=exc))
        else:
            self.signals.done.emit(result)
        finally:
            self.running = False
            self.signals.finished.emit()


class JobRunner(QObject):
    """Starts Jobs in its own pool and keeps them alive until they finish."""

    started = Signal(object)  # Job
    ended = Signal(object)  # Job

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.jobs: list[Job] = []

    def start(self, job: Job) -> Job:
        self.jobs.append(job)
        # a slot of this runner, not a lambda: a job that ends after the runner is gone (its window
        # closed) reports to nobody, instead of emitting from a deleted runner
        job.signals.finished.connect(self._job_finished)
        self.started.emit(job)
        self.pool.start(job)
        return job

    @Slot()
    def _job_finished(self) -> None:
        signals = self.sender()
        job = next((j for j in self.jobs if j.signals is signals), None)
        if job is not None:
            self.jobs.remove(job)
            self.ended.emit(job)

    def busy(self) -> bool:
        return bool(self.jobs)

    def cancel_all(self) -> None:
        for job in list(self.jobs):
            job.cancel()

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)
