"""export_dataset: the whole export, built in a temporary sibling folder and renamed at the end."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from engine import __version__
from engine.errors import CancelledError, RemudError
from engine.export import llamafactory
from engine.export.conversations import conversation_id, mcq_letter, mcq_line, record_row, sharegpt_item
from engine.export.errors import ExportError, NothingToExportError
from engine.export.formats.card import write_card
from engine.export.formats.jsonl import JsonArrayFile, JsonlFile
from engine.export.formats.parquet import ParquetFile
from engine.export.images import CropCache, CropFile, write_crops
from engine.export.manifest import build_manifest, write_manifest
from engine.export.options import ExportFormat, ExportOptions, validate
from engine.export.plan import ExportPlan, ExportProgress, Prepared, prepare
from engine.export.splits import PRIORITY, SOURCELESS, SPLITS, Split, unit_key
from engine.export.target import STALE_SECONDS, check_target, make_partial, remove_stale_siblings, swap_in
from engine.i18n import ntr, tr
from engine.redaction import TextFilter, redact_record, text_filter
from engine.store.export_queries import SelectedRecord, iter_selected
from engine.store.models import RecordKind
from engine.store.project import Project

PROGRESS_EVERY = 256


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    plan: ExportPlan
    manifest: dict
    seconds: float


class _Outputs:
    """The open files of every chosen format, per split."""

    def __init__(self, tmp: Path, formats: tuple[ExportFormat | str, ...]) -> None:
        self.sharegpt = {s: JsonArrayFile(tmp / "sharegpt" / f"{s}.json") for s in SPLITS} \
            if ExportFormat.LLAMAFACTORY in formats else {}
        self.jsonl = {s: JsonlFile(tmp / "jsonl" / f"{s}.jsonl") for s in SPLITS} if ExportFormat.JSONL in formats else {}
        self.parquet = {s: ParquetFile(tmp / "parquet" / f"{s}.parquet", tmp) for s in SPLITS} \
            if ExportFormat.PARQUET in formats else {}
        self.mcq = JsonlFile(tmp / "eval" / "mcq_test.jsonl") if ExportFormat.MCQ_TEST in formats else None

    def all(self) -> list:
        files = [*self.sharegpt.values(), *self.jsonl.values(), *self.parquet.values()]
        return files + ([self.mcq] if self.mcq else [])

    def close(self) -> None:
        for f in self.all():
            f.close()


@dataclass
class _Tally:
    """What was actually written: the plan's numbers are recomputed from it, so the manifest
    always describes the files."""

    counts: Counter = field(default_factory=Counter)  # (kind, language, split) -> records
    conversations: int = 0
    units: dict[Split, set[str]] = field(default_factory=lambda: {s: set() for s in SPLITS})
    images: set[str] = field(default_factory=set)
    skipped_mcq: int = 0
    thinking: int = 0  # records written with a thinking trace

    def written(self) -> dict[Split, int]:
        out = dict.fromkeys(SPLITS, 0)
        for (_, _, split), n in self.counts.items():
            out[split] += n
        return out

    def plan(self, planned: ExportPlan, leaks: int) -> ExportPlan:
        warnings = list(planned.warnings)
        if leaks:
            warnings.append(ntr("{n} training or validation record whose figure crop is identical to a test crop "
                                "(the same image in two documents) were left out.",
                                "{n} training or validation records whose figure crop is identical to a test crop "
                                "(the same image in two documents) were left out.", leaks).format(n=leaks))
        if self.skipped_mcq:
            warnings.append(ntr("{n} multiple-choice record lost their correct letter during the export and were "
                                "left out; fix them in the review.",
                                "{n} multiple-choice records lost their correct letter during the export and were "
                                "left out; fix them in the review.", self.skipped_mcq).format(n=self.skipped_mcq))
        return replace(planned, counts=dict(sorted(self.counts.items())), records=sum(self.counts.values()),
                       conversations=self.conversations, images=len(self.images),
                       documents={s: len(u) for s, u in self.units.items()}, dropped_image_leaks=leaks,
                       warnings=tuple(warnings))


def _image_of(row: SelectedRecord, crops: dict[int, CropFile]) -> str | None:
    crop = crops.get(row.record.figure_id) if row.record.figure_id else None
    return crop.path if crop else None


def image_leaks(prepared: Prepared, crops: dict[int, CropFile]) -> np.ndarray:
    """Per kept record: a train/validation record whose crop has the bytes of a test record's crop."""
    figs, splits = prepared.record_figures, prepared.split_codes
    sha = np.array([crops[int(f)].sha256 if f else "" for f in figs], dtype=object)
    in_test = splits == PRIORITY[Split.TEST]
    test_shas = {s for s in sha[in_test] if s}
    if not test_shas:
        return np.zeros(len(figs), dtype=bool)
    return ~in_test & np.array([s in test_shas for s in sha], dtype=bool)


def _write_records(project: Project, options: ExportOptions, prepared: Prepared, crops: dict[int, CropFile],
                   skip: np.ndarray, tmp: Path, progress: ExportProgress | None, cancel: Callable[[], bool]) -> _Tally:
    outputs = _Outputs(tmp, options.formats)
    tally = _Tally()
    conversation: list[SelectedRecord] = []
    conversation_split: Split | None = None  # set with the conversation's first record
    total, done = prepared.plan.records, 0
    scrubs: dict[int | None, TextFilter] = {}  # per document: what its redaction masks cover
    if progress:
        progress("write", 0, total)

    def flush() -> None:
        if conversation and outputs.sharegpt and conversation_split is not None:
            image = _image_of(conversation[0], crops)
            item = sharegpt_item(conversation, [image] if image else [], conversation_split, options.system_prompt)
            outputs.sharegpt[conversation_split].write(item)
        conversation.clear()

    try:
        for chunk in iter_selected(project, options.selection):
            if cancel():
                raise CancelledError(tr("Export cancelled while writing the records; nothing was written."))
            for row in chunk:
                pos = prepared.lookup(row.record.id)
                if pos is None:
                    continue
                done += 1
                if progress and (done % PROGRESS_EVERY == 0 or done == total):
                    progress("write", done, total)
                if row.doc_id not in scrubs:
                    scrubs[row.doc_id] = text_filter(project, row.doc_id)
                row = replace(row, record=redact_record(row.record, scrubs[row.doc_id]))
                rec = row.record
                if skip[pos]:
                    continue
                if rec.kind == RecordKind.MCQ and mcq_letter(rec) is None:
                    tally.skipped_mcq += 1
                    continue
                split = SPLITS[prepared.split_codes[pos]]
                if not prepared.continues[pos] or not conversation:
                    flush()
                    conversation_split = split
                    tally.conversations += 1
                conversation.append(row)
                image = _image_of(row, crops)
                line = record_row(row, split, image, conversation_id(conversation))
                if outputs.jsonl:
                    outputs.jsonl[split].write(line)
                if outputs.parquet:
                    outputs.parquet[split].write(line)
                if outputs.mcq and split == Split.TEST and rec.kind == RecordKind.MCQ:
                    outputs.mcq.write(mcq_line(row, image))
                tally.counts[(str(rec.kind), rec.language, split)] += 1
                tally.thinking += bool(rec.reasoning and rec.thinking.strip())
                unit = unit_key(options.splits.unit, row.doc_sha256, row.page, rec.id)
                if not unit.startswith(SOURCELESS):
                    tally.units[split].add(unit)
                if image:
                    tally.images.add(image)
        flush()
    finally:
        outputs.close()
    return tally


def _unexpected(final: Path, exc: Exception) -> ExportError:
    if isinstance(exc, OSError):
        return ExportError(tr("Cannot write the export to {path} ({reason}); check free space and permissions, then "
                              "export again.").format(path=final, reason=exc.strerror or exc))
    if isinstance(exc, pa.ArrowException):
        return ExportError(tr("Cannot write the Parquet files ({reason}); export without the parquet format or fix "
                              "the records named, then export again.").format(reason=exc))
    return ExportError(tr("The export failed unexpectedly ({reason}); nothing was written, please report this.").format(
        reason=f"{type(exc).__name__}: {exc}"))


def export_dataset(
    project: Project,
    options: ExportOptions,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    progress: ExportProgress | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> ExportResult:
    """Write the export folder (layout in docs/export_format.md). All or nothing: a failure or a
    cancel leaves neither `out_dir` nor a temporary folder behind, and an old `out_dir` (with
    overwrite, only a former ReMUD export) stays until the new one is complete. The whole
    export reads one snapshot of the database (Project.read_snapshot)."""
    start = time.perf_counter()
    validate(options)
    final = Path(out_dir).expanduser().resolve()
    check_target(project.folder, final, overwrite)
    with project.read_snapshot():
        prepared = prepare(project, options, progress=progress, cancel=cancel)
        if prepared.plan.records == 0:
            raise NothingToExportError(tr("No record matches the selection; widen the filters (status, kind, language, "
                                          "score, documents)."))
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_siblings(final)
            tmp = make_partial(final)
        except OSError as exc:
            raise ExportError(tr("Cannot create the export folder next to {path} ({reason}); check the path and its "
                                 "permissions.").format(path=final, reason=exc.strerror)) from exc
        try:
            cache = CropCache(project, options.max_pixels)
            cache.remove_stale_parts(STALE_SECONDS)
            crops = write_crops(project, prepared.figure_ids, tmp, cache, progress=progress, cancel=cancel)
            leaks = image_leaks(prepared, crops)
            tally = _write_records(project, options, prepared, crops, leaks, tmp, progress, cancel)
            plan = tally.plan(prepared.plan, int(leaks.sum()))
            written = tally.written()
            if ExportFormat.LLAMAFACTORY in options.formats:
                llamafactory.write_dataset_info(tmp, options.name, written)
                llamafactory.write_training_yaml(tmp, options.name, final, options.base_model, options.max_pixels,
                                                 written[Split.VALIDATION] > 0)
            data_dir = ("parquet" if ExportFormat.PARQUET in options.formats
                        else "jsonl" if ExportFormat.JSONL in options.formats else None)
            write_card(tmp, options.name, data_dir, "parquet" if data_dir == "parquet" else "jsonl", written,
                       __version__, thinking=tally.thinking, unit=str(options.splits.unit))
            manifest = build_manifest(tmp, project.folder, options, plan, crops, written, cache.renders)
            write_manifest(tmp, manifest)
            if cancel():
                raise CancelledError(tr("Export cancelled; nothing was written."))
            swap_in(tmp, final, overwrite)
        except RemudError:
            raise
        except Exception as exc:  # the user gets one sentence; the cause stays chained for a report
            raise _unexpected(final, exc) from exc
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return ExportResult(final, plan, manifest, time.perf_counter() - start)
