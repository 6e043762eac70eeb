"""Fixtures the window tests share: settings kept in the test's folder, message boxes that
record instead of blocking, a keyring that lives in memory, and a qtbot whose waits give up
after WAIT_MS (a minute) instead of pytest-qt's 5 s when a test names no timeout."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

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
