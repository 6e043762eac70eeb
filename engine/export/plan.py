"""The export plan: which records go where, computed without writing a file.

One streamed pass over the selected records keeps only compact per-record arrays
(ids, codes, LSH band keys); splits, duplicate removal, decontamination and the
counts are computed from them. Records whose figure crop equals a test crop are
found only while writing (crops are hashed when they are written); the writer then
recounts the plan from the records it wrote.
"""

from __future__ import annotations

import contextlib
import json
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from engine.errors import CancelledError
from engine.export import decontam
from engine.export.conversations import is_turn
from engine.export.crossdup import BandIndex, cross_split_drops
from engine.export.options import ExportOptions, validate
from engine.export.select import count_selected, iter_rows, mcq_letter
from engine.export.splits import PRIORITY, SOURCELESS, SPLITS, assign_splits, unit_key
from engine.mcq import options_fit
from engine.quality.dedup import dedup_text
from engine.store.models import RecordKind
from engine.store.project import Project

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ExportPlan:
    counts: dict[tuple[str, str, str], int]  # (kind, language, split) -> records
    records: int
    conversations: int  # items after regrouping multi-turn QA
    images: int  # distinct figure crops to write
    documents: dict[str, int]  # split -> number of units (documents or pages)
    dropped_duplicates: int
    dropped_contaminated: int
    warnings: tuple[str, ...]
    dropped_image_leaks: int = 0  # train/validation records whose crop is also a test crop (found while writing)
    test_file_sha256: str | None = None  # of the decontamination file, as read

    def split_records(self) -> dict[str, int]:
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


class _Codes(dict):
    """Interns strings as small ints."""

    def code(self, value: str) -> int:
        return self.setdefault(value, len(self))

    def names(self) -> list[str]:
        return sorted(self, key=self.__getitem__)


def _check(cancel: Callable[[], bool]) -> None:
    if cancel():
        raise CancelledError("Export cancelled; nothing was written.")


@contextlib.contextmanager
def read_snapshot(project: Project) -> Iterator[None]:
    """One read transaction around an export: every query sees the same database state, so an
    edit made meanwhile (the GUI, another process) cannot make the counts disagree with the files.
    Inside a transaction the caller already holds, that one is used."""
    conn = project.db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # nothing was written: ending the read is all this does


def prepare(project: Project, options: ExportOptions, *, progress: Progress | None = None,
            cancel: Callable[[], bool] = lambda: False) -> Prepared:
    """The plan for already validated options (run it inside read_snapshot)."""
    sel, settings = options.selection, options.splits
    n_gram = options.decontam_ngram
    test_file = decontam.load_test_ngrams(options.decontaminate, n_gram) if options.decontaminate else None
    test_grams = test_file.grams if test_file else None
    bands = BandIndex(options.dedup_threshold) if options.dedup_threshold is not None else None
    total = count_selected(project, sel)
    ids, figs, unit_of = array("q"), array("q"), array("q")
    kind_of, lang_of, prompt_of, model_of = array("b"), array("h"), array("h"), array("h")
    turn, dirty = array("b"), array("b")
    units: dict[str, int] = {}
    unit_counts: list[int] = []
    kinds, langs, prompts, models = _Codes(), _Codes(), _Codes(), _Codes()
    bad_mcq = bad_options = done = 0
    for chunk in iter_rows(project, sel):
        _check(cancel)
        for row in chunk:
            rec = row.record
            if rec.kind == RecordKind.MCQ and not options_fit(len(rec.options)):
                bad_options += 1
                continue
            if rec.kind == RecordKind.MCQ and mcq_letter(rec) is None:
                bad_mcq += 1
                continue
            key = unit_key(settings.unit, row.doc_sha256, row.page, rec.id)
            u = units.setdefault(key, len(units))
            if u == len(unit_counts):
                unit_counts.append(0)
            unit_counts[u] += 1
            ids.append(rec.id)
            figs.append(rec.figure_id or 0)
            unit_of.append(u)
            kind_of.append(kinds.code(str(rec.kind)))
            lang_of.append(langs.code(rec.language))
            prompt_of.append(prompts.code(rec.prompt_version))
            model_of.append(models.code(rec.model))
            turn.append(int(is_turn(rec)))
            text = dedup_text(rec.question, rec.options, rec.answer)
            if test_grams is not None:
                dirty.append(int(decontam.contaminated(text, test_grams, n_gram)))
            if bands is not None:
                bands.add(text)
        done += len(chunk)
        if progress:
            progress("select", done, total)

    unit_names = list(units)
    assignment = assign_splits(dict(zip(unit_names, unit_counts)), settings)
    unit_rank = np.array([PRIORITY[assignment.split_of[k]] for k in unit_names], dtype=np.int8)
    id_arr = np.frombuffer(ids, dtype=np.int64) if ids else np.zeros(0, dtype=np.int64)
    unit_arr = np.asarray(unit_of, dtype=np.int64)
    rank = unit_rank[unit_arr] if len(unit_arr) else np.zeros(0, dtype=np.int8)
    active = np.ones(len(id_arr), dtype=bool)

    dropped_contaminated = 0
    if test_grams is not None:
        hit = np.asarray(dirty, dtype=bool) & (rank < PRIORITY["test"])
        dropped_contaminated = int(hit.sum())
        active &= ~hit
    dropped_duplicates = 0
    if bands is not None and len(id_arr):
        def text_of(positions: list[int]) -> dict[int, str]:
            out = {}
            for start in range(0, len(positions), 500):
                part = positions[start:start + 500]
                by_id = {int(id_arr[p]): p for p in part}
                marks = ", ".join("?" for _ in part)
                for rid, q, opts, a in project.db.execute(
                        f"SELECT id, question, options, answer FROM records WHERE id IN ({marks})",
                        list(by_id)).fetchall():
                    out[by_id[rid]] = dedup_text(q, json.loads(opts), a)
            return out

        drop = cross_split_drops(bands.keys(), rank, active, text_of, options.dedup_threshold, bands.config, cancel)
        dropped_duplicates = int(drop.sum())
        active &= ~drop

    kept = np.flatnonzero(active)
    fig_arr = np.asarray(figs, dtype=np.int64)[kept]
    kind_arr = np.asarray(kind_of, dtype=np.int64)[kept]
    lang_arr = np.asarray(lang_of, dtype=np.int64)[kept]
    split_arr = rank[kept]
    cont = np.zeros(len(kept), dtype=bool)
    if len(kept) > 1:
        turn_arr = np.asarray(turn, dtype=bool)[kept]
        prompt_arr = np.asarray(prompt_of, dtype=np.int64)[kept]
        model_arr = np.asarray(model_of, dtype=np.int64)[kept]
        cont[1:] = (turn_arr[1:] & turn_arr[:-1] & (fig_arr[1:] == fig_arr[:-1])
                    & (prompt_arr[1:] == prompt_arr[:-1]) & (lang_arr[1:] == lang_arr[:-1])
                    & (model_arr[1:] == model_arr[:-1]))

    kind_names, lang_names = kinds.names(), langs.names()
    counts: Counter = Counter()
    if len(kept):
        combos, numbers = np.unique(np.stack([kind_arr, lang_arr, split_arr.astype(np.int64)]), axis=1,
                                    return_counts=True)
        for (k, lang, s), n in zip(combos.T, numbers):
            counts[(kind_names[k], lang_names[lang], SPLITS[s])] = int(n)
    documents = dict.fromkeys(SPLITS, 0)
    kept_units = np.unique(unit_arr[kept]) if len(kept) else np.zeros(0, dtype=np.int64)
    for u in kept_units:
        if not unit_names[u].startswith(SOURCELESS):
            documents[SPLITS[unit_rank[u]]] += 1

    warnings = list(assignment.warnings)
    if bad_options:
        warnings.append(f"{bad_options} multiple-choice record{'s' if bad_options != 1 else ''} with fewer than 2 "
                        "or more than 5 options were left out; fix them in the review.")
    if bad_mcq:
        warnings.append(f"{bad_mcq} multiple-choice record{'s' if bad_mcq != 1 else ''} without a correct letter "
                        "that names an option were left out; fix them in the review.")
    if not len(kept):
        warnings.append("No record matches the selection; widen the filters (status, kind, language, score, documents).")
    figure_ids = np.unique(fig_arr[fig_arr > 0])
    plan = ExportPlan(
        counts=dict(sorted(counts.items())), records=len(kept), conversations=int(len(kept) - cont.sum()),
        images=len(figure_ids), documents=documents, dropped_duplicates=dropped_duplicates,
        dropped_contaminated=dropped_contaminated, warnings=tuple(warnings),
        test_file_sha256=test_file.sha256 if test_file else None,
    )
    return Prepared(plan, id_arr[kept].copy(), split_arr.copy(), cont, fig_arr.copy(), figure_ids)


def plan_export(project: Project, options: ExportOptions, *, cancel: Callable[[], bool] = lambda: False) -> ExportPlan:
    """What an export with these options would write (counts, drops, warnings); writes nothing.
    Train/validation records whose crop equals a test crop are found only while writing."""
    validate(options)
    with read_snapshot(project):
        return prepare(project, options, cancel=cancel).plan
