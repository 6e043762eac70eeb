"""Helpers for window tests: a window with its own QSettings file and settings folder,
message boxes that record instead of blocking, and a keyring that lives in memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QInputDialog, QMessageBox


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


@pytest.fixture
def messages(monkeypatch) -> Recorder:
    return Recorder().install(monkeypatch)


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """User settings (engine.settings) and QSettings in tmp_path, never the user's own."""
    monkeypatch.setenv("REMUD_CONFIG_DIR", str(tmp_path / "config"))
    return QSettings(str(tmp_path / "qsettings.ini"), QSettings.Format.IniFormat)


def make_window(qtbot, settings: QSettings):
    from remud_desktop.window.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
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
        import time

        from PySide6.QtCore import QTimer

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
def open_session(folder: Path, doc_id: int = 1, page: int = 0) -> Iterator:
    """A Session on a project folder, at a page; the project is closed afterwards."""
    from remud_desktop.session import Session

    session = Session()
    session.open_project(folder)
    session.go_to(doc_id, page)
    try:
        yield session
    finally:
        session.close_project()


class MemoryKeyring:
    """A keyring backend that lives in memory: tests never touch the user's keyring."""

    priority = 1

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    import keyring
    from keyring.backend import KeyringBackend

    backend = type("TestKeyring", (MemoryKeyring, KeyringBackend), {})()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
