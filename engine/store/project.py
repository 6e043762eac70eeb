"""A project folder: project.sqlite (the single source of truth), sources/, cache/."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlite_utils

from engine.errors import ProjectError, ProjectExistsError, ProjectNotFoundError, ProjectTooNewError
from engine.store.schema import MIGRATIONS, SCHEMA_VERSION

DB_NAME = "project.sqlite"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Project:
    """An open project. One instance per thread: SQLite connections are not shared across threads."""

    def __init__(self, folder: Path, db: sqlite_utils.Database) -> None:
        self.folder = folder
        self.db = db

    # -- opening -----------------------------------------------------------------
    @classmethod
    def create(cls, folder: str | Path) -> "Project":
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ProjectError(f"{folder} is a file; a project is a folder.")
        if (folder / DB_NAME).exists():
            raise ProjectExistsError(f"There is already a project in {folder}.")
        if folder.exists() and any(folder.iterdir()):
            raise ProjectExistsError(f"{folder} is not empty: choose an empty or new folder for a project.")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"Cannot create the project folder {folder}: {exc.strerror}.") from exc
        return cls._open(folder)

    @classmethod
    def open(cls, folder: str | Path) -> "Project":
        folder = Path(folder)
        if folder.name == DB_NAME:
            folder = folder.parent
        if not (folder / DB_NAME).is_file():
            raise ProjectNotFoundError(f"{folder} is not a ReMUD project (no {DB_NAME} in it).")
        return cls._open(folder)

    @classmethod
    def _open(cls, folder: Path) -> "Project":
        path = folder / DB_NAME
        try:
            conn = sqlite3.connect(str(path), timeout=10)
            db = sqlite_utils.Database(conn)
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{path} is damaged or not a project database ({exc}).") from exc
        if version > SCHEMA_VERSION:
            conn.close()
            raise ProjectTooNewError(
                f"This project was written by a newer ReMUD Desktop (schema {version}; this version "
                f"reads up to {SCHEMA_VERSION}). Update the app to open it."
            )
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 10000")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        project = cls(folder, db)
        if version < SCHEMA_VERSION:
            project._migrate(version)
        for sub in ("sources", "cache"):
            (folder / sub).mkdir(exist_ok=True)
        return project

    def _migrate(self, version: int) -> None:
        if version > 0:
            self.backup(self.folder / f"project.v{version}.{datetime.now():%Y%m%d-%H%M%S}.sqlite.bak")
        for number in range(version, SCHEMA_VERSION):
            with self.atomic():
                MIGRATIONS[number](self.db)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    # -- helpers -----------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        """One transaction: everything inside is written, or nothing is."""
        with self.db.atomic():
            yield self.db

    def backup(self, target: Path) -> Path:
        """A consistent copy of the database (safe while WAL is in use)."""
        dest = sqlite3.connect(str(target))
        try:
            self.db.conn.backup(dest)
        finally:
            dest.close()
        return target

    @property
    def sources_dir(self) -> Path:
        return self.folder / "sources"

    @property
    def cache_dir(self) -> Path:
        return self.folder / "cache"

    def source_path(self, relative: str) -> Path:
        return self.folder / relative

    def reopen(self) -> "Project":
        """A new handle on the same project, for another thread."""
        return Project.open(self.folder)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
