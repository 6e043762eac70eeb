"""The GGUF backend end to end: a tiny random Qwen2 GGUF through the real chat engine
(llama.cpp), with budget forcing on and a logit bias that makes the letter deterministic."""

from __future__ import annotations

import json

import pytest

from engine.eval.backends.gguf_backend import GgufBackend
from engine.eval.runner import RESULTS, run_eval
from engine.eval.testset import load_testset

pytest.importorskip("llama_cpp")
chat = pytest.importorskip("engine.chat")
tiny_gguf = pytest.importorskip("tests.tiny_gguf")

MAX_THINK = 12


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return tiny_gguf.write_tiny_qwen2_gguf(tmp_path_factory.mktemp("gguf") / "tiny-remud.gguf")


def test_two_questions_k2_with_budget_forcing(tmp_path, model_path):
    testfile = tmp_path / "mcq.jsonl"
    testfile.write_text(
        json.dumps({"id": "kidney", "question": "Which organ?", "options": {"A": "Liver", "B": "Kidney"},
                    "answer_label": "B"}) + "\n"
        + json.dumps({"id": "echo", "question": "Which pattern?", "options": {"A": "Anechoic", "B": "Hyper", "C": "Iso"},
                      "answer_label": "C"}) + "\n",
        encoding="utf-8")
    tokens, _ = tiny_gguf.vocabulary()
    # "B" outweighs everything, "</think>" included: the model never closes its thinking, so the
    # maximum cuts in after MAX_THINK tokens, and the one answer token is "B".
    sampling = chat.Sampling(max_answer_tokens=1, seed=7, logit_bias={tokens.index("B"): 100.0})
    budget = chat.BudgetSettings(use_min=True, min_thinking_tokens=4, use_max=True, max_thinking_tokens=MAX_THINK,
                                 num_waits=1)
    backend = GgufBackend.load(model_path, n_ctx=512, budget=budget, sampling=sampling)
    try:
        summary = run_eval(load_testset(testfile), backend, 2, tmp_path / "run")
    finally:
        backend.close()

    lines = [json.loads(x) for x in (tmp_path / "run" / RESULTS).read_text().splitlines()]
    assert [(x["id"], x["sample"]) for x in lines] == [("kidney", 0), ("kidney", 1), ("echo", 0), ("echo", 1)]
    assert all(x["text"].strip() == "B" and x["extracted"] == "B" for x in lines)
    assert all(x["thinking_tokens"] == MAX_THINK and x["tokens"] == MAX_THINK + 1 for x in lines)
    assert all(x["thinking"] for x in lines)
    assert summary.scores.accuracy == pytest.approx(0.5)  # right on "kidney", wrong on "echo"
    assert summary.scores.pass_at_k == pytest.approx(0.5) and summary.scores.unparseable == 0
    settings = json.loads((tmp_path / "run" / "settings.json").read_text())["backend"]
    assert settings["model"] == "tiny-remud.gguf" and settings["budget"]["max_thinking_tokens"] == MAX_THINK
    assert settings["sampling"]["logit_bias"] == {str(tokens.index("B")): 100.0}
