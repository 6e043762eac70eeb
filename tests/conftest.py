"""Shared fixtures: real project folders and real PDFs made by the tests."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from engine.store import Project


@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "Test.remud") as p:
        yield p
