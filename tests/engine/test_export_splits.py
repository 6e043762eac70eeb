"""Split assignment: deterministic, by unit, stable when documents are added."""

from __future__ import annotations

import json

import numpy as np

from engine.export import ExportOptions, SplitSettings, export_dataset, plan_export
from engine.export.splits import assign_splits, position
from engine.store import Project, documents, records
from engine.store.documents import NewPage
from engine.store.models import NewRecord, RecordKind, RecordStatus

SETTINGS = SplitSettings(validation=0.2, test=0.2, seed=13)


def units(n: int, start: int = 0) -> dict[str, int]:
    rng = np.random.default_rng(start)
    return {f"{i:064x}": int(rng.integers(1, 40)) for i in range(start, start + n)}


def test_same_seed_same_splits_other_seed_other_splits():
    old = units(60)
    first = assign_splits(old, SETTINGS).split_of
    assert first == assign_splits(dict(reversed(list(old.items()))), SETTINGS).split_of
    other = assign_splits(old, SplitSettings(validation=0.2, test=0.2, seed=14)).split_of
    assert other != first
    assert set(first.values()) == {"train", "validation", "test"}


def test_new_units_do_not_move_old_ones():
    old = units(60)
    before = assign_splits(old, SETTINGS).split_of
    after = assign_splits({**old, **units(25, start=1000)}, SETTINGS).split_of
    assert {k: after[k] for k in before} == before


def test_unit_fractions_follow_the_settings_on_many_units():
    split_of = assign_splits(dict.fromkeys((f"{i:064x}" for i in range(5000)), 1), SETTINGS).split_of
    shares = {s: list(split_of.values()).count(s) / 5000 for s in ("train", "validation", "test")}
    assert abs(shares["test"] - 0.2) < 0.03 and abs(shares["validation"] - 0.2) < 0.03


def test_few_units_top_up_empty_splits_and_warn():
    one = assign_splits({"a" * 64: 30}, SETTINGS)
    assert one.split_of == {"a" * 64: "train"} and any("test split has no document" in w for w in one.warnings)
    three = assign_splits({c * 64: 10 for c in "abc"}, SETTINGS)
    assert sorted(three.split_of.values()) == ["test", "train", "validation"]


def test_a_unit_moved_to_fill_an_empty_split_is_reported():
    settings = SplitSettings(validation=0.0, test=0.05, seed=13)
    keys = [c * 64 for c in "abcdef"]
    assert all(position(k, settings.seed) >= settings.test for k in keys[:4])  # by position: no test unit
    four = assign_splits(dict.fromkeys(keys[:4], 10), settings)
    (moved,) = four.moved
    assert moved == min(keys[:4], key=lambda k: position(k, settings.seed)) and four.split_of[moved] == "test"
    assert any("The test split got no document by position, so one document was moved there from train" in w
               for w in four.warnings)
    natural = assign_splits(dict.fromkeys(keys[:4], 10), SplitSettings(validation=0.0, test=0.0))
    assert natural.moved == () and not any("moved" in w for w in natural.warnings)


def test_page_unit_advice_never_says_keep_pages_together():
    sizes = {f"{'a' * 64}:{i}": n for i, n in enumerate((300, 2, 2, 1, 1))}
    for unit in ("page", "document"):
        warnings = " ".join(assign_splits(sizes, SplitSettings(validation=0.2, test=0.2, unit=unit)).warnings)
        assert warnings
        assert ("pages together" in warnings) == (unit == "document")


def _add_doc(p: Project, n: int) -> None:
    doc = documents.add_document(p, sha256=f"{n:064d}", title=f"Doc {n}", file=f"sources/{n}.pdf",
                                 original_path="", file_size=0, pages=[NewPage(0, 595, 842, 0, True, False)])
    records.add_records(p, [NewRecord(kind=RecordKind.QA, question=f"Question {n}-{i} about organ {n * 7 + i}?",
                                      answer=f"Answer {n}-{i}", doc_id=doc.id, page=0, status=RecordStatus.ACCEPTED)
                            for i in range(3)])


def _splits_by_doc(folder) -> dict[str, str]:
    out = {}
    for split in ("train", "validation", "test"):
        for line in (folder / "jsonl" / f"{split}.jsonl").read_text().splitlines():
            out[json.loads(line)["doc_sha256"]] = split
    return out


def test_adding_a_document_keeps_old_documents_in_their_split(tmp_path):
    options = ExportOptions(splits=SETTINGS, formats=("jsonl",), dedup_threshold=None)
    with Project.create(tmp_path / "P.remud") as p:
        for n in range(30):
            _add_doc(p, n)
        export_dataset(p, options, tmp_path / "v1")
        again = plan_export(p, options)
        for n in range(30, 40):
            _add_doc(p, n)
        export_dataset(p, options, tmp_path / "v2")
    v1, v2 = _splits_by_doc(tmp_path / "v1"), _splits_by_doc(tmp_path / "v2")
    assert set(v1.values()) == {"train", "validation", "test"}
    assert {d: v2[d] for d in v1} == v1 and len(v2) == 40
    assert again.records == 90
