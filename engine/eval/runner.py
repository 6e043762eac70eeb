"""One evaluation run: k samples of every question, written as they finish, resumable.

The output folder holds
- settings.json: the test file (path and sha256), k and the backend's settings. A run in a
  folder whose settings differ is refused (SettingsMismatchError) unless `restart`;
- results.jsonl: one line per (question, sample), appended and flushed the moment the
  answer arrives, so a crash, a cancel or a quit loses at most the answers in flight. A
  run again skips every pair already there (a torn last line is dropped);
- summary.json: the scores and one entry per question, rewritten at the end of each run
  (also a cancelled one).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import CancelledError
from engine.eval.backends.base import Backend
from engine.eval.errors import EvalConfigError, EvalError, SettingsMismatchError
from engine.eval.extract import extract_answer
from engine.eval.scoring import SampleResult, Scores, score
from engine.eval.testset import EvalQuestion, TestSet
from engine.i18n import tr

SETTINGS = "settings.json"
RESULTS = "results.jsonl"
SUMMARY = "summary.json"


@dataclass(frozen=True)
class EvalSummary:
    out_dir: Path
    settings: dict[str, Any]
    scores: Scores
    total_samples: int  # questions × k
    done_samples: int
    questions: list[dict[str, Any]] = field(default_factory=list)  # per question: gold, answers, correct

    @property
    def complete(self) -> bool:
        return self.done_samples >= self.total_samples

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "complete": self.complete, "total_samples": self.total_samples,
                "done_samples": self.done_samples, "settings": self.settings, "scores": self.scores.to_dict(),
                "questions": self.questions}


def run_settings(testset: TestSet, backend: Backend, k: int) -> dict[str, Any]:
    return {"testset": str(testset.path), "testset_sha256": testset.fingerprint, "k": k,
            "backend": backend.settings()}


def run_eval(
    testset: TestSet,
    backend: Backend,
    k: int,
    out_dir: str | Path,
    *,
    restart: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> EvalSummary:
    """Asks `backend` k times per question (skipping answers already in `out_dir`), writes
    the results and the summary, and returns the summary. Raises CancelledError (after
    saving) when `cancel()` turns true, and the backend's error when one stops the run."""
    if k < 1:
        raise EvalConfigError(tr("k (samples per question) must be 1 or more."))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = run_settings(testset, backend, k)
    _check_settings(out, settings, restart)
    done = {(r.id, r.sample): r for r in load_results(out / RESULTS)}
    wanted = {q.id: q for q in testset.questions}
    todo = [(q, i) for q in testset.questions for i in range(k) if (q.id, i) not in done]
    total = len(testset) * k
    count = total - len(todo)
    if progress:
        progress(count, total)
    error: BaseException | None = None
    cancelled = False
    with open(out / RESULTS, "a", encoding="utf-8") as sink, ThreadPoolExecutor(max(backend.concurrency, 1)) as pool:
        pending: Iterator[tuple[EvalQuestion, int]] = iter(todo)
        in_flight: dict[Future, tuple[EvalQuestion, int]] = {}
        while True:
            while len(in_flight) < max(backend.concurrency, 1) and error is None and not cancelled:
                if cancel():
                    cancelled = True
                    break
                pair = next(pending, None)
                if pair is None:
                    break
                in_flight[pool.submit(backend.answer, *pair)] = pair
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                question, index = in_flight.pop(future)
                try:
                    output = future.result()
                except CancelledError:
                    cancelled = True
                    continue
                except Exception as exc:  # noqa: BLE001 - the first failure stops the run; it is raised below
                    error = error or exc
                    continue
                result = SampleResult(
                    id=question.id, sample=index, gold=question.answer,
                    extracted=extract_answer(output.text, question.letters), text=output.text,
                    thinking=output.thinking, thinking_tokens=output.thinking_tokens, tokens=output.tokens,
                    seconds=round(output.seconds, 4), finish_reason=output.finish_reason,
                )
                sink.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
                sink.flush()
                done[(question.id, index)] = result
                count += 1
                if progress:
                    progress(count, total)
    kept = [r for (qid, i), r in done.items() if qid in wanted and i < k]
    summary = _summary(out, settings, testset, kept, k, total)
    _write_json(out / SUMMARY, summary.to_dict())
    if error is not None:
        raise error
    if (cancelled or cancel()) and not summary.complete:
        raise CancelledError(tr("Evaluation cancelled after {done} of {total} answers; run it again with the same "
                                "settings to go on.").format(done=summary.done_samples, total=total))
    return summary


def load_results(path: Path) -> list[SampleResult]:
    """The results written so far. A torn last line (a crash mid-write) is cut off the file."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    lines = raw.splitlines(keepends=True)
    results: list[SampleResult] = []
    offset = 0
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                results.append(SampleResult.from_dict(json.loads(line)))
            except (ValueError, TypeError):
                if n < len(lines):
                    raise EvalError(tr("Line {n} of {path} is damaged; run again with --restart to start over.").format(
                        n=n, path=path)) from None
                with open(path, "r+b") as f:
                    f.truncate(offset)
                return results
        offset += len(line)
    if raw and not raw.endswith(b"\n"):
        with open(path, "ab") as f:
            f.write(b"\n")
    return results


def _earlier_settings(path: Path) -> dict[str, Any] | None:
    """The settings.json an earlier run wrote ({} when there is none); None when it is no run's."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    return old if isinstance(old, dict) and {"testset_sha256", "k", "backend"} <= old.keys() else None


def _check_settings(out: Path, settings: dict[str, Any], restart: bool) -> None:
    path = out / SETTINGS
    old = _earlier_settings(path)
    if old is None:  # never overwritten or deleted: it is not ours
        raise SettingsMismatchError(tr("{path} was not written by an eval run; use another --out folder.").format(
            path=path))
    if restart:
        for name in (RESULTS, SUMMARY, SETTINGS):
            (out / name).unlink(missing_ok=True)
    elif old:
        # the test file may have moved: its content (sha256) must match, not its path
        changed = _differences({**old, "testset": None}, {**settings, "testset": None})
        if changed:
            raise SettingsMismatchError(tr(
                "{folder} holds a run made with other settings ({changes}): use another --out folder, "
                "or --restart to discard that run."
            ).format(folder=out, changes="; ".join(changed[:4])))
    elif (out / RESULTS).exists() and (out / RESULTS).stat().st_size:
        raise SettingsMismatchError(tr("{folder} holds results without their settings.json: use another --out "
                                       "folder, or --restart to discard them.").format(folder=out))
    _write_json(path, settings)


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    if old != new:
        # Translators: one changed setting of an eval run, e.g. "k was 4, now 8" ({name} stays in English).
        return [tr("{name} was {old}, now {new}").format(name=prefix.rstrip("."), old=_show(old), new=_show(new))]
    return []


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _summary(out: Path, settings: dict[str, Any], testset: TestSet, results: list[SampleResult], k: int,
             total: int) -> EvalSummary:
    by_id: dict[str, list[SampleResult]] = {}
    for r in sorted(results, key=lambda r: r.sample):
        by_id.setdefault(r.id, []).append(r)
    questions = [
        {"id": q.id, "gold": q.answer, "answers": [r.extracted for r in by_id[q.id]],
         "correct": sum(r.correct for r in by_id[q.id]), "unparseable": sum(not r.parseable for r in by_id[q.id])}
        for q in testset.questions if q.id in by_id
    ]
    ordered = [r for q in testset.questions for r in by_id.get(q.id, [])]
    return EvalSummary(out, settings, score(ordered, k), total, len(results), questions)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
