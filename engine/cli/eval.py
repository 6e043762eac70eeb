"""`remud eval TESTFILE`: multiple-choice accuracy and pass@k of a model, resumable.

    remud eval export/eval/mcq_test.jsonl --backend gguf --model remud-7b.gguf --mmproj mmproj.gguf
    remud eval test.jsonl --backend openai --base-url http://localhost:8000/v1 --model qwen2.5-vl-7b --k 4
    remud eval test.jsonl --model remud-7b.gguf --sweep 128,256,512,1024      # accuracy vs thinking budget

Wired into engine.cli with `add_eval_parser(sub, common)`. It takes no project.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.cli.common import add_command, progress_bar
from engine.eval.backends.base import Backend
from engine.eval.errors import EvalConfigError
from engine.eval.runner import EvalSummary, run_eval
from engine.eval.sweep import SweepResult, parse_budgets, run_sweep
from engine.eval.testset import load_testset
from engine.i18n import tr


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "model"


def _model_title(args) -> str:
    return Path(args.model).stem if args.backend == "gguf" else args.model


def _budget(args, max_think: int | None):
    from engine.chat.budget import BudgetSettings  # deferred: engine.chat adds about 20 ms to every `remud` start

    if args.no_budget:
        return BudgetSettings(use_min=False, use_max=False, wait=args.wait, num_waits=args.num_waits)
    minimum: int = args.min_think if args.min_think is not None else 96
    if max_think is not None:
        minimum = min(minimum, max_think)
    return BudgetSettings(use_min=minimum > 0, use_max=max_think is not None, min_thinking_tokens=max(minimum, 1),
                          max_thinking_tokens=max_think if max_think is not None else 1024, wait=args.wait,
                          num_waits=args.num_waits)


def _backend_factory(args, cancel: Callable[[], bool]) -> tuple[Backend, Callable[[int | None], Backend]]:
    """The backend for the plain run, and a function giving one per thinking budget."""
    if args.backend == "openai":
        from engine.eval.backends.openai_backend import OpenAIBackend  # heavy: openai, only for --backend openai

        if args.no_budget and args.sweep:
            raise EvalConfigError(tr("--sweep varies the thinking budget, so it cannot go with --no-budget."))
        remote = OpenAIBackend(args.model, args.base_url, api_key_env=args.api_key_env, temperature=args.temperature,
                               top_p=args.top_p, max_tokens=args.max_tokens, thinking_budget=args.max_think,
                               seed=args.seed, system=args.system, instruction=args.instruction,
                               concurrency=args.concurrency, cancel=cancel)
        return remote, remote.with_budget
    if args.base_url or args.api_key_env:
        raise EvalConfigError(tr("--base-url and --api-key-env belong to --backend openai; a GGUF model runs locally."))
    if args.no_budget and args.sweep:
        raise EvalConfigError(tr("--sweep varies the thinking budget, so it cannot go with --no-budget."))
    # deferred: engine.chat adds about 20 ms to every `remud` start
    from engine.chat.budget import Sampling
    from engine.eval.backends.gguf_backend import GgufBackend

    sampling = Sampling(temperature=args.temperature, top_p=args.top_p, max_answer_tokens=args.max_tokens,
                        seed=args.seed)
    local = GgufBackend.load(args.model, args.mmproj, n_ctx=args.n_ctx, n_gpu_layers=args.n_gpu_layers,
                             budget=_budget(args, args.max_think), sampling=sampling, system=args.system,
                             instruction=args.instruction, cancel=cancel)
    return local, lambda budget: local.with_budget(_budget(args, budget))


def _row(label: str, s: EvalSummary, k: int) -> str:
    sc = s.scores
    return (f"{label:<14} {sc.questions:>9} {100 * sc.accuracy:>8.1f}% {100 * sc.pass_at_k:>8.1f}% "
            f"{100 * sc.any_correct:>11.1f}% {sc.unparseable:>11} {sc.mean_thinking_tokens:>14.0f}")


def _table(rows: list[tuple[str, EvalSummary]], k: int, title: str) -> str:
    # Translators: column heads of `remud eval`'s table (questions, accuracy, any sample correct, answers without a
    # readable letter, mean thinking tokens); short words keep the columns aligned
    questions, accuracy, any_correct = tr("questions"), tr("accuracy"), tr("any correct")
    unparseable, thinking = tr("unparseable"), tr("mean thinking")
    head = (f"{'':<14} {questions:>9} {accuracy:>9} {'pass@' + str(k):>9} {any_correct:>12} "
            f"{unparseable:>11} {thinking:>14}")
    lines = [f"{title}, k = {k}", head] + [_row(label, s, k) for label, s in rows]
    incomplete = [label for label, s in rows if not s.complete]
    if incomplete:
        lines.append(tr("incomplete: {runs} (run again to finish)").format(runs=", ".join(incomplete)))
    return "\n".join(lines)


def cmd_eval(args) -> int:
    if args.k < 1:
        raise EvalConfigError(tr("--k must be 1 or more."))
    args.backend = args.backend or ("gguf" if str(args.model).lower().endswith(".gguf") else "openai")
    budgets = parse_budgets(args.sweep) if args.sweep else None
    testset = load_testset(args.testfile, limit=args.limit)
    title = _model_title(args)
    out = Path(args.out) if args.out else Path(f"remud-eval-{_slug(title)}")
    base, backend_for = _backend_factory(args, cancel=lambda: False)
    bar = progress_bar(title, 0, args.quiet or args.json, unit="answer")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        if budgets:
            result: SweepResult = run_sweep(testset, backend_for, budgets, args.k, out, title=title,
                                            restart=args.restart, progress=progress)
            data: Any = {"csv": str(result.csv_path), "png": str(result.png_path),
                         "runs": [{"budget": b, **s.to_dict()} for b, s in zip(budgets, result.summaries)]}
            text = _table([(tr("budget {n}").format(n=b), s) for b, s in zip(budgets, result.summaries)], args.k, title)
            text += "\n" + tr("wrote {csv} and {png}").format(csv=result.csv_path, png=result.png_path)
        else:
            summary = run_eval(testset, base, args.k, out, restart=args.restart, progress=progress)
            data = summary.to_dict()
            text = _table([(tr("all"), summary)], args.k, title) + "\n" + tr("results in {folder}").format(folder=out)
    finally:
        bar.close()
        base.close()
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else text)
    return 0


def add_eval_parser(subparsers, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds `eval` under `subparsers`."""
    help_text = tr("multiple-choice accuracy and pass@k of a model on a test file (resumable)")
    sp = add_command(subparsers, common, "eval", cmd_eval, help_text, project=False)
    sp.add_argument("testfile", help=tr("JSON or JSONL test file, e.g. an export's eval/mcq_test.jsonl"))
    sp.add_argument("--backend", choices=["gguf", "openai"],
                    help=tr("gguf: a local model file; openai: any OpenAI-compatible endpoint (default: from --model)"))
    sp.add_argument("--model", required=True, help=tr("a .gguf file, or the endpoint's model name"))
    sp.add_argument("--mmproj", help=tr("the vision projector .gguf of a local model"))
    sp.add_argument("--base-url", help=tr("OpenAI-compatible base URL, e.g. http://localhost:8000/v1"))
    sp.add_argument("--api-key-env", metavar="VAR", help=tr("environment variable holding the API key"))
    sp.add_argument("--k", type=int, default=4, help=tr("samples per question (default 4)"))
    sp.add_argument("--temperature", type=float, default=0.6)
    sp.add_argument("--top-p", type=float, default=0.7)
    sp.add_argument("--max-tokens", type=int, default=2048, help=tr("most answer tokens per sample"))
    sp.add_argument("--seed", type=int, help=tr("base seed; sample i uses seed + i"))
    sp.add_argument("--system", default="", help=tr("system prompt"))
    sp.add_argument("--instruction", default="", help=tr("text added after the options, e.g. how to answer"))
    budget = sp.add_argument_group(tr("budget forcing (gguf; --max-think is sent as thinking_budget to openai)"))
    budget.add_argument("--min-think", type=int, help=tr("minimum thinking tokens (default 96; 0 turns it off)"))
    budget.add_argument("--max-think", type=int, help=tr("maximum thinking tokens (default: no maximum)"))
    budget.add_argument("--wait", default="Wait,", help=tr("text inserted when the model stops thinking too early"))
    budget.add_argument("--num-waits", type=int, default=2, help=tr("most wait insertions per answer"))
    budget.add_argument("--no-budget", action="store_true", help=tr("no budget forcing at all"))
    sp.add_argument("--sweep", metavar="BUDGETS", help=tr("maximum thinking budgets, e.g. 128,256,512,1024: "
                                                          "one run each, plus sweep.csv and sweep.png"))
    sp.add_argument("--out", help=tr("output folder (default: remud-eval-<model>)"))
    sp.add_argument("--limit", type=int, help=tr("only the first N questions"))
    sp.add_argument("--restart", action="store_true", help=tr("discard the results already in --out"))
    sp.add_argument("--concurrency", type=int, default=4, help=tr("requests at once (openai)"))
    sp.add_argument("--n-ctx", type=int, default=4096, help=tr("context length (gguf)"))
    sp.add_argument("--n-gpu-layers", type=int, default=0, help=tr("layers on the GPU (gguf)"))
    return sp
