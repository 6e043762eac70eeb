"""The export plan: which records go where, computed without writing a file.

One streamed pass over the selected records keeps only compact per-record arrays
(ids, codes, LSH band keys); splits, duplicate removal, decontamination and the
counts are computed from them. Records whose figure crop equals a test crop are
found only while writing (crops are hashed when they are written); the writer then
recounts the plan from the records it wrote.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields
from operator import attrgetter

import numpy as np

from engine.errors import CancelledError
from engine.export import decontam
from engine.export.conversations import is_turn, mcq_letter
from engine.export.crossdup import BandIndex, cross_split_drops
from engine.export.options import ExportOptions, validate
from engine.export.splits import PRIORITY, SOURCELESS, SPLITS, Assignment, Split, assign_splits, unit_key
from engine.i18n import N_, ntr, tr
from engine.mcq import options_fit
from engine.quality.dedup import dedup_text
from engine.store.export_queries import count_selected, iter_selected, record_texts
from engine.store.models import RecordKind
from engine.store.project import Project

ExportProgress = Callable[[str, int, int], None]  # (stage, done, total): "select" while reading records, then "write"
# Translators: the stages of an export, shown beside its progress bars: reading the records, combining several
# projects, rendering the figure crops, writing the files
STAGES = {"select": N_("select"), "combine": N_("combine"), "images": N_("images"), "write": N_("write")}


def stage_name(stage: str) -> str:
    """An ExportProgress stage in the current language (the stage itself is what code matches on)."""
    return tr(STAGES[stage]) if stage in STAGES else stage


@dataclass(frozen=True)
class ExportPlan:
    counts: dict[tuple[str, str, Split], int]  # (kind, language, split) -> records
    records: int
    conversations: int  # items after regrouping multi-turn QA
    images: int  # distinct figure crops to write
    documents: dict[Split, int]  # split -> number of units (documents or pages)
    dropped_duplicates: int
    dropped_contaminated: int
    warnings: tuple[str, ...]
    dropped_image_leaks: int = 0  # train/validation records whose crop is also a test crop (found while writing)
    test_file_sha256: str | None = None  # of the decontamination file, as read

    def split_records(self) -> dict[Split, int]:
        out = dict.fromkeys(SPLITS, 0)
        for (_, _, split), n in self.counts.items():
            out[split] += n
        return out


@dataclass(frozen=True)
class Prepared:
    """The plan plus what the writer needs: the kept record ids (sorted), their split
    (index into SPLITS), whether each continues the conversation before it, each one's
    figure (0 for none) and the figures whose crops are written."""

    plan: ExportPlan
    ids: np.ndarray
    split_codes: np.ndarray
    continues: np.ndarray
    record_figures: np.ndarray
    figure_ids: np.ndarray

    def lookup(self, record_id: int) -> int | None:
        pos = int(np.searchsorted(self.ids, record_id))
        return pos if pos < len(self.ids) and self.ids[pos] == record_id else None


@dataclass(frozen=True, slots=True)
class _Item:
    """What the plan keeps of one selected record; strings are interned as small codes (_Codes)."""

    record_id: int
    figure_id: int       # 0: none
    unit: int            # index of its split unit (document or page)
    kind: int
    language: int
    prompt: int          # prompt template version
    model: int
    turn: bool           # a QA turn that may continue the conversation before it
    contaminated: bool   # its text overlaps the decontamination file (False without one)


class _Items:
    """_Items stored column-wise, one compact array per field: a few dozen bytes per record."""

    _TYPECODES = {"record_id": "q", "figure_id": "q", "unit": "q", "kind": "b", "language": "h", "prompt": "h",
                  "model": "h", "turn": "b", "contaminated": "b"}

    def __init__(self) -> None:
        assert set(self._TYPECODES) == {f.name for f in fields(_Item)}
        self._columns = {name: array(code) for name, code in self._TYPECODES.items()}
        self._values_of = attrgetter(*self._columns)  # item -> its values, in column order

    def append(self, item: _Item) -> None:
        for column, value in zip(self._columns.values(), self._values_of(item)):
            column.append(value)

    def __len__(self) -> int:
        return len(self._columns["record_id"])

    def column(self, name: str) -> np.ndarray:
        """One field of every item, in selection order (int64, or bool for flags)."""
        values = np.asarray(self._columns[name], dtype=np.int64)
        return values.astype(bool) if name in ("turn", "contaminated") else values


class _Codes(dict):
    """Interns strings as small ints."""

    def code(self, value: str) -> int:
        return self.setdefault(value, len(self))

    def names(self) -> list[str]:
        return sorted(self, key=self.__getitem__)


@dataclass
class _Selected:
    """What one streamed pass over the selection keeps."""

    items: _Items
    units: dict[str, int]      # unit key -> index, in order of first appearance
    unit_records: list[int]    # records per unit
    kinds: _Codes
    languages: _Codes
    prompts: _Codes
    models: _Codes
    bad_options: int = 0       # MCQs left out: fewer than 2 or more than 5 options
    bad_letters: int = 0       # MCQs left out: no correct letter naming an option

    def unit_of(self, key: str) -> int:
        u = self.units.setdefault(key, len(self.units))
        if u == len(self.unit_records):
            self.unit_records.append(0)
        self.unit_records[u] += 1
        return u


def _check(cancel: Callable[[], bool]) -> None:
    if cancel():
        raise CancelledError(tr("Export cancelled; nothing was written."))


def _select(project: Project, options: ExportOptions, test_file: decontam.TestGrams | None,
            bands: BandIndex | None, progress: ExportProgress | None, cancel: Callable[[], bool]) -> _Selected:
    """Stream the selected records once: their items, units and codes; band keys go into `bands`."""
    sel, unit, n_gram = options.selection, options.splits.unit, options.decontam_ngram
    out = _Selected(_Items(), {}, [], _Codes(), _Codes(), _Codes(), _Codes())
    total = count_selected(project, sel)
    done = 0
    for chunk in iter_selected(project, sel):
        _check(cancel)
        for row in chunk:
            rec = row.record
            if rec.kind == RecordKind.MCQ and not options_fit(len(rec.options)):
                out.bad_options += 1
                continue
            if rec.kind == RecordKind.MCQ and mcq_letter(rec) is None:
                out.bad_letters += 1
                continue
            text = dedup_text(rec.question, rec.options, rec.answer)
            out.items.append(_Item(
                record_id=rec.id, figure_id=rec.figure_id or 0,
                unit=out.unit_of(unit_key(unit, row.doc_sha256, row.page, rec.id)),
                kind=out.kinds.code(str(rec.kind)), language=out.languages.code(rec.language),
                prompt=out.prompts.code(rec.prompt_version), model=out.models.code(rec.model),
                turn=is_turn(rec),
                contaminated=test_file is not None and decontam.contaminated(text, test_file.grams, n_gram),
            ))
            if bands is not None:
                bands.add(text)
        done += len(chunk)
        if progress:
            progress("select", done, total)
    return out


def _texts_at(project: Project, ids: np.ndarray) -> Callable[[list[int]], dict[int, str]]:
    """positions (into `ids`) -> the texts duplicates are compared by."""
    def text_of(positions: list[int]) -> dict[int, str]:
        by_id = {int(ids[p]): p for p in positions}
        return {by_id[rid]: dedup_text(q, opts, a) for rid, (q, opts, a) in record_texts(project, list(by_id)).items()}
    return text_of


def _continues(items: _Items, kept: np.ndarray) -> np.ndarray:
    """Per kept record: whether it continues the conversation of the kept record before it (QA turns
    about the same figure, from the same prompt, language and model)."""
    cont = np.zeros(len(kept), dtype=bool)
    if len(kept) > 1:
        same = items.column("turn")[kept]
        same = same[1:] & same[:-1]
        for name in ("figure_id", "prompt", "language", "model"):
            col = items.column(name)[kept]
            same &= col[1:] == col[:-1]
        cont[1:] = same
    return cont


def _counts(selected: _Selected, kept: np.ndarray, split_codes: np.ndarray) -> dict[tuple[str, str, Split], int]:
    """(kind, language, split) -> kept records."""
    counts: Counter = Counter()
    if len(kept):
        kind_names, lang_names = selected.kinds.names(), selected.languages.names()
        combos, numbers = np.unique(
            np.stack([selected.items.column("kind")[kept], selected.items.column("language")[kept],
                      split_codes.astype(np.int64)]), axis=1, return_counts=True)
        for (k, lang, s), n in zip(combos.T, numbers):
            counts[(kind_names[k], lang_names[lang], SPLITS[s])] = int(n)
    return dict(sorted(counts.items()))


def _documents(unit_names: list[str], unit_rank: np.ndarray, kept_units: np.ndarray) -> dict[Split, int]:
    """split -> units (documents or pages) with at least one kept record; sourceless records not counted."""
    documents = dict.fromkeys(SPLITS, 0)
    for u in np.unique(kept_units):
        if not unit_names[u].startswith(SOURCELESS):
            documents[SPLITS[unit_rank[u]]] += 1
    return documents


def _warnings(assignment: Assignment, selected: _Selected, kept: int) -> tuple[str, ...]:
    warnings = list(assignment.warnings)
    if selected.bad_options:
        n = selected.bad_options
        warnings.append(ntr("{n} multiple-choice record with fewer than 2 or more than 5 options were left out; fix "
                            "them in the review.",
                            "{n} multiple-choice records with fewer than 2 or more than 5 options were left out; fix "
                            "them in the review.", n).format(n=n))
    if selected.bad_letters:
        n = selected.bad_letters
        warnings.append(ntr("{n} multiple-choice record without a correct letter that names an option were left out; "
                            "fix them in the review.",
                            "{n} multiple-choice records without a correct letter that names an option were left "
                            "out; fix them in the review.", n).format(n=n))
    if not kept:
        warnings.append(tr("No record matches the selection; widen the filters (status, kind, language, score, "
                           "documents)."))
    return tuple(warnings)


def prepare(project: Project, options: ExportOptions, *, progress: ExportProgress | None = None,
            cancel: Callable[[], bool] = lambda: False) -> Prepared:
    """The plan for already validated options (run it inside project.read_snapshot())."""
    test_file = decontam.load_test_ngrams(options.decontaminate, options.decontam_ngram) if options.decontaminate else None
    bands = BandIndex(options.dedup_threshold) if options.dedup_threshold is not None else None
    selected = _select(project, options, test_file, bands, progress, cancel)
    items = selected.items

    unit_names = list(selected.units)
    assignment = assign_splits(dict(zip(unit_names, selected.unit_records)), options.splits)
    unit_rank = np.array([PRIORITY[assignment.split_of[k]] for k in unit_names], dtype=np.int8)
    ids, units = items.column("record_id"), items.column("unit")
    rank = unit_rank[units] if len(units) else np.zeros(0, dtype=np.int8)
    active = np.ones(len(ids), dtype=bool)

    dropped_contaminated = 0
    if test_file is not None:
        hit = items.column("contaminated") & (rank < PRIORITY[Split.TEST])
        dropped_contaminated = int(hit.sum())
        active &= ~hit
    dropped_duplicates = 0
    if bands is not None and len(ids):
        drop = cross_split_drops(bands.keys(), rank, active, _texts_at(project, ids), bands.config.threshold,
                                 bands.config, cancel)
        dropped_duplicates = int(drop.sum())
        active &= ~drop

    kept = np.flatnonzero(active)
    figures, split_codes = items.column("figure_id")[kept], rank[kept]
    cont = _continues(items, kept)
    figure_ids = np.unique(figures[figures > 0])
    plan = ExportPlan(
        counts=_counts(selected, kept, split_codes), records=len(kept), conversations=int(len(kept) - cont.sum()),
        images=len(figure_ids), documents=_documents(unit_names, unit_rank, units[kept]),
        dropped_duplicates=dropped_duplicates, dropped_contaminated=dropped_contaminated,
        warnings=_warnings(assignment, selected, len(kept)),
        test_file_sha256=test_file.sha256 if test_file else None,
    )
    return Prepared(plan, ids[kept], split_codes, cont, figures, figure_ids)


def plan_export(project: Project, options: ExportOptions, *, cancel: Callable[[], bool] = lambda: False) -> ExportPlan:
    """What an export with these options would write (counts, drops, warnings); writes nothing.
    Train/validation records whose crop equals a test crop are found only while writing."""
    validate(options)
    with project.read_snapshot():
        return prepare(project, options, cancel=cancel).plan
