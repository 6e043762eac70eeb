"""Loading multiple-choice test files: the export layout, ReMUD style, MedVLThinker style,
ShareGPT conversations, and clear errors naming the line of a bad item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from engine.eval.errors import TestSetError
from engine.eval.testset import load_testset, split_options
from engine.export import ExportOptions, SplitSettings, export_dataset
from engine.store import Project
from tests.engine.test_export import build_project


def write_png(path: Path, color=(40, 40, 40)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 24), color).save(path)
    return path


def write_jsonl(path: Path, items) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((i if isinstance(i, str) else json.dumps(i, ensure_ascii=False)) + "\n" for i in items),
                    encoding="utf-8")
    return path


def test_export_layout(tmp_path):
    out = tmp_path / "export"
    write_png(out / "images" / "ab12.png")
    line = {"id": "remud-77", "question": "Which structure is marked?",
            "options": {"A": "Liver", "B": "Kidney", "C": "Spleen", "D": "Gallbladder"},
            "answer_label": "B", "answer": "<answer>B</answer>", "image": "images/ab12.png",
            "images": ["images/ab12.png"], "language": "en", "figure_id": 12, "doc_sha256": "0" * 64}
    ts = load_testset(write_jsonl(out / "eval" / "mcq_test.jsonl", [line]))
    [q] = ts.questions
    assert q.id == "remud-77" and q.answer == "B" and q.letters == ("A", "B", "C", "D")
    assert q.images == ((out / "images" / "ab12.png").resolve(),)
    assert q.language == "en"
    assert q.prompt() == "Which structure is marked?\n\nA. Liver\nB. Kidney\nC. Spleen\nD. Gallbladder"
    assert q.prompt("Answer with <answer>X</answer>.").endswith("D. Gallbladder\n\nAnswer with <answer>X</answer>.")
    assert len(ts.fingerprint) == 64


def test_remud_style_option_lines(tmp_path):
    items = [
        {"id": "colon", "question": "<image>What is shown?\nA: Cyst\nB: Stone\nC: Polyp", "answer": "<answer>B</answer>"},
        {"id": "dot", "question": "Which view?\n\nA. Sagittal\nB. Axial", "answer": "A"},
        {"id": "paren", "question": "Echogenicity?\n(A) Hypo\n(B) Iso\n(C) Hyper", "answer": "(c)"},
        {"id": "list", "question": "Organ?", "options": ["Liver", "Kidney"], "answer": "Kidney"},
        {"id": "zh", "question": "图中箭头所示为？\nA．肝\nB．脾", "answer": "答案：<answer>B</answer>"},
        {"id": "zh2", "question": "回声？\nA、无回声\nB、低回声\n（C）高回声", "answer": "C"},
    ]
    qs = {q.id: q for q in load_testset(write_jsonl(tmp_path / "t.jsonl", items)).questions}
    assert qs["colon"].question == "What is shown?"  # <image> placeholder and option lines removed
    assert qs["colon"].options == {"A": "Cyst", "B": "Stone", "C": "Polyp"} and qs["colon"].answer == "B"
    assert qs["dot"].options == {"A": "Sagittal", "B": "Axial"} and qs["dot"].answer == "A"
    assert qs["paren"].options == {"A": "Hypo", "B": "Iso", "C": "Hyper"} and qs["paren"].answer == "C"
    assert qs["list"].options == {"A": "Liver", "B": "Kidney"} and qs["list"].answer == "B"
    assert qs["zh"].options == {"A": "肝", "B": "脾"} and qs["zh"].answer == "B"
    assert qs["zh2"].options == {"A": "无回声", "B": "低回声", "C": "高回声"} and qs["zh2"].question == "回声？"


def test_option_lines_must_run_from_a():
    stem, options = split_options("B. is not first\nC. either")
    assert options == {} and stem.startswith("B.")
    stem, options = split_options("Look at the image.\nA. One\nB. Two\nC. Three\nNote: D. is not an option")
    assert options == {"A": "One", "B": "Two", "C": "Three"} and stem == "Look at the image."


def test_sharegpt_json_array(tmp_path):
    out = tmp_path / "export"
    write_png(out / "images" / "cd34.png")
    items = [
        {"messages": [
            {"role": "system", "content": "You are a sonographer."},
            {"role": "user", "content": "<image>Which organ?\n\nA. Liver\nB. Kidney\nC. Spleen"},
            {"role": "assistant", "content": "<think>\nBean shaped.\n</think>\n\nB. Kidney\n<answer>B</answer>"}],
         "images": ["images/cd34.png"], "id": "remud-5", "kind": "mcq", "language": "en"},
        {"conversations": [
            {"from": "human", "value": "Which is an artery?\nA. Aorta\nB. IVC"},
            {"from": "gpt", "value": "A. Aorta\n<answer>A</answer>"}]},
    ]
    path = out / "sharegpt" / "test.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(items), encoding="utf-8")
    first, second = load_testset(path).questions
    assert first.id == "remud-5" and first.answer == "B" and first.question == "Which organ?"
    assert first.images == ((out / "images" / "cd34.png").resolve(),)  # found one folder up
    assert second.id == "item-2" and second.answer == "A" and second.options == {"A": "Aorta", "B": "IVC"}


def test_images_two_folders_up_and_absolute(tmp_path):
    img = write_png(tmp_path / "images" / "x.png")
    f = write_jsonl(tmp_path / "a" / "b" / "t.jsonl", [
        {"id": "up2", "question": "Q?\nA. x\nB. y", "answer": "A", "image": "images/x.png"},
        {"id": "abs", "question": "Q?\nA. x\nB. y", "answer": "A", "images": [str(img)]},
    ])
    assert [q.images for q in load_testset(f).questions] == [(img.resolve(),), (img.resolve(),)]


def test_limit(tmp_path):
    items = [{"id": str(i), "question": "Q?\nA. x\nB. y", "answer": "A"} for i in range(5)]
    assert [q.id for q in load_testset(write_jsonl(tmp_path / "t.jsonl", items), limit=2).questions] == ["0", "1"]


GOOD = {"question": "Q?\nA. x\nB. y", "answer": "A"}


@pytest.mark.parametrize(
    "bad, words",
    [
        ('{"question": "Q?", "answer": ', ["Line 3", "not valid JSON"]),
        ({"question": "No options here", "answer": "A"}, ["Line 3", "fewer than two options"]),
        ({"question": "Q?\nA. x\nB. y", "answer": "D"}, ["Line 3", "not one of the option letters"]),
        ({"question": "Q?\nA. x\nB. y"}, ["Line 3", "has no answer"]),
        ({"options": {"A": "x", "B": "y"}, "answer_label": "A"}, ["Line 3", "no 'question'"]),
        ({**GOOD, "image": "images/missing.png"}, ["Line 3", "images/missing.png", "not found"]),
        ({"question": "Q?", "options": {"AB": "x", "C": "y"}, "answer_label": "C"}, ["Line 3", "single letters"]),
        ({"messages": [{"role": "user", "content": "Q?\nA. x\nB. y"}]}, ["Line 3", "assistant"]),
        ([1, 2], ["Line 3", "not a JSON object"]),
    ],
)
def test_malformed_item_names_its_line(tmp_path, bad, words):
    f = write_jsonl(tmp_path / "t.jsonl", [{**GOOD, "id": "1"}, "", bad])  # line 2 is blank
    with pytest.raises(TestSetError) as err:
        load_testset(f)
    for word in words:
        assert word in str(err.value)
    assert "t.jsonl" in str(err.value)


def test_file_level_errors(tmp_path):
    with pytest.raises(TestSetError, match="does not exist"):
        load_testset(tmp_path / "nope.jsonl")
    with pytest.raises(TestSetError, match="folder"):
        load_testset(tmp_path)
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(TestSetError, match="no questions"):
        load_testset(tmp_path / "empty.jsonl")
    dup = write_jsonl(tmp_path / "dup.jsonl", [{**GOOD, "id": "x"}, {**GOOD, "id": "x"}])
    with pytest.raises(TestSetError, match="Line 2 of dup.jsonl repeats the id 'x' of line 1"):
        load_testset(dup)
    (tmp_path / "broken.json").write_text('[{"question": "Q"},')
    with pytest.raises(TestSetError, match="broken.json is not valid JSON"):
        load_testset(tmp_path / "broken.json")
    (tmp_path / "latin.jsonl").write_bytes('{"question": "é"}'.encode("latin-1"))
    with pytest.raises(TestSetError, match="UTF-8"):
        load_testset(tmp_path / "latin.jsonl")


def test_files_written_by_the_real_exporter(tmp_path):
    build_project(tmp_path / "P.remud", docs=3, pages=1, seed=3)
    with Project.open(tmp_path / "P.remud") as p:
        export_dataset(p, ExportOptions(splits=SplitSettings(validation=0.0, test=0.5, seed=1)), tmp_path / "ds")
    exported = [json.loads(x) for x in (tmp_path / "ds" / "eval" / "mcq_test.jsonl").read_text().splitlines()]
    assert exported, "the export put no MCQ in the test split"
    mcq = load_testset(tmp_path / "ds" / "eval" / "mcq_test.jsonl")
    assert [q.id for q in mcq.questions] == [x["id"] for x in exported]
    for q, line in zip(mcq.questions, exported):
        assert q.answer == line["answer_label"] and q.question == line["question"]
        assert q.images == ((tmp_path / "ds" / line["image"]).resolve(),)
    # the ShareGPT test split holds the same MCQs (beside other kinds, which are not questions with options)
    items = json.loads((tmp_path / "ds" / "sharegpt" / "test.json").read_text())
    mcq_items = [i for i in items if i["kind"] == "mcq"]
    (tmp_path / "ds" / "sharegpt" / "mcq.json").write_text(json.dumps(mcq_items))
    share = {q.id: q for q in load_testset(tmp_path / "ds" / "sharegpt" / "mcq.json").questions}
    for q in mcq.questions:
        assert share[q.id].options == q.options and share[q.id].answer == q.answer and share[q.id].images == q.images
