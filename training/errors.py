"""Errors a user can cause while training, merging or converting (one clear sentence each).

training/ is stand-alone (it imports nothing from the engine), so it has its own small hierarchy.
"""

from __future__ import annotations


class TrainingError(Exception):
    """A problem the user can fix: a wrong path, a bad config value, a missing tool."""


class TrainingCancelled(TrainingError):
    """The caller's `cancel()` returned True; the last checkpoint is kept."""
