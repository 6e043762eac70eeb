"""Dataset export: LLaMA-Factory ShareGPT, JSONL, Parquet and an MCQ test set, split by document."""

from engine.export.errors import (
    DecontaminationFileError,
    ExportError,
    ExportExistsError,
    NothingToExportError,
)
from engine.export.options import ExportOptions, Selection, SplitSettings
from engine.export.plan import ExportPlan, plan_export
from engine.export.target import can_overwrite
from engine.export.writer import ExportResult, export_dataset

__all__ = [
    "DecontaminationFileError", "ExportError", "ExportExistsError", "ExportOptions", "ExportPlan", "ExportResult",
    "NothingToExportError", "Selection", "SplitSettings", "can_overwrite", "export_dataset", "plan_export",
]
