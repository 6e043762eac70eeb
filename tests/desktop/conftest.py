"""Fixtures the window tests share: settings kept in the test's folder, message boxes that
record instead of blocking, a keyring that lives in memory, a qtbot whose waits give up
after WAIT_MS (a minute) instead of pytest-qt's 5 s when a test names no timeout, and Python's
cycle collector run in the GUI thread only, as the app runs it (remud_desktop.gui_thread_gc)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from pytestqt.qtbot import QtBot

from remud_desktop import gui_thread_gc, i18n
from tests.desktop.gui_helpers import WAIT_MS, Recorder
from tests.memory_keyring import MemoryKeyring


class PatientQtBot(QtBot):
    """pytest-qt's QtBot; a wait without a timeout waits up to WAIT_MS. A wait returns as soon as
    what it waits for happens, so this only changes how long a failing test takes to say so; 5 s
    was short enough for a loaded machine (both cores busy) to fail tests that were right."""

    def waitUntil(self, callback, *, timeout: int = WAIT_MS) -> None:  # noqa: N802 - pytest-qt's names
        super().waitUntil(callback, timeout=timeout)

    def waitSignal(self, signal, *, timeout: int = WAIT_MS, **kwargs):  # noqa: N802
        return super().waitSignal(signal, timeout=timeout, **kwargs)

    def waitSignals(self, signals, *, timeout: int = WAIT_MS, **kwargs):  # noqa: N802
        return super().waitSignals(signals, timeout=timeout, **kwargs)

    def waitExposed(self, widget, *, timeout: int = WAIT_MS):  # noqa: N802
        return super().waitExposed(widget, timeout=timeout)

    def waitActive(self, widget, *, timeout: int = WAIT_MS):  # noqa: N802
        return super().waitActive(widget, timeout=timeout)

    def waitCallback(self, *, timeout: int = WAIT_MS, raising=None):  # noqa: N802
        return super().waitCallback(timeout=timeout, raising=raising)


@pytest.fixture(scope="session", autouse=True)
def collect_in_the_gui_thread(qapp) -> Iterator[None]:
    """As the app does: garbage (a closed window of an earlier test) is freed in the GUI thread, never in
    a worker thread where freeing a Qt object races the event loop (a crash in activateTimers)."""
    collector = gui_thread_gc.install(qapp)
    yield
    collector.stop()


@pytest.fixture(scope="session", autouse=True)
def english_catalogs(qapp) -> Iterator[None]:
    """The window tests read the English interface, with its plural forms ("3 figures"), as an
    English desktop shows it; test_i18n_gui switches to other languages and back."""
    i18n.install(qapp, "en")
    yield


@pytest.fixture(autouse=True)
def free_closed_windows(qapp) -> Iterator[None]:
    """After each test (pytest-qt has closed its widgets by then): delete what was scheduled for
    deletion and collect, here in the GUI thread."""
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture
def qtbot(qapp, request) -> QtBot:
    """pytest-qt's qtbot, with waits as patient as a busy machine needs (PatientQtBot)."""
    return PatientQtBot(request)


@pytest.fixture
def messages(monkeypatch) -> Recorder:
    return Recorder().install(monkeypatch)


@pytest.fixture
def isolated(monkeypatch, tmp_path) -> QSettings:
    """User settings (engine.settings) and QSettings in tmp_path, never the user's own."""
    monkeypatch.setenv("REMUD_CONFIG_DIR", str(tmp_path / "config"))
    return QSettings(str(tmp_path / "qsettings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def memory_keyring() -> Iterator[KeyringBackend]:
    backend = type("TestKeyring", (MemoryKeyring, KeyringBackend), {})()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
