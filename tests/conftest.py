"""Shared fixtures: real project folders and real PDFs made by the tests."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from engine.store import Project
from engine.store.project import forget_checks


@pytest.fixture(autouse=True)
def _fresh_store_checks():
    """Each test checks its projects afresh (the process remembers what it found per file)."""
    forget_checks()
    yield
    forget_checks()


@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "Test.remud") as p:
        yield p
