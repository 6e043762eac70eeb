"""Accuracy against the thinking budget (the paper's test-time scaling figure).

One resumable sub-run per budget, in `out_dir/budget-<N>/`, then `sweep.csv` (one row per
budget) and `sweep.png` (accuracy and pass@k against the budget; a log2 axis when each
budget doubles the one before).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from engine.eval.backends.base import Backend
from engine.eval.errors import EvalConfigError
from engine.eval.runner import EvalSummary, run_eval
from engine.eval.testset import TestSet
from engine.i18n import tr

CSV_NAME = "sweep.csv"
PNG_NAME = "sweep.png"
PLOT_SIZE_IN = (8.0, 5.0)
PLOT_DPI = 100  # 800 × 500 pixels


@dataclass(frozen=True)
class SweepRow:
    budget: int
    accuracy: float
    pass_at_k: float
    any_correct: float
    unparseable: int
    mean_thinking_tokens: float
    questions: int


@dataclass(frozen=True)
class SweepResult:
    rows: list[SweepRow]
    summaries: list[EvalSummary]
    csv_path: Path
    png_path: Path


def parse_budgets(text: str) -> list[int]:
    """"128,256,512" -> [128, 256, 512] (sorted, unique, each 1 or more)."""
    try:
        budgets = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise EvalConfigError(tr("“{text}” is not a list of thinking budgets; write them like 128,256,512.").format(
            text=text)) from None
    if not budgets or budgets[0] < 1:
        raise EvalConfigError(tr("Thinking budgets must be whole numbers of tokens, 1 or more, e.g. 128,256,512."))
    return budgets


def run_sweep(
    testset: TestSet,
    backend_for: Callable[[int], Backend],
    budgets: Sequence[int],
    k: int,
    out_dir: str | Path,
    *,
    title: str = "",
    restart: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> SweepResult:
    """Runs (or resumes) one evaluation per budget and writes the CSV and the plot."""
    if not budgets:
        raise EvalConfigError(tr("A sweep needs at least one thinking budget."))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    per_run = len(testset) * k
    total = per_run * len(budgets)
    summaries: list[EvalSummary] = []
    for n, budget in enumerate(budgets):
        def sub_progress(done: int, _total: int, before: int = n * per_run) -> None:
            if progress:
                progress(before + done, total)

        backend = backend_for(budget)
        try:
            summaries.append(run_eval(testset, backend, k, out / f"budget-{budget}", restart=restart,
                                      progress=sub_progress, cancel=cancel))
        finally:
            backend.close()
    rows = [SweepRow(budget, s.scores.accuracy, s.scores.pass_at_k, s.scores.any_correct, s.scores.unparseable,
                     s.scores.mean_thinking_tokens, s.scores.questions) for budget, s in zip(budgets, summaries)]
    csv_path = write_csv(rows, k, out / CSV_NAME)
    png_path = plot(rows, k, out / PNG_NAME, title=title)
    return SweepResult(rows, summaries, csv_path, png_path)


def write_csv(rows: Sequence[SweepRow], k: int, path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["budget", "accuracy", f"pass@{k}", "any_correct", "unparseable", "mean_thinking_tokens",
                         "questions"])
        for r in rows:
            writer.writerow([r.budget, f"{r.accuracy:.4f}", f"{r.pass_at_k:.4f}", f"{r.any_correct:.4f}",
                             r.unparseable, f"{r.mean_thinking_tokens:.1f}", r.questions])
    return path


def _doubling(budgets: Sequence[int]) -> bool:
    return len(budgets) > 1 and all(b == 2 * a for a, b in pairwise(budgets))


def plot(rows: Sequence[SweepRow], k: int, path: Path, *, title: str = "") -> Path:
    """Accuracy (and pass@k when k > 1) against the thinking budget, as a PNG."""
    # heavy: matplotlib (about half a second), only when a plot is asked for
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    budgets = [r.budget for r in rows]
    fig = Figure(figsize=PLOT_SIZE_IN, dpi=PLOT_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(budgets, [100 * r.accuracy for r in rows], marker="o", label="accuracy (pass@1)")
    if k > 1:
        ax.plot(budgets, [100 * r.pass_at_k for r in rows], marker="s", linestyle="--", label=f"pass@{k}")
    if _doubling(budgets):
        ax.set_xscale("log", base=2)
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.set_xlabel("maximum thinking budget (tokens)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(f"{title + ' · ' if title else ''}k = {k}")
    fig.tight_layout()
    fig.savefig(path, dpi=PLOT_DPI)
    return path
