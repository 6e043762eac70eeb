"""Export cleaning and robustness: odd MCQs, literal placeholders, duplicates (options, crops, many
copies), one database snapshot, the decontamination file, and failures mapped to ExportError."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pymupdf
import pytest

from engine.errors import RemudError
from engine.eval.testset import load_testset
from engine.export import ExportError, ExportOptions, SplitSettings, export_dataset, plan_export
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, figures, records
from engine.store.models import FigureStatus, NewFigure, NewRecord, RecordKind, RecordStatus
from tests.engine.test_export import RECT_A, SPLITS, _text_project, make_pdf, read_jsonl, text
from tests.pdf_factory import dark_png

SPLIT = SplitSettings(validation=0.25, test=0.25)


def _figure_project(folder: Path, pdfs: list[Path]) -> tuple[Project, list[int]]:
    """A project with one accepted figure (RECT_A of page 1) per PDF."""
    p = Project.create(folder)
    fids = []
    for pdf in pdfs:
        doc = import_pdf(p, pdf).document
        fids += figures.add_figures(p, [NewFigure(doc.id, 0, Rect(*RECT_A), status=FigureStatus.ACCEPTED)])
    return p, fids


def _mcq(question: str, options: tuple[str, ...], correct: str, **extra) -> NewRecord:
    letter_index = "ABCDEF".index(correct) if correct else 0
    answer = f"{correct}. {options[letter_index]}" if options else ""
    return NewRecord(kind=RecordKind.MCQ, question=question, answer=answer, options=options, correct=correct,
                     status=RecordStatus.ACCEPTED, **extra)


def test_mcq_with_too_few_or_too_many_options_is_left_out_with_a_warning(tmp_path):
    rng = np.random.default_rng(1)
    with _text_project(tmp_path / "P.remud", 4, lambda d, r: [(text(r) + "?", text(r))]) as p:
        records.add_records(p, [
            _mcq("Which one?", ("only",), "A"),
            _mcq("Which of six?", tuple(text(rng, 2) for _ in range(6)), "B"),
            _mcq("Which of four?", tuple(text(rng, 2) for _ in range(4)), "C"),
        ])
        options = ExportOptions(splits=SPLIT, formats=("llamafactory", "jsonl"), dedup_threshold=None)
        plan = plan_export(p, options)
        assert any(w.startswith("2 multiple-choice records with fewer than 2 or more than 5 options")
                   for w in plan.warnings)
        result = export_dataset(p, options, tmp_path / "out")
    lines = [row for s in SPLITS for row in read_jsonl(tmp_path / "out" / "jsonl" / f"{s}.jsonl")]
    assert result.plan.records == len(lines) == 5
    assert [row["question"] for row in lines if row["kind"] == "mcq"] == ["Which of four?"]


def test_literal_media_tags_in_record_text_are_neutralised(tmp_path):
    pdf = make_pdf(tmp_path / "atlas.pdf", 1, seed=21)
    p, (fid,) = _figure_project(tmp_path / "P.remud", [pdf])
    with p:
        fig = figures.get_figure(p, fid)
        base = {"figure_id": fid, "doc_id": fig.doc_id, "page": fig.page}
        records.add_records(p, [
            NewRecord(kind=RecordKind.VQA, question="What does the <image> tag in <video> show?",
                      answer="It marks an <audio> clip and an <image>.", reasoning=True,
                      thinking="Count the <image> placeholders carefully before answering.",
                      status=RecordStatus.ACCEPTED, **base),
            _mcq("Which view is <image> this?", ("long axis <image>", "short axis", "oblique", "coronal"), "A",
                 **base),
        ])
        result = export_dataset(p, ExportOptions(splits=SplitSettings(validation=0.0, test=0.0),
                                                 system_prompt="You see <image> ultrasound crops.",
                                                 dedup_threshold=None), tmp_path / "out")
    items = json.loads((tmp_path / "out" / "sharegpt" / "train.json").read_text(encoding="utf-8"))
    assert len(items) == result.plan.conversations == 2
    for item in items:
        contents = [m["content"] for m in item["messages"]]
        assert sum(c.count("<image>") for c in contents) == len(item["images"]) == 1
        assert item["messages"][1]["content"].startswith("<image>") and "[image]" in item["messages"][1]["content"]
        assert "<video>" not in "".join(contents) and "<audio>" not in "".join(contents)
    vqa = next(i for i in items if i["kind"] == "vqa")
    assert vqa["messages"][2]["content"] == ("<think>\nCount the [image] placeholders carefully before answering."
                                             "\n</think>\n\nIt marks an [audio] clip and an [image].")


def test_literal_thinking_tags_in_record_text_are_neutralised_in_every_format(tmp_path):
    pdf = make_pdf(tmp_path / "atlas.pdf", 1, seed=22)
    p, (fid,) = _figure_project(tmp_path / "P.remud", [pdf])
    with p:
        fig = figures.get_figure(p, fid)
        base = {"figure_id": fid, "doc_id": fig.doc_id, "page": fig.page}
        records.add_records(p, [
            NewRecord(kind=RecordKind.VQA, question="Why do answers start with <think>?",
                      answer="The </think> tag closes the reasoning; <think> opens it.", reasoning=True,
                      thinking="The user asks about </think> and <think> tags.", status=RecordStatus.ACCEPTED, **base),
            _mcq("Which tag opens reasoning, <think> or </think>?", ("<think>", "</think>", "<answer>", "none"), "A",
                 **base),
        ])
        export_dataset(p, ExportOptions(splits=SplitSettings(validation=0.0, test=0.9), dedup_threshold=None,
                                        system_prompt="Think inside <think></think>."), tmp_path / "out")
    out = tmp_path / "out"
    texts: list[str] = []
    for split in ("train", "test"):
        for item in json.loads((out / "sharegpt" / f"{split}.json").read_text(encoding="utf-8")):
            assistant = [m["content"] for m in item["messages"] if m["role"] == "assistant"]
            others = [m["content"] for m in item["messages"] if m["role"] != "assistant"]
            # the export's own tags, once each, around the thinking; none in any other text
            assert all(a.count("<think>") == a.count("</think>") <= 1 for a in assistant)
            assert all("<think>" not in a[1:] and "</think>" not in a.split("</think>")[0] for a in assistant
                       if a.startswith("<think>"))
            assert not any("<think>" in t or "</think>" in t for t in others)
            texts += [m["content"] for m in item["messages"]]
        for row in read_jsonl(out / "jsonl" / f"{split}.jsonl"):
            assert "<think>" not in row["prompt"] and row["response"].count("</think>") == int(row["reasoning"])
            texts += [row["prompt"], row["response"]]
        for row in pq.read_table(out / "parquet" / f"{split}.parquet").to_pylist():
            assert "<think>" not in row["prompt"] and row["response"].count("</think>") == int(row["reasoning"])
    joined = "\n".join(texts)
    assert "[think]" in joined and "[/think]" in joined and "[think][/think]" in joined  # the system prompt
    vqa = next(row for split in ("train", "test") for row in read_jsonl(out / "jsonl" / f"{split}.jsonl")
               if row["kind"] == "vqa")
    assert vqa["response"] == ("<think>\nThe user asks about [/think] and [think] tags.\n</think>\n\n"
                               "The [/think] tag closes the reasoning; [think] opens it.")
    assert vqa["question"] == "Why do answers start with <think>?"  # the record's own fields stay as written
    lines = read_jsonl(out / "eval" / "mcq_test.jsonl")
    assert len(lines) == 1  # the one document landed in the test split
    for line in lines:
        assert line["question"] == "Which tag opens reasoning, [think] or [/think]?"
        assert line["options"] == {"A": "[think]", "B": "[/think]", "C": "<answer>", "D": "none"}


def test_many_identical_records_across_splits_are_deduplicated_without_blowing_up(tmp_path):
    q = "what does the longitudinal scan of the right kidney show in the upper pole region"
    a = "a simple cortical cyst with a thin wall and posterior acoustic enhancement"
    with _text_project(tmp_path / "P.remud", 20, lambda d, rng: [(q, a)] * 100) as p:
        plan = plan_export(p, ExportOptions(splits=SPLIT, formats=("jsonl",)))
    # every copy outside the most important split present is a duplicate of a test copy
    assert plan.records == plan.split_records()["test"] > 0
    assert plan.dropped_duplicates == 2000 - plan.records


def test_mcq_options_count_for_duplicates(tmp_path):
    rng = np.random.default_rng(3)
    question = "which finding best explains the echogenic focus with a comet tail artifact in this gallbladder"

    def add(p: Project, same_options: bool) -> None:
        shared = tuple(text(rng, 4) for _ in range(4))
        docs = [r[0] for r in p.db.execute("SELECT id FROM documents ORDER BY id").fetchall()]

        def options() -> tuple[str, ...]:  # the correct option B (so the answer) is the same everywhere
            return shared if same_options else (text(rng, 4), shared[1], text(rng, 4), text(rng, 4))

        records.add_records(p, [_mcq(question, options(), "B", doc_id=d, page=0) for d in docs])

    options = ExportOptions(splits=SPLIT, formats=("jsonl",))
    with _text_project(tmp_path / "A.remud", 12, lambda d, rng: []) as p:
        add(p, same_options=False)
        assert plan_export(p, options).dropped_duplicates == 0  # same stem and answer, other options
    with _text_project(tmp_path / "B.remud", 12, lambda d, rng: []) as p:
        add(p, same_options=True)
        plan = plan_export(p, options)
        assert plan.dropped_duplicates == 12 - plan.split_records()["test"] > 0


def _edition_pdf(path: Path, edition: int) -> Path:
    """The same figure image in every edition; only the page's text (so the file's sha256) differs."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 60), f"Ultrasound atlas, edition {edition}", fontsize=12)
    page.insert_image(pymupdf.Rect(*RECT_A), stream=dark_png(160, 120, seed=77))
    doc.set_metadata({"creationDate": "D:20260101000000", "modDate": "D:20260101000000"})
    doc.save(str(path), no_new_id=True)
    return path


def test_training_records_whose_crop_is_also_a_test_crop_are_dropped(tmp_path):
    rng = np.random.default_rng(5)
    pdfs = [_edition_pdf(tmp_path / f"edition-{e}.pdf", e) for e in range(8)]
    p, fids = _figure_project(tmp_path / "P.remud", pdfs)
    with p:
        recs = []
        for fid in fids:
            fig = figures.get_figure(p, fid)
            recs.append(NewRecord(kind=RecordKind.VQA, question=text(rng) + "?", answer=text(rng), figure_id=fid,
                                  doc_id=fig.doc_id, page=fig.page, status=RecordStatus.ACCEPTED))
        records.add_records(p, recs)
        options = ExportOptions(splits=SPLIT, formats=("jsonl",), dedup_threshold=None)
        planned = plan_export(p, options)
        result = export_dataset(p, options, tmp_path / "out")
    kept = {s: read_jsonl(tmp_path / "out" / "jsonl" / f"{s}.jsonl") for s in SPLITS}
    assert kept["test"] and not kept["train"] and not kept["validation"]
    leaks = planned.split_records()["train"] + planned.split_records()["validation"]
    assert leaks > 0 and result.plan.dropped_image_leaks == result.manifest["dropped_image_leaks"] == leaks
    assert result.manifest["records"] == result.plan.records == len(kept["test"])
    assert result.manifest["records_per_split"] == {"train": 0, "validation": 0, "test": len(kept["test"])}
    assert result.manifest["images"] == 1 and any("identical to a test crop" in w for w in result.plan.warnings)


def test_the_export_reads_one_snapshot_while_the_project_is_edited(tmp_path):
    folder = tmp_path / "P.remud"
    with _text_project(folder, 12, lambda d, rng: [(text(rng) + "?", text(rng)) for _ in range(5)]) as p:
        ids = [r.id for r in records.list_records(p, status="accepted")]
        edited = {"done": False}

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "images" and not edited["done"]:  # after the plan, before the files: a GUI edit
                edited["done"] = True
                with Project.open(folder) as other:
                    for rid in ids[::2]:
                        records.update_record(other, rid, status="rejected")
                    records.update_record(other, ids[1], question="Edited while exporting?")

        result = export_dataset(p, ExportOptions(splits=SPLIT, formats=("jsonl",)), tmp_path / "out",
                                progress=progress)
        assert edited["done"] and not p.db.conn.in_transaction
        assert len(records.list_records(p, status="accepted")) == len(ids) - len(ids[::2])  # the edit is stored
    lines = [row for s in SPLITS for row in read_jsonl(tmp_path / "out" / "jsonl" / f"{s}.jsonl")]
    assert sorted(row["record_id"] for row in lines) == sorted(ids)
    assert result.plan.records == result.manifest["records"] == sum(result.manifest["records_per_split"].values())
    assert "Edited while exporting?" not in {row["question"] for row in lines}


def test_decontamination_file_home_path_json_object_and_checksum_of_what_was_read(tmp_path, monkeypatch):
    phrase = "the renal pelvis is dilated with a smooth hyperechoic wall and no stone"
    monkeypatch.setenv("HOME", str(tmp_path))
    bench = tmp_path / "bench.json"
    data = {"version": "1", "data": [{"question": f"Explain why {phrase}.", "options": {"A": "x", "B": "y"},
                                      "answer_label": "A"}]}
    bench.write_text(json.dumps(data, indent=2), encoding="utf-8")
    original = hashlib.sha256(bench.read_bytes()).hexdigest()
    options = ExportOptions(splits=SPLIT, formats=("jsonl",), dedup_threshold=None, decontaminate="~/bench.json")
    assert options.decontaminate == bench

    def per_doc(d, rng):
        return [(text(rng) + "?", text(rng)) for _ in range(3)] + [(f"Why {phrase} here?", text(rng))]

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "images":  # the file changes after its n-grams were read
            bench.write_text("[]", encoding="utf-8")

    with _text_project(tmp_path / "P.remud", 12, per_doc) as p:
        result = export_dataset(p, options, tmp_path / "out", progress=progress)
    assert result.plan.dropped_contaminated > 0
    assert result.manifest["settings"]["decontaminate"] == {"file": "bench.json", "sha256": original}
    # the evaluation reads the same layout with the same reader
    assert load_testset(_write(tmp_path / "t.json", data)).questions[0].answer == "A"


def _write(path: Path, data) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_a_parquet_failure_becomes_one_export_error_and_leaves_nothing(tmp_path):
    with _text_project(tmp_path / "P.remud", 4, lambda d, rng: [(text(rng) + "?", text(rng))]) as p:
        p.db.execute("UPDATE records SET options = '[1, 2]' WHERE id = (SELECT min(id) FROM records)")
        p.db.conn.commit()
        options = ExportOptions(splits=SPLIT, formats=("jsonl", "parquet"), dedup_threshold=None)
        with pytest.raises(ExportError, match="Cannot write the Parquet files") as caught:
            export_dataset(p, options, tmp_path / "out" / "data")
        assert isinstance(caught.value.__cause__, pa.ArrowException)
        assert isinstance(caught.value, RemudError) and not p.db.conn.in_transaction
        export_dataset(p, replace(options, formats=("jsonl",)), tmp_path / "out" / "data")
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == ["data"]
