"""Typed errors of the evaluation: each message is one sentence that says what to do."""

from __future__ import annotations

from engine.errors import RemudError


class EvalError(RemudError):
    """Something about an evaluation run the user can fix."""


class TestSetError(EvalError):
    """The test file cannot be read, or one of its items is not a multiple-choice question."""

    __test__ = False  # not a pytest test class


class EvalConfigError(EvalError):
    """Settings that cannot work (k below 1, k above the samples taken, an empty budget list)."""


class SettingsMismatchError(EvalError):
    """The output folder holds a run made with other settings."""


class EvalBackendError(EvalError):
    """The model backend failed in a way retrying does not fix (wrong key, unknown model)."""
