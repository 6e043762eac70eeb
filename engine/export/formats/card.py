"""README.md: a Hugging Face dataset card whose `configs:` make load_dataset(folder) give the splits
(those with records: the files of an empty split exist but Hugging Face datasets refuses to load them).

The text for people is in the current language (engine.i18n); the YAML front matter, the split names
and the file names, which tools read, stay as they are."""

from __future__ import annotations

from pathlib import Path

from engine.export.splits import SPLITS, Split
from engine.i18n import tr


def describe(thinking: int, unit: str) -> str:
    """What the records are, in the words the options used call for: thinking traces only when some
    record has one; split by source document or by page."""
    if unit == "page":
        if thinking:
            return tr("ultrasound figure question-answer records with thinking traces, split by page of the source "
                      "documents (no page is in two splits)")
        return tr("ultrasound figure question-answer records, split by page of the source documents (no page is in "
                  "two splits)")
    if thinking:
        return tr("ultrasound figure question-answer records with thinking traces, split by source document (no "
                  "document is in two splits)")
    return tr("ultrasound figure question-answer records, split by source document (no document is in two splits)")


def write_card(out_dir: Path, name: str, data_dir: str | None, extension: str, counts: dict[Split, int],
               app_version: str, *, thinking: int = 0, unit: str = "document") -> Path:
    lines = ["---"]
    filled = [split for split in SPLITS if counts.get(split, 0)]  # datasets cannot load a split without rows
    if data_dir and filled:
        lines += ["configs:", "- config_name: default", "  data_files:"]
        for split in filled:
            lines += [f"  - split: {split}", f"    path: {data_dir}/{split}.{extension}"]
    intro = tr("Exported by ReMUD Desktop {version}: {what}.").format(version=app_version,
                                                                       what=describe(thinking, unit))
    # Translators: the heads of the dataset card's table of records per split
    lines += ["task_categories:", "- visual-question-answering", "---", "", f"# {name}", "", intro, "",
              "| {} | {} |".format(tr("split"), tr("records")), "|---|---|"]
    lines += [f"| {split} | {counts.get(split, 0)} |" for split in SPLITS]
    # Translators: Markdown; keep the `names` in backquotes (folders and files of the export)
    files = tr("Files: `sharegpt/` (LLaMA-Factory, see `dataset_info.json`), `jsonl/` and `parquet/` (one record "
               "per row with its provenance), `eval/mcq_test.jsonl` (multiple-choice test set), `images/` (crops). "
               "Image paths are relative to this folder; `manifest.json` lists settings and checksums.")
    lines += ["", files, ""]
    path = out_dir / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
