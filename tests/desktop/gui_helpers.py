"""Helpers for window tests: a window with its own QSettings file and settings folder,
and message boxes that record instead of blocking. The fixtures built on them (isolated,
messages, memory_keyring) are in conftest.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QInputDialog, QMessageBox

from remud_desktop.session import Session
from remud_desktop.window.main_window import MainWindow

# How long a test waits for something that should happen (a signal, a condition, a window): a wait
# ends the moment it holds, so only a failing test waits this long, and a busy machine fails nothing.
# It is also the default of every qtbot wait in tests/desktop (conftest.py; pytest-qt's is 5 s).
WAIT_MS = 60_000


@dataclass
class Recorder:
    """Replaces QMessageBox.warning/information/critical/question: records, answers."""

    shown: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, title, text)
    answer: QMessageBox.StandardButton = QMessageBox.StandardButton.No

    def install(self, monkeypatch) -> Recorder:
        for kind in ("warning", "information", "critical"):
            monkeypatch.setattr(QMessageBox, kind, self._box(kind))
        monkeypatch.setattr(QMessageBox, "question", self._question)
        return self

    def _box(self, kind):
        def show(parent, title, text, *args, **kwargs):
            self.shown.append((kind, title, text))
            return QMessageBox.StandardButton.Ok
        return staticmethod(show)

    def _question(self, parent, title, text, *args, **kwargs):
        self.shown.append(("question", title, text))
        return self.answer

    def texts(self, kind: str | None = None) -> list[str]:
        return [t for k, _, t in self.shown if kind is None or k == kind]


def make_window(qtbot, settings: QSettings) -> MainWindow:
    window = MainWindow(settings)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):  # a context manager: it waits on leaving the block
        window.show()
    return window


def finish_jobs(qtbot, window, timeout: int = 60000) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy(), timeout=timeout)


class Passwords:
    """Replaces QInputDialog.getText: answers from a list, records the prompts."""

    def __init__(self, monkeypatch, answers: list[str | None]):
        self.answers, self.prompts = list(answers), []
        monkeypatch.setattr(QInputDialog, "getText", staticmethod(self._get))

    def _get(self, parent, title, label, *args, **kwargs):
        self.prompts.append(label)
        answer = self.answers.pop(0) if self.answers else None
        return (answer or "", answer is not None)


class StallMeter:
    """A QTimer ticking every `interval_ms` in the GUI thread; the longest gap between
    ticks is the longest time the event loop could not run (reported, never asserted)."""

    def __init__(self, interval_ms: int = 5):
        self._now = time.perf_counter
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.ticks = 0
        self.max_gap = 0.0
        self._last = None

    def _tick(self) -> None:
        now = self._now()
        if self._last is not None:
            self.max_gap = max(self.max_gap, now - self._last)
        self._last = now
        self.ticks += 1

    def start(self) -> StallMeter:
        self._last = None
        self.timer.start()
        return self

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap


@contextmanager
def open_session(folder: Path, doc_id: int = 1, page: int = 0) -> Iterator[Session]:
    """A Session on a project folder, at a page; the project is closed afterwards."""
    session = Session()
    session.open_project(folder)
    session.go_to(doc_id, page)
    try:
        yield session
    finally:
        session.close_project()
