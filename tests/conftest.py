"""Shared fixtures: real project folders, real PDFs made by the tests, loopback model servers."""

from __future__ import annotations

import os
from collections.abc import Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The tests read English messages, from this process and from the `remud` and app processes they
# start, whatever this machine's locale (LANGUAGE comes first in the system's language choice).
os.environ["LANGUAGE"] = "en"

import pytest

from engine.store import Project
from engine.store.project import forget_checks
from tests.servers.gemini_compat import GeminiCompatServer
from tests.servers.openai_compat import OpenAICompatServer


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


@pytest.fixture
def openai_server() -> Iterator[OpenAICompatServer]:
    """A started loopback OpenAI-compatible server (no key check), stopped after the test."""
    with OpenAICompatServer() as server:
        yield server


@pytest.fixture
def gemini_server() -> Iterator[GeminiCompatServer]:
    """A started loopback Gemini server (no key check), stopped after the test."""
    with GeminiCompatServer() as server:
        yield server
