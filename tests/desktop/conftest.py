"""Fixtures the window tests share: settings kept in the test's folder, message boxes that
record instead of blocking, and a keyring that lives in memory."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QSettings

from tests.desktop.gui_helpers import Recorder
from tests.memory_keyring import MemoryKeyring


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
