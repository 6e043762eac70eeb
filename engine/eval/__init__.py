"""Multiple-choice evaluation: pass@k over a test file, through a local GGUF model or any
OpenAI-compatible endpoint, resumable, with a sweep over thinking budgets.

    testset = load_testset("export/eval/mcq_test.jsonl")
    summary = run_eval(testset, OpenAIBackend(...), k=4, out_dir=Path("runs/gpt"))
"""

from engine.eval.extract import extract_answer
from engine.eval.runner import EvalSummary, run_eval
from engine.eval.scoring import pass_at_k
from engine.eval.testset import EvalQuestion, TestSet, load_testset

__all__ = ["EvalQuestion", "EvalSummary", "TestSet", "extract_answer", "load_testset", "pass_at_k", "run_eval"]
