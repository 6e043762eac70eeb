"""`remud records ...` through a small argparse harness built the way engine.cli builds its parser."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

import pytest

import engine.secrets
from engine.cli.records import add_records_parser
from engine.errors import RemudError
from engine.store import Project, records
from engine.store.models import NewRecord, RecordKind, RecordStatus
from tests.servers.openai_compat import OpenAICompatServer, chat_completion, error_response

EN = NewRecord(
    kind=RecordKind.VQA, language="en", reasoning=True,
    question="What does this longitudinal view of the right kidney show in the upper pole?",
    thinking="The upper pole holds a round anechoic area with a thin wall and posterior enhancement; no flow on CDFI.",
    answer="A simple cortical cyst with a thin wall, posterior acoustic enhancement and no internal flow.",
)
ZH_MCQ = NewRecord(
    kind=RecordKind.MCQ, language="zh", reasoning=True,
    question="该图像中病变最可能的诊断是？",
    options=("单纯性囊肿", "血管瘤", "转移瘤", "脓肿"), correct="B", answer="B. 血管瘤",
    thinking="病变呈高回声，边界清晰，内部呈网格状，CDFI示周边点状血流，不符合囊肿、脓肿及恶性病变的表现，故选血管瘤。",
    score=4.0,
)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="remud")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true")
    common.add_argument("-q", "--quiet", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    add_records_parser(sub, common)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RemudError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "P.remud"
    with Project.create(path) as p:
        ids = records.add_records(p, [
            EN,
            ZH_MCQ,
            replace(EN, question=EN.question.replace("longitudinal", "sagittal")),  # a near-duplicate of #1
            replace(EN, question="What is shown in Figure 3-1 of the kidney atlas?", answer="As shown in the book, a cyst."),
        ])
    assert ids == [1, 2, 3, 4]
    return str(path)


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_list_human_and_json(folder, capsys):
    assert run(["records", "list", folder]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and out[0].startswith("#1") and "mcq" in out[1] and "4" in out[1]
    assert run(["records", "list", folder, "--json"]) == 0
    data = _json(capsys)
    assert [d["id"] for d in data] == [1, 2, 3, 4]
    assert data[1]["options"] == list(ZH_MCQ.options) and data[1]["kind"] == "mcq" and data[1]["status"] == "draft"


def test_list_filters(folder, capsys):
    def ids(*extra):
        assert run(["records", "list", folder, "--json", *extra]) == 0
        return [d["id"] for d in _json(capsys)]

    assert ids("--kind", "mcq") == [2]
    assert ids("--language", "en") == [1, 3, 4]
    assert ids("--min-score", "3") == [2]
    assert ids("--limit", "2") == [1, 2]
    assert ids("--flag", "any") == []
    run(["records", "accept", folder, "2"])
    capsys.readouterr()
    assert ids("--status", "accepted") == [2]
    assert ids("--status", "draft", "--language", "en") == [1, 3, 4]


def test_check_then_filter_by_flag(folder, capsys):
    assert run(["records", "check", folder, "--json"]) == 0
    report = _json(capsys)
    assert report["checked"] == 4 and report["duplicates"] == 1
    assert report["by_flag"] == {"figure_ref": 1, "near_duplicate": 1, "self_ref": 1}
    assert run(["records", "list", folder, "--json", "--flag", "near_duplicate"]) == 0
    dup = _json(capsys)
    assert [d["id"] for d in dup] == [3] and dup[0]["flags"] == ["near_duplicate:1"]
    assert run(["records", "list", folder, "--json", "--flag", "figure_ref", "--flag", "self_ref"]) == 0
    assert [d["id"] for d in _json(capsys)] == [4]
    assert run(["records", "list", folder, "--json", "--flag", "none"]) == 0
    assert [d["id"] for d in _json(capsys)] == [1, 2]
    # human output; a rules-only pass leaves the earlier near_duplicate flag alone
    assert run(["records", "check", folder, "--no-dedup"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Checked 4 records: 2 flagged, 0 near-duplicates, 0 changed.")
    assert "  figure_ref        1" in out and "  near_duplicate    1" in out
    with Project.open(folder) as p:
        assert records.count_records(p) == 4  # flagged, never deleted


def test_show(folder, capsys):
    assert run(["records", "show", folder, "2"]) == 0
    out = capsys.readouterr().out
    assert "Record #2  mcq (reasoning)  zh  draft  score 4" in out
    assert "  B. 血管瘤  ✓" in out and "Question: 该图像中病变最可能的诊断是？" in out and "Thinking:" in out
    assert run(["records", "show", folder, "1", "--json"]) == 0
    assert _json(capsys)["question"] == EN.question


def test_accept_reject_reset(folder, capsys):
    assert run(["records", "accept", folder, "1", "2"]) == 0
    assert capsys.readouterr().out.strip() == "Accepted 2 records."
    assert run(["records", "accept", folder, "1", "--json"]) == 0
    assert _json(capsys) == {"status": "accepted", "ids": [1], "changed": []}
    assert run(["records", "reject", folder, "3"]) == 0
    assert capsys.readouterr().out.strip() == "Rejected 1 record."
    assert run(["records", "reset", folder, "1"]) == 0
    capsys.readouterr()
    with Project.open(folder) as p:
        assert [str(r.status) for r in records.list_records(p)] == ["draft", "accepted", "rejected", "draft"]


def test_status_changes_take_the_list_filters(folder, capsys):
    # records list's filters choose the records; the count of those that changed is printed
    assert run(["records", "accept", folder, "--kind", "mcq"]) == 0
    assert capsys.readouterr().out.strip() == "Accepted 1 record."
    assert run(["records", "reject", folder, "--language", "en", "--json"]) == 0
    assert _json(capsys) == {"status": "rejected", "ids": [1, 3, 4], "changed": [1, 3, 4]}
    assert run(["records", "reset", folder, "--status", "rejected", "--limit", "2"]) == 0
    assert capsys.readouterr().out.strip() == "Reset to draft 2 records."
    assert run(["records", "accept", folder, "--min-score", "3"]) == 0  # only #2 has a score (4): accepted already
    assert capsys.readouterr().out.strip() == "Accepted 0 records (1 already accepted)."
    # ids narrowed by a filter
    assert run(["records", "accept", folder, "1", "2", "3", "--kind", "vqa", "--json"]) == 0
    assert _json(capsys) == {"status": "accepted", "ids": [1, 3], "changed": [1, 3]}
    with Project.open(folder) as p:
        assert [str(r.status) for r in records.list_records(p)] == ["accepted", "accepted", "accepted", "rejected"]


def test_all_changes_every_record_and_nothing_named_is_exit_2(folder, capsys):
    for action in ("accept", "reject", "reset"):
        assert run(["records", action, folder]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: name the records to ") and "--all" in err and err.count("\n") == 1
    with Project.open(folder) as p:
        assert {str(r.status) for r in records.list_records(p)} == {"draft"}
    assert run(["records", "reject", folder, "--all"]) == 0
    assert capsys.readouterr().out.strip() == "Rejected 4 records."
    assert run(["records", "reset", folder, "--all", "--kind", "mcq"]) == 0  # --all with a filter: the filter holds
    assert capsys.readouterr().out.strip() == "Reset to draft 1 record."


def test_errors_are_one_line(folder, capsys):
    assert run(["records", "show", folder, "99"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Record 99") and err.count("\n") == 1
    # an unknown id changes nothing, even beside known ones
    assert run(["records", "accept", folder, "1", "99"]) == 1
    capsys.readouterr()
    with Project.open(folder) as p:
        assert records.get_record(p, 1).status == RecordStatus.DRAFT
    assert run(["records", "check", folder, "--threshold", "1.5"]) == 1
    assert "Jaccard" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(["records", "list", folder, "--status", "maybe"])


# ----------------------------------------------------------------------------- judge

JUDGE_KEY = "sk-judge-cli-0123456789abcdef"


def _verdict(score: int):
    body = {"grounding": score, "image_match": 5, "score": score, "reason": "checked against the page"}
    return chat_completion(json.dumps(body), model="judge-model", prompt_tokens=50, completion_tokens=10)


@pytest.fixture
def judge_server(monkeypatch):
    """The loopback OpenAI-compatible server checking JUDGE_KEY, which the command reads
    from OPENAI_API_KEY (the keyring is switched off so a developer's own key is not used)."""
    monkeypatch.setattr(engine.secrets, "_keyring", lambda: (None, Exception))
    monkeypatch.setenv("OPENAI_API_KEY", JUDGE_KEY)
    with OpenAICompatServer(api_key=JUDGE_KEY, models=("judge-model",)) as server:
        yield server


def _judge_argv(folder, server, *extra):
    return ["records", "judge", folder, "--synth", "openai", "--param", "model=judge-model",
            "--param", f"base_url={server.base_url}", *extra]


def test_judge_stores_scores_and_flags_low_ones(folder, judge_server, capsys):
    scores = {1: 5, 2: 2, 3: 4, 4: 1}
    questions = {}
    with Project.open(folder) as p:
        records.update_record(p, 3, flags=("low_score", "mine"))  # a good score clears low_score, keeps the rest
        for rid in scores:
            questions[rid] = records.get_record(p, rid).question

    def answer(req):
        for rid, q in questions.items():
            if f"Question: {q}" in req.text():
                return _verdict(scores[rid])
        return error_response(400, "unexpected record")

    judge_server.default = answer
    assert run(_judge_argv(folder, judge_server, "--threshold", "3", "--json")) == 0
    report = _json(capsys)
    assert report["judged"] == 4 and report["low"] == 2 and report["failed"] == []
    assert report["scores"] == {"1": 1, "2": 1, "4": 1, "5": 1}
    assert report["model"] == "judge-model" and report["threshold"] == 3
    with Project.open(folder) as p:
        got = {rid: records.get_record(p, rid) for rid in scores}
    assert {rid: r.score for rid, r in got.items()} == {1: 5.0, 2: 2.0, 3: 4.0, 4: 1.0}
    assert got[1].flags == ()
    assert got[2].flags == ("low_score",)
    assert got[3].flags == ("mine",)
    assert "low_score" in got[4].flags
    assert all(r.bearer == JUDGE_KEY for r in judge_server.chat_requests)
    assert len(judge_server.chat_requests) == 4

    # --ids judges only those; a higher threshold flags record 1's new score of 4.
    scores[1] = 4
    assert run(_judge_argv(folder, judge_server, "--ids", "1", "--threshold", "4.5")) == 0
    out = capsys.readouterr().out
    assert "Judged 1 record with judge-model: 1 below 4.5" in out
    assert len(judge_server.chat_requests) == 5
    with Project.open(folder) as p:
        assert records.get_record(p, 1).score == 4.0 and records.get_record(p, 1).flags == ("low_score",)
        assert records.get_record(p, 2).score == 2.0  # not asked again


def test_judge_with_a_wrong_key_is_one_line_and_exit_1(folder, judge_server, monkeypatch, capsys):
    judge_server.default = lambda req: _verdict(5)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-999999999999")
    assert run(_judge_argv(folder, judge_server)) == 1
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert "rejected the API key" in err
    assert "sk-wrong-key" not in captured.err + captured.out
    assert len(judge_server.chat_requests) >= 1
    with Project.open(folder) as p:
        assert [r.score for r in records.list_records(p)] == [None, 4.0, None, None]  # nothing stored


def test_judge_refuses_keys_on_the_command_line_and_bad_thresholds(folder, judge_server, capsys):
    assert run(_judge_argv(folder, judge_server, "--param", f"api_key={JUDGE_KEY}")) == 1
    assert "never from the command line" in capsys.readouterr().err
    assert run(_judge_argv(folder, judge_server, "--threshold", "9")) == 1
    assert "between 1 and 5" in capsys.readouterr().err
    assert judge_server.chat_requests == []
