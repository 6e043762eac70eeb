"""Synthesis jobs and their items: a typed API over the jobs / job_items tables.

A job is a selection (figures or text passages) × kinds × languages for one synthesizer
card and model. Its items are created up front, each with an idempotency key that is
UNIQUE across the whole project, so creating the same job twice or running it again never
sends (or pays for) an item twice. Item states:

    pending -> running -> done | failed        (running -> pending after a crash)

An item becomes `done` in the same transaction that stores its records (`complete_item`),
so an item is either fully stored or will be sent again; never stored twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from engine.errors import NotFoundError
from engine.i18n import tr
from engine.llm.urls import strip_credentials
from engine.store import records as records_store
from engine.store.models import NewRecord, RecordKind
from engine.store.project import Project, inserted_id, now


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"  # every item done
    FINISHED = "finished"  # ran to the end, some items failed
    STOPPED = "stopped"  # a wrong key or used-up quota: see `message`
    CANCELLED = "cancelled"


class ItemState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class NewItem:
    """One request to make: a figure (figure_id set) or a text passage (figure_id None)."""

    kind: RecordKind
    language: str
    reasoning: bool
    prompt_version: str
    figure_id: int | None = None
    doc_id: int | None = None
    page: int | None = None
    passage: str = ""

    def idem_key(self, model: str) -> str:
        source = f"figure:{self.figure_id}" if self.figure_id is not None else (
            f"text:{self.doc_id}:{self.page}:{hashlib.sha256(self.passage.encode('utf-8')).hexdigest()}"
        )
        parts = [source, str(self.kind), str(int(self.reasoning)), self.language, self.prompt_version, model]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Job:
    id: int
    name: str
    synthesizer: str
    model: str
    settings: dict[str, Any]
    state: JobState
    message: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class JobItem:
    id: int
    job_id: int
    idem_key: str
    figure_id: int | None
    doc_id: int | None
    page: int | None
    passage: str
    kind: RecordKind
    language: str
    reasoning: bool
    prompt_version: str
    state: ItemState
    attempts: int
    raw_response: str
    error: str
    tokens_in: int
    tokens_out: int
    cost: float
    record_ids: tuple[int, ...]


@dataclass(frozen=True)
class Failure:
    item_id: int
    error: str
    raw: str


@dataclass(frozen=True)
class JobStatus:
    job: Job
    counts: dict[ItemState, int]  # items per state
    total: int
    tokens_in: int
    tokens_out: int
    cost: float
    failures: list[Failure] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        j = self.job
        return {
            "id": j.id, "name": j.name, "synthesizer": j.synthesizer, "model": j.model, "state": str(j.state),
            "message": j.message, "counts": self.counts, "total": self.total, "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out, "cost": self.cost,
            "failures": [{"item_id": f.item_id, "error": f.error, "raw": f.raw} for f in self.failures],
        }


_JOB_COLS = "id, name, synthesizer, model, settings, state, message, created_at, updated_at"
_ITEM_COLS = ("id, job_id, idem_key, figure_id, doc_id, page, passage, kind, language, reasoning, prompt_version, "
              "state, attempts, raw_response, error, tokens_in, tokens_out, cost, record_ids")


def _job(row: Sequence[Any]) -> Job:
    return Job(row[0], row[1], row[2], row[3], json.loads(row[4] or "{}"), JobState(row[5]), row[6], row[7], row[8])


def _item(row: Sequence[Any]) -> JobItem:
    v = list(row)
    v[7] = RecordKind(v[7])
    v[9] = bool(v[9])
    v[11] = ItemState(v[11])
    v[18] = tuple(json.loads(v[18] or "[]"))
    return JobItem(*v)


# ----------------------------------------------------------------------------- jobs


def create_job(
    project: Project, *, synthesizer: str, model: str, items: Iterable[NewItem], settings: dict[str, Any] | None = None,
    name: str = "",
) -> tuple[Job, int, int]:
    """A new job with its items. Returns (job, items created, items skipped because an item
    with the same idempotency key already exists in this project, in this or any job)."""
    created = skipped = 0
    stamp = now()
    with project.atomic() as db:
        cur = db.execute(
            "INSERT INTO jobs(name, synthesizer, model, settings, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, synthesizer, model, json.dumps(strip_credentials(settings or {}), ensure_ascii=False), str(JobState.PENDING),
             stamp, stamp],
        )
        job_id = inserted_id(cur)
        for it in items:
            cur = db.execute(
                "INSERT OR IGNORE INTO job_items(job_id, idem_key, figure_id, doc_id, page, passage, kind, language, "
                "reasoning, prompt_version, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                [job_id, it.idem_key(model), it.figure_id, it.doc_id, it.page, it.passage, str(it.kind), it.language,
                 int(it.reasoning), it.prompt_version, stamp],
            )
            if cur.rowcount:
                created += 1
            else:
                skipped += 1
    return get_job(project, job_id), created, skipped


def get_job(project: Project, job_id: int) -> Job:
    row = project.db.execute(f"SELECT {_JOB_COLS} FROM jobs WHERE id = ?", [job_id]).fetchone()
    if row is None:
        raise NotFoundError(tr("Synthesis job {id} is not in this project.").format(id=job_id))
    return _job(row)


def job_state(project: Project, job_id: int) -> JobState:
    """Just the job's state (cheap: for polling whether another handle cancelled it)."""
    row = project.db.execute("SELECT state FROM jobs WHERE id = ?", [job_id]).fetchone()
    if row is None:
        raise NotFoundError(tr("Synthesis job {id} is not in this project.").format(id=job_id))
    return JobState(row[0])


def list_jobs(project: Project) -> list[Job]:
    return [_job(r) for r in project.db.execute(f"SELECT {_JOB_COLS} FROM jobs ORDER BY id").fetchall()]


def set_job_state(project: Project, job_id: int, state: JobState, message: str | None = None) -> None:
    with project.atomic() as db:
        if message is None:
            db.execute("UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?", [str(state), now(), job_id])
        else:
            db.execute("UPDATE jobs SET state = ?, message = ?, updated_at = ? WHERE id = ?", [str(state), message, now(), job_id])


# ----------------------------------------------------------------------------- items


def get_item(project: Project, item_id: int) -> JobItem:
    row = project.db.execute(f"SELECT {_ITEM_COLS} FROM job_items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFoundError(tr("Job item {id} is not in this project.").format(id=item_id))
    return _item(row)


def list_items(project: Project, job_id: int, state: ItemState | None = None) -> list[JobItem]:
    sql = f"SELECT {_ITEM_COLS} FROM job_items WHERE job_id = ?"
    params: list[object] = [job_id]
    if state is not None:
        sql += " AND state = ?"
        params.append(str(state))
    return [_item(r) for r in project.db.execute(sql + " ORDER BY id", params).fetchall()]


def pending_ids(project: Project, job_id: int) -> list[int]:
    rows = project.db.execute("SELECT id FROM job_items WHERE job_id = ? AND state = 'pending' ORDER BY id", [job_id])
    return [r[0] for r in rows.fetchall()]


def recover_running(project: Project, job_id: int) -> int:
    """Items a crashed or killed process left 'running' go back to 'pending'."""
    with project.atomic() as db:
        return db.execute(
            "UPDATE job_items SET state = 'pending', updated_at = ? WHERE job_id = ? AND state = 'running' "
            "AND batch IS NULL",  # items in a provider batch are being answered there: see engine.synth.batch
            [now(), job_id],
        ).rowcount


def reset_failed(project: Project, job_id: int) -> int:
    """Failed items become pending again (for `retry`)."""
    with project.atomic() as db:
        return db.execute(
            "UPDATE job_items SET state = 'pending', error = '', updated_at = ? WHERE job_id = ? AND state = 'failed'",
            [now(), job_id],
        ).rowcount


def mark_running(project: Project, item_id: int) -> int:
    """Marks a pending or running item running, one more attempt; returns the attempts.
    Returns 0 when the item is no longer pending/running (done elsewhere)."""
    with project.atomic() as db:
        cur = db.execute(
            "UPDATE job_items SET state = 'running', attempts = attempts + 1, updated_at = ? "
            "WHERE id = ? AND state IN ('pending', 'running')",
            [now(), item_id],
        )
        if not cur.rowcount:
            return 0
        attempts: int = db.execute("SELECT attempts FROM job_items WHERE id = ?", [item_id]).fetchone()[0]
        return attempts


def release_item(project: Project, item_id: int, error: str = "") -> None:
    """A running item goes back to pending without a result (job stopped or cancelled)."""
    with project.atomic() as db:
        db.execute(
            "UPDATE job_items SET state = 'pending', error = ?, updated_at = ? WHERE id = ? AND state = 'running'",
            [error, now(), item_id],
        )


def complete_item(
    project: Project, item_id: int, recs: Sequence[NewRecord], *, tokens_in: int, tokens_out: int, cost: float, raw: str
) -> list[int] | None:
    """In ONE transaction: store the records and mark the item done. Returns the new record
    ids, or None (nothing stored) when the item was not running any more."""
    with project.atomic() as db:
        cur = db.execute("UPDATE job_items SET state = 'done' WHERE id = ? AND state = 'running'", [item_id])
        if not cur.rowcount:
            return None
        ids = records_store.add_records(project, recs)
        db.execute(
            "UPDATE job_items SET record_ids = ?, tokens_in = tokens_in + ?, tokens_out = tokens_out + ?, cost = cost + ?, "
            "raw_response = ?, error = '', updated_at = ? WHERE id = ?",
            [json.dumps(ids), tokens_in, tokens_out, cost, raw, now(), item_id],
        )
    return ids


def fail_item(project: Project, item_id: int, error: str, *, raw: str = "", tokens_in: int = 0, tokens_out: int = 0,
              cost: float = 0.0) -> None:
    with project.atomic() as db:
        db.execute(
            "UPDATE job_items SET state = 'failed', error = ?, raw_response = ?, tokens_in = tokens_in + ?, "
            "tokens_out = tokens_out + ?, cost = cost + ?, updated_at = ? WHERE id = ? AND state = 'running'",
            [error, raw, tokens_in, tokens_out, cost, now(), item_id],
        )


def add_usage(project: Project, item_id: int, tokens_in: int, tokens_out: int, cost: float) -> None:
    """Usage of a paid call whose answer was not kept (a malformed answer before its repair)."""
    with project.atomic() as db:
        db.execute(
            "UPDATE job_items SET tokens_in = tokens_in + ?, tokens_out = tokens_out + ?, cost = cost + ? WHERE id = ?",
            [tokens_in, tokens_out, cost, item_id],
        )


# ----------------------------------------------------------------------------- provider batches


class BatchState(StrEnum):
    SUBMITTING = "submitting"  # items reserved; the provider may or may not have the batch yet
    SUBMITTED = "submitted"  # the provider has it: poll `batch_id`
    COLLECTED = "collected"  # its answers are stored; nothing left to do
    ABANDONED = "abandoned"  # the submission never reached the provider; its items went back to pending


@dataclass(frozen=True)
class Batch:
    id: int
    job_id: int
    provider: str
    submission: str  # our own unique name for it, also sent to the provider as metadata
    batch_id: str  # the provider's id ('' while submitting)
    input_file: str
    state: BatchState
    status: str  # the provider's last reported status
    message: str
    created_at: str
    updated_at: str


_BATCH_COLS = "id, job_id, provider, submission, batch_id, input_file, state, status, message, created_at, updated_at"


def _batch(row: Sequence[Any]) -> Batch:
    v = list(row)
    v[6] = BatchState(v[6])
    return Batch(*v)


def reserve_batch(project: Project, job_id: int, provider: str, submission: str, item_ids: Sequence[int]) -> tuple[int, list[int]]:
    """In ONE transaction: a new submission row and its items (those still pending) marked
    running in it, one more attempt. Returns (batch row id, the item ids reserved)."""
    stamp = now()
    with project.atomic() as db:
        row_id = inserted_id(db.execute(
            "INSERT INTO job_batches(job_id, provider, submission, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [job_id, provider, submission, str(BatchState.SUBMITTING), stamp, stamp],
        ))
        taken: list[int] = []
        for item_id in item_ids:
            cur = db.execute(
                "UPDATE job_items SET state = 'running', batch = ?, attempts = attempts + 1, updated_at = ? "
                "WHERE id = ? AND job_id = ? AND state = 'pending'",
                [row_id, stamp, item_id, job_id],
            )
            if cur.rowcount:
                taken.append(item_id)
    return row_id, taken


def set_batch(project: Project, row_id: int, *, state: BatchState | None = None, batch_id: str | None = None,
              input_file: str | None = None, status: str | None = None, message: str | None = None) -> None:
    sets, params = ["updated_at = ?"], [now()]
    for col, value in (("state", state), ("batch_id", batch_id), ("input_file", input_file), ("status", status),
                       ("message", message)):
        if value is not None:
            sets.append(f"{col} = ?")
            params.append(str(value))
    with project.atomic() as db:
        db.execute(f"UPDATE job_batches SET {', '.join(sets)} WHERE id = ?", [*params, row_id])


def get_batch(project: Project, row_id: int) -> Batch:
    row = project.db.execute(f"SELECT {_BATCH_COLS} FROM job_batches WHERE id = ?", [row_id]).fetchone()
    if row is None:
        raise NotFoundError(tr("Batch submission {id} is not in this project.").format(id=row_id))
    return _batch(row)


def list_batches(project: Project, job_id: int, *, active: bool = False) -> list[Batch]:
    """The job's batch submissions; `active`: those submitting or submitted (not collected)."""
    sql = f"SELECT {_BATCH_COLS} FROM job_batches WHERE job_id = ?"
    if active:
        sql += " AND state IN ('submitting', 'submitted')"
    return [_batch(r) for r in project.db.execute(sql + " ORDER BY id", [job_id]).fetchall()]


def batch_items(project: Project, row_id: int) -> list[JobItem]:
    """The items of a submission still waiting for its answer (running in it)."""
    rows = project.db.execute(
        f"SELECT {_ITEM_COLS} FROM job_items WHERE batch = ? AND state = 'running' ORDER BY id", [row_id]
    ).fetchall()
    return [_item(r) for r in rows]


def release_batch(project: Project, row_id: int, error: str = "") -> int:
    """Items of a submission still waiting go back to pending, out of the batch (it never
    reached the provider, or ended without answering them). Returns how many."""
    with project.atomic() as db:
        return db.execute(
            "UPDATE job_items SET state = 'pending', batch = NULL, error = ?, updated_at = ? WHERE batch = ? AND state = 'running'",
            [error, now(), row_id],
        ).rowcount


# ----------------------------------------------------------------------------- status


def job_status(project: Project, job_id: int, *, failures_limit: int = 100) -> JobStatus:
    job = get_job(project, job_id)
    counts: dict[ItemState, int] = dict.fromkeys(ItemState, 0)
    rows = project.db.execute("SELECT state, count(*) FROM job_items WHERE job_id = ? GROUP BY state", [job_id]).fetchall()
    counts.update(dict(rows))
    tin, tout, cost = project.db.execute(
        "SELECT coalesce(sum(tokens_in), 0), coalesce(sum(tokens_out), 0), coalesce(sum(cost), 0) FROM job_items WHERE job_id = ?",
        [job_id],
    ).fetchone()
    fails = [
        Failure(r[0], r[1], r[2])
        for r in project.db.execute(
            "SELECT id, error, raw_response FROM job_items WHERE job_id = ? AND state = 'failed' ORDER BY id LIMIT ?",
            [job_id, failures_limit],
        ).fetchall()
    ]
    return JobStatus(job, counts, sum(counts.values()), int(tin), int(tout), float(cost), fails)


def average_usage(project: Project, model: str) -> tuple[float, float] | None:
    """Mean (tokens_in, tokens_out) of done items for `model` in this project, if any."""
    row = project.db.execute(
        "SELECT avg(i.tokens_in), avg(i.tokens_out), count(*) FROM job_items i JOIN jobs j ON j.id = i.job_id "
        "WHERE i.state = 'done' AND j.model = ? AND i.tokens_in > 0",
        [model],
    ).fetchone()
    return (float(row[0]), float(row[1])) if row and row[2] else None
