"""Batch mode of synthesis jobs: the providers' own batch APIs, at their lower price.

    report = run_batch(project.folder, job_id, poll_s=60, progress=print)

For large jobs (tens of thousands of items). The job's pending items are written as one
request line each (custom_id = the item's idempotency key; the same messages and schema as
the live path), uploaded and submitted as one or more provider batches; then the batches
are polled until they end, and each answer line is parsed with the same validation as a
live answer and stored, records and "done" in ONE transaction per item. Lines with errors
and answers that cannot be parsed fail their item, with the raw text kept. Tokens are
priced at pricing.toml's `batch_discount`.

Never paying twice: before anything is uploaded the items are reserved in a submission row
(engine.store.jobs.reserve_batch) whose unique name also goes to the provider as batch
metadata; the provider's batch id is stored as soon as it is known. A process killed while
polling (or a run stopped with `stop`) leaves the items in their batch, and the next
run_batch polls that same batch; one killed between submitting and storing the id finds its
batch again by that metadata. Only a submission the provider never received is sent again.

Cancelling (`cancel`, or cancel_job from any window or process) cancels the provider's
batches; what they answered before stopping was paid for and is still collected.
The backend (one per provider) is in batch_openai / batch_gemini.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from engine.i18n import ntr, tr
from engine.pdf.opener import DocumentCache
from engine.store import jobs as store
from engine.store.jobs import BatchState, ItemState, JobState
from engine.store.project import Project
from engine.synth.base import (
    SynthAuthError,
    SynthConfigError,
    SynthError,
    Synthesizer,
    SynthInput,
    SynthOutputError,
    SynthQuotaError,
    SynthResult,
)
from engine.synth.gemini_synth import GeminiSynthesizer
from engine.synth.inputs import item_input, preparation_error
from engine.synth.runner import JobProgress, RunReport, build_synthesizer, failed_message, job_lock, job_progress

__all__ = ["BatchBackend", "BatchStatus", "LineError", "backend_for", "run_batch", "light_input"]


@dataclass(frozen=True)
class BatchStatus:
    status: str  # the provider's word for it
    terminal: bool  # it will not change any more: collect it
    answered: bool = True  # False: it ended without answers (failed validation): fail its items with `message`
    message: str = ""


@dataclass(frozen=True)
class LineError:
    """A line of a batch's results that holds an error instead of an answer."""

    message: str
    raw: str


class BatchBackend(Protocol):
    provider: str
    max_items: int  # requests per batch the provider accepts
    max_bytes: int  # size of one batch's input the provider accepts

    def line(self, custom_id: str, inp: SynthInput) -> str:
        """One request line (JSON, no newline) asking what the live synthesizer would ask."""

    def submit(self, path: Path, submission: str, job_id: int) -> tuple[str, str]:
        """Uploads the lines at `path` and creates a batch tagged with `submission`:
        (provider batch id, input file id)."""

    def find(self, submission: str) -> str | None:
        """The provider's batch tagged with `submission`, if it has one."""

    def poll(self, batch_id: str) -> BatchStatus: ...

    def results(self, batch_id: str) -> Iterator[tuple[str | None, Any, str]]:
        """(custom_id or None when unreadable, answer or LineError, the raw line) per line."""

    def parse(self, answer: Any, inp: SynthInput) -> SynthResult:
        """Records from one answer, priced at the batch discount (SynthOutputError if unusable)."""

    def cancel(self, batch_id: str) -> None: ...


def backend_for(synth: Synthesizer) -> BatchBackend:
    """The batch backend for a live synthesizer (same model, key, prompts and settings)."""
    from engine.synth.openai_synth import OpenAISynthesizer  # heavy: openai (about half a second)

    if isinstance(synth, OpenAISynthesizer):
        from engine.synth.batch_openai import OpenAIBatch  # cycle: batch_openai imports this module (and openai)

        return OpenAIBatch(synth)
    if isinstance(synth, GeminiSynthesizer):
        from engine.synth.batch_gemini import GeminiBatch  # cycle: batch_gemini imports this module

        return GeminiBatch(synth)
    raise SynthConfigError(tr("The synthesizer “{name}” has no batch mode; run the job live.").format(name=synth.name))


def light_input(item: store.JobItem) -> SynthInput:
    """What parsing an answer needs of an item (kind, language, reasoning, provenance),
    without rendering its images again: the template only depends on whether it has one."""
    return SynthInput(kind=item.kind, image=b"x" if item.figure_id is not None else None,
                      context=item.passage, language=item.language, reasoning=item.reasoning,
                      figure_id=item.figure_id, doc_id=item.doc_id, page=item.page)


_CUSTOM_ID = re.compile(r'"custom_id"\s*:\s*"([^"\\]+)"')


def custom_id_of(raw: str) -> str | None:
    """The custom_id of a line that is not valid JSON, when it can still be read."""
    m = _CUSTOM_ID.search(raw)
    return m.group(1) if m else None


class _BatchRun:
    def __init__(self, folder: Path, project: Project, job: store.Job, backend: BatchBackend, *, poll_s: float,
                 max_items: int | None, max_bytes: int | None, progress, stop, cancel) -> None:
        self.folder, self.project, self.job, self.backend = folder, project, job, backend
        self.poll_s = max(float(poll_s), 0.0)
        self.max_items = max(1, int(max_items or backend.max_items))
        self.max_bytes = max(1, int(max_bytes or backend.max_bytes))
        self.progress, self.stop, self.cancel = progress, stop, cancel
        self.report = RunReport(job.id, JobState.RUNNING)
        self.cancelled = False
        self.stopped = False
        self._sleeper = threading.Event()

    # ------------------------------------------------------------------ helpers
    def _emit(self, state: JobState) -> None:
        if self.progress is not None:
            self.progress(job_progress(self.project, self.job.id, state, self.report))

    def _check_cancel(self) -> bool:
        if not self.cancelled and (self.cancel() or store.job_state(self.project, self.job.id) is JobState.CANCELLED):
            self.cancelled = True
            for b in store.list_batches(self.project, self.job.id, active=True):
                if b.batch_id:
                    try:
                        self.backend.cancel(b.batch_id)
                    except SynthError as exc:  # it may have ended meanwhile: collecting still works
                        store.set_batch(self.project, b.id, message=str(exc))
                else:
                    store.release_batch(self.project, b.id)
                    store.set_batch(self.project, b.id, state=BatchState.ABANDONED)
        return self.cancelled

    def _wait(self) -> None:
        """Sleeps up to poll_s, waking early when stopped or cancelled."""
        step = min(self.poll_s, 0.5) or 0.0
        waited = 0.0
        while waited < self.poll_s:
            if self.stop() or self._check_cancel():
                return
            self._sleeper.wait(step)
            waited += step

    def _input(self, cache: DocumentCache, item: store.JobItem) -> SynthInput:
        return item_input(self.project, item, with_page=bool(self.job.settings.get("with_page", True)), cache=cache)

    # ------------------------------------------------------------------ resume
    def resume(self) -> None:
        """Submissions a killed process left half-done: adopt the provider's batch, or
        (the provider never got it) put their items back to pending."""
        for b in store.list_batches(self.project, self.job.id, active=True):
            if b.state is not BatchState.SUBMITTING:
                continue
            found = self.backend.find(b.submission)
            if found:
                store.set_batch(self.project, b.id, state=BatchState.SUBMITTED, batch_id=found)
            else:
                store.release_batch(self.project, b.id)
                store.set_batch(self.project, b.id, state=BatchState.ABANDONED,
                                message=tr("Never reached the provider; its items were sent again."))

    # ------------------------------------------------------------------ submit
    def submit_pending(self) -> str:
        """Writes and submits the pending items in batches; '' or the message that stopped it."""
        cache = DocumentCache(size=2)
        tmpdir = self.folder / "cache" / "batches"
        tmpdir.mkdir(parents=True, exist_ok=True)
        chunk: list[int] = []  # the items in the open file `fh` at `path` (empty while none is open)
        fh: BinaryIO | None = None
        path: Path | None = None
        size = 0
        try:
            for item in store.list_items(self.project, self.job.id, ItemState.PENDING):
                if self.stop() or self._check_cancel():
                    break
                try:
                    inp = self._input(cache, item)
                    line = self.backend.line(item.idem_key, inp)
                except Exception as exc:  # noqa: BLE001 - a deleted figure, a bad passage: this item only
                    if store.mark_running(self.project, item.id):
                        store.fail_item(self.project, item.id, preparation_error(exc))
                        self.report.failed += 1
                    continue
                data = (line + "\n").encode("utf-8")
                if fh is not None and path is not None \
                        and (len(chunk) >= self.max_items or size + len(data) > self.max_bytes):
                    fh.close()
                    message = self._send(path, chunk)
                    fh, chunk = None, []
                    if message:
                        return message
                if fh is None:
                    fd, name = tempfile.mkstemp(prefix=f"job{self.job.id}-", suffix=".jsonl", dir=tmpdir)
                    fh, path, size = os.fdopen(fd, "wb"), Path(name), 0
                fh.write(data)
                size += len(data)
                chunk.append(item.id)
            if fh is not None:
                fh.close()
                fh = None
                if chunk and path is not None:
                    return self._send(path, chunk)
            return ""
        finally:
            if fh is not None:
                fh.close()
            if path is not None:
                for p in tmpdir.glob(f"job{self.job.id}-*.jsonl"):
                    p.unlink(missing_ok=True)
            cache.close_all()

    def _send(self, path: Path, item_ids: list[int]) -> str:
        submission = f"remud-{uuid.uuid4().hex}"
        row_id, taken = store.reserve_batch(self.project, self.job.id, self.backend.provider, submission, item_ids)
        if len(taken) != len(item_ids):  # some were done meanwhile by another handle: drop their lines
            keep = {store.get_item(self.project, i).idem_key for i in taken}
            lines = [ln for ln in path.read_text("utf-8").splitlines() if json_custom_id(ln) in keep]
            path.write_text("".join(ln + "\n" for ln in lines), "utf-8")
        if not taken:
            store.set_batch(self.project, row_id, state=BatchState.ABANDONED, message=tr("Nothing left to send."))
            return ""
        try:
            batch_id, input_file = self.backend.submit(path, submission, self.job.id)
        except SynthError as exc:
            # It may still have reached the provider (a timeout after the upload): keep the
            # row 'submitting' so the next run looks for it by its name before sending again.
            store.set_batch(self.project, row_id, message=str(exc))
            return str(exc)
        store.set_batch(self.project, row_id, state=BatchState.SUBMITTED, batch_id=batch_id, input_file=input_file)
        self.report.requests += len(taken)
        return ""

    # ------------------------------------------------------------------ collect
    def collect(self, b: store.Batch, status: BatchStatus) -> None:
        waiting = {it.idem_key: it for it in store.batch_items(self.project, b.id)}
        if status.answered:
            for cid, answer, raw in self.backend.results(b.batch_id):
                item = waiting.pop(cid, None) if cid else None
                if item is None:
                    continue
                self._store_answer(item, answer, raw)
        if waiting:
            if status.status in ("completed", "JOB_STATE_SUCCEEDED") or not status.answered:
                why = status.message or tr("The batch ended without an answer for this item.")
                for item in waiting.values():
                    store.fail_item(self.project, item.id, why)
                    self.report.failed += 1
            else:  # expired or cancelled before answering them: not paid for, send again later
                # Translators: {status} is the provider's own word for how the batch ended ("expired",
                # "cancelled", "JOB_STATE_EXPIRED"); it stays in English.
                why = tr("The batch {status} before answering this item.").format(status=status.status)
                store.release_batch(self.project, b.id, why)
        store.set_batch(self.project, b.id, state=BatchState.COLLECTED, status=status.status, message=status.message)

    def _store_answer(self, item: store.JobItem, answer: Any, raw: str) -> None:
        if isinstance(answer, LineError):
            store.fail_item(self.project, item.id, answer.message, raw=answer.raw)
            self.report.failed += 1
            return
        try:
            result = self.backend.parse(answer, light_input(item))
        except SynthOutputError as exc:
            cost = exc.cost or 0.0
            store.fail_item(self.project, item.id, str(exc), raw=exc.raw or raw, tokens_in=exc.tokens_in,
                            tokens_out=exc.tokens_out, cost=cost)
            self._count(exc.tokens_in, exc.tokens_out, cost)
            self.report.failed += 1
            return
        cost = result.cost or 0.0
        ids = store.complete_item(self.project, item.id, result.records, tokens_in=result.tokens_in,
                                  tokens_out=result.tokens_out, cost=cost, raw=result.raw)
        if ids is not None:
            self.report.stored += 1
            self._count(result.tokens_in, result.tokens_out, cost)

    def _count(self, tin: int, tout: int, cost: float) -> None:
        self.report.tokens_in += tin
        self.report.tokens_out += tout
        self.report.cost += cost

    # ------------------------------------------------------------------ driving
    def drive(self) -> RunReport:
        message = ""
        try:
            self.resume()
            if not self._check_cancel() and not any(
                b.state is BatchState.SUBMITTING for b in store.list_batches(self.project, self.job.id, active=True)
            ):
                message = self.submit_pending()
            self._emit(JobState.RUNNING)
            while not message:
                active = [b for b in store.list_batches(self.project, self.job.id, active=True)
                          if b.state is BatchState.SUBMITTED]
                if not active:
                    break
                if self.stop():
                    self.stopped = True
                    break
                self._check_cancel()
                for b in active:
                    status = self.backend.poll(b.batch_id)
                    if status.terminal:
                        self.collect(b, status)
                        self._emit(JobState.RUNNING)
                    elif status.status != b.status:
                        store.set_batch(self.project, b.id, status=status.status)
                if any(b.state is BatchState.SUBMITTED for b in store.list_batches(self.project, self.job.id, active=True)):
                    self._wait()
        except (SynthAuthError, SynthQuotaError) as exc:
            message = str(exc)
        except SynthError as exc:  # the provider could not be reached or refused: the batch stays, run again later
            message = str(exc)
        return self.finish(message)

    def finish(self, message: str) -> RunReport:
        st = store.job_status(self.project, self.job.id, failures_limit=0)
        left = st.counts[ItemState.PENDING] + st.counts[ItemState.RUNNING]
        if message:
            final = JobState.STOPPED
        elif self.cancelled:
            final, message = JobState.CANCELLED, tr("Cancelled.")
        elif self.stopped or left:
            final = JobState.PENDING
            waiting = store.list_batches(self.project, self.job.id, active=True)
            message = ntr("Waiting for {n} provider batch; run the job in batch mode again to collect it.",
                          "Waiting for {n} provider batches; run the job in batch mode again to collect them.",
                          len(waiting)).format(n=len(waiting)) if waiting else ""
        elif st.counts[ItemState.FAILED]:
            final, message = JobState.FINISHED, failed_message(st.counts[ItemState.FAILED], st.total)
        else:
            final, message = JobState.DONE, ""
        store.set_job_state(self.project, self.job.id, final, message)
        self.report.state, self.report.message = final, message
        self._emit(final)
        return self.report


def json_custom_id(line: str) -> str | None:
    try:
        data = json.loads(line)
        return str(data.get("custom_id") or data.get("key"))
    except (ValueError, AttributeError):
        return custom_id_of(line)


def run_batch(
    project_folder: str | Path,
    job_id: int,
    *,
    synthesizer: Synthesizer | None = None,
    backend: BatchBackend | None = None,
    poll_s: float = 60.0,
    max_items: int | None = None,
    max_bytes: int | None = None,
    progress: Callable[[JobProgress], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
    cancel: Callable[[], bool] = lambda: False,
) -> RunReport:
    """Submits the job's pending items as provider batches (or resumes the ones already
    submitted), polls every `poll_s` seconds and stores the answers; returns when every
    batch has ended, or when `stop()` says so (the batches keep running at the provider:
    call again to collect them), or after `cancel()` once the cancelled batches ended.
    `synthesizer` defaults to the job's card with its stored parameters; `backend` to the
    batch backend of that synthesizer."""
    folder = Path(project_folder)
    project = Project.open(folder)
    try:
        with job_lock(project.folder, job_id):
            job = store.get_job(project, job_id)
            recovered = store.recover_running(project, job_id)  # a live run's leftovers; never batch items
            was_cancelled = job.state is JobState.CANCELLED
            store.set_job_state(project, job_id, JobState.RUNNING, "")
            try:
                if backend is None:
                    backend = backend_for(synthesizer if synthesizer is not None else build_synthesizer(job))
            except SynthError as exc:
                store.set_job_state(project, job_id, JobState.STOPPED, str(exc))
                return RunReport(job_id, JobState.STOPPED, str(exc), recovered=recovered)
            run = _BatchRun(folder, project, job, backend, poll_s=poll_s, max_items=max_items, max_bytes=max_bytes,
                            progress=progress, stop=stop, cancel=cancel)
            if was_cancelled:  # collect what a cancelled job's batches answered; submit nothing new
                store.set_job_state(project, job_id, JobState.CANCELLED, "")
            run.report.recovered = recovered
            return run.drive()
    finally:
        project.close()


def cancel_batches(project_folder: str | Path, job_id: int, *, synthesizer: Synthesizer | None = None,
                   backend: BatchBackend | None = None) -> int:
    """Cancels the job (like cancel_job) and its provider batches now, without waiting for a
    runner; returns how many provider batches were asked to cancel. Their answers so far
    are collected by the next run_batch."""
    project = Project.open(Path(project_folder))
    try:
        job = store.get_job(project, job_id)
        store.set_job_state(project, job_id, JobState.CANCELLED, tr("Cancelled."))
        active = [b for b in store.list_batches(project, job_id, active=True) if b.batch_id]
        if not active:
            return 0
        if backend is None:
            backend = backend_for(synthesizer if synthesizer is not None else build_synthesizer(job))
        for b in active:
            backend.cancel(b.batch_id)
        return len(active)
    finally:
        project.close()
