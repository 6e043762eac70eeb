"""Full evaluation runs through the OpenAI-compatible backend against a real loopback server:
what is sent, scoring, retries, resume after a cancel, settings mismatches, and the sweep."""

from __future__ import annotations

import csv
import json

import pytest
from PIL import Image

from engine.errors import CancelledError
from engine.eval.backends.openai_backend import OpenAIBackend
from engine.eval.errors import EvalBackendError, EvalConfigError, SettingsMismatchError
from engine.eval.runner import RESULTS, SUMMARY, run_eval
from engine.eval.sweep import parse_budgets, run_sweep
from engine.eval.testset import load_testset
from engine.llm.retry import Backoff
from tests.engine.eval_fixtures import (
    IMAGE_STEM,
    QUESTIONS,
    SEED,
    ScriptedModel,
    expected_scores,
    stem_of,
    write_testset,
)
from tests.servers.openai_compat import (
    OpenAICompatServer,
    chat_completion,
    error_response,
)


@pytest.fixture
def testset(tmp_path):
    return load_testset(write_testset(tmp_path / "export"))


@pytest.fixture
def model():
    return ScriptedModel()


@pytest.fixture
def server(model):
    with OpenAICompatServer(default=model) as s:
        yield s


def backend(server, **kw) -> OpenAIBackend:
    return OpenAIBackend("scripted-model", server.base_url, **{"seed": SEED, "max_tokens": 256, "concurrency": 2, **kw})


def test_full_run_sends_k_requests_per_question_and_scores_them(tmp_path, testset, server, model):
    seen = []
    summary = run_eval(testset, backend(server), 4, tmp_path / "run", progress=lambda d, t: seen.append((d, t)))

    reqs = server.chat_requests
    assert len(reqs) == 12
    assert sorted(model.asked.values()) == [1] * 12  # every (question, sample) exactly once
    for req in reqs:
        assert req.json["temperature"] == 0.6 and req.json["top_p"] == 0.7 and req.json["max_tokens"] == 256
        assert req.json["model"] == "scripted-model"
        assert "A. " in req.text() and "D. " in req.text()
        if stem_of(req) == IMAGE_STEM:
            [(mime, data)] = req.images()
            assert mime == "image/png"
            assert data == (testset.path.parent.parent / "images" / "kidney.png").read_bytes()
        else:
            assert req.images() == []
    assert seen[0] == (0, 12) and seen[-1] == (12, 12)

    sc, want = summary.scores, expected_scores()
    assert summary.complete and sc.questions == 3 and sc.samples == 12
    assert sc.accuracy == pytest.approx(want["accuracy"])
    assert sc.pass_at_k == pytest.approx(want["pass_at_k"])
    assert sc.any_correct == pytest.approx(want["any_correct"])
    assert sc.unparseable == want["unparseable"]
    lines = [json.loads(x) for x in (tmp_path / "run" / RESULTS).read_text().splitlines()]
    assert len(lines) == 12 and {(x["id"], x["sample"]) for x in lines} == {(f"q{n}", i) for n in (1, 2, 3) for i in range(4)}
    think = [x for x in lines if x["id"] == "q2"]
    assert all(x["extracted"] == "D" and 0 < x["thinking_tokens"] < 40 and x["tokens"] == 40 for x in think)
    saved = json.loads((tmp_path / "run" / SUMMARY).read_text())
    assert saved["complete"] and saved["scores"]["unparseable"] == 1
    q1 = next(q for q in saved["questions"] if q["id"] == "q1")
    assert q1 == {"id": "q1", "gold": "B", "answers": ["B", "B", "A", None], "correct": 2, "unparseable": 1}


def untimed(scores) -> dict:
    return {k: v for k, v in scores.to_dict().items() if k != "seconds"}


def test_resume_after_cancel_asks_nothing_twice(tmp_path, testset, server, model):
    written = []

    def cancel() -> bool:
        return len(written) >= 5

    with pytest.raises(CancelledError, match="run it again"):
        run_eval(testset, backend(server), 4, tmp_path / "run", progress=lambda d, t: written.append(d) if d else None,
                 cancel=cancel)
    partial = (tmp_path / "run" / RESULTS).read_text().splitlines()
    assert 5 <= len(partial) < 12
    assert not json.loads((tmp_path / "run" / SUMMARY).read_text())["complete"]

    resumed = run_eval(testset, backend(server), 4, tmp_path / "run")
    assert sorted(model.asked.values()) == [1] * 12  # nothing asked twice over both runs
    assert len((tmp_path / "run" / RESULTS).read_text().splitlines()) == 12

    straight = run_eval(testset, backend(server), 4, tmp_path / "straight")
    assert untimed(resumed.scores) == untimed(straight.scores)
    assert resumed.questions == straight.questions

    before = len(server.chat_requests)
    again = run_eval(testset, backend(server), 4, tmp_path / "run")  # complete: nothing left to ask
    assert len(server.chat_requests) == before and untimed(again.scores) == untimed(straight.scores)


def test_torn_last_line_is_dropped_and_asked_again(tmp_path, testset, server, model):
    run_eval(testset, backend(server), 2, tmp_path / "run")
    path = tmp_path / "run" / RESULTS
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:25])  # a crash in the middle of the last write
    summary = run_eval(testset, backend(server), 2, tmp_path / "run")
    assert summary.complete and len(path.read_text().splitlines()) == 6
    assert sum(model.asked.values()) == 7  # only the torn answer was asked again


def test_other_settings_are_refused_unless_restart(tmp_path, testset, server):
    run_eval(testset, backend(server), 2, tmp_path / "run")
    with pytest.raises(SettingsMismatchError, match="k was 2, now 3.*--restart"):
        run_eval(testset, backend(server), 3, tmp_path / "run")
    with pytest.raises(SettingsMismatchError, match="backend.temperature was 0.6, now 0.9"):
        run_eval(testset, backend(server, temperature=0.9), 2, tmp_path / "run")
    with pytest.raises(SettingsMismatchError, match="backend.model"):
        run_eval(testset, OpenAIBackend("other", server.base_url, seed=SEED, max_tokens=256), 2, tmp_path / "run")
    # the same test file copied elsewhere resumes (its content matters, not its path)
    moved = tmp_path / "copy" / "eval" / "mcq_test.jsonl"
    moved.parent.mkdir(parents=True)
    moved.write_bytes(testset.path.read_bytes())
    (tmp_path / "copy" / "images").mkdir()
    (tmp_path / "copy" / "images" / "kidney.png").write_bytes((testset.path.parent.parent / "images" / "kidney.png").read_bytes())
    n = len(server.chat_requests)
    assert run_eval(load_testset(moved), backend(server), 2, tmp_path / "run").complete
    assert len(server.chat_requests) == n
    summary = run_eval(testset, backend(server, temperature=0.9), 2, tmp_path / "run", restart=True)
    assert summary.complete and len(server.chat_requests) == n + 6
    assert json.loads((tmp_path / "run" / "settings.json").read_text())["backend"]["temperature"] == 0.9


def test_a_settings_json_no_run_wrote_is_never_replaced_or_deleted(tmp_path, testset, server):
    out = tmp_path / "project-notes"
    out.mkdir()
    mine = {"editor.fontSize": 14}
    (out / "settings.json").write_text(json.dumps(mine))
    for restart in (False, True):
        with pytest.raises(SettingsMismatchError, match="not written by an eval run; use another --out folder"):
            run_eval(testset, backend(server), 1, out, restart=restart)
    assert json.loads((out / "settings.json").read_text()) == mine and [p.name for p in out.iterdir()] == ["settings.json"]


class RecordingBackoff(Backoff):
    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "asked", [])

    def delay(self, retry, retry_after=None, rng=None):
        self.asked.append((retry, retry_after))
        return super().delay(retry, retry_after, rng)


def test_rate_limits_and_server_errors_are_retried_honouring_retry_after(tmp_path, testset, model):
    with OpenAICompatServer(default=model) as server:
        server.enqueue(error_response(429, "slow down", type="rate_limit_error", retry_after_ms=20),
                       error_response(503, "overloaded", type="server_error", retry_after_ms=30))
        backoff = RecordingBackoff()
        summary = run_eval(testset.limited(1), backend(server, backoff=backoff, concurrency=1), 1, tmp_path / "run")
    assert backoff.asked == [(1, pytest.approx(0.02)), (2, pytest.approx(0.03))]
    assert len(server.chat_requests) == 3 and summary.scores.accuracy == 1.0


def test_a_wrong_key_stops_the_run_with_a_clear_error(tmp_path, testset, model, monkeypatch):
    monkeypatch.setenv("EVAL_TEST_KEY", "sk-wrong-key-123456")
    with OpenAICompatServer(api_key="sk-right", default=model) as server:
        b = OpenAIBackend("scripted-model", server.base_url, api_key_env="EVAL_TEST_KEY", seed=SEED,
                          concurrency=1)
        with pytest.raises(EvalBackendError, match="rejected the API key") as err:
            run_eval(testset, b, 2, tmp_path / "run")
        assert len(server.chat_requests) == 1  # not retried
    assert "sk-wrong" not in str(err.value)


def test_server_errors_give_up_after_the_attempts(tmp_path, testset):
    with OpenAICompatServer(default=error_response(500, "boom", type="server_error", retry_after_ms=1)) as server:
        b = OpenAIBackend("scripted-model", server.base_url, seed=SEED, max_attempts=3, concurrency=1)
        with pytest.raises(EvalBackendError, match="server error.*after 3 attempts"):
            run_eval(testset, b, 1, tmp_path / "run")
        assert len(server.chat_requests) == 3


def test_reasoning_content_is_thinking_not_the_answer(tmp_path, testset):
    def answer(req):
        resp = chat_completion("The answer is C", completion_tokens=50)
        resp.body["choices"][0]["message"]["reasoning_content"] = "It could be A. " * 10
        resp.body["usage"]["completion_tokens_details"] = {"reasoning_tokens": 35}
        return resp

    with OpenAICompatServer(default=answer) as server:
        summary = run_eval(testset.limited(1), backend(server), 1, tmp_path / "run")
    [line] = [json.loads(x) for x in (tmp_path / "run" / RESULTS).read_text().splitlines()]
    assert line["extracted"] == "C" and line["thinking"].startswith("It could be A") and line["thinking_tokens"] == 35
    assert summary.scores.mean_thinking_tokens == 35


def test_sweep_writes_csv_and_png_and_resumes(tmp_path, testset):
    asked = []

    def by_budget(req):
        budget = req.json["thinking_budget"]
        asked.append(budget)
        gold = QUESTIONS[stem_of(req)][0]
        right = {128: 0, 256: 1, 512: 3}[budget]  # more thinking, more questions right
        index = list(QUESTIONS).index(stem_of(req))
        return chat_completion(f"<think>{'hmm ' * budget}</think><answer>{gold if index < right else 'A' if gold != 'A' else 'B'}</answer>",
                               completion_tokens=budget + 5)

    budgets = parse_budgets("512,128,256")
    assert budgets == [128, 256, 512]
    with OpenAICompatServer(default=by_budget) as server:
        base = backend(server)
        result = run_sweep(testset, base.with_budget, budgets, 2, tmp_path / "sweep", title="scripted-model")
        assert len(asked) == 3 * 3 * 2
        again = run_sweep(testset, base.with_budget, budgets, 2, tmp_path / "sweep", title="scripted-model")
        assert len(asked) == 18  # every sub-run was already complete
    assert [r.accuracy for r in result.rows] == pytest.approx([0, 1 / 3, 1])
    assert [r.accuracy for r in again.rows] == [r.accuracy for r in result.rows]
    assert all((tmp_path / "sweep" / f"budget-{b}" / RESULTS).exists() for b in budgets)
    with open(result.csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["budget"] for r in rows] == ["128", "256", "512"]
    assert list(rows[0]) == ["budget", "accuracy", "pass@2", "any_correct", "unparseable", "mean_thinking_tokens",
                             "questions"]
    assert [float(r["accuracy"]) for r in rows] == pytest.approx([0, 0.3333, 1], abs=1e-4)
    assert float(rows[2]["mean_thinking_tokens"]) > float(rows[0]["mean_thinking_tokens"]) > 0
    with Image.open(result.png_path) as img:
        assert img.format == "PNG" and img.size == (800, 500)
        assert len(img.convert("L").getcolors(maxcolors=1 << 16)) > 10  # something was drawn


def test_k_below_one_is_refused(tmp_path, testset, server):
    with pytest.raises(EvalConfigError):
        run_eval(testset, backend(server), 0, tmp_path / "run")
