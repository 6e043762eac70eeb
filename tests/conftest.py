"""Shared fixtures: real project folders, real PDFs made by the tests, loopback model servers."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from engine.store import Project
from engine.store.project import forget_checks
from tests.servers.gemini_compat import gemini_server  # noqa: F401  (a fixture: a loopback Gemini server)
from tests.servers.openai_compat import openai_server  # noqa: F401  (a fixture: a loopback OpenAI-compatible server)


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
