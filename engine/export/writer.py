"""export_dataset: the whole export, built in a temporary sibling folder and renamed at the end."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine import __version__
from engine.errors import CancelledError
from engine.export import llamafactory
from engine.export.conversations import (
    conversation_id,
    mcq_line,
    record_row,
    sharegpt_item,
)
from engine.export.errors import ExportError, ExportExistsError, NothingToExportError
from engine.export.formats.card import write_card
from engine.export.formats.jsonl import JsonArrayFile, JsonlFile
from engine.export.formats.parquet import ParquetFile
from engine.export.images import CropCache, CropFile, write_crops
from engine.export.manifest import build_manifest, write_manifest
from engine.export.options import ExportOptions, validate
from engine.export.plan import ExportPlan, Prepared, Progress, prepare
from engine.export.select import Row, iter_rows
from engine.export.splits import SPLITS
from engine.store.models import RecordKind
from engine.store.project import Project

PROGRESS_EVERY = 256


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    plan: ExportPlan
    manifest: dict
    seconds: float


def _check_target(project: Project, final: Path, overwrite: bool) -> None:
    project_dir = project.folder.resolve()
    if final == project_dir or final in project_dir.parents:
        raise ExportError(f"{final} holds the project itself; choose another folder for the export.")
    if final.exists():
        if not final.is_dir():
            raise ExportError(f"{final} is a file; choose a folder name for the export.")
        if any(final.iterdir()) and not overwrite:
            raise ExportExistsError(f"{final} already exists; choose a new folder or allow overwriting it.")


class _Outputs:
    """The open files of every chosen format, per split."""

    def __init__(self, tmp: Path, formats: tuple[str, ...]) -> None:
        self.sharegpt = {s: JsonArrayFile(tmp / "sharegpt" / f"{s}.json") for s in SPLITS} \
            if "llamafactory" in formats else {}
        self.jsonl = {s: JsonlFile(tmp / "jsonl" / f"{s}.jsonl") for s in SPLITS} if "jsonl" in formats else {}
        self.parquet = {s: ParquetFile(tmp / "parquet" / f"{s}.parquet") for s in SPLITS} \
            if "parquet" in formats else {}
        self.mcq = JsonlFile(tmp / "eval" / "mcq_test.jsonl") if "mcq_test" in formats else None

    def all(self) -> list:
        files = [*self.sharegpt.values(), *self.jsonl.values(), *self.parquet.values()]
        return files + ([self.mcq] if self.mcq else [])

    def close(self) -> None:
        for f in self.all():
            f.close()


def _image_of(row: Row, crops: dict[int, CropFile]) -> str | None:
    crop = crops.get(row.record.figure_id) if row.record.figure_id else None
    return crop.path if crop else None


def _write_records(project: Project, options: ExportOptions, prepared: Prepared, crops: dict[int, CropFile],
                   tmp: Path, progress: Progress | None, cancel: Callable[[], bool]) -> dict[str, int]:
    outputs = _Outputs(tmp, options.formats)
    written = dict.fromkeys(SPLITS, 0)
    conversation: list[Row] = []
    conversation_split = ""
    total, done = prepared.plan.records, 0
    if progress:
        progress("write", 0, total)

    def flush() -> None:
        if conversation and outputs.sharegpt:
            image = _image_of(conversation[0], crops)
            item = sharegpt_item(conversation, [image] if image else [], conversation_split, options.system_prompt)
            outputs.sharegpt[conversation_split].write(item)
        conversation.clear()

    try:
        for chunk in iter_rows(project, options.selection):
            if cancel():
                raise CancelledError("Export cancelled while writing the records; nothing was written.")
            for row in chunk:
                pos = prepared.lookup(row.record.id)
                if pos is None:
                    continue
                split = SPLITS[prepared.split_codes[pos]]
                if not prepared.continues[pos]:
                    flush()
                    conversation_split = split
                conversation.append(row)
                image = _image_of(row, crops)
                line = record_row(row, split, image, conversation_id(conversation))
                if outputs.jsonl:
                    outputs.jsonl[split].write(line)
                if outputs.parquet:
                    outputs.parquet[split].write(line)
                if outputs.mcq and split == "test" and row.record.kind == RecordKind.MCQ:
                    outputs.mcq.write(mcq_line(row, image))
                written[split] += 1
                done += 1
                if progress and (done % PROGRESS_EVERY == 0 or done == total):
                    progress("write", done, total)
        flush()
    finally:
        outputs.close()
    return written


def _swap_in(tmp: Path, final: Path, overwrite: bool) -> None:
    """Rename the finished folder into place; an old one is replaced only now, and restored if that fails."""
    old = None
    if final.exists():
        if not any(final.iterdir()):
            final.rmdir()
        elif overwrite:
            old = final.with_name(f"{final.name}.old-{uuid.uuid4().hex[:8]}")
            os.rename(final, old)
        else:
            raise ExportExistsError(f"{final} appeared while exporting; choose a new folder or allow overwriting it.")
    try:
        os.rename(tmp, final)
    except OSError:
        if old is not None:
            os.rename(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_dataset(
    project: Project,
    options: ExportOptions,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> ExportResult:
    """Write the export folder (layout in docs/export_format.md). All or nothing: a failure or a
    cancel leaves neither `out_dir` nor a temporary folder behind, and an old `out_dir` (with
    overwrite) stays until the new one is complete."""
    start = time.perf_counter()
    validate(options)
    final = Path(out_dir).expanduser().resolve()
    _check_target(project, final, overwrite)
    prepared = prepare(project, options, progress=progress, cancel=cancel)
    plan = prepared.plan
    if plan.records == 0:
        raise NothingToExportError("No record matches the selection; widen the filters (status, kind, language, "
                                   "score, documents).")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f"{final.name}.partial-{uuid.uuid4().hex[:8]}")
        tmp.mkdir()
    except OSError as exc:
        raise ExportError(f"Cannot create the export folder next to {final} ({exc.strerror}); "
                          "check the path and its permissions.") from exc
    try:
        cache = CropCache(project, options.max_pixels)
        crops = write_crops(project, prepared.figure_ids, tmp, cache, progress=progress, cancel=cancel)
        written = _write_records(project, options, prepared, crops, tmp, progress, cancel)
        if "llamafactory" in options.formats:
            llamafactory.write_dataset_info(tmp, options.name)
            llamafactory.write_training_yaml(tmp, options.name, final, options.base_model, options.max_pixels,
                                             written["validation"] > 0)
        data_dir = "parquet" if "parquet" in options.formats else "jsonl" if "jsonl" in options.formats else None
        write_card(tmp, options.name, data_dir, "parquet" if data_dir == "parquet" else "jsonl", written, __version__)
        manifest = build_manifest(tmp, project.folder, options, plan, crops, written, cache.renders)
        write_manifest(tmp, manifest)
        if cancel():
            raise CancelledError("Export cancelled; nothing was written.")
        _swap_in(tmp, final, overwrite)
    except OSError as exc:
        raise ExportError(f"Cannot write the export to {final} ({exc.strerror or exc}); check free space and "
                          "permissions, then export again.") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return ExportResult(final, plan, manifest, time.perf_counter() - start)
