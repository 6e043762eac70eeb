"""README.md: a Hugging Face dataset card whose `configs:` make load_dataset(folder) give the splits
(those with records: the files of an empty split exist but Hugging Face datasets refuses to load them)."""

from __future__ import annotations

from pathlib import Path

from engine.export.splits import SPLITS, Split


def describe(thinking: int, unit: str) -> str:
    """What the records are, in the words the options used call for: thinking traces only when some
    record has one; split by source document or by page."""
    traces = " with thinking traces" if thinking else ""
    split = ("by page of the source documents (no page is in two splits)" if unit == "page"
             else "by source document (no document is in two splits)")
    return f"ultrasound figure question-answer records{traces}, split {split}"


def write_card(out_dir: Path, name: str, data_dir: str | None, extension: str, counts: dict[Split, int],
               app_version: str, *, thinking: int = 0, unit: str = "document") -> Path:
    lines = ["---"]
    filled = [split for split in SPLITS if counts.get(split, 0)]  # datasets cannot load a split without rows
    if data_dir and filled:
        lines += ["configs:", "- config_name: default", "  data_files:"]
        for split in filled:
            lines += [f"  - split: {split}", f"    path: {data_dir}/{split}.{extension}"]
    intro = f"Exported by ReMUD Desktop {app_version}: {describe(thinking, unit)}."
    lines += ["task_categories:", "- visual-question-answering", "---", "", f"# {name}", "", intro, "",
              "| split | records |", "|---|---|"]
    lines += [f"| {split} | {counts.get(split, 0)} |" for split in SPLITS]
    files = ("Files: `sharegpt/` (LLaMA-Factory, see `dataset_info.json`), `jsonl/` and `parquet/` (one record "
             "per row with its provenance), `eval/mcq_test.jsonl` (multiple-choice test set), `images/` (crops). "
             "Image paths are relative to this folder; `manifest.json` lists settings and checksums.")
    lines += ["", files, ""]
    path = out_dir / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
