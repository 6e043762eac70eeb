"""`remud records ...` through a small argparse harness built the way engine.cli builds its parser."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

import pytest

from engine.cli_records import add_records_parser
from engine.errors import RemudError
from engine.store import Project, records
from engine.store.models import NewRecord, RecordKind, RecordStatus

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
