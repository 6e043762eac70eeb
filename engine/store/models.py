"""Plain data that goes in and out of the store. Geometry is in PDF points."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from engine.geometry import Rect


class FigureStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RecordStatus(StrEnum):
    DRAFT = "draft"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RecordKind(StrEnum):
    QA = "qa"
    VQA = "vqa"
    MCQ = "mcq"


@dataclass(frozen=True)
class Document:
    id: int
    sha256: str
    title: str
    file: str  # relative to the project folder: sources/<sha256>.pdf
    original_path: str
    page_count: int
    file_size: int
    was_encrypted: bool
    was_repaired: bool
    imported_at: str


@dataclass(frozen=True)
class Page:
    doc_id: int
    index: int
    width: float
    height: float
    rotation: int
    has_text: bool
    image_only: bool
    reviewed: bool
    corrected: bool  # a person changed its figures: detection never overwrites it unless asked
    detected_by: str
    text: str = ""


@dataclass(frozen=True)
class FigureText:
    caption: str = ""
    context: str = ""
    burned_text: str = ""
    section: str = ""
    sublabel: str = ""


@dataclass(frozen=True)
class NewFigure:
    doc_id: int
    page: int
    rect: Rect
    label: str = "figure"
    detector: str = "manual"
    score: float = 1.0
    status: FigureStatus = FigureStatus.PROPOSED
    text: FigureText = field(default_factory=FigureText)
    image_xref: int = 0
    redactions: tuple[Rect, ...] = ()


@dataclass(frozen=True)
class Figure:
    id: int
    doc_id: int
    page: int
    rect: Rect
    label: str
    detector: str
    score: float
    status: FigureStatus
    text: FigureText
    image_xref: int
    redactions: tuple[Rect, ...]
    created_at: str
    updated_at: str
    uid: str = ""  # stable through a hand-out and a merge (engine.store.merge): the figure's identity across projects


@dataclass(frozen=True)
class NewRecord:
    kind: RecordKind
    question: str
    answer: str
    figure_id: int | None = None
    doc_id: int | None = None
    page: int | None = None
    reasoning: bool = False
    language: str = "en"
    thinking: str = ""
    options: tuple[str, ...] = ()
    correct: str = ""
    status: RecordStatus = RecordStatus.DRAFT
    score: float | None = None
    synthesizer: str = ""
    model: str = ""
    prompt_version: str = ""
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Record(NewRecord):
    id: int = 0
    created_at: str = ""
    edited_at: str = ""


SearchEntity = Literal["figure", "record"]  # what the search index holds entries about


@dataclass(frozen=True)
class SearchHit:
    kind: SearchEntity
    id: int
    snippet: str
    rank: float


@dataclass(frozen=True)
class ProjectInfo:
    path: str
    schema_version: int
    documents: int
    pages: int
    pages_reviewed: int
    figures: int
    figures_by_status: dict[str, int]
    records: int
