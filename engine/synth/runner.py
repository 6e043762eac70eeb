"""Running a synthesis job: bounded concurrency, RPM/TPM limits, retries, stop, cancel, pause.

Worker threads each open their own Project handle (SQLite connections are per thread).
The first item is sent alone; only when it has an answer do the other workers start, so
a wrong key or an empty quota costs one request, not `concurrency` of them.

Per item: mark running (attempts + 1) -> wait for the rate limiter -> call the
synthesizer -> store the records and mark the item done in ONE transaction. 429, 5xx and
timeouts are retried with exponential backoff and jitter (Retry-After wins), up to
`max_attempts` sends; a wrong key or used-up quota stops the job (state 'stopped', the
message on the job); a malformed answer gets one repair attempt, then the item is failed
with the raw answer kept. An item whose input cannot be made (a deleted figure, a page
MuPDF cannot draw) or that raises anything unexpected fails with the reason, and the job
goes on with the others. Items a killed process left 'running' are sent again on the next
run. Cancel stops scheduling; calls in flight finish and are stored (they are paid for).
Callbacks (progress, cancel, pause) are called from the thread that called run_job.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.cards import accepts
from engine.errors import RemudError
from engine.i18n import ntr, tr
from engine.llm.retry import Backoff
from engine.pdf.opener import DocumentCache
from engine.store import jobs as store
from engine.store.jobs import ItemState, JobState
from engine.store.project import Project
from engine.synth.base import (
    SynthAuthError,
    SynthError,
    Synthesizer,
    SynthOutputError,
    SynthQuotaError,
    SynthRateLimitError,
    SynthServerError,
)
from engine.synth.inputs import item_input, preparation_error
from engine.synth.ratelimit import RateLimiter, estimate_tokens
from engine.synth.registry import create, load_cards


class JobBusyError(RemudError):
    """Another process is already running this job."""


@dataclass(frozen=True)
class JobProgress:
    """Where a running synthesis job stands: what its progress callback receives."""

    job_id: int
    state: JobState
    done: int  # items done in the whole job
    failed: int
    remaining: int
    total: int
    tokens_in: int  # used by this run
    tokens_out: int
    cost: float
    requests: int  # sent by this run


@dataclass
class RunReport:
    job_id: int
    state: JobState
    message: str = ""
    requests: int = 0
    stored: int = 0  # items completed by this run
    failed: int = 0  # items failed by this run
    recovered: int = 0  # items a previous process left running
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    retries: list[tuple[int, str, float]] = field(default_factory=list)  # (item id, error class, delay s)


@contextlib.contextmanager
def job_lock(folder: Path, job_id: int) -> Iterator[None]:
    """An OS file lock (released by the OS if the process dies, even by SIGKILL)."""
    try:
        import fcntl  # POSIX only
    except ImportError:  # Windows: no lock; one runner per job is the caller's business
        yield
        return
    path = folder / "cache" / f"synth-job-{job_id}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise JobBusyError(tr("Synthesis job {job} is already running in another window or process.").format(
                job=job_id)) from None
        yield
    finally:
        fh.close()


class _Run:
    def __init__(self, folder: Path, job: store.Job, synth: Synthesizer, *, concurrency: int, limiter: RateLimiter,
                 max_attempts: int, backoff: Backoff) -> None:
        self.folder, self.job, self.synth = folder, job, synth
        self.concurrency = max(1, int(concurrency))
        self.limiter, self.max_attempts, self.backoff = limiter, max(1, int(max_attempts)), backoff
        self.with_page = bool(job.settings.get("with_page", True))
        self.queue: queue.Queue[int] = queue.Queue()
        self.abort = threading.Event()  # stop scheduling: stopped or cancelled
        self.paused = threading.Event()
        self.cancelled_elsewhere = threading.Event()  # a worker saw the job cancelled in the database
        self.opened = threading.Event()  # the first item is answered: the others may start
        self.lock = threading.Lock()
        self.write = threading.Lock()  # one writer at a time in this process: no SQLite busy sleeps
        self.report = RunReport(job.id, JobState.RUNNING)
        self.stop_message = ""
        self.changes = 0

    # ------------------------------------------------------------------ shared state
    def _stop(self, message: str) -> None:
        with self.lock:
            if not self.stop_message:
                self.stop_message = message
        self.abort.set()

    def _wait(self, seconds: float) -> bool:
        """Sleeps; True when the run was stopped or cancelled meanwhile."""
        return self.abort.wait(max(seconds, 0.0))

    def _count(self, **deltas) -> None:
        with self.lock:
            for k, v in deltas.items():
                setattr(self.report, k, getattr(self.report, k) + v)
            self.changes += 1

    def _w(self, fn, *args, **kw):
        with self.write:
            return fn(*args, **kw)

    # ------------------------------------------------------------------ workers
    def worker(self, first: bool) -> None:
        if not first:
            while not self.opened.wait(0.05):
                if self.abort.is_set():
                    return
        project = Project.open(self.folder)
        cache = DocumentCache(size=2)
        try:
            while not self.abort.is_set():
                if self.paused.is_set():
                    self._wait(0.05)
                    continue
                try:
                    item_id = self.queue.get_nowait()
                except queue.Empty:
                    return
                if store.job_state(project, self.job.id) is JobState.CANCELLED:  # by another window or process
                    self.cancelled_elsewhere.set()
                    self.abort.set()
                    return
                try:
                    self.process(project, cache, item_id)
                except Exception as exc:  # noqa: BLE001 - no input for it (or a bug): the item fails, not the job
                    if self._w(store.mark_running, project, item_id):
                        self._w(store.fail_item, project, item_id, preparation_error(exc))
                        self._count(failed=1)
                finally:
                    if first:
                        self.opened.set()
        finally:
            if first:
                self.opened.set()
            cache.close_all()
            project.close()

    def _input(self, project: Project, cache: DocumentCache, item: store.JobItem):
        return item_input(project, item, with_page=self.with_page, cache=cache)

    def process(self, project: Project, cache: DocumentCache, item_id: int) -> None:
        item = store.get_item(project, item_id)
        if item.state not in (ItemState.PENDING, ItemState.RUNNING):
            return
        inp = self._input(project, cache, item)  # raising fails the item (see worker)
        est = estimate_tokens(" ".join((inp.caption, inp.context, inp.burned_text, inp.section)) + " " * 1500,
                              sum(1 for b in (inp.image, inp.page_image) if b))
        transient, repaired = 0, False
        while True:
            if self.abort.is_set() or not self._w(store.mark_running, project, item_id):
                self._w(store.release_item, project, item_id)
                return
            if not self.limiter.acquire(est, self._wait):
                self._w(store.release_item, project, item_id)
                return
            self._count(requests=1)
            try:
                result = self.synth.synthesize(inp)
            except (SynthAuthError, SynthQuotaError) as exc:
                self.limiter.correct(-est)
                self._w(store.release_item, project, item_id, str(exc))
                self._stop(str(exc))
                return
            except (SynthRateLimitError, SynthServerError) as exc:
                self.limiter.correct(-est)
                transient += 1
                if transient >= self.max_attempts:
                    why = ntr("{error} (gave up after {n} attempt)", "{error} (gave up after {n} attempts)",
                              transient).format(error=exc, n=transient)
                    self._w(store.fail_item, project, item_id, why)
                    self._count(failed=1)
                    return
                delay = self.backoff.delay(transient, getattr(exc, "retry_after", None))
                with self.lock:
                    self.report.retries.append((item_id, type(exc).__name__, delay))
                if self._wait(delay):
                    self._w(store.release_item, project, item_id)
                    return
                continue
            except SynthOutputError as exc:
                cost = exc.cost or 0.0
                self.limiter.correct(exc.tokens_in + exc.tokens_out - est)
                self._count(tokens_in=exc.tokens_in, tokens_out=exc.tokens_out, cost=cost)
                if not repaired:  # one repair attempt: ask again
                    repaired = True
                    self._w(store.add_usage, project, item_id, exc.tokens_in, exc.tokens_out, cost)
                    continue
                self._w(store.fail_item, project, item_id, str(exc), raw=exc.raw, tokens_in=exc.tokens_in,
                                tokens_out=exc.tokens_out, cost=cost)
                self._count(failed=1)
                return
            except SynthError as exc:  # the request itself was refused: retrying cannot help
                self._w(store.fail_item, project, item_id, str(exc))
                self._count(failed=1)
                return
            except Exception as exc:  # noqa: BLE001 - one bad item must not end the job
                self._w(store.fail_item, project, item_id,
                        tr("Unexpected error ({error}).").format(error=type(exc).__name__))
                self._count(failed=1)
                return
            self.limiter.correct(result.tokens_in + result.tokens_out - est)
            cost = result.cost or 0.0
            ids = self._w(store.complete_item, project, item_id, result.records, tokens_in=result.tokens_in,
                                      tokens_out=result.tokens_out, cost=cost, raw=result.raw)
            if ids is not None:
                self._count(stored=1, tokens_in=result.tokens_in, tokens_out=result.tokens_out, cost=cost)
            return

    # ------------------------------------------------------------------ driving
    def snapshot(self, project: Project, state: JobState) -> JobProgress:
        return job_progress(project, self.job.id, state, self.report)

    def drive(self, project: Project, progress, cancel, pause, poll_s: float) -> RunReport:
        for item_id in store.pending_ids(project, self.job.id):
            self.queue.put(item_id)
        threads = [threading.Thread(target=self.worker, args=(n == 0,), name=f"synth-job-{self.job.id}-{n}", daemon=True)
                   for n in range(self.concurrency)]
        for t in threads:
            t.start()
        cancelled, paused, seen, ticks = False, False, -1, 0
        state = JobState.RUNNING
        while any(t.is_alive() for t in threads):
            ticks += 1
            if not cancelled and (cancel() or self.cancelled_elsewhere.is_set()
                                  or (ticks % 10 == 0 and store.job_state(project, self.job.id) is JobState.CANCELLED)):
                cancelled = True
                self.abort.set()
            now_paused = bool(pause()) and not cancelled
            if now_paused != paused:
                paused = now_paused
                (self.paused.set if paused else self.paused.clear)()
                state = JobState.PAUSED if paused else JobState.RUNNING
                store.set_job_state(project, self.job.id, state)
            if progress is not None and self.changes != seen:
                seen = self.changes
                progress(self.snapshot(project, state))
            alive = [t for t in threads if t.is_alive()]
            if alive:
                alive[0].join(poll_s)
        if self.cancelled_elsewhere.is_set():
            cancelled = True
        st = store.job_status(project, self.job.id, failures_limit=0)
        if self.stop_message:
            final, message = JobState.STOPPED, self.stop_message
        elif cancelled:
            final, message = JobState.CANCELLED, tr("Cancelled.")
        elif st.counts[ItemState.PENDING] or st.counts[ItemState.RUNNING]:
            final, message = JobState.PENDING, ""
        elif st.counts[ItemState.FAILED]:
            final, message = JobState.FINISHED, failed_message(st.counts[ItemState.FAILED], st.total)
        else:
            final, message = JobState.DONE, ""
        store.set_job_state(project, self.job.id, final, message)
        self.report.state, self.report.message = final, message
        if progress is not None:
            progress(self.snapshot(project, final))
        return self.report


def job_progress(project: Project, job_id: int, state: JobState, report: RunReport) -> JobProgress:
    """The job's item counts from the store, with what this run (`report`) used."""
    st = store.job_status(project, job_id, failures_limit=0)
    counts = st.counts
    return JobProgress(job_id, state, counts[ItemState.DONE], counts[ItemState.FAILED],
                       counts[ItemState.PENDING] + counts[ItemState.RUNNING], st.total,
                       report.tokens_in, report.tokens_out, report.cost, report.requests)


def failed_message(failed: int, total: int) -> str:
    """The message of a job that ended with failed items."""
    return ntr("{failed} of {total} item failed; see why in the failures, then retry them.",
               "{failed} of {total} items failed; see why in the failures, then retry them.", total).format(
        failed=failed, total=total)


def build_synthesizer(job: store.Job, project_folder: Path | None = None) -> Synthesizer:
    """The job's card with its stored parameters; the project's own prompt copies
    (`<project>/prompts/`) are found before the shipped templates."""
    params = dict(job.settings.get("params", {}))
    card = load_cards().get(job.synthesizer)
    if project_folder is not None and card is not None and accepts(card, "prompt_dirs"):
        params["prompt_dirs"] = (*params.get("prompt_dirs", ()), str(project_prompts(project_folder)))
    return create(job.synthesizer, **params)


def project_prompts(project_folder: Path) -> Path:
    """Where a project keeps its edited copies of the prompt templates."""
    return Path(project_folder) / "prompts"


def run_job(
    project_folder: str | Path,
    job_id: int,
    *,
    synthesizer: Synthesizer | None = None,
    concurrency: int = 8,
    rpm: float | None = None,
    tpm: float | None = None,
    max_attempts: int = 5,
    backoff: Backoff | None = None,
    progress: Callable[[JobProgress], None] | None = None,
    cancel: Callable[[], bool] = lambda: False,
    pause: Callable[[], bool] = lambda: False,
    poll_s: float = 0.05,
) -> RunReport:
    """Sends the job's pending items (and those a crash left running) and returns a report.
    `synthesizer` defaults to the job's card with its stored parameters."""
    folder = Path(project_folder)
    project = Project.open(folder)
    try:
        with job_lock(project.folder, job_id):
            job = store.get_job(project, job_id)
            recovered = store.recover_running(project, job_id)
            store.set_job_state(project, job_id, JobState.RUNNING, "")
            try:
                synth = synthesizer if synthesizer is not None else build_synthesizer(job, project.folder)
            except SynthError as exc:
                store.set_job_state(project, job_id, JobState.STOPPED, str(exc))
                return RunReport(job_id, JobState.STOPPED, str(exc), recovered=recovered)
            run = _Run(folder, job, synth, concurrency=concurrency, limiter=RateLimiter(rpm, tpm),
                       max_attempts=max_attempts, backoff=backoff or Backoff())
            run.report.recovered = recovered
            return run.drive(project, progress, cancel, pause, poll_s)
    finally:
        project.close()
