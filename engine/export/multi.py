"""One dataset from several projects (`remud export P1 P2 … OUT`).

The projects are merged (engine.store.merge: documents by content hash, figures and records by
their uids, so the parts of one hand-out and their parent come together as one project) into a
temporary project next to the output folder, whose PDFs are hard links where the file system
allows. Duplicates across projects that share no history are dropped (engine.store.combine),
and the usual export runs on it: splits are by document content hash, so a book in two projects
lands in one split. The projects themselves are only read. The manifest names every project.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from engine.errors import CancelledError
from engine.export.errors import ExportError
from engine.export.manifest import MANIFEST
from engine.export.options import ExportOptions, validate
from engine.export.plan import ExportPlan, ExportProgress, plan_export
from engine.export.target import check_target
from engine.export.writer import ExportResult, export_dataset
from engine.i18n import tr
from engine.store.combine import drop_duplicates
from engine.store.merge import merge_project
from engine.store.project import Project

COMBINED_PREFIX = ".remud-combined-"


@dataclass(frozen=True)
class Combined:
    """What combining the projects did."""

    projects: tuple[str, ...]
    duplicate_figures: int
    duplicate_records: int
    conflicts: int  # fields two projects changed differently (the later edit kept)

    def as_dict(self) -> dict:
        return {"projects": list(self.projects), "cross_project_duplicate_figures": self.duplicate_figures,
                "cross_project_duplicate_records": self.duplicate_records, "merge_conflicts": self.conflicts}


def _combine(folders: Sequence[Path], into: Path, progress: ExportProgress | None,
             cancel: Callable[[], bool]) -> tuple[Project, Combined]:
    project = Project.create(into)
    conflicts = 0
    try:
        for n, folder in enumerate(folders):
            if cancel():
                raise CancelledError(tr("Export cancelled; nothing was written."))
            if progress:
                progress("combine", n, len(folders))
            report = merge_project(project, folder, backup=False, keep_base=False, link_sources=True, cancel=cancel)
            conflicts += len(report.conflicts)
        dropped = drop_duplicates(project)
        if progress:
            progress("combine", len(folders), len(folders))
    except BaseException:
        project.close()
        raise
    return project, Combined(tuple(str(f) for f in folders), dropped.figures, dropped.records, conflicts)


def _folders(projects: Sequence[str | Path]) -> list[Path]:
    folders = [Path(p).expanduser().resolve() for p in projects]
    if len(set(folders)) != len(folders):
        raise ExportError(tr("A project is named twice; name each project once."))
    for f in folders:
        Project.open(f).close()  # a typed error now for a folder that is not a project
    return folders


def _scratch(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent / f"{COMBINED_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"


def plan_projects(projects: Sequence[str | Path], options: ExportOptions, out_dir: str | Path, *,
                  cancel: Callable[[], bool] = lambda: False) -> tuple[ExportPlan, Combined]:
    """What exporting these projects together would write; writes nothing but a temporary project."""
    validate(options)
    if options.selection.doc_ids:
        raise ExportError(tr("Choosing documents by id works with one project; export the projects without --doc."))
    folders = _folders(projects)
    scratch = _scratch(Path(out_dir).expanduser().resolve())
    try:
        project, combined = _combine(folders, scratch, None, cancel)
        with project:
            return plan_export(project, options, cancel=cancel), combined
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def export_projects(projects: Sequence[str | Path], options: ExportOptions, out_dir: str | Path, *,
                    overwrite: bool = False, progress: ExportProgress | None = None,
                    cancel: Callable[[], bool] = lambda: False) -> tuple[ExportResult, Combined]:
    """Export the records of several projects as one dataset folder (all or nothing, like export_dataset)."""
    validate(options)
    if options.selection.doc_ids:
        raise ExportError(tr("Choosing documents by id works with one project; export the projects without --doc."))
    folders = _folders(projects)
    final = Path(out_dir).expanduser().resolve()
    for folder in folders:
        check_target(folder, final, overwrite)
    scratch = _scratch(final)
    try:
        project, combined = _combine(folders, scratch, progress, cancel)
        with project:
            result = export_dataset(project, options, final, overwrite=overwrite, progress=progress, cancel=cancel)
        manifest = {**result.manifest, "project": combined.projects[0], **combined.as_dict()}
        tmp = final / f".{MANIFEST}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, final / MANIFEST)
        return replace(result, manifest=manifest), combined
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
