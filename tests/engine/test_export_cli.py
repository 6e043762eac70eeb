"""`remud export` through engine.cli.main."""

from __future__ import annotations

import json

import pytest

from engine.cli import main
from tests.engine.test_export import build_project


@pytest.fixture(scope="module")
def project_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "P.remud"
    build_project(folder, docs=4, pages=1, seed=2)
    return folder


def test_preview_prints_the_plan_and_writes_nothing(project_folder, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["export", str(project_folder), str(out), "--preview", "--val", "0.25", "--test", "0.25"]) == 0
    text = capsys.readouterr().out
    assert "train" in text and "validation" in text and "vqa" in text and "conversations" in text
    assert main(["export", str(project_folder), str(out), "--preview", "--json", "--kind", "mcq",
                 "--language", "zh"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["records"] == 4 and {c["kind"] for c in plan["counts"]} == {"mcq"}
    assert {c["language"] for c in plan["counts"]} == {"zh"}
    assert not out.exists()


def test_export_with_flags(project_folder, tmp_path, capsys):
    out = tmp_path / "data"
    argv = ["export", str(project_folder), str(out), "--json", "--kind", "vqa,mcq", "--min-score", "2",
            "--format", "jsonl", "--format", "llamafactory", "--name", "kidney", "--system-prompt", "You are a sonographer.",
            "--val", "0.25", "--test", "0.25", "--seed", "3", "--max-pixels", "4096", "--no-dedup"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["folder"] == str(out.resolve()) and result["records"] > 0
    lines = [json.loads(text) for s in ("train", "validation", "test")
             for text in (out / "jsonl" / f"{s}.jsonl").read_text().splitlines()]
    assert len(lines) == result["records"] and all(row["kind"] in ("vqa", "mcq") and row["score"] >= 2 for row in lines)
    items = json.loads((out / "sharegpt" / "train.json").read_text())
    assert items and all(i["messages"][0] == {"role": "system", "content": "You are a sonographer."} for i in items)
    info = json.loads((out / "dataset_info.json").read_text())
    assert "kidney_train" in info and not (out / "parquet").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["dedup_threshold"] is None and manifest["settings"]["max_pixels"] == 4096
    assert main(argv) == 1  # the folder exists now
    assert "already exists" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0


def test_bad_settings_are_one_line_errors(project_folder, tmp_path, capsys):
    assert main(["export", str(project_folder), str(tmp_path / "x"), "--kind", "essay"]) == 1
    assert "not a record kind" in capsys.readouterr().err
    assert main(["export", str(project_folder), str(tmp_path / "x"), "--val", "0.6", "--test", "0.5"]) == 1
    assert "sum < 1" in capsys.readouterr().err
    assert main(["export", str(project_folder), str(tmp_path / "x"), "--decontaminate", str(tmp_path / "no.json")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
