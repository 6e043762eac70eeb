"""A project folder: project.sqlite (the single source of truth), sources/, cache/.

Opening checks the database before anything is written to it: a file this app did not
write, a damaged one, or one next to imported sources but empty is never written to (nor
silently made anew). A project on read-only storage opens read-only. Every write runs in
one `BEGIN IMMEDIATE` transaction, so concurrent writers (two `remud` commands, the CLI
and the window) wait for each other instead of failing; what SQLite reports (busy, disk
full, read-only, damage) becomes one sentence (engine.store.faults).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from engine.errors import (
    DamagedProjectError,
    ProjectError,
    ProjectExistsError,
    ProjectNotFoundError,
    ProjectTooNewError,
    ReadOnlyProjectError,
)
from engine.i18n import ntr, tr
from engine.store import backups
from engine.store.faults import (
    BUSY_TIMEOUT_S,
    backups_hint,
    backups_sentence,
    damaged_message,
    read_only_message,
    store_error,
)
from engine.store.integrity import quick_check
from engine.store.schema import MIGRATIONS, SCHEMA_VERSION

DB_NAME = "project.sqlite"
# A fresh uid, as SQL (schema v8): the store's inserts give one at once; a trigger gives one to rows inserted without
NEW_UID = "lower(hex(randomblob(16)))"

# Databases this process has already checked, by (path, device, inode): what was found ('' = sound).
# Threads and workers open their own handles on the same file; one check per file is enough,
# and damage found while reading or writing is recorded here too.
_checked: dict[tuple[str, int, int], str] = {}


def forget_checks() -> None:
    """Forget what earlier checks found (after a repair put a new file in place)."""
    _checked.clear()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id the INSERT just run on `cursor` gave its row (sqlite3 says None only before any INSERT)."""
    row_id = cursor.lastrowid
    assert row_id is not None, "lastrowid is read after an INSERT"
    return row_id


def _sources_count(folder: Path) -> int:
    sources = folder / "sources"
    return sum(1 for p in sources.glob("*.pdf") if not p.name.startswith(".")) if sources.is_dir() else 0


def _read_only_reason(folder: Path) -> str:
    """Why nothing can be written here ('' when it can): SQLite needs the folder for its WAL."""
    path = folder / DB_NAME
    if os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK)):
        return ""
    return read_only_message(folder)


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    """Autocommit connection (transactions are explicit, see Project.atomic)."""
    if not read_only:
        return sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=True)
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute("PRAGMA user_version").fetchone()
        return conn
    except sqlite3.OperationalError:
        # A WAL database on read-only storage whose -shm cannot be made: read the file as it is.
        conn.close()
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)


class Project:
    """An open project. One instance per thread: SQLite connections are not shared across threads.

    `read_only` says why the project cannot be changed ('' when it can): read-only storage,
    or a damaged database. Every write then raises ReadOnlyProjectError/DamagedProjectError."""

    def __init__(self, folder: Path, db: sqlite_utils.Database, read_only: str = "", damaged: bool = False) -> None:
        self.folder = folder
        self.db = db
        self.read_only = read_only
        self.damaged = damaged
        self._savepoints = itertools.count()

    # -- opening -----------------------------------------------------------------
    @classmethod
    def create(cls, folder: str | Path) -> Project:
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ProjectError(tr("{folder} is a file; a project is a folder.").format(folder=folder))
        if (folder / DB_NAME).exists():
            raise ProjectExistsError(tr("There is already a project in {folder}.").format(folder=folder))
        if folder.exists() and any(folder.iterdir()):
            raise ProjectExistsError(
                tr("{folder} is not empty: choose an empty or new folder for a project.").format(folder=folder))
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(tr("Cannot create the project folder {folder}: {reason}.").format(
                folder=folder, reason=exc.strerror)) from exc
        return cls._open(folder, check=False)

    @classmethod
    def open(cls, folder: str | Path, *, check: bool = True) -> Project:
        """Open an existing project. `check` runs the integrity check once per file and process."""
        folder = Path(folder)
        if folder.name == DB_NAME:
            folder = folder.parent
        path = folder / DB_NAME
        sources = _sources_count(folder)
        if not path.is_file():
            if sources:
                raise DamagedProjectError(
                    tr("{folder} has imported PDFs in sources/ but no {file}: the database was moved or deleted. "
                       "Put it back, or {restore}; nothing was changed.").format(
                        folder=folder, file=DB_NAME, restore=backups_hint(folder)))
            raise ProjectNotFoundError(tr("{folder} is not a ReMUD project (no {file} in it).").format(
                folder=folder, file=DB_NAME))
        if path.stat().st_size == 0 and sources:
            raise DamagedProjectError(ntr(
                "{path} is empty (0 bytes) although sources/ holds {n} imported PDF: the database was lost. "
                "{restore}; nothing was changed.",
                "{path} is empty (0 bytes) although sources/ holds {n} imported PDFs: the database was lost. "
                "{restore}; nothing was changed.", sources).format(path=path, n=sources, restore=backups_sentence(folder)))
        return cls._open(folder, check=check)

    @classmethod
    def _open(cls, folder: Path, *, check: bool) -> Project:
        path = folder / DB_NAME
        read_only = _read_only_reason(folder)
        try:
            conn = _connect(path, bool(read_only))
        except sqlite3.Error as exc:
            raise store_error(exc, folder) from exc
        try:
            version, tables = _schema_of(conn)
            _refuse_foreign(path, version, tables)
            damage = cls._check(conn, path) if check else _checked.get(_file_id(path), "")
        except sqlite3.Error as exc:
            conn.close()
            raise store_error(exc, folder) from exc
        except BaseException:
            conn.close()
            raise
        db = sqlite_utils.Database(conn)
        project = cls(folder, db, read_only=damaged_message(folder, damage) if damage else read_only,
                      damaged=bool(damage))
        try:
            project._configure(version)
        except BaseException:
            conn.close()
            raise
        return project

    @staticmethod
    def _check(conn: sqlite3.Connection, path: Path) -> str:
        key = _file_id(path)
        if key not in _checked:
            _checked[key] = quick_check(conn) or ""
        return _checked[key]

    def _configure(self, version: int) -> None:
        db = self.db
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        if self.read_only:
            if version < SCHEMA_VERSION:
                raise ReadOnlyProjectError(
                    tr("{folder} was made by an earlier version and must be upgraded before it can be opened, "
                       "which needs write access. {reason}").format(folder=self.folder, reason=self.read_only))
            db.execute("PRAGMA query_only = ON")
            return
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            self._migrate(version)
        for sub in ("sources", "cache"):
            (self.folder / sub).mkdir(exist_ok=True)
        if version:  # an existing project that was found sound: keep a recent copy
            backups.backup_if_due(db.conn, self.folder)

    def _migrate(self, version: int) -> None:
        if version > 0:
            self.backup(self.folder / f"project.v{version}.{datetime.now():%Y%m%d-%H%M%S}.sqlite.bak")
        with self.atomic():
            # Another process may have upgraded the file while this one waited for the write lock.
            current = self.schema_version
            for number in range(current, SCHEMA_VERSION):
                MIGRATIONS[number](self.db)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    # -- helpers -----------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        version: int = self.db.execute("PRAGMA user_version").fetchone()[0]
        return version

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction: everything inside is written, or nothing is.

        It starts with BEGIN IMMEDIATE (waiting up to BUSY_TIMEOUT_S for another writer), so it
        never has to upgrade a read to a write halfway. Nested calls are savepoints."""
        self.refuse_writes()
        conn = self.db.conn
        if conn.in_transaction:
            name = f"remud_{next(self._savepoints)}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield self.db
            except BaseException:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
                raise
            conn.execute(f"RELEASE {name}")
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield self.db
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            error = self.fault(exc)
            if error is exc:
                raise
            raise error from exc

    @contextlib.contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """One read transaction: every query inside sees the same database state, so an edit made
        meanwhile (the GUI, another process) cannot make two reads disagree (an export's counts and
        its files). Inside a transaction the caller already holds, that one is used."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")  # nothing was written: ending the read is all this does

    def fault(self, exc: BaseException) -> BaseException:
        """The sentence-bearing error for a store failure; other exceptions are returned as they are.
        Damage found now is remembered: this handle (and later ones in this process) stop writing."""
        if not isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError) or isinstance(
                exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
            return exc
        error = store_error(exc, self.folder)
        if isinstance(error, DamagedProjectError):
            self.read_only, self.damaged = str(error), True
            _checked[_file_id(self.folder / DB_NAME)] = str(exc)
        return error

    def refuse_writes(self) -> None:
        """Raise the reason this project cannot be changed, if there is one."""
        if self.read_only:
            raise (DamagedProjectError if self.damaged else ReadOnlyProjectError)(self.read_only)

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
        """Rendered pages and crops; for a read-only project, a folder of this user's instead."""
        if not self.read_only or (self.damaged and os.access(self.folder, os.W_OK)):
            return self.folder / "cache"
        key = hashlib.sha1(str(self.folder.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        folder = Path(tempfile.gettempdir()) / "remud-desktop-cache" / key
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def source_path(self, relative: str) -> Path:
        return self.folder / relative

    def reopen(self) -> Project:
        """A new handle on the same project, for another thread."""
        return Project.open(self.folder)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _file_id(path: Path) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except OSError:
        return (str(path), 0, 0)
    return (str(path.resolve()), st.st_dev, st.st_ino)


def _schema_of(conn: sqlite3.Connection) -> tuple[int, set[str]]:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return version, tables


def _refuse_foreign(path: Path, version: int, tables: set[str]) -> None:
    """Only a database this app wrote (or an empty one, for a new project) is opened."""
    if version > SCHEMA_VERSION:
        raise ProjectTooNewError(
            tr("This project was written by a newer ReMUD Desktop (schema {version}; this version "
               "reads up to {supported}). Update the app to open it.").format(version=version, supported=SCHEMA_VERSION))
    if version < 0 or (version == 0 and tables) or (version > 0 and "documents" not in tables):
        raise ProjectError(
            tr("{path} was not written by ReMUD Desktop (schema version {version}): it is left as it is. "
               "Open the project folder that holds your ReMUD project, or make a new one.").format(
                path=path, version=version))

