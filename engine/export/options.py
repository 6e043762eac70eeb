"""What to export and how: the settings the CLI and the export dialog fill in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from engine.export.errors import ExportError
from engine.i18n import N_, tr
from engine.store.export_queries import Selection
from engine.store.models import RecordKind, RecordStatus
from training import defaults  # dependency-free: the shared training defaults


class ExportFormat(StrEnum):
    LLAMAFACTORY = "llamafactory"  # ShareGPT files, dataset_info.json and a LoRA config
    JSONL = "jsonl"
    PARQUET = "parquet"
    MCQ_TEST = "mcq_test"          # the multiple-choice test set for evaluation


class SplitUnit(StrEnum):
    """What never straddles two splits."""

    DOCUMENT = "document"
    PAGE = "page"


FORMATS = tuple(ExportFormat)
UNITS = tuple(SplitUnit)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class SplitSettings:
    validation: float = 0.05
    test: float = 0.10
    seed: int = 13
    unit: SplitUnit = SplitUnit.DOCUMENT  # plain strings ("page") are accepted; validate() checks them


@dataclass(frozen=True)
class ExportOptions:
    selection: Selection = field(default_factory=Selection)
    splits: SplitSettings = field(default_factory=SplitSettings)
    formats: tuple[ExportFormat | str, ...] = FORMATS  # plain strings ("jsonl") are accepted; validate() checks them
    name: str = "remud"
    system_prompt: str = ""
    max_pixels: int | None = None
    dedup_threshold: float | None = 0.8
    decontaminate: Path | None = None
    decontam_ngram: int = 8
    base_model: str = defaults.BASE_MODEL

    def __post_init__(self) -> None:
        if self.decontaminate is not None:  # "~/bench.jsonl" from a CLI or dialog: expanded once, here
            object.__setattr__(self, "decontaminate", Path(self.decontaminate).expanduser())


def validate(options: ExportOptions) -> None:
    """Raise ExportError with a sentence naming the first bad setting."""
    sel, sp = options.selection, options.splits
    statuses = {s.value for s in RecordStatus}
    kinds = {k.value for k in RecordKind}
    if not sel.statuses:
        raise ExportError(tr("Choose at least one record status to export (e.g. accepted)."))
    for status in sel.statuses:
        if status not in statuses:
            raise ExportError(tr("“{status}” is not a record status; use {choices}.").format(
                status=status, choices=", ".join(sorted(statuses))))
    for kind in sel.kinds:
        if kind not in kinds:
            raise ExportError(tr("“{kind}” is not a record kind; use {choices}.").format(
                kind=kind, choices=", ".join(sorted(kinds))))
    for sentence, value in ((N_("The validation fraction must be between 0 and 1 (got {value})."), sp.validation),
                            (N_("The test fraction must be between 0 and 1 (got {value})."), sp.test)):
        if not 0.0 <= value < 1.0:
            raise ExportError(tr(sentence).format(value=value))
    if sp.validation + sp.test >= 1.0:
        raise ExportError(tr("The validation and test fractions together must leave records for training (sum < 1)."))
    if sp.unit not in UNITS:
        raise ExportError(tr("The split unit must be “document” or “page”, not “{unit}”.").format(unit=sp.unit))
    if not options.formats:
        raise ExportError(tr("Choose at least one format: {formats}.").format(formats=", ".join(FORMATS)))
    for fmt in options.formats:
        if fmt not in FORMATS:
            raise ExportError(tr("“{format}” is not an export format; use {formats}.").format(
                format=fmt, formats=", ".join(FORMATS)))
    if not _NAME.match(options.name):
        raise ExportError(tr("The dataset name may hold only letters, digits, “_”, “-” and “.”, starting with a letter "
                             "or digit."))
    if options.max_pixels is not None and options.max_pixels < 28 * 28:
        raise ExportError(tr("The pixel cap must be at least 784 (28×28) pixels, or none."))
    if options.dedup_threshold is not None and not 0.0 < options.dedup_threshold <= 1.0:
        raise ExportError(tr("The duplicate threshold must be above 0 and at most 1."))
    if options.decontam_ngram < 2:
        raise ExportError(tr("The decontamination n-gram length must be 2 or more."))
