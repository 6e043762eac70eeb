"""The project store: a SQLite file per project, reached only through these modules."""

from engine.store.project import Project

__all__ = ["Project"]
