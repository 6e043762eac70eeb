"""Dataset export: round trips through every format, filters, splits, cleaning, atomicity, caching."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pymupdf
import pytest
import yaml
from PIL import Image

from engine import __version__
from engine.errors import CancelledError, RemudError
from engine.export import (
    DecontaminationFileError,
    ExportExistsError,
    ExportOptions,
    ExportResult,
    NothingToExportError,
    Selection,
    SplitSettings,
    can_overwrite,
    export_dataset,
    plan_export,
)
from engine.export.images import CACHE_DIR, CropCache, write_crops
from engine.export.manifest import file_sha256
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, documents, figures, records
from engine.store.documents import NewPage
from engine.store.models import (
    FigureStatus,
    NewFigure,
    NewRecord,
    Record,
    RecordKind,
    RecordStatus,
)
from tests.pdf_factory import dark_png
from training import defaults

SPLITS = ("train", "validation", "test")
WORDS = ["liver", "kidney", "spleen", "cyst", "lesion", "echo", "anechoic", "hypoechoic", "hyperechoic", "margin", "wall", "flow", "doppler", "vessel", "portal", "vein", "artery", "duct", "stone", "polyp", "capsule", "cortex", "medulla", "pelvis", "calyx", "ureter", "bladder", "thyroid", "nodule", "calcification", "halo", "shadow", "enhancement", "septum", "fluid", "mass", "solid", "border", "lobe", "segment", "hilum", "fat", "gland", "tissue", "pattern", "texture", "contour", "size", "shape", "depth", "probe", "plane", "axis", "view", "image", "section"]
RECT_A, RECT_B = (60, 100, 300, 280), (320, 400, 540, 560)
CONV = "synth_conversation_en@3"


def text(rng: np.random.Generator, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS, n))


def make_pdf(path: Path, pages: int, seed: int) -> Path:
    doc = pymupdf.open()
    for p in range(pages):
        page = doc.new_page()
        page.insert_text((72, 60), f"Atlas {seed} page {p + 1}", fontsize=12)
        for n, r in enumerate((RECT_A, RECT_B)):
            page.insert_image(pymupdf.Rect(*r), stream=dark_png(160, 120, seed=seed * 100 + p * 10 + n))
    doc.set_metadata({"creationDate": "D:20260101000000", "modDate": "D:20260101000000"})
    doc.save(str(path), no_new_id=True)  # the same bytes (sha256) every run: the same splits every run
    return path


def build_project(folder: Path, docs: int = 6, pages: int = 2, seed: int = 0) -> dict:
    """A project of `docs` PDFs with two accepted figures per page and a mix of records:
    per figure an accepted reasoning VQA (en), an accepted MCQ (zh on odd figures), a draft and a
    rejected VQA; one three-turn conversation; one text-only QA without a document."""
    rng = np.random.default_rng(seed)
    with Project.create(folder) as p:
        fig_ids = []
        for d in range(docs):
            doc = import_pdf(p, make_pdf(folder.parent / f"atlas-{seed}-{d}.pdf", pages, seed * 1000 + d)).document
            fig_ids += figures.add_figures(p, [
                NewFigure(doc.id, page, Rect(*r), status=FigureStatus.ACCEPTED)
                for page in range(pages) for r in (RECT_A, RECT_B)])
        recs: list[NewRecord] = []
        for i, fid in enumerate(fig_ids):
            fig = figures.get_figure(p, fid)
            base = {"figure_id": fid, "doc_id": fig.doc_id, "page": fig.page}
            recs.append(NewRecord(kind=RecordKind.VQA, question=text(rng) + "?", answer=text(rng), reasoning=True,
                                  thinking=text(rng, 20), status=RecordStatus.ACCEPTED, score=float(i % 5),
                                  model="gpt-x", prompt_version="synth_vqa_en@2", **base))
            recs.append(NewRecord(kind=RecordKind.MCQ, question=text(rng) + "?", answer="B. " + text(rng, 3),
                                  options=tuple(text(rng, 3) for _ in range(4)), correct="B",
                                  language="zh" if i % 2 else "en", reasoning=i % 3 == 0, thinking=text(rng, 15),
                                  status=RecordStatus.ACCEPTED, score=4.0, **base))
            recs.append(NewRecord(kind=RecordKind.VQA, question=text(rng), answer=text(rng),
                                  status=RecordStatus.DRAFT, **base))
            recs.append(NewRecord(kind=RecordKind.VQA, question=text(rng), answer=text(rng),
                                  status=RecordStatus.REJECTED, **base))
        conv_fig = figures.get_figure(p, fig_ids[0])
        conv = [NewRecord(kind=RecordKind.QA, question=text(rng) + "?", answer=text(rng), figure_id=conv_fig.id,
                          doc_id=conv_fig.doc_id, page=conv_fig.page, status=RecordStatus.ACCEPTED, model="gpt-x",
                          prompt_version=CONV) for _ in range(3)]
        ids = records.add_records(p, recs)
        conv_ids = records.add_records(p, conv)
        text_only = records.add_records(p, [NewRecord(kind=RecordKind.QA, question=text(rng) + "?",
                                                      answer=text(rng), status=RecordStatus.ACCEPTED)])
        return {"figures": fig_ids, "records": ids, "conversation": conv_ids, "text_only": text_only[0]}


@dataclass(frozen=True)
class Exported:
    out: Path
    result: ExportResult
    accepted: list[Record]
    docs: dict[int, str]
    info: dict
    stages: list[tuple[str, int, int]]


OPTIONS = ExportOptions(splits=SplitSettings(validation=0.2, test=0.3, seed=5))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export") / "P.remud"
    return folder, build_project(folder)


@pytest.fixture(scope="module")
def exported(built, tmp_path_factory):
    folder, info = built
    out = tmp_path_factory.mktemp("out") / "dataset"
    stages = []
    with Project.open(folder) as p:
        result = export_dataset(p, OPTIONS, out, progress=lambda s, d, t: stages.append((s, d, t)))
        accepted = [r for r in records.list_records(p, status="accepted")]
        docs = {d.id: d.sha256 for d in documents.list_documents(p)}
    return Exported(out, result, accepted, docs, info, stages)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_every_selected_record_appears_once_with_provenance(exported):
    e = exported
    out, result, accepted, docs, stages = e.out, e.result, e.accepted, e.docs, e.stages
    by_id = {r.id: r for r in accepted}
    seen: dict[int, str] = {}
    for split in SPLITS:
        for line in read_jsonl(out / "jsonl" / f"{split}.jsonl"):
            assert line["record_id"] not in seen
            seen[line["record_id"]] = split
            rec = by_id[line["record_id"]]
            assert line["split"] == split and line["question"] == rec.question and line["answer"] == rec.answer
            assert line["prompt_version"] == rec.prompt_version and line["model"] == rec.model
            assert line["status"] == "accepted" and line["score"] == rec.score
            if rec.figure_id is None:
                assert line["image"] is None and line["doc_sha256"] is None
            else:
                assert line["doc_sha256"] == docs[rec.doc_id] and line["page"] == rec.page
                assert (out / line["image"]).is_file()
    assert set(seen) == set(by_id)
    assert result.plan.records == len(by_id) and sum(result.manifest["records_per_split"].values()) == len(by_id)
    parquet_ids = []
    for split in SPLITS:
        table = pq.read_table(out / "parquet" / f"{split}.parquet")
        rows = table.to_pylist()
        assert all(seen[r["record_id"]] == split for r in rows)
        parquet_ids += [r["record_id"] for r in rows]
    assert sorted(parquet_ids) == sorted(by_id)
    assert {s for s, _, _ in stages} == {"select", "images", "write"}
    assert stages[-1] == ("write", len(by_id), len(by_id))


def test_sharegpt_items_have_one_image_token_per_image(exported):
    out, result, accepted = exported.out, exported.result, exported.accepted
    ids = []
    for split in SPLITS:
        items = json.loads((out / "sharegpt" / f"{split}.json").read_text(encoding="utf-8"))
        for item in items:
            tokens = sum(m["content"].count("<image>") for m in item["messages"])
            assert tokens == len(item["images"])
            assert all((out / img).is_file() for img in item["images"])
            assert [m["role"] for m in item["messages"]] == ["user", "assistant"] * (len(item["messages"]) // 2)
            assert item["split"] == split
            ids += item["record_ids"]
    assert sorted(ids) == sorted(r.id for r in accepted)
    assert result.plan.conversations == len(accepted) - 2  # three turns became one item


def _items(out: Path) -> dict[int, dict]:
    return {item["record_ids"][0]: item for split in SPLITS
            for item in json.loads((out / "sharegpt" / f"{split}.json").read_text(encoding="utf-8"))}


def test_conversation_regrouped_and_mcq_rendered(exported):
    out, accepted, info = exported.out, exported.accepted, exported.info
    items = _items(out)
    conv = items[info["conversation"][0]]
    assert conv["record_ids"] == info["conversation"]
    assert len(conv["messages"]) == 6 and conv["messages"][0]["content"].startswith("<image>")
    assert all("<image>" not in m["content"] for m in conv["messages"][1:])
    by_id = {r.id: r for r in accepted}
    mcq = next(by_id[i] for i in items if by_id[i].kind == RecordKind.MCQ and by_id[i].reasoning)
    item = items[mcq.id]
    user, assistant = item["messages"][0]["content"], item["messages"][1]["content"]
    assert user == "<image>" + mcq.question + "\n\n" + "\n".join(f"{L}. {o}" for L, o in zip("ABCD", mcq.options))
    assert assistant == f"<think>\n{mcq.thinking}\n</think>\n\nB. {mcq.options[1]}\n<answer>B</answer>"
    plain = next(by_id[i] for i in items if by_id[i].kind == RecordKind.MCQ and not by_id[i].reasoning)
    assert items[plain.id]["messages"][1]["content"] == f"B. {plain.options[1]}\n<answer>B</answer>"
    text_only = items[info["text_only"]]
    assert text_only["images"] == [] and "<image>" not in text_only["messages"][0]["content"]


def test_mcq_test_set_holds_the_test_split_mcqs(exported):
    out, docs = exported.out, exported.docs
    test_mcq = {row["record_id"] for row in read_jsonl(out / "jsonl" / "test.jsonl") if row["kind"] == "mcq"}
    lines = read_jsonl(out / "eval" / "mcq_test.jsonl")
    assert test_mcq and {int(row["id"].removeprefix("remud-")) for row in lines} == test_mcq
    for line in lines:
        assert line["answer_label"] == "B" and line["answer"] == "<answer>B</answer>"
        assert set(line["options"]) == set("ABCD") and (out / line["image"]).is_file()
        assert line["images"] == [line["image"]] and line["doc_sha256"] in docs.values()


def test_no_document_straddles_two_splits(exported):
    out = exported.out
    docs_per_split = {s: {row["doc_sha256"] for row in read_jsonl(out / "jsonl" / f"{s}.jsonl") if row["doc_sha256"]}
                      for s in SPLITS}
    assert all(docs_per_split.values())
    assert not (docs_per_split["train"] & docs_per_split["test"])
    assert not (docs_per_split["train"] & docs_per_split["validation"])
    assert not (docs_per_split["validation"] & docs_per_split["test"])


def test_llamafactory_files_and_manifest(exported):
    out, result = exported.out, exported.result
    info = json.loads((out / "dataset_info.json").read_text())
    assert set(info) == {f"remud_{s}" for s in SPLITS}
    for entry in info.values():
        assert entry["formatting"] == "sharegpt" and (out / entry["file_name"]).is_file()
        assert entry["columns"] == {"messages": "messages", "images": "images"}
    config = yaml.safe_load((out / "llamafactory_qwen2_5_vl_lora_sft.yaml").read_text())
    assert config["dataset"] == "remud_train" and config["eval_dataset"] == "remud_validation"
    assert config["dataset_dir"] == str(out) and config["media_dir"] == str(out)
    assert config["template"] == "qwen2_vl" and config["finetuning_type"] == "lora" and config["stage"] == "sft"
    assert config["learning_rate"] == pytest.approx(3e-5) and config["num_train_epochs"] == 3.0
    assert config["lr_scheduler_type"] == "cosine" and config["bf16"] is True
    assert config["cutoff_len"] == defaults.CUTOFF_LEN == 8192  # image tokens plus long thinking traces
    assert config["image_max_pixels"] == defaults.MAX_PIXELS and config["lora_rank"] == defaults.LORA_RANK
    assert config["warmup_steps"] == defaults.WARMUP == 0.1 and "warmup_ratio" not in config
    assert config["eval_strategy"] == "steps"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["app"] == "ReMUD Desktop" and manifest["dropped_image_leaks"] == 0
    assert manifest["app_version"] == __version__ and manifest["records"] == result.plan.records
    assert manifest["settings"]["splits"]["seed"] == 5
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == on_disk
    for rel in ("jsonl/train.jsonl", "dataset_info.json", next(f for f in on_disk if f.startswith("images/"))):
        assert manifest["files"][rel]["sha256"] == file_sha256(out / rel)
    images = [f for f in on_disk if f.startswith("images/")]
    assert manifest["images"] == len(images) == result.plan.images
    assert all(Path(f).stem == file_sha256(out / f)[:24] for f in images)
    assert not list(out.parent.glob("dataset.partial-*"))


# The keys of the exported YAML that belong to LLaMA-Factory's own argument classes (ModelArguments,
# DataArguments, FinetuningArguments, and its TrainingArguments' additions, in LLaMA-Factory 0.9.5); every
# other key must be a field of transformers' Seq2SeqTrainingArguments, or LLaMA-Factory refuses the file
# ("Some keys are not used by the HfArgumentParser").
LLAMAFACTORY_OWN_KEYS = {
    "model_name_or_path", "image_max_pixels", "image_min_pixels", "trust_remote_code",  # ModelArguments
    "dataset", "eval_dataset", "dataset_dir", "media_dir", "template", "cutoff_len", "overwrite_cache",
    "preprocessing_num_workers",  # DataArguments
    "stage", "finetuning_type", "lora_rank", "lora_alpha", "lora_dropout", "lora_target", "freeze_vision_tower",
    "plot_loss",  # FinetuningArguments
    "overwrite_output_dir",  # its TrainingArguments (transformers 5 dropped the field)
}


def parse_as_llamafactory(config: dict):
    """The exported config through transformers' HfArgumentParser as LLaMA-Factory parses it: no unknown key."""
    from transformers import HfArgumentParser, Seq2SeqTrainingArguments  # heavy: a second or two, here only

    rest = {k: v for k, v in config.items() if k not in LLAMAFACTORY_OWN_KEYS}
    rest["use_cpu"] = True  # bf16 is checked against the GPU on a machine without one; the keys are what matters
    (args,) = HfArgumentParser(Seq2SeqTrainingArguments).parse_dict(rest, allow_extra_keys=False)
    return args


def test_exported_yaml_passes_the_training_argument_parser(exported):
    config = yaml.safe_load((exported.out / "llamafactory_qwen2_5_vl_lora_sft.yaml").read_text())
    args = parse_as_llamafactory(config)
    assert args.learning_rate == pytest.approx(3e-5) and args.lr_scheduler_type == "cosine"
    assert args.do_train and args.eval_strategy == "steps" and args.per_device_train_batch_size == 1
    assert args.get_warmup_steps(1000) == 100  # warmup_steps 0.1 is a ratio of all steps
    with pytest.raises(ValueError, match="warmup_ratio"):  # what the old key did with transformers 5
        parse_as_llamafactory({**config, "warmup_ratio": 0.1})


def test_empty_splits_are_not_declared_for_llamafactory(built, tmp_path):
    folder, _ = built
    with Project.open(folder) as p:
        result = export_dataset(p, replace(OPTIONS, splits=SplitSettings(validation=0.0, test=0.3, seed=5),
                                           formats=("llamafactory",)), tmp_path / "out")
    counts = result.manifest["records_per_split"]
    assert counts["validation"] == 0 < counts["test"]
    info = json.loads((tmp_path / "out" / "dataset_info.json").read_text())
    assert set(info) == {"remud_train", "remud_test"}  # validation holds no rows: not declared
    assert json.loads((tmp_path / "out" / "sharegpt" / "validation.json").read_text()) == []  # the file exists
    config = yaml.safe_load((tmp_path / "out" / "llamafactory_qwen2_5_vl_lora_sft.yaml").read_text())
    assert "eval_dataset" not in config and "eval_strategy" not in config and "eval_steps" not in config
    parse_as_llamafactory(config)


def test_card_wording_follows_the_options(built, tmp_path):
    folder, _ = built
    with Project.open(folder) as p:
        export_dataset(p, replace(OPTIONS, formats=("jsonl",)), tmp_path / "doc")
        export_dataset(p, replace(OPTIONS, formats=("jsonl",), selection=Selection(reasoning=False),
                                  splits=SplitSettings(validation=0.2, test=0.3, seed=5, unit="page")),
                       tmp_path / "page")
    by_document = (tmp_path / "doc" / "README.md").read_text()
    assert "with thinking traces, split by source document" in by_document
    by_page = (tmp_path / "page" / "README.md").read_text()
    assert "thinking" not in by_page and "split by page of the source documents" in by_page
    assert "by source document" not in by_page


def test_prompt_carries_the_image_placeholder(exported):
    rows = [row for s in SPLITS for row in read_jsonl(exported.out / "jsonl" / f"{s}.jsonl")]
    with_image = [r for r in rows if r["image"]]
    assert with_image and all(r["prompt"].startswith("<image>") and r["prompt"].count("<image>") == 1
                              for r in with_image)
    assert all("<image>" not in r["prompt"] for r in rows if not r["image"])
    mcq = next(r for r in with_image if r["kind"] == "mcq")
    assert mcq["prompt"].removeprefix("<image>").startswith(mcq["question"])


def test_parquet_images_are_datasets_image_features(exported, tmp_path):
    import datasets  # heavy: about 0.7 s, for a few tests of this module

    out = exported.out
    table = pq.read_table(out / "parquet" / "train.parquet")
    assert json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]["image"] == {"_type": "Image"}
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hf"))
    train = ds["train"]
    assert isinstance(train.features["image"], datasets.Image)
    row = next(r for r in train if r["image_path"])
    assert isinstance(row["image"], Image.Image)  # decoded by datasets, from the bytes in the file
    with Image.open(out / row["image_path"]) as on_disk:
        assert row["image"].size == on_disk.size and row["image"].tobytes() == on_disk.convert(row["image"].mode).tobytes()
    assert row["images"] == [row["image_path"]]
    text_only = [r for r in train if not r["image_path"]]
    assert all(r["image"] is None for r in text_only)


def test_parquet_loads_with_hugging_face_datasets(exported, tmp_path):
    import datasets  # heavy: about 0.7 s, for two tests of this module

    out, result = exported.out, exported.result
    per_split = result.manifest["records_per_split"]
    ds = datasets.load_dataset("parquet", data_files={s: str(out / "parquet" / f"{s}.parquet") for s in SPLITS},
                               cache_dir=str(tmp_path / "hf"))
    assert {s: ds[s].num_rows for s in SPLITS} == per_split
    card = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hf2"))
    assert set(card) == set(SPLITS) and {s: card[s].num_rows for s in SPLITS} == per_split
    assert "question" in card["train"].column_names and "doc_sha256" in card["train"].column_names


def test_card_lists_only_splits_with_records(built, tmp_path):
    import datasets  # heavy: about 0.7 s, for two tests of this module

    folder, _ = built
    with Project.open(folder) as p:
        result = export_dataset(p, replace(OPTIONS, splits=SplitSettings(validation=0.0, test=0.3),
                                           formats=("parquet",)), tmp_path / "out")
    assert result.manifest["records_per_split"]["validation"] == 0
    assert pq.read_table(tmp_path / "out" / "parquet" / "validation.parquet").num_rows == 0
    card = datasets.load_dataset(str(tmp_path / "out"), cache_dir=str(tmp_path / "hf"))
    assert set(card) == {"train", "test"} and card["test"].num_rows == result.manifest["records_per_split"]["test"]


@pytest.mark.parametrize("selection, keep", [
    (Selection(), lambda r: r.status == RecordStatus.ACCEPTED),
    (Selection(statuses=("draft", "accepted")), lambda r: r.status != RecordStatus.REJECTED),
    (Selection(kinds=("mcq",)), lambda r: r.status == RecordStatus.ACCEPTED and r.kind == RecordKind.MCQ),
    (Selection(languages=("zh",)), lambda r: r.status == RecordStatus.ACCEPTED and r.language == "zh"),
    (Selection(min_score=3.0), lambda r: r.status == RecordStatus.ACCEPTED and r.score is not None and r.score >= 3),
    (Selection(reasoning=False), lambda r: r.status == RecordStatus.ACCEPTED and not r.reasoning),
    (Selection(reasoning=True, kinds=("vqa",)),
     lambda r: r.status == RecordStatus.ACCEPTED and r.reasoning and r.kind == RecordKind.VQA),
])
def test_filters(built, selection, keep):
    folder, _ = built
    with Project.open(folder) as p:
        plan = plan_export(p, replace(OPTIONS, selection=selection, dedup_threshold=None))
        expected = [r for r in records.list_records(p) if keep(r)]
    assert plan.records == len(expected) and sum(plan.counts.values()) == len(expected)
    kinds = {k for k, _, _ in plan.counts}
    assert kinds == {str(r.kind) for r in expected}


def test_document_filter_keeps_text_only_records(built):
    folder = built[0]
    with Project.open(folder) as p:
        doc = documents.list_documents(p)[1]
        plan = plan_export(p, replace(OPTIONS, selection=Selection(doc_ids=(doc.id,))))
        expected = [r for r in records.list_records(p, status="accepted") if r.doc_id in (doc.id, None)]
    assert plan.records == len(expected) and any(r.doc_id is None for r in expected)


def test_nothing_to_export(built, tmp_path):
    folder, _ = built
    with Project.open(folder) as p:
        plan = plan_export(p, replace(OPTIONS, selection=Selection(languages=("fr",))))
        assert plan.records == 0 and plan.warnings
        with pytest.raises(NothingToExportError):
            export_dataset(p, replace(OPTIONS, selection=Selection(languages=("fr",))), tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_page_unit_keeps_pages_whole_and_max_pixels_caps_crops(built, tmp_path):
    folder, _ = built
    options = replace(OPTIONS, splits=SplitSettings(validation=0.2, test=0.3, unit="page"), max_pixels=5000,
                      formats=("jsonl",))
    with Project.open(folder) as p:
        export_dataset(p, options, tmp_path / "pages")
    pages = {s: {(row["doc_sha256"], row["page"]) for row in read_jsonl(tmp_path / "pages" / "jsonl" / f"{s}.jsonl")
                 if row["doc_sha256"]} for s in SPLITS}
    assert all(pages.values())
    assert not (pages["train"] & pages["test"]) and not (pages["train"] & pages["validation"])
    assert not (pages["validation"] & pages["test"])
    for image in (tmp_path / "pages" / "images").iterdir():
        with Image.open(image) as img:
            assert img.width * img.height <= 5000
    assert not (tmp_path / "pages" / "sharegpt").exists() and (tmp_path / "pages" / "README.md").is_file()


def test_cancel_in_write_stage_leaves_nothing(built, tmp_path):
    folder, _ = built
    stage = {"now": ""}

    def progress(s, done, total):
        stage["now"] = s

    with Project.open(folder) as p, pytest.raises(CancelledError):
        export_dataset(p, OPTIONS, tmp_path / "out", progress=progress, cancel=lambda: stage["now"] == "write")
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_export_leaves_nothing(tmp_path):
    folder = tmp_path / "P.remud"
    build_project(folder, docs=2, pages=1, seed=3)
    with Project.open(folder) as p:
        victim = documents.list_documents(p)[1]
        p.source_path(victim.file).write_bytes(b"%PDF-1.4\nthis is not a pdf any more")
        with pytest.raises(RemudError):
            export_dataset(p, OPTIONS, tmp_path / "out" / "data")
    assert list((tmp_path / "out").iterdir()) == []


def test_overwrite_replaces_only_a_complete_export(built, tmp_path):
    folder, _ = built
    out = tmp_path / "data"
    options = replace(OPTIONS, formats=("jsonl",))
    with Project.open(folder) as p:
        first = export_dataset(p, options, out)
        with pytest.raises(ExportExistsError):
            export_dataset(p, options, out)
        with pytest.raises(CancelledError):
            export_dataset(p, options, out, overwrite=True, cancel=lambda: True)
        assert json.loads((out / "manifest.json").read_text())["created_at"] == first.manifest["created_at"]
        # files put into an export since (a training run's output, notes) are never deleted with it
        (out / "saves" / "lora").mkdir(parents=True)
        (out / "saves" / "lora" / "adapter.safetensors").write_bytes(b"hours of training")
        with pytest.raises(ExportExistsError, match=r"holds files the export did not write \(saves/lora/adapter"):
            export_dataset(p, options, out, overwrite=True)
        assert not can_overwrite(out) and (out / "saves" / "lora" / "adapter.safetensors").is_file()
        shutil.move(out / "saves", tmp_path / "saves")
        assert can_overwrite(out)
        export_dataset(p, options, out, overwrite=True)
    assert (out / "jsonl" / "train.jsonl").is_file() and not (out / ".remud-export-temp").exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["data", "saves"]
    with Project.open(folder) as p, pytest.raises(RemudError):
        export_dataset(p, options, folder, overwrite=True)  # never the project itself
    assert (folder / "project.sqlite").is_file()


def test_overwrite_never_deletes_a_folder_that_is_not_an_export(built, tmp_path):
    folder, _ = built
    options = replace(OPTIONS, formats=("jsonl",))
    home = tmp_path / "home"
    (home / "photos").mkdir(parents=True)
    (home / "photos" / "cat.jpg").write_bytes(b"not an export")
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "manifest.json").write_text(json.dumps({"app": "Something else", "files": {}}))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert can_overwrite(tmp_path / "new") and can_overwrite(empty)
    assert not can_overwrite(home) and not can_overwrite(fake) and not can_overwrite(home / "photos" / "cat.jpg")
    with Project.open(folder) as p:
        for target in (home, fake):
            with pytest.raises(ExportExistsError, match="is not a ReMUD export; choose an empty folder"):
                export_dataset(p, options, target, overwrite=True)
        assert (home / "photos" / "cat.jpg").read_bytes() == b"not an export"
        assert (fake / "manifest.json").is_file()
        export_dataset(p, options, empty, overwrite=True)
    assert can_overwrite(empty) and (empty / "jsonl" / "train.jsonl").is_file()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["empty", "fake", "home"]


def _marked(folder: Path) -> Path:
    """A temp folder as an export makes it: its marker names the app and the folder's token."""
    folder.mkdir()
    marker = json.dumps({"app": "ReMUD Desktop", "token": folder.name.rpartition("-")[2]})
    (folder / ".remud-export-temp").write_text(marker, encoding="utf-8")
    return folder


def test_stale_temp_folders_and_crop_parts_are_removed_only_when_an_export_made_them(built, tmp_path):
    folder, _ = built
    out = tmp_path / "data"
    old_time = time.time() - 2 * 3600
    stale = [_marked(tmp_path / "data.partial-dead0001"), _marked(tmp_path / "data.old-dead0002")]
    fresh = _marked(tmp_path / "data.partial-running")  # another export may be writing it now
    not_ours = [tmp_path / "data.old-x", tmp_path / "data.partial-x", tmp_path / "data.old-2023"]  # a user's
    for d in [*stale, fresh, *not_ours]:
        d.mkdir(exist_ok=True)
        (d / "x.json").write_text("[]")
    # a marker copied from another temp folder: its token is not this folder's
    (not_ours[2] / ".remud-export-temp").write_text(json.dumps({"app": "ReMUD Desktop", "token": "dead0001"}))
    for d in [*stale, *not_ours]:
        os.utime(d, (old_time, old_time))
    with Project.open(folder) as p:
        crops = p.cache_dir / CACHE_DIR
        crops.mkdir(parents=True, exist_ok=True)
        key, sha = "0123456789abcdef", "ab" * 32
        old_part, new_part = crops / f"1-{key}-{sha}.123.part", crops / f"2-{key}-{sha}.456.part"
        other = crops / "notes.part"  # not a name a render gives: not the export's to delete
        for part in (old_part, new_part, other):
            part.write_bytes(b"half a png")
            os.utime(part, (old_time, old_time) if part != new_part else None)
        export_dataset(p, replace(OPTIONS, formats=("jsonl",)), out)
    assert not any(d.exists() for d in stale) and fresh.is_dir()
    assert all((d / "x.json").read_text() == "[]" for d in not_ours)
    assert not old_part.exists() and new_part.exists() and other.exists()
    assert not (out / ".remud-export-temp").exists() and ".remud-export-temp" not in json.loads(
        (out / "manifest.json").read_text())["files"]
    new_part.unlink()
    other.unlink()


def test_second_export_renders_no_crop_and_links_them(built, tmp_path):
    folder, _ = built
    options = replace(OPTIONS, max_pixels=20000, formats=("llamafactory",))
    with Project.open(folder) as p:
        first = export_dataset(p, options, tmp_path / "a")
        second = export_dataset(p, options, tmp_path / "b")
        assert first.manifest["crops_rendered"] == first.plan.images > 0
        assert second.manifest["crops_rendered"] == 0
        fid = records.list_records(p, status="accepted")[0].figure_id
        figures.set_redactions(p, fid, [Rect(60, 100, 120, 150)])  # an edit invalidates that one crop
        third = export_dataset(p, options, tmp_path / "c")
        assert third.manifest["crops_rendered"] == 1
    names_a = sorted(x.name for x in (tmp_path / "a" / "images").iterdir())
    assert names_a == sorted(x.name for x in (tmp_path / "b" / "images").iterdir())
    assert (tmp_path / "b" / "images" / names_a[0]).stat().st_nlink >= 2  # hard link to the cache
    assert len(set(names_a) ^ {x.name for x in (tmp_path / "c" / "images").iterdir()}) == 2


def _text_project(folder: Path, docs: int, per_doc, seed: int = 0) -> Project:
    """Documents (rows only; no crops needed) with text-only QA records from `per_doc(d, rng)`."""
    rng = np.random.default_rng(seed)
    p = Project.create(folder)
    for d in range(docs):
        doc = documents.add_document(p, sha256=f"{seed:02d}{d:062d}", title=f"Report {d}", file=f"sources/{d}.pdf",
                                     original_path="", file_size=0,
                                     pages=[NewPage(i, 595, 842, 0, True, False) for i in range(4)])
        records.add_records(p, [NewRecord(kind=RecordKind.QA, question=q, answer=a, doc_id=doc.id, page=i % 4,
                                          status=RecordStatus.ACCEPTED)
                                for i, (q, a) in enumerate(per_doc(d, rng))])
    return p


def test_cross_split_near_duplicates_keep_the_test_copy(tmp_path):
    dup_q = "what does the longitudinal scan of the right kidney show in the upper pole region"
    dup_a = "a simple cortical cyst with a thin wall and posterior acoustic enhancement"

    def per_doc(d, rng):
        return [(text(rng) + "?", text(rng)) for _ in range(3)] + [(dup_q + f" {d % 2}?", dup_a)]

    with _text_project(tmp_path / "P.remud", 12, per_doc) as p:
        options = ExportOptions(splits=SplitSettings(validation=0.25, test=0.25), formats=("jsonl",))
        kept_all = export_dataset(p, replace(options, dedup_threshold=None), tmp_path / "all")
        cleaned = export_dataset(p, options, tmp_path / "clean")
    copies = {s: [row for row in read_jsonl(tmp_path / "all" / "jsonl" / f"{s}.jsonl") if row["answer"] == dup_a]
              for s in SPLITS}
    assert all(copies.values())
    after = {s: [row for row in read_jsonl(tmp_path / "clean" / "jsonl" / f"{s}.jsonl") if row["answer"] == dup_a]
             for s in SPLITS}
    assert len(after["test"]) == len(copies["test"]) and not after["train"] and not after["validation"]
    assert cleaned.plan.dropped_duplicates == len(copies["train"]) + len(copies["validation"])
    assert cleaned.plan.records == kept_all.plan.records - cleaned.plan.dropped_duplicates


def test_decontamination_drops_training_records_that_overlap(tmp_path):
    phrase = "the renal pelvis is dilated with a smooth hyperechoic wall and no stone"

    def per_doc(d, rng):
        return [(text(rng) + "?", text(rng)) for _ in range(3)] + [(f"Why {phrase} here?", text(rng))]

    test_file = tmp_path / "bench.jsonl"
    test_file.write_text(json.dumps({"question": f"Explain why {phrase}.", "options": {"A": "x"},
                                     "image": "a/b.png"}) + "\n")
    with _text_project(tmp_path / "P.remud", 12, per_doc) as p:
        options = ExportOptions(splits=SplitSettings(validation=0.25, test=0.25), formats=("jsonl",),
                                dedup_threshold=None, decontaminate=test_file)
        result = export_dataset(p, options, tmp_path / "out")
        hits = {s: [row for row in read_jsonl(tmp_path / "out" / "jsonl" / f"{s}.jsonl") if phrase in row["question"]]
                for s in SPLITS}
        assert not hits["train"] and not hits["validation"] and hits["test"]
        assert result.plan.dropped_contaminated == 12 - len(hits["test"])
        assert result.manifest["settings"]["decontaminate"] == {"file": "bench.jsonl", "sha256": file_sha256(test_file)}
        with pytest.raises(DecontaminationFileError):
            plan_export(p, replace(options, decontaminate=tmp_path / "missing.jsonl"))
        (tmp_path / "bad.jsonl").write_text("{not json\n")
        with pytest.raises(DecontaminationFileError):
            plan_export(p, replace(options, decontaminate=tmp_path / "bad.jsonl"))


def test_process_pool_renders_the_same_crops_as_in_process(tmp_path):
    folder = tmp_path / "P.remud"
    build_project(folder, docs=2, pages=2, seed=4)
    with Project.open(folder) as p:
        ids = sorted(f.id for f in figures.list_figures(p))
        serial = write_crops(p, ids, tmp_path / "serial", CropCache(p, 3000), workers=1)
        shutil.rmtree(p.cache_dir / CACHE_DIR)
        cache = CropCache(p, 3000)
        pooled = write_crops(p, ids, tmp_path / "pooled", cache, workers=2, pool_min=1)
        assert cache.renders == len(ids)
        assert pooled == serial and len({c.path for c in pooled.values()}) == len(ids)
        for crop in pooled.values():
            assert file_sha256(tmp_path / "pooled" / crop.path) == crop.sha256
        with pytest.raises(CancelledError):
            shutil.rmtree(p.cache_dir / CACHE_DIR)
            write_crops(p, ids, tmp_path / "cancelled", CropCache(p, 3000), workers=2, pool_min=1,
                        cancel=lambda: bool(list((p.cache_dir / CACHE_DIR).glob("*.png"))))
