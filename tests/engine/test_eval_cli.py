"""`remud eval` through engine.cli.main against a real loopback OpenAI-compatible server."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from engine.cli import main
from tests.engine.eval_fixtures import (
    QUESTIONS,
    SEED,
    ScriptedModel,
    expected_scores,
    stem_of,
    write_testset,
)
from tests.servers.openai_compat import OpenAICompatServer, chat_completion


@pytest.fixture
def testfile(tmp_path):
    return write_testset(tmp_path / "export")


@pytest.fixture
def model():
    return ScriptedModel()


@pytest.fixture
def server(model):
    with OpenAICompatServer(default=model) as s:
        yield s


def args(testfile, server, out, *extra):
    return ["eval", str(testfile), "--backend", "openai", "--base-url", server.base_url, "--model", "scripted-model",
            "--seed", str(SEED), "--out", str(out), *extra]


def test_json_run(tmp_path, testfile, server, model, capsys):
    assert main(args(testfile, server, tmp_path / "out", "--k", "4", "--json")) == 0
    data = json.loads(capsys.readouterr().out)
    want = expected_scores()
    assert data["complete"] and data["scores"]["accuracy"] == pytest.approx(want["accuracy"])
    assert data["scores"]["pass_at_k"] == pytest.approx(want["pass_at_k"])
    assert data["scores"]["unparseable"] == 1
    assert data["settings"]["k"] == 4 and data["settings"]["backend"]["model"] == "scripted-model"
    assert sum(model.asked.values()) == 12


def test_table_and_options_reach_the_server(tmp_path, testfile, server, capsys):
    rc = main(args(testfile, server, tmp_path / "out", "--k", "2", "--temperature", "0.3", "--top-p", "0.9",
                   "--max-tokens", "64", "--limit", "1", "--instruction", "Reply with <answer>X</answer>."))
    assert rc == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "pass@2" in out and "unparseable" in out
    assert "100.0%" in out  # q1's samples 0 and 1 are both right
    reqs = server.chat_requests
    assert len(reqs) == 2 and {r.json["seed"] for r in reqs} == {SEED, SEED + 1}
    assert all(r.json["temperature"] == 0.3 and r.json["top_p"] == 0.9 and r.json["max_tokens"] == 64 for r in reqs)
    assert all(r.text().endswith("Reply with <answer>X</answer>.") for r in reqs)


def test_mismatch_then_restart(tmp_path, testfile, server, capsys):
    out = tmp_path / "out"
    assert main(args(testfile, server, out, "--k", "2", "--json")) == 0
    capsys.readouterr()
    assert main(args(testfile, server, out, "--k", "3")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "k was 2, now 3" in err and "--restart" in err
    assert main(args(testfile, server, out, "--k", "3", "--restart", "--json")) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["k"] == 3


def test_sweep(tmp_path, testfile, capsys):
    def by_budget(req):
        gold = QUESTIONS[stem_of(req)][0]
        return chat_completion(f"<answer>{gold if req.json['thinking_budget'] >= 256 else 'Z'}</answer>")

    with OpenAICompatServer(default=by_budget) as server:
        rc = main(args(testfile, server, tmp_path / "sweep", "--k", "1", "--sweep", "128,256,512"))
    assert rc == 0
    text = capsys.readouterr().out
    assert "budget 128" in text and "budget 512" in text and "sweep.png" in text
    rows = (tmp_path / "sweep" / "sweep.csv").read_text().splitlines()
    assert rows[0].startswith("budget,accuracy,pass@1") and rows[1].startswith("128,0.0000,")
    assert rows[2].startswith("256,1.0000,") and rows[1].split(",")[4] == "3"  # 3 unparseable at 128
    with Image.open(tmp_path / "sweep" / "sweep.png") as img:
        assert img.size == (800, 500)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--sweep", "128,abc"], "not a list of thinking budgets"),
        (["--k", "0"], "--k must be 1 or more"),
        (["--sweep", "128", "--no-budget"], "cannot go with --no-budget"),
    ],
)
def test_bad_options(tmp_path, testfile, server, capsys, extra, message):
    assert main(args(testfile, server, tmp_path / "out", *extra)) == 1
    assert message in capsys.readouterr().err


def test_missing_test_file_and_gguf_flags(tmp_path, capsys):
    assert main(["eval", str(tmp_path / "none.jsonl"), "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]) == 1
    assert "does not exist" in capsys.readouterr().err
    testfile = write_testset(tmp_path / "export")
    assert main(["eval", str(testfile), "--backend", "gguf", "--model", "x.gguf", "--base-url", "http://h/v1"]) == 1
    assert "belong to --backend openai" in capsys.readouterr().err
