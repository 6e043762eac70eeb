"""Running engine work off the GUI thread. Results come back through signals only."""

from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


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
        from engine.errors import RemudError

        try:
            result = self.fn()
        except RemudError as exc:
            self.signals.failed.emit(self.tag, str(exc))
        except Exception as exc:  # a bug: say so, keep the app alive
            traceback.print_exc()
            self.signals.failed.emit(self.tag, f"Unexpected error: {exc}")
        else:
            self.signals.done.emit(self.tag, result)


def start(task: Task, pool: QThreadPool | None = None) -> Task:
    (pool or QThreadPool.globalInstance()).start(task)
    return task
