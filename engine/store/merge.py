"""Merging a project (a handed-out part, usually) into another, with nothing lost.

Identity is by content, never by row id: documents by their sha256, pages by (document, index),
figures, records, jobs, conversations, messages and edit-log entries by their `uid` (schema v8,
kept through a hand-out), synthesis items by their idempotency key computed again with the
target's ids (engine.store.jobs.NewItem.idem_key), so the target never sends an item either side
already has.

What changed is found with three versions of each row: the target's, the source's and the base,
the source as it was handed out (engine.store.handout) or as it was last merged into this target
(a copy kept in `merges/`). A field only one side changed takes that side's value; a field both
changed differently is a conflict: the side whose hand-out has that page assigned wins, else the
later edit (edit-log times per field, the row's time otherwise); the other value goes into the
edit log (action `merge_conflict`) and the report. A row one side deleted and the other changed
is a conflict the same way; deleted on one side and untouched on the other, it goes. New rows
come in. Paid synthesis items are never doubled: an item both sides made keeps the target's
records, the source's are listed (and kept in the edit log).

A merge is one transaction on the target, taken after a backup copy (backups/before-merge-*): a
merge killed at any point leaves the target as it was or fully merged. Files (PDF sources of new
documents, chat images, the copy of the source) are put in place before it commits; a killed
merge can leave such a file behind, never a row without its file. Merging a source that has not
changed since its last merge changes nothing (not even the backups).

The work is done in SQL over the attached source and base (ATTACH ... AS src / base), in temp
tables, a chunk at a time: memory does not grow with the number of rows, only with conflicts.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlite_utils

from engine.errors import CancelledError, ProjectError
from engine.i18n import N_, tr
from engine.leftovers import remove_orphans
from engine.store import backups, handout, search
from engine.store.editlog import log_edit
from engine.store.integrity import quick_check
from engine.store.jobs import NewItem
from engine.store.models import RecordKind
from engine.store.project import DB_NAME, Project, now
from engine.store.schema import MIGRATIONS, SCHEMA_VERSION

MERGES_DIR = "merges"
TEAM_SCHEMA = 8  # the schema version that brought uids, hand-outs and merges
_COPY_PARTIAL = re.compile(r"\.source-[0-9a-f]+\.(\d+)\.partial")  # a source being copied, by pid
CHUNK = 1000

Progress = Callable[[int, int, str], None]  # (steps done, steps, what is being merged)

# Fields compared and merged, in groups: a group changes as one (a box's four sides are one `rect`).
FIGURE_GROUPS: dict[str, tuple[str, ...]] = {
    "rect": ("x0", "y0", "x1", "y1"), "label": ("label",), "status": ("status",), "caption": ("caption",),
    "context": ("context",), "burned_text": ("burned_text",), "section": ("section",), "sublabel": ("sublabel",),
    "redactions": ("redactions",), "score": ("score",), "detector": ("detector",), "image_xref": ("image_xref",),
}
RECORD_GROUPS: dict[str, tuple[str, ...]] = {
    name: (name,) for name in ("question", "thinking", "answer", "options", "correct", "status", "score", "language",
                               "flags")
}
PAGE_FIELDS = ("reviewed", "corrected", "detected_by")
_FIGURE_TEXT = {"caption", "context", "burned_text", "section", "sublabel"}
_FIELD_OF = {c: g for g, cols in FIGURE_GROUPS.items() for c in cols} | {"rect": "rect"}
EXISTS = "__exists__"  # the pseudo-field a deletion changes


@dataclass(frozen=True)
class Conflict:
    """One field both sides changed differently (or a row one side deleted and the other changed:
    field "deleted"), which version was kept and why. Values are as stored (rect as [x0, y0, x1, y1])."""

    entity: str  # figure | record | page | document
    uid: str  # the figure's or record's uid; the document's sha256 for pages and documents
    target_id: int | None  # the figure or record id in the target after the merge (None: not there)
    doc_id: int | None  # in the target
    page: int | None  # 0-based
    field: str
    kept: str  # "source" | "target"
    reason: str
    target_value: Any
    source_value: Any
    target_at: str = ""
    source_at: str = ""
    document: str = ""  # the document's title in the target

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MergeReport:
    target: str
    source: str
    source_name: str
    source_key: str  # the hand-out's uid, or the source project's uid
    handout: bool  # the source is a part handed out (from this project or another)
    counts: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # records of paid items both sides made
    notes: list[str] = field(default_factory=list)
    backup: str = ""
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target, "source": self.source, "source_name": self.source_name,
            "source_key": self.source_key, "handout": self.handout, "changed": self.changed,
            "counts": dict(self.counts), "conflicts": [c.as_dict() for c in self.conflicts],
            "duplicates": list(self.duplicates), "notes": list(self.notes), "backup": self.backup,
            "seconds": round(self.seconds, 3),
        }


class _Unchanged(Exception):
    """Raised inside the transaction when the merge would change nothing: it is rolled back."""


# -- opening the source ---------------------------------------------------------------------
def _connect_read_only(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA user_version").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)


def _check_source(folder: Path) -> int:
    """The source's schema version; raises when it is not a project this app can read."""
    path = folder / DB_NAME
    if not path.is_file():
        raise ProjectError(tr("{folder} is not a ReMUD project (no {file} in it).").format(folder=folder, file=DB_NAME))
    conn = _connect_read_only(path)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise ProjectError(tr("{folder} cannot be read ({error}); nothing was merged.").format(
            folder=folder, error=exc)) from exc
    finally:
        conn.close()
    if version > SCHEMA_VERSION:
        raise ProjectError(tr("{folder} was written by a newer ReMUD Desktop (schema {version}); update the app "
                              "to merge it.").format(folder=folder, version=version))
    if version < 1 or "documents" not in tables:
        raise ProjectError(tr("{folder} was not written by ReMUD Desktop; nothing was merged.").format(folder=folder))
    return version


def _copy_source(folder: Path, into: Path) -> Path:
    """A consistent copy of the source's database in `into` (a rollback-journal file)."""
    into.mkdir(parents=True, exist_ok=True)
    remove_orphans(into, _COPY_PARTIAL)
    token = secrets.token_hex(16)
    partial = into / f".source-{token}.{os.getpid()}.partial"
    final = into / f"{token}.sqlite"
    src = _connect_read_only(folder / DB_NAME)
    try:
        dest = sqlite3.connect(str(partial))
        try:
            src.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
            damage = quick_check(dest)
        finally:
            dest.close()
        if damage:
            raise ProjectError(tr("{folder} is damaged ({problem}); repair it first (remud repair). Nothing was merged.").format(
                folder=folder, problem=damage))
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    return final


def _empty_base(into: Path) -> Path:
    """An empty project database: the base of a source that shares no history with the target."""
    path = into / "empty.sqlite"
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        db = sqlite_utils.Database(conn)
        for number, migration in enumerate(MIGRATIONS):
            migration(db)
            conn.execute(f"PRAGMA user_version = {number + 1}")
    finally:
        conn.close()
    return path


def _meta(path: Path) -> tuple[str, handout.HandoutInfo | None]:
    conn = _connect_read_only(path)
    try:
        return handout.project_uid(conn), handout.received(conn)
    finally:
        conn.close()


def read_source(folder: str | Path) -> tuple[str, handout.HandoutInfo | None]:
    """(the project's id, where it came from when it is a handed-out part) of a project folder, read
    without changing it ("" and None for a project older than hand-outs). Raises ProjectError when the
    folder is not a project this app can merge."""
    path = Path(folder).expanduser()
    if path.name == DB_NAME:
        path = path.parent
    if _check_source(path) < TEAM_SCHEMA:
        return "", None
    return _meta(path / DB_NAME)


# -- the merge --------------------------------------------------------------------------------
def merge_project(
    target: Project, source: str | Path, *, progress: Progress | None = None,
    cancel: Callable[[], bool] = lambda: False, backup: bool = True, keep_base: bool = True,
    link_sources: bool = False,
) -> MergeReport:
    """Merge the project folder `source` into `target` (see the module's docstring). Returns the
    report; when nothing would change, the target is left exactly as it was (report.changed False).
    `backup`: copy the target's database first (backups/before-merge-*). `keep_base`: keep the copy
    of the source as the base of its next merge. `link_sources`: hard-link new documents' PDFs
    instead of copying them (a temporary project for a combined export)."""
    start = time.perf_counter()
    target.refuse_writes()
    src_folder = Path(source).expanduser().resolve()
    if src_folder.name == DB_NAME:
        src_folder = src_folder.parent
    if src_folder == target.folder.resolve():
        raise ProjectError(tr("A project cannot be merged into itself; choose the folder of a part or another project."))
    if _check_source(src_folder) < SCHEMA_VERSION:
        Project.open(src_folder).close()  # an older project is upgraded (with its own backup) so its ids stay put
    merges_dir = target.folder / MERGES_DIR
    copy = _copy_source(src_folder, merges_dir)
    scratch = Path(tempfile.mkdtemp(prefix="remud-merge-"))
    backup_path: Path | None = None
    committed = False
    try:
        src_uid, received = _meta(copy)
        handout_key = received.uid if received else ""
        source_key = handout_key or src_uid
        conn = target.db.conn
        base = _base_file(conn, target.folder, source_key) or (
            handout.base_database(src_folder) if received else None) or _empty_base(scratch)
        name = received.who if received else src_folder.name.removesuffix(".remud")
        report = MergeReport(str(target.folder), str(src_folder), name, source_key, received is not None)
        _put_files_in_place(conn, copy, src_folder, target.folder, link_sources)
        if backup:
            backup_path = backups.backup_before(conn, target.folder, "merge")
            report.backup = str(backup_path)
        conn.execute("ATTACH DATABASE ? AS src", [str(copy)])
        try:
            conn.execute("ATTACH DATABASE ? AS base", [str(base)])
            try:
                with target.atomic() as db:
                    _Merge(db, report, received, src_uid, progress, cancel).run()
                    if not report.changed:
                        raise _Unchanged
                    rel = f"{MERGES_DIR}/{copy.name}" if keep_base else ""
                    db.conn.execute(
                        "INSERT INTO merges(source_key, source_name, source_path, base_file, at, report) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [source_key, name, str(src_folder), rel, now(),
                         json.dumps(report.as_dict(), ensure_ascii=False, default=str)])
                committed = True
            except _Unchanged:
                if base.parent == merges_dir:
                    note = tr("Nothing new in {name} since it was last merged: nothing changed.")
                elif received:
                    note = tr("Nothing new in {name} since it was handed out: nothing changed.")
                else:
                    note = tr("Nothing new in {name}: nothing changed.")
                report.notes.append(note.format(name=name))
            finally:
                conn.execute("DETACH DATABASE base")
        finally:
            conn.execute("DETACH DATABASE src")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not committed:
            copy.unlink(missing_ok=True)
            if backup_path is not None:
                backup_path.unlink(missing_ok=True)
                report.backup = ""
    if committed:
        _forget_old_bases(target, keep_base)
        backups.prune_before(target.folder, "merge")
    report.seconds = time.perf_counter() - start
    return report


def _base_file(conn: sqlite3.Connection, folder: Path, source_key: str) -> Path | None:
    """The copy of this source kept at its last merge into this project, if it is still there."""
    for (rel,) in conn.execute("SELECT base_file FROM merges WHERE source_key = ? AND base_file != '' "
                               "ORDER BY id DESC", [source_key]).fetchall():
        path = folder / str(rel)
        if path.is_file():
            return path
    return None


def _forget_old_bases(target: Project, keep_base: bool) -> None:
    """Copies no longer the newest of their source (and copies a killed merge left) are removed."""
    folder = target.folder / MERGES_DIR
    if not folder.is_dir():
        return
    newest = {rel for (rel,) in target.db.conn.execute(
        "SELECT base_file FROM merges m WHERE base_file != '' AND id = "
        "(SELECT max(id) FROM merges n WHERE n.source_key = m.source_key AND n.base_file != '')").fetchall()}
    for path in folder.glob("*.sqlite"):
        if f"{MERGES_DIR}/{path.name}" not in newest:
            path.unlink(missing_ok=True)


def _put_files_in_place(conn: sqlite3.Connection, copy: Path, src_folder: Path, folder: Path, link: bool) -> None:
    """PDFs of documents the target does not have, and chat images it lacks, copied in before the merge
    commits (a killed merge leaves at most a file no row needs)."""
    have = {sha for (sha,) in conn.execute("SELECT sha256 FROM documents")}
    src = sqlite3.connect(str(copy))
    try:
        wanted = [(file, sha) for sha, file in src.execute("SELECT sha256, file FROM documents") if sha not in have]
        images = {p for (p,) in src.execute("SELECT DISTINCT image_path FROM chat_messages WHERE image_path != ''")}
    finally:
        src.close()
    for rel in [f for f, _ in wanted] + sorted(images):
        source, dest = src_folder / rel, folder / rel
        if dest.exists():
            continue
        if not source.is_file():
            if rel in images:
                continue  # a chat image the source lost: the message keeps its text
            raise ProjectError(tr("{path} is missing: the source project lacks the PDF of one of its documents.").format(
                path=source))
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.merging-{os.getpid()}")
        try:
            if link:
                try:
                    os.link(source, tmp)
                except OSError:
                    shutil.copyfile(source, tmp)
            else:
                shutil.copyfile(source, tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)


@dataclass
class _Stamp:
    at: str
    origin: str


class _Merge:
    """The steps of one merge, inside the target's transaction, with `src` and `base` attached."""

    # Translators: what a merge is merging now, shown after the source's name ("part-1: figures")
    STEPS = (N_("documents"), N_("pages"), N_("figures"), N_("jobs"), N_("synthesis items"), N_("records"),
             N_("item results"), N_("conversations"), N_("edit history"), N_("caches"), N_("search index"))

    def __init__(self, db: sqlite_utils.Database, report: MergeReport, received: handout.HandoutInfo | None,
                 src_uid: str, progress: Progress | None, cancel: Callable[[], bool]) -> None:
        self.conn = db.conn
        self.db = db
        self.report = report
        self.counts = report.counts
        self.progress = progress
        self.cancel = cancel
        self.source_key = report.source_key
        self.origin = report.source_key
        # who owns which page: hand-outs the target knows, and the source's own assignment
        self.owners: dict[tuple[str, int], str] = {}
        self.names: dict[str, str] = {}
        self.self_key = ""
        for info in handout.handouts(self.conn):
            self.names[info.uid] = info.who
            for key in info.owns():
                self.owners[key] = info.uid
            if info.role == "received":
                self.self_key = info.uid
        if received is not None:
            self.names[received.uid] = received.who
            for key in received.owns():
                self.owners[key] = received.uid

    # -- helpers ----------------------------------------------------------------------------
    def q(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + max(0, n)

    def step(self, n: int) -> None:
        if self.cancel():
            raise CancelledError(tr("Merge cancelled; the project is as it was."))
        if self.progress:
            self.progress(n, len(self.STEPS), tr(self.STEPS[n]) if n < len(self.STEPS) else tr("done"))

    def chunks(self, table: str, columns: str) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a temp table a chunk at a time (by rowid), safe while the target is written."""
        last = 0
        while True:
            rows = self.q(f"SELECT rowid, {columns} FROM temp.{table} WHERE rowid > ? ORDER BY rowid LIMIT {CHUNK}",
                          [last]).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [r[1:] for r in rows]

    def temp(self, name: str, columns: str) -> None:
        self.q(f"DROP TABLE IF EXISTS temp.{name}")
        self.q(f"CREATE TEMP TABLE {name}({columns})")

    def who(self, key: str) -> str:
        if key == self.source_key:
            return self.report.source_name
        return self.names.get(key, tr("this project") if key in ("", self.self_key) else key[:8])

    # -- run --------------------------------------------------------------------------------
    def run(self) -> None:
        steps: list[Callable[[], None]] = [
            self.documents, self.pages, self.figures, self.jobs, self.item_keys, self.records, self.items,
            self.conversations, self.edit_log, self.caches, self.search_index,
        ]
        for n, run_step in enumerate(steps):
            self.step(n)
            run_step()
        self.step(len(steps))
        titles = dict(self.q("SELECT id, title FROM main.documents").fetchall()) if self.report.conflicts else {}
        self.report.conflicts[:] = [replace(c, document=titles.get(c.doc_id, "")) if c.doc_id is not None else c
                                    for c in self.report.conflicts]
        if self.report.changed:
            log_edit(self.db, "project", 0, "merge", after={
                "source": self.report.source_name, "path": self.report.source, "counts": self.counts,
                "conflicts": len(self.report.conflicts), "duplicates": len(self.report.duplicates)})

    # -- documents and pages ------------------------------------------------------------------
    def documents(self) -> None:
        q = self.q
        self.temp("docmap", "src INTEGER PRIMARY KEY, tgt INTEGER NOT NULL, sha TEXT NOT NULL, new INTEGER NOT NULL")
        top = q("SELECT coalesce(max(id), 0) FROM main.documents").fetchone()[0]
        fig_s, fig_b = (", ".join(f"{a}.{c}" for c in _FIGURES.compared) for a in ("f", "bf"))
        # a document the target deleted comes back only when the source changed something in it
        worked_on = (f"EXISTS (SELECT 1 FROM src.figures f LEFT JOIN base.figures bf ON bf.uid = f.uid "
                     f"WHERE f.doc_id = s.id AND (bf.uid IS NULL OR ({fig_s}) IS NOT ({fig_b}))) "
                     "OR EXISTS (SELECT 1 FROM src.pages p JOIN base.pages bp ON bp.doc_id = p.doc_id AND bp.idx = p.idx "
                     "WHERE p.doc_id = s.id AND (p.reviewed, p.corrected) IS NOT (bp.reviewed, bp.corrected))")
        new = q("INSERT INTO main.documents(sha256, title, file, original_path, page_count, file_size, was_encrypted, "
                "was_repaired, imported_at) SELECT sha256, title, file, original_path, page_count, file_size, "
                "was_encrypted, was_repaired, imported_at FROM src.documents s "
                "WHERE NOT EXISTS (SELECT 1 FROM main.documents t WHERE t.sha256 = s.sha256) "
                f"AND (NOT EXISTS (SELECT 1 FROM base.documents b WHERE b.sha256 = s.sha256) OR {worked_on}) "
                "ORDER BY s.id").rowcount
        self.count("documents_added", new)
        q("INSERT INTO temp.docmap SELECT s.id, t.id, s.sha256, t.id > ? FROM src.documents s "
          "JOIN main.documents t ON t.sha256 = s.sha256", [top])
        for (title,) in q("SELECT title FROM src.documents s WHERE s.id NOT IN (SELECT src FROM temp.docmap)").fetchall():
            self.report.notes.append(tr("“{title}” was removed here and {source} changed nothing in it: it stays "
                                        "removed.").format(title=title, source=self.report.source_name))
        # documents the source no longer has, for edit-log entries about them
        q("INSERT OR IGNORE INTO temp.docmap SELECT b.id, t.id, b.sha256, 0 FROM base.documents b "
          "JOIN main.documents t ON t.sha256 = b.sha256")
        q("INSERT INTO main.pages(doc_id, idx, width, height, rotation, has_text, image_only, reviewed, corrected, "
          "detected_by, text) SELECT m.tgt, p.idx, p.width, p.height, p.rotation, p.has_text, p.image_only, "
          "p.reviewed, p.corrected, p.detected_by, p.text FROM src.pages p JOIN temp.docmap m ON m.src = p.doc_id "
          "WHERE m.new")
        # titles: three versions
        for sha, tgt, s_title, t_title, b_title in q(
                "SELECT m.sha, m.tgt, s.title, t.title, b.title FROM temp.docmap m JOIN src.documents s ON s.id = m.src "
                "JOIN main.documents t ON t.id = m.tgt LEFT JOIN base.documents b ON b.sha256 = m.sha "
                "WHERE NOT m.new AND s.title != t.title").fetchall():
            if b_title is not None and s_title == b_title:
                continue
            if b_title is not None and t_title == b_title:
                q("UPDATE main.documents SET title = ? WHERE id = ?", [s_title, tgt])
                self.count("documents_renamed", 1)
                continue
            self.report.conflicts.append(Conflict("document", sha, None, tgt, None, "title", "target",
                                                  tr("both renamed it; this project's name kept"), t_title, s_title))
        gone = q("SELECT b.title FROM base.documents b WHERE NOT EXISTS (SELECT 1 FROM src.documents s "
                 "WHERE s.sha256 = b.sha256) AND EXISTS (SELECT 1 FROM main.documents t WHERE t.sha256 = b.sha256)"
                 ).fetchall()
        for (title,) in gone:
            self.report.notes.append(tr("{source} removed the document “{title}”; it is kept here (remove it by hand "
                                        "if that was meant).").format(source=self.report.source_name, title=title))

    def _page_stamps(self, schema: str, doc_id: int, page: int) -> dict[str, _Stamp]:
        out: dict[str, _Stamp] = {}
        for at, after, origin in self.q(
                f"SELECT at, after, origin FROM {schema}.edit_log WHERE entity = 'document' AND entity_id = ? "
                "AND action LIKE 'page_flags%' ORDER BY id", [doc_id]).fetchall():
            data = _json(after)
            if isinstance(data, dict) and data.get("page") == page:
                for name in PAGE_FIELDS:
                    if name in data:
                        out[name] = _Stamp(at, origin)
        return out

    def pages(self) -> None:
        rows = self.q(
            "SELECT m.tgt, m.src, m.sha, p.idx, p.reviewed, p.corrected, p.detected_by, t.reviewed, t.corrected, "
            "t.detected_by, b.reviewed, b.corrected, b.detected_by, b.idx IS NOT NULL "
            "FROM temp.docmap m JOIN src.pages p ON p.doc_id = m.src "
            "JOIN main.pages t ON t.doc_id = m.tgt AND t.idx = p.idx "
            "LEFT JOIN base.pages b ON b.doc_id = m.src AND b.idx = p.idx "
            "WHERE NOT m.new AND (p.reviewed, p.corrected, p.detected_by) IS NOT (t.reviewed, t.corrected, t.detected_by)"
        ).fetchall()  # pages whose flags differ: a few hundred at most (one row per page, not per figure)
        for tgt, src_doc, sha, idx, *values in rows:
            s_vals, t_vals, b_vals, in_base = values[0:3], values[3:6], values[6:9], values[9]
            changes: dict[str, Any] = {}
            s_stamps = t_stamps = None
            for n, name in enumerate(PAGE_FIELDS):
                sv, tv, bv = s_vals[n], t_vals[n], b_vals[n]
                if sv == tv or (in_base and sv == bv):
                    continue
                if in_base and tv == bv:
                    changes[name] = sv
                    continue
                if not in_base:  # no common history: a mark either side made stays
                    if name != "detected_by" and sv and not tv:
                        changes[name] = sv
                    elif name == "detected_by" and not tv:
                        changes[name] = sv
                    continue
                if s_stamps is None:
                    s_stamps, t_stamps = self._page_stamps("src", src_doc, idx), self._page_stamps("main", tgt, idx)
                kept, reason = self.decide((sha, idx), s_stamps.get(name), t_stamps.get(name) if t_stamps else None,
                                           "", "")
                if kept == "source":
                    changes[name] = sv
                self.report.conflicts.append(Conflict(
                    "page", sha, None, tgt, idx, name, kept, reason, tv, sv,
                    _at(t_stamps.get(name) if t_stamps else None), _at(s_stamps.get(name))))
            if changes:
                sets = ", ".join(f"{k} = ?" for k in changes)
                self.q(f"UPDATE main.pages SET {sets} WHERE doc_id = ? AND idx = ?", [*changes.values(), tgt, idx])
                self.count("pages_changed", 1)

    # -- deciding conflicts ------------------------------------------------------------------------
    def decide(self, page_key: tuple[str, int] | None, s: _Stamp | None, t: _Stamp | None, s_row_at: str,
               t_row_at: str) -> tuple[str, str]:
        """Which side keeps a field both changed: the side whose hand-out has the page, else the later edit."""
        owner = self.owners.get(page_key) if page_key else None
        if owner is not None:
            # Translators: why a conflict was decided so (the merge report); {who} is an assignee or a part
            assigned = tr("page assigned to {who}").format(who=self.who(owner))
            if owner == self.source_key:
                return "source", assigned
            t_origin = t.origin if t else ""
            if (t_origin or self.self_key) == owner:
                return "target", assigned
        s_at, t_at = (s.at if s else s_row_at), (t.at if t else t_row_at)
        # Translators: why a conflict was decided so (the merge report): the version edited later was kept
        return ("source" if s_at > t_at else "target"), tr("later edit")

    def stamps(self, schema: str, entity: str, entity_id: int) -> dict[str, _Stamp]:
        """The last edit of each field group of one row, from that side's edit log."""
        out: dict[str, _Stamp] = {}
        groups = FIGURE_GROUPS if entity == "figure" else RECORD_GROUPS
        for at, action, after, origin in self.q(
                f"SELECT at, action, after, origin FROM {schema}.edit_log WHERE entity = ? AND entity_id = ? ORDER BY id",
                [entity, entity_id]).fetchall():
            stamp = _Stamp(at, origin)
            if action.startswith("delete"):
                out[EXISTS] = stamp
                continue
            data = _json(after)
            if isinstance(data, dict) and isinstance(data.get("fields"), dict):
                data = data["fields"]
            keys = list(data) if isinstance(data, dict) else []
            if action.startswith(("create", "restore")):
                keys = list(groups)
            for key in keys:
                group = _FIELD_OF.get(key, key) if entity == "figure" else key
                if group in groups:
                    out[group] = stamp
        return out

    # -- figures and records: three versions ------------------------------------------------------
    def figures(self) -> None:
        self._id_map(_FIGURES, "figmap")

    def records(self) -> None:
        self._id_map(_RECORDS, "recmap")

    def _id_map(self, spec: _Spec, name: str) -> None:
        """Merge the rows, and map source (and base: the same ids) row ids to the target's, those the
        merge deletes included (mapped before, for their edit-log entries)."""
        table = spec.table
        self.temp(name, "src INTEGER PRIMARY KEY, tgt INTEGER NOT NULL")
        for schema in ("src", "base", None):
            if schema is None:
                self._rows(spec)
                schema = "src"
            self.q(f"INSERT OR IGNORE INTO temp.{name} SELECT s.id, t.id FROM {schema}.{table} s "
                   f"JOIN main.{table} t ON t.uid = s.uid")

    def _rows(self, spec: _Spec) -> None:
        q, table, entity = self.q, spec.table, spec.entity
        self.temp(f"{entity}_touched", "id INTEGER PRIMARY KEY")  # target rows whose text must be re-indexed
        self.temp(f"{entity}_gone", "id INTEGER PRIMARY KEY")
        top = q(f"SELECT coalesce(max(id), 0) FROM main.{table}").fetchone()[0]
        cols = ", ".join(spec.insert_cols)
        skip = (" AND s.id NOT IN (SELECT id FROM temp.dupes)" if entity == "record"
                else " AND s.doc_id IN (SELECT src FROM temp.docmap)")
        added = q(f"INSERT INTO main.{table}({cols}) SELECT {spec.select('s')} FROM src.{table} s "
                  f"WHERE NOT EXISTS (SELECT 1 FROM main.{table} t WHERE t.uid = s.uid) "
                  f"AND NOT EXISTS (SELECT 1 FROM base.{table} b WHERE b.uid = s.uid){skip} ORDER BY s.id").rowcount
        self.count(f"{table}_added", added)
        q(f"INSERT INTO temp.{entity}_touched SELECT id FROM main.{table} WHERE id > ?", [top])

        cmp_s, cmp_t, cmp_b = (", ".join(f"{a}.{c}" for c in spec.compared) for a in "stb")
        # both have it and it differs
        self.temp(f"{entity}_diff", "sid INTEGER, tid INTEGER")
        q(f"INSERT INTO temp.{entity}_diff SELECT s.id, t.id FROM src.{table} s JOIN main.{table} t ON t.uid = s.uid "
          f"WHERE ({cmp_s}) IS NOT ({cmp_t})")
        width = len(spec.compared)
        for chunk in self.chunks(f"{entity}_diff", "sid, tid"):
            for sid, tid in chunk:
                row = q(f"SELECT {cmp_s}, {cmp_t}, {cmp_b}, b.uid IS NOT NULL, s.uid, {spec.stamp('s')}, "
                        f"{spec.stamp('t')}, {spec.page_key('t')} FROM src.{table} s JOIN main.{table} t ON t.id = ? "
                        f"LEFT JOIN base.{table} b ON b.uid = s.uid WHERE s.id = ?", [tid, sid]).fetchone()
                s_vals, t_vals, b_vals = row[:width], row[width:2 * width], row[2 * width:3 * width]
                in_base, uid, s_at, t_at, doc_id, page, sha = row[3 * width:]
                self._three_way(spec, sid, tid, uid, dict(zip(spec.compared, s_vals)),
                                dict(zip(spec.compared, t_vals)), dict(zip(spec.compared, b_vals)) if in_base else None,
                                s_at, t_at, doc_id, page, sha)

        # the target deleted it, the source still has it: back if the source changed it later
        self.temp(f"{entity}_lost", "sid INTEGER")
        q(f"INSERT INTO temp.{entity}_lost SELECT s.id FROM src.{table} s JOIN base.{table} b ON b.uid = s.uid "
          f"WHERE NOT EXISTS (SELECT 1 FROM main.{table} t WHERE t.uid = s.uid) AND ({cmp_s}) IS NOT ({cmp_b}){skip}")
        deletions: dict[str, _Stamp] | None = None
        for chunk in self.chunks(f"{entity}_lost", "sid"):
            if deletions is None:
                deletions = self._target_deletions(entity)
            for (sid,) in chunk:
                self._lost_in_target(spec, sid, deletions)

        # the source deleted it, the target still has it: gone unless the target changed it later
        self.temp(f"{entity}_dropped", "bid INTEGER, tid INTEGER")
        q(f"INSERT INTO temp.{entity}_dropped SELECT b.id, t.id FROM base.{table} b JOIN main.{table} t ON t.uid = b.uid "
          f"WHERE NOT EXISTS (SELECT 1 FROM src.{table} s WHERE s.uid = b.uid)")
        for chunk in self.chunks(f"{entity}_dropped", "bid, tid"):
            for bid, tid in chunk:
                self._dropped_in_source(spec, bid, tid)
        if entity == "figure":
            search.forget_many(self.conn, "figure", f"SELECT id FROM temp.{entity}_gone")

    def _three_way(self, spec: _Spec, sid: int, tid: int, uid: str, s: dict[str, Any], t: dict[str, Any],
                   b: dict[str, Any] | None, s_at: str, t_at: str, doc_id: int | None, page: int | None,
                   sha: str | None) -> None:
        changes: dict[str, Any] = {}
        kept_source: dict[str, Any] = {}
        kept_target: dict[str, Any] = {}
        s_stamps = t_stamps = None
        for group, cols in spec.groups.items():
            sv, tv = [s[c] for c in cols], [t[c] for c in cols]
            if sv == tv:
                continue
            bv = [b[c] for c in cols] if b is not None else None
            if bv is not None and sv == bv:
                continue  # only the target changed it
            if bv is not None and tv == bv:
                changes.update(zip(cols, sv))  # only the source changed it
                continue
            if s_stamps is None:
                s_stamps, t_stamps = self.stamps("src", spec.entity, sid), self.stamps("main", spec.entity, tid)
            assert t_stamps is not None
            page_key = (sha, page) if sha is not None and page is not None else None
            kept, reason = self.decide(page_key, s_stamps.get(group), t_stamps.get(group), s_at, t_at)
            if kept == "source":
                changes.update(zip(cols, sv))
            (kept_source if kept == "source" else kept_target)[group] = (_value(sv), _value(tv))
            self.report.conflicts.append(Conflict(
                spec.entity, uid, tid, doc_id, page, group, kept, reason, _value(tv), _value(sv),
                _at(t_stamps.get(group)) or t_at, _at(s_stamps.get(group)) or s_at))
        if kept_source or kept_target:
            self._log_conflict(spec.entity, tid, kept_source, kept_target)
        if changes:
            sets = ", ".join(f"{c} = ?" for c in changes)
            self.q(f"UPDATE main.{spec.table} SET {sets}, {spec.time_col} = max({spec.time_col}, ?) WHERE id = ?",
                   [*changes.values(), s_at, tid])
            self.count(f"{spec.table}_changed", 1)
            if spec.entity == "record" or _FIGURE_TEXT & set(changes):
                self.q(f"INSERT OR IGNORE INTO temp.{spec.entity}_touched(id) VALUES (?)", [tid])

    def _log_conflict(self, entity: str, tid: int, kept_source: dict[str, Any], kept_target: dict[str, Any]) -> None:
        """One edit-log entry per row: `before` the versions not kept, `after` the versions kept."""
        name = self.report.source_name
        before = {g: v[1] for g, v in kept_source.items()} | {g: v[0] for g, v in kept_target.items()}
        after = {g: v[0] for g, v in kept_source.items()} | {g: v[1] for g, v in kept_target.items()}
        kept_from = {g: name for g in kept_source} | {g: "this project" for g in kept_target}
        log_edit(self.db, entity, tid, "merge_conflict", before={"fields": before, "source": name},
                 after={"fields": after, "kept_from": kept_from, "source": name})

    def _target_deletions(self, entity: str) -> dict[str, _Stamp]:
        """uid -> when the target deleted it (deletions logged with the row's uid, schema v8 on)."""
        out: dict[str, _Stamp] = {}
        for at, before, origin in self.q(
                "SELECT at, before, origin FROM main.edit_log WHERE entity = ? AND action LIKE 'delete%'", [entity]):
            data = _json(before)
            if isinstance(data, dict) and isinstance(data.get("uid"), str):
                out[data["uid"]] = _Stamp(at, origin)
        return out

    def _lost_in_target(self, spec: _Spec, sid: int, deletions: dict[str, _Stamp]) -> None:
        row = self.q(f"SELECT s.uid, {spec.stamp('s')}, {spec.src_page_key('s')} FROM src.{spec.table} s "
                     "WHERE s.id = ?", [sid]).fetchone()
        uid, s_at, page, sha = row
        s_stamps = self.stamps("src", spec.entity, sid)
        s_last = max((st.at for st in s_stamps.values()), default=s_at)
        deleted = deletions.get(uid)
        kept, reason = self.decide((sha, page) if sha is not None and page is not None else None,
                                   _Stamp(s_last, self.source_key), deleted, s_last, "" if deleted is None else deleted.at)
        if deleted is None:
            kept, reason = "source", tr("changed there after this project deleted it")
        tid = None
        if kept == "source":
            tid = self._reinsert(spec, sid)
            self.count(f"{spec.table}_restored", 1)
        doc = self.q("SELECT id FROM main.documents WHERE sha256 = ?", [sha]).fetchone() if sha else None
        self.report.conflicts.append(Conflict(
            spec.entity, uid, tid, doc[0] if doc else None, page, "deleted", kept, reason, "deleted", "changed",
            deleted.at if deleted else "", s_last))

    def _reinsert(self, spec: _Spec, sid: int) -> int:
        cols = ", ".join(spec.insert_cols)
        cur = self.q(f"INSERT INTO main.{spec.table}({cols}) SELECT {spec.select('s')} FROM src.{spec.table} s "
                     "WHERE s.id = ?", [sid])
        tid = int(cur.lastrowid or 0)
        self.q(f"INSERT OR IGNORE INTO temp.{spec.entity}_touched(id) VALUES (?)", [tid])
        return tid

    def _dropped_in_source(self, spec: _Spec, bid: int, tid: int) -> None:
        cmp_t, cmp_b = (", ".join(f"{a}.{c}" for c in spec.compared) for a in "tb")
        width = len(spec.compared)
        row = self.q(f"SELECT {cmp_t}, {cmp_b}, t.uid, {spec.stamp('t')}, {spec.page_key('t')} FROM main.{spec.table} t "
                     f"JOIN base.{spec.table} b ON b.id = ? WHERE t.id = ?", [bid, tid]).fetchone()
        t_vals, b_vals = row[:width], row[width:2 * width]
        uid, t_at, doc_id, page, sha = row[2 * width:]
        if tuple(t_vals) != tuple(b_vals):  # the target changed it since: a conflict
            t_stamps = self.stamps("main", spec.entity, tid)
            changed = [g for g, cols in spec.groups.items()
                       if [t_vals[spec.compared.index(c)] for c in cols] != [b_vals[spec.compared.index(c)] for c in cols]]
            t_last = max((t_stamps[g] for g in changed if g in t_stamps), key=lambda st: st.at, default=None)
            s_del = self.q("SELECT at, origin FROM src.edit_log WHERE entity = ? AND entity_id = ? AND action LIKE "
                           "'delete%' ORDER BY id DESC LIMIT 1", [spec.entity, bid]).fetchone()
            s_stamp = _Stamp(s_del[0], s_del[1]) if s_del else None
            kept, reason = self.decide((sha, page) if sha is not None and page is not None else None, s_stamp, t_last,
                                       "", t_at)
            self.report.conflicts.append(Conflict(
                spec.entity, uid, tid if kept == "target" else None, doc_id, page, "deleted", kept, reason,
                "changed", "deleted", _at(t_last) or t_at, _at(s_stamp)))
            if kept == "target":
                return
        self.q(f"DELETE FROM main.{spec.table} WHERE id = ?", [tid])
        self.q(f"INSERT OR IGNORE INTO temp.{spec.entity}_gone(id) VALUES (?)", [tid])
        self.count(f"{spec.table}_deleted", 1)

    # -- jobs, items, records of items ------------------------------------------------------------
    def jobs(self) -> None:
        q = self.q
        added = q("INSERT INTO main.jobs(name, synthesizer, model, settings, state, message, created_at, updated_at, uid) "
                  "SELECT name, synthesizer, model, settings, state, message, created_at, updated_at, uid FROM src.jobs s "
                  "WHERE NOT EXISTS (SELECT 1 FROM main.jobs t WHERE t.uid = s.uid) ORDER BY s.id").rowcount
        self.count("jobs_added", added)
        q("UPDATE main.jobs AS t SET state = s.state, message = s.message, updated_at = s.updated_at "
          "FROM src.jobs s LEFT JOIN base.jobs b ON b.uid = s.uid WHERE s.uid = t.uid AND s.updated_at > t.updated_at "
          "AND (s.state, s.message) IS NOT (t.state, t.message) "
          "AND (b.uid IS NULL OR (s.state, s.message) IS NOT (b.state, b.message))")
        self.temp("jobmap", "src INTEGER PRIMARY KEY, tgt INTEGER NOT NULL")
        q("INSERT INTO temp.jobmap SELECT s.id, t.id FROM src.jobs s JOIN main.jobs t ON t.uid = s.uid")
        q("INSERT OR IGNORE INTO main.job_batches(job_id, provider, submission, batch_id, input_file, state, status, "
          "message, created_at, updated_at) SELECT m.tgt, s.provider, s.submission, s.batch_id, s.input_file, s.state, "
          "s.status, s.message, s.created_at, s.updated_at FROM src.job_batches s JOIN temp.jobmap m ON m.src = s.job_id")

    def item_keys(self) -> None:
        """Each source item's idempotency key with the target's ids, and the source's records of paid
        items the target has made too (left out: listed as duplicates)."""
        q = self.q
        self.temp("itemkeys", "sid INTEGER PRIMARY KEY, key TEXT NOT NULL, fig INTEGER, doc INTEGER")
        self.temp("dupes", "id INTEGER PRIMARY KEY")
        last = 0
        while True:
            rows = q("SELECT i.id, i.idem_key, i.figure_id, f.tgt, i.doc_id, d.tgt, i.page, i.passage, i.kind, "
                     "i.language, i.reasoning, i.prompt_version, j.model FROM src.job_items i "
                     "JOIN src.jobs j ON j.id = i.job_id LEFT JOIN temp.figmap f ON f.src = i.figure_id "
                     "LEFT JOIN temp.docmap d ON d.src = i.doc_id WHERE i.id > ? ORDER BY i.id LIMIT ?",
                     [last, CHUNK]).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            self.conn.executemany("INSERT INTO temp.itemkeys VALUES (?, ?, ?, ?)", [_item_key(r) for r in rows])
        q("INSERT OR IGNORE INTO temp.dupes SELECT r.id FROM temp.itemkeys k "
          "JOIN main.job_items t ON t.idem_key = k.key JOIN src.job_items s ON s.id = k.sid, json_each(s.record_ids) j "
          "JOIN src.records r ON r.id = j.value WHERE t.state = 'done' AND s.state = 'done' "
          "AND NOT EXISTS (SELECT 1 FROM main.records x WHERE x.uid = r.uid) "
          "AND NOT EXISTS (SELECT 1 FROM base.records y WHERE y.uid = r.uid)")
        for uid, kind, question, answer, fid in q(
                "SELECT r.uid, r.kind, r.question, r.answer, f.tgt FROM temp.dupes d JOIN src.records r ON r.id = d.id "
                "LEFT JOIN temp.figmap f ON f.src = r.figure_id ORDER BY r.id").fetchall():
            self.report.duplicates.append({"uid": uid, "kind": kind, "question": question, "answer": answer,
                                           "figure_id": fid})
            log_edit(self.db, "record", 0, "merge_duplicate", before={
                "source": self.report.source_name, "uid": uid, "kind": kind, "question": question, "answer": answer,
                "figure_id": fid}, after={"kept": "this project's records of the same synthesis item"})
        self.count("duplicates_skipped", len(self.report.duplicates))

    def items(self) -> None:
        """Items the target lacks come in; an item the target has but not done takes the source's result."""
        q = self.q
        top = q("SELECT coalesce(max(id), 0) FROM main.job_items").fetchone()[0]
        added = q("INSERT OR IGNORE INTO main.job_items(job_id, idem_key, figure_id, doc_id, page, passage, kind, language, "
                  "reasoning, prompt_version, state, attempts, raw_response, error, tokens_in, tokens_out, cost, "
                  "record_ids, updated_at) SELECT m.tgt, k.key, k.fig, k.doc, s.page, s.passage, s.kind, s.language, "
                  "s.reasoning, s.prompt_version, s.state, s.attempts, s.raw_response, s.error, s.tokens_in, "
                  "s.tokens_out, s.cost, '[]', s.updated_at FROM temp.itemkeys k JOIN src.job_items s ON s.id = k.sid "
                  "JOIN temp.jobmap m ON m.src = s.job_id "
                  "WHERE NOT EXISTS (SELECT 1 FROM main.job_items t WHERE t.idem_key = k.key) ORDER BY k.sid").rowcount
        self.count("items_added", added)
        self.temp("itemmap", "sid INTEGER PRIMARY KEY, tid INTEGER NOT NULL, result INTEGER NOT NULL")
        # items just added (their record ids and batch to map), and items the source finished that the target had not
        q("INSERT OR IGNORE INTO temp.itemmap SELECT k.sid, t.id, 1 FROM temp.itemkeys k "
          "JOIN main.job_items t ON t.idem_key = k.key WHERE t.id > ?", [top])
        completed = q("INSERT OR IGNORE INTO temp.itemmap SELECT k.sid, t.id, 2 FROM temp.itemkeys k "
                      "JOIN main.job_items t ON t.idem_key = k.key JOIN src.job_items s ON s.id = k.sid "
                      "WHERE s.state = 'done' AND t.state != 'done'").rowcount
        self.count("items_completed", completed)
        q("UPDATE main.job_items AS t SET state = s.state, attempts = s.attempts, raw_response = s.raw_response, "
          "error = s.error, tokens_in = s.tokens_in, tokens_out = s.tokens_out, cost = s.cost, updated_at = s.updated_at "
          "FROM temp.itemmap m JOIN src.job_items s ON s.id = m.sid WHERE t.id = m.tid AND m.result = 2")
        q("UPDATE main.job_items AS t SET record_ids = (SELECT json_group_array(r.tgt) FROM json_each(s.record_ids) j "
          "JOIN temp.recmap r ON r.src = j.value), batch = (SELECT tb.id FROM src.job_batches sb "
          "JOIN main.job_batches tb ON tb.submission = sb.submission WHERE sb.id = s.batch) "
          "FROM temp.itemmap m JOIN src.job_items s ON s.id = m.sid WHERE t.id = m.tid")

    # -- conversations -------------------------------------------------------------------------------
    def conversations(self) -> None:
        q = self.q
        added = q("INSERT INTO main.chat_sessions(title, model, settings, created_at, updated_at, uid) "
                  "SELECT title, model, settings, created_at, updated_at, uid FROM src.chat_sessions s "
                  "WHERE NOT EXISTS (SELECT 1 FROM main.chat_sessions t WHERE t.uid = s.uid) "
                  "AND NOT EXISTS (SELECT 1 FROM base.chat_sessions b WHERE b.uid = s.uid) ORDER BY s.id").rowcount
        self.count("conversations_added", added)
        self.count("conversations_changed", q(
            "UPDATE main.chat_sessions AS t SET title = s.title, model = s.model, settings = s.settings, "
            "updated_at = s.updated_at FROM src.chat_sessions s LEFT JOIN base.chat_sessions b ON b.uid = s.uid "
            "WHERE s.uid = t.uid AND s.updated_at > t.updated_at AND (s.title, s.model, s.settings) IS NOT "
            "(t.title, t.model, t.settings) AND (b.uid IS NULL OR (s.title, s.model, s.settings) IS NOT "
            "(b.title, b.model, b.settings))").rowcount)
        self.temp("sessmap", "src INTEGER PRIMARY KEY, tgt INTEGER NOT NULL")
        q("INSERT INTO temp.sessmap SELECT s.id, t.id FROM src.chat_sessions s JOIN main.chat_sessions t ON t.uid = s.uid")
        self.count("messages_added", q(
            "INSERT INTO main.chat_messages(session_id, role, content, thinking, image_path, stats, created_at, uid) "
            "SELECT m.tgt, s.role, s.content, s.thinking, s.image_path, s.stats, s.created_at, s.uid "
            "FROM src.chat_messages s JOIN temp.sessmap m ON m.src = s.session_id "
            "WHERE NOT EXISTS (SELECT 1 FROM main.chat_messages t WHERE t.uid = s.uid) "
            "AND NOT EXISTS (SELECT 1 FROM base.chat_messages b WHERE b.uid = s.uid) ORDER BY s.id").rowcount)
        # messages the source took back (a regenerated answer) go; conversations it deleted go if untouched here
        self.count("messages_deleted", q(
            "DELETE FROM main.chat_messages WHERE uid IN (SELECT b.uid FROM base.chat_messages b "
            "WHERE NOT EXISTS (SELECT 1 FROM src.chat_messages s WHERE s.uid = b.uid) "
            "AND EXISTS (SELECT 1 FROM src.chat_sessions ss JOIN base.chat_sessions bs ON bs.uid = ss.uid "
            "WHERE bs.id = b.session_id))").rowcount)
        self.count("conversations_deleted", q(
            "DELETE FROM main.chat_sessions WHERE uid IN (SELECT b.uid FROM base.chat_sessions b "
            "JOIN main.chat_sessions t ON t.uid = b.uid WHERE t.updated_at <= b.updated_at "
            "AND NOT EXISTS (SELECT 1 FROM src.chat_sessions s WHERE s.uid = b.uid))").rowcount)

    # -- history, caches, index ------------------------------------------------------------------------
    def edit_log(self) -> None:
        added = self.q(
            "INSERT INTO main.edit_log(at, entity, entity_id, action, before, after, uid, origin) "
            "SELECT s.at, s.entity, CASE s.entity "
            "WHEN 'figure' THEN coalesce((SELECT tgt FROM temp.figmap WHERE src = s.entity_id), 0) "
            "WHEN 'record' THEN coalesce((SELECT tgt FROM temp.recmap WHERE src = s.entity_id), 0) "
            "WHEN 'document' THEN coalesce((SELECT tgt FROM temp.docmap WHERE src = s.entity_id), 0) "
            "ELSE s.entity_id END, s.action, s.before, s.after, s.uid, "
            "CASE WHEN s.origin = '' THEN ? ELSE s.origin END FROM src.edit_log s "
            "WHERE NOT EXISTS (SELECT 1 FROM main.edit_log t WHERE t.uid = s.uid) ORDER BY s.id", [self.origin]).rowcount
        self.count("edits_added", added)
        self.q("INSERT OR IGNORE INTO main.handouts SELECT * FROM src.handouts WHERE role = 'given'")

    def caches(self) -> None:
        self.count("ocr_pages_added", self.q(
            "INSERT OR IGNORE INTO main.page_ocr(doc_id, page, area, dpi, engine, lines) SELECT m.tgt, s.page, s.area, "
            "s.dpi, s.engine, s.lines FROM src.page_ocr s JOIN temp.docmap m ON m.src = s.doc_id").rowcount)
        self.q("INSERT OR IGNORE INTO main.page_failures(doc_id, page, work, reason, at) SELECT m.tgt, s.page, s.work, "
               "s.reason, s.at FROM src.page_failures s JOIN temp.docmap m ON m.src = s.doc_id")

    def search_index(self) -> None:
        search.reindex_many(self.conn, "figure", "SELECT id FROM temp.figure_touched")
        search.reindex_many(self.conn, "record", "SELECT id FROM temp.record_touched")
        search.forget_many(self.conn, "record", "SELECT id FROM temp.record_gone")


# -- how figures and records are read and written --------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    entity: str
    table: str
    groups: dict[str, tuple[str, ...]]
    insert_cols: tuple[str, ...]
    mapped: dict[str, str]  # column -> the temp map that gives the target's id
    time_col: str  # the row's own "last changed" time
    created_col: str

    @property
    def compared(self) -> tuple[str, ...]:
        return tuple(c for cols in self.groups.values() for c in cols)

    def select(self, a: str) -> str:
        out = []
        for c in self.insert_cols:
            if c in self.mapped:
                out.append(f"(SELECT tgt FROM temp.{self.mapped[c]} WHERE src = {a}.{c})")
            else:
                out.append(f"{a}.{c}")
        return ", ".join(out)

    def stamp(self, a: str) -> str:
        return f"coalesce(nullif({a}.{self.time_col}, ''), {a}.{self.created_col})"

    def page_key(self, a: str) -> str:
        """(doc id, page, document sha256) of a target row."""
        schema = "main"
        if self.entity == "figure":
            return f"{a}.doc_id, {a}.page, (SELECT sha256 FROM {schema}.documents WHERE id = {a}.doc_id)"
        return (f"coalesce((SELECT doc_id FROM {schema}.figures WHERE id = {a}.figure_id), {a}.doc_id), "
                f"coalesce((SELECT page FROM {schema}.figures WHERE id = {a}.figure_id), {a}.page), "
                f"(SELECT sha256 FROM {schema}.documents WHERE id = coalesce((SELECT doc_id FROM {schema}.figures "
                f"WHERE id = {a}.figure_id), {a}.doc_id))")

    def src_page_key(self, a: str) -> str:
        """(page, document sha256) of a source row."""
        if self.entity == "figure":
            return f"{a}.page, (SELECT sha256 FROM src.documents WHERE id = {a}.doc_id)"
        return (f"coalesce((SELECT page FROM src.figures WHERE id = {a}.figure_id), {a}.page), "
                f"(SELECT sha256 FROM src.documents WHERE id = coalesce((SELECT doc_id FROM src.figures "
                f"WHERE id = {a}.figure_id), {a}.doc_id))")


_FIGURES = _Spec(
    "figure", "figures", FIGURE_GROUPS,
    ("doc_id", "page", "x0", "y0", "x1", "y1", "label", "detector", "score", "status", "caption", "context",
     "burned_text", "section", "sublabel", "image_xref", "redactions", "created_at", "updated_at", "uid"),
    {"doc_id": "docmap"}, "updated_at", "created_at")
_RECORDS = _Spec(
    "record", "records", RECORD_GROUPS,
    ("figure_id", "doc_id", "page", "kind", "reasoning", "language", "question", "thinking", "answer", "options",
     "correct", "status", "score", "synthesizer", "model", "prompt_version", "flags", "created_at", "edited_at", "uid"),
    {"figure_id": "figmap", "doc_id": "docmap"}, "edited_at", "created_at")


def _item_key(row: Sequence[Any]) -> tuple[int, str, int | None, int | None]:
    """(source item id, its key with the target's ids, target figure id, target document id). An item
    whose figure or document is not in the target keeps its key: nothing here can make it again."""
    sid, key, s_fig, t_fig, s_doc, t_doc, page, passage, kind, language, reasoning, version, model = row
    if s_fig is not None:
        if t_fig is None:
            return sid, key, None, t_doc
        item = NewItem(RecordKind(kind), language, bool(reasoning), version, figure_id=t_fig, doc_id=t_doc, page=page)
        return sid, item.idem_key(model), t_fig, t_doc
    if not passage or (s_doc is not None and t_doc is None):  # a figure's item whose figure went, or a lost document
        return sid, key, None, t_doc
    item = NewItem(RecordKind(kind), language, bool(reasoning), version, doc_id=t_doc, page=page, passage=passage)
    return sid, item.idem_key(model), None, t_doc


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _value(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else list(values)


def _at(stamp: _Stamp | None) -> str:
    return stamp.at if stamp else ""
