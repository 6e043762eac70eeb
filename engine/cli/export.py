"""`remud export PROJECT [PROJECT …] OUT_DIR`: write a training/evaluation dataset folder (from several
projects: one dataset, cross-project duplicates dropped, splits by document across all of them).

Wired into engine.cli with `add_export_parser(sub, common)`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from engine.cli.common import progress_bar, warning_line
from engine.export import (
    ExportOptions,
    ExportPlan,
    Selection,
    SplitSettings,
    export_dataset,
    plan_export,
)
from engine.export.multi import Combined, export_projects, plan_projects
from engine.export.options import FORMATS, UNITS
from engine.export.plan import stage_name
from engine.export.splits import SPLITS, split_name
from engine.i18n import tr
from engine.store.project import Project


def _split_list(values: list[str]) -> tuple[str, ...]:
    """Repeated flags and comma lists alike: --kind vqa --kind mcq == --kind vqa,mcq."""
    return tuple(dict.fromkeys(v.strip() for item in values for v in item.split(",") if v.strip()))


def options_from_args(args) -> ExportOptions:
    selection = Selection(
        statuses=_split_list(args.status) or ("accepted",), kinds=_split_list(args.kind),
        languages=_split_list(args.language), min_score=args.min_score, doc_ids=tuple(args.doc),
        reasoning=args.reasoning,
    )
    splits = SplitSettings(validation=args.val, test=args.test, seed=args.seed, unit=args.unit)
    return ExportOptions(
        selection=selection, splits=splits, formats=_split_list(args.format) or FORMATS, name=args.name,
        system_prompt=args.system_prompt, max_pixels=args.max_pixels,
        dedup_threshold=None if args.no_dedup else args.dedup_threshold,
        decontaminate=Path(args.decontaminate) if args.decontaminate else None, decontam_ngram=args.decontam_ngram,
        base_model=args.base_model,
    )


def plan_dict(plan: ExportPlan) -> dict:
    return {
        "records": plan.records, "conversations": plan.conversations, "images": plan.images,
        "records_per_split": plan.split_records(), "units_per_split": plan.documents,
        "counts": [{"kind": k, "language": lang, "split": s, "records": n} for (k, lang, s), n in plan.counts.items()],
        "dropped_duplicates": plan.dropped_duplicates, "dropped_contaminated": plan.dropped_contaminated,
        "dropped_image_leaks": plan.dropped_image_leaks, "warnings": list(plan.warnings),
    }


def plan_table(plan: ExportPlan) -> str:
    """Records per kind × language (rows) and split (columns), with totals."""
    rows = sorted({(k, lang) for k, lang, _ in plan.counts})
    # Translators: column and row heads of `remud export`'s plan table: record kind, language, total
    kind, lang, total = tr("kind"), tr("lang"), tr("total")
    head = f"{kind:<6}{lang:<6}" + "".join(f"{split_name(s):>12}" for s in SPLITS) + f"{total:>10}"
    lines = [head, "-" * len(head)]
    for k, lang in rows:
        cells = [plan.counts.get((k, lang, s), 0) for s in SPLITS]
        lines.append(f"{k:<6}{lang:<6}" + "".join(f"{c:>12}" for c in cells) + f"{sum(cells):>10}")
    per_split = plan.split_records()
    lines.append("-" * len(head))
    # Translators: row heads: all records; units (documents or pages) per split
    every, units = tr("all"), tr("units")
    lines.append(f"{every:<12}" + "".join(f"{per_split[s]:>12}" for s in SPLITS) + f"{plan.records:>10}")
    lines.append(f"{units:<12}" + "".join(f"{plan.documents[s]:>12}" for s in SPLITS))
    leaks = tr(" and {n} records whose image is also in the test split").format(n=plan.dropped_image_leaks) \
        if plan.dropped_image_leaks else ""
    lines.append(tr("{conversations} conversations, {images} images; dropped {duplicates} cross-split duplicates, "
                    "{contaminated} contaminated records{leaks}").format(
        conversations=plan.conversations, images=plan.images, duplicates=plan.dropped_duplicates,
        contaminated=plan.dropped_contaminated, leaks=leaks))
    lines += [warning_line(w) for w in plan.warnings]
    return "\n".join(lines)


class _Bars:
    """One tqdm bar per stage on stderr (hidden with -q, --json or when stderr is not a terminal)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet or not sys.stderr.isatty()
        self.bar: tqdm[Any] | None = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        if stage != self.stage:
            self.close()
            unit = "crop" if stage == "images" else "record"
            self.bar, self.stage = progress_bar(stage_name(stage), total, False, unit=unit), stage
        if self.bar is not None:
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _combined_lines(combined: Combined) -> str:
    conflicts = tr(", {n} fields both changed (the later edit kept)").format(n=combined.conflicts) \
        if combined.conflicts else ""
    return tr("{n} projects combined: {figures} duplicate figures and {records} duplicate records across them "
              "dropped{conflicts}").format(n=len(combined.projects), figures=combined.duplicate_figures,
                                          records=combined.duplicate_records, conflicts=conflicts)


def _exported_line(result) -> str:
    return tr("Exported {n} records to {folder} in {seconds} s").format(
        n=result.plan.records, folder=result.folder, seconds=f"{result.seconds:.1f}")


def _export_several(args, options: ExportOptions) -> int:
    if args.preview:
        plan, combined = plan_projects(args.projects, options, args.out_dir)
        if args.json:
            print(json.dumps({**plan_dict(plan), **combined.as_dict()}, ensure_ascii=False, indent=2))
        else:
            print(plan_table(plan))
            print(_combined_lines(combined))
        return 0
    bars = _Bars(args.quiet or args.json)
    try:
        result, combined = export_projects(args.projects, options, args.out_dir, overwrite=args.overwrite,
                                           progress=bars)
    finally:
        bars.close()
    if args.json:
        print(json.dumps({"folder": str(result.folder), "seconds": round(result.seconds, 3), **plan_dict(result.plan),
                          **combined.as_dict()}, ensure_ascii=False, indent=2))
    else:
        print(plan_table(result.plan))
        print(_combined_lines(combined))
        print(_exported_line(result))
    return 0


def cmd_export(args) -> int:
    options = options_from_args(args)
    args.project = args.projects[0]  # what an error message names
    if len(args.projects) > 1:
        return _export_several(args, options)
    with Project.open(args.project) as project:
        if args.preview:
            plan = plan_export(project, options)
            print(json.dumps(plan_dict(plan), ensure_ascii=False, indent=2) if args.json else plan_table(plan))
            return 0
        bars = _Bars(args.quiet or args.json)
        try:
            result = export_dataset(project, options, args.out_dir, overwrite=args.overwrite, progress=bars)
        finally:
            bars.close()
    if args.json:
        print(json.dumps({"folder": str(result.folder), "seconds": round(result.seconds, 3),
                          **plan_dict(result.plan)}, ensure_ascii=False, indent=2))
    else:
        print(plan_table(result.plan))
        print(_exported_line(result))
    return 0


def add_export_parser(subparsers, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    sp = subparsers.add_parser("export", parents=[common], help=tr("export a dataset (LLaMA-Factory, JSONL, Parquet)"),
                               description=tr("Write the selected records of one or more projects as a dataset "
                                              "folder, split by document."))
    sp.add_argument("projects", nargs="+", metavar="PROJECT",
                    help=tr("project folder; several make one dataset (duplicates across them dropped, splits by "
                            "document across all)"))
    sp.add_argument("out_dir", help=tr("folder to create (must not exist unless --overwrite)"))
    sel = sp.add_argument_group(tr("selection"))
    sel.add_argument("--status", action="append", default=[], help=tr("record status (repeatable; default accepted)"))
    sel.add_argument("--kind", action="append", default=[], help=tr("qa, vqa or mcq (repeatable; default all)"))
    sel.add_argument("--language", action="append", default=[], help=tr("e.g. en, zh (repeatable; default all)"))
    sel.add_argument("--min-score", type=float, help=tr("only records scored at least this"))
    sel.add_argument("--doc", type=int, action="append", default=[], help=tr("document id (repeatable; default all)"))
    sel.add_argument("--reasoning", dest="reasoning", action="store_true", default=None,
                     help=tr("only records with thinking traces"))
    sel.add_argument("--no-reasoning", dest="reasoning", action="store_false", help=tr("only records without them"))
    spl = sp.add_argument_group(tr("splits"))
    spl.add_argument("--val", type=float, default=SplitSettings.validation, help=tr("validation fraction"))
    spl.add_argument("--test", type=float, default=SplitSettings.test, help=tr("test fraction"))
    spl.add_argument("--seed", type=int, default=SplitSettings.seed)
    spl.add_argument("--unit", choices=UNITS, default="document", help=tr("what never straddles two splits"))
    out = sp.add_argument_group(tr("output"))
    out.add_argument("--format", action="append", default=[], help=tr("{formats} (repeatable; default all)").format(
        formats=", ".join(FORMATS)))
    out.add_argument("--name", default="remud", help=tr("dataset name in dataset_info.json"))
    out.add_argument("--system-prompt", default="", help=tr("system message of every conversation"))
    out.add_argument("--max-pixels", type=int, help=tr("cap crops at this many pixels (aspect kept)"))
    out.add_argument("--base-model", default=ExportOptions.base_model, help=tr("model in the LLaMA-Factory config"))
    clean = sp.add_argument_group(tr("cleaning"))
    clean.add_argument("--no-dedup", action="store_true", help=tr("keep near-duplicates across splits"))
    clean.add_argument("--dedup-threshold", type=float, default=0.8, help=tr("Jaccard similarity of a near-duplicate"))
    clean.add_argument("--decontaminate", metavar="FILE",
                       help=tr("drop training records sharing an n-gram with this test file"))
    clean.add_argument("--decontam-ngram", type=int, default=8, help=tr("n-gram length for --decontaminate"))
    sp.add_argument("--overwrite", action="store_true", help=tr("replace OUT_DIR once the new export is complete"))
    sp.add_argument("--preview", action="store_true",
                    help=tr("print the plan (counts per kind × language × split); write nothing"))
    sp.set_defaults(func=cmd_export)
    return sp
