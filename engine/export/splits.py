"""Deterministic splits by unit (a document, or a page of one).

Each unit gets a seeded, stable position u in [0, 1) from a hash of its key (the
document's sha256, not its row id, so the same PDF lands in the same split in every
project). Units with u < test go to test, u < test + validation to validation, the
rest to train.

Adding a unit never moves another, with one exception: the fixup for an empty split.
When a split whose fraction is above 0 gets no unit by position (few units) and at least
two units could give one (for train: any unit of the other splits; for test and
validation: a train unit), the unit whose position lies nearest to that split's range
is moved there. Which unit that is, and whether the fixup runs at all, depends on every
unit present, so adding documents can undo or change such a move (the moved unit then
goes back to its own range). The plan warns whenever the fixup moved a unit, and when
the record fractions are far off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from engine.export.options import SplitSettings, SplitUnit
from engine.i18n import N_, ntr, tr


class Split(StrEnum):
    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


SPLITS = tuple(Split)
# Translators: the names of the dataset splits, in tables and sentences ("the {split} split")
SPLIT_NAMES = {Split.TRAIN: N_("train"), Split.VALIDATION: N_("validation"), Split.TEST: N_("test")}


def split_name(split: Split | str) -> str:
    """A split's name in the current language (its value is what files and code use)."""
    return tr(SPLIT_NAMES[Split(split)])
PRIORITY = {Split.TRAIN: 0, Split.VALIDATION: 1, Split.TEST: 2}  # which copy of a cross-split duplicate stays


SOURCELESS = "record:"  # prefix of the unit of a record without a source document


def unit_key(unit: SplitUnit, doc_sha256: str | None, page: int | None, record_id: int) -> str:
    if doc_sha256 is None:
        return f"{SOURCELESS}{record_id}"  # text-only record without a source: a unit of its own
    if unit == SplitUnit.PAGE and page is not None:
        return f"{doc_sha256}:{page}"
    return doc_sha256


def position(key: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@dataclass(frozen=True)
class Assignment:
    split_of: dict[str, Split]  # unit key -> split
    warnings: tuple[str, ...]
    moved: tuple[str, ...] = ()  # units the empty-split fixup moved away from their own range


def assign_splits(unit_records: Mapping[str, int], settings: SplitSettings) -> Assignment:
    """Split per unit key, given how many records each unit holds."""
    pos = {key: position(key, settings.seed) for key in unit_records}
    split_of: dict[str, Split] = {}
    for key, u in pos.items():
        if u < settings.test:
            split_of[key] = Split.TEST
        elif u < settings.test + settings.validation:
            split_of[key] = Split.VALIDATION
        else:
            split_of[key] = Split.TRAIN
    # A split without any document, where the fractions want one, takes the unit nearest to its
    # range: train first (from the evaluation splits), then test and validation (from train).
    sourced = [k for k in split_of if not k.startswith(SOURCELESS)]
    moved: list[str] = []
    notes: list[str] = []
    for split, edge in ((Split.TRAIN, 1.0), (Split.TEST, 0.0), (Split.VALIDATION, settings.test)):
        target = {Split.TRAIN: 1.0 - settings.test - settings.validation, Split.TEST: settings.test,
                  Split.VALIDATION: settings.validation}[split]
        if target <= 0 or any(split_of[k] == split for k in sourced):
            continue
        donors = [k for k in sourced if split_of[k] != split] if split == Split.TRAIN else \
            [k for k in sourced if split_of[k] == Split.TRAIN]
        if len(donors) < 2:
            continue
        chosen = min(donors, key=lambda k: abs(pos[k] - edge))
        if settings.unit == SplitUnit.PAGE:
            note = tr("The {split} split got no page by position, so one page was moved there from {source}; with "
                      "more pages it may move back.")
        else:
            note = tr("The {split} split got no document by position, so one document was moved there from {source}; "
                      "with more documents it may move back.")
        notes.append(note.format(split=split_name(split), source=split_name(split_of[chosen])))
        split_of[chosen] = split
        moved.append(chosen)
    warnings = notes + _warnings(unit_records, split_of, settings)
    return Assignment(split_of, tuple(warnings), tuple(moved))


def _warnings(unit_records: Mapping[str, int], split_of: Mapping[str, Split], settings: SplitSettings) -> list[str]:
    total = sum(unit_records.values())
    if not total:
        return []
    by_page = settings.unit == SplitUnit.PAGE
    units = sum(1 for k in unit_records if not k.startswith(SOURCELESS))
    out = []
    for split, target in ((Split.VALIDATION, settings.validation), (Split.TEST, settings.test)):
        if target <= 0:
            continue
        got = sum(n for k, n in unit_records.items() if split_of[k] == split)
        if not any(split_of[k] == split for k in unit_records if not k.startswith(SOURCELESS)):
            if by_page:
                sentence = ntr("Only {n} page to split: the {split} split has no page; add more records.",
                               "Only {n} pages to split: the {split} split has no page; add more records.", units)
            else:
                sentence = ntr("Only {n} document to split: the {split} split has no document; keep pages together "
                               "instead of documents.",
                               "Only {n} documents to split: the {split} split has no document; keep pages together "
                               "instead of documents.", units)
            out.append(sentence.format(n=units, split=split_name(split)))
        elif abs(got / total - target) > max(0.5 * target, 0.02):
            if by_page:
                sentence = ntr("The {split} split holds {got} of the records instead of {target}: {n} page of "
                               "different sizes cannot meet the fractions closely; more records get closer.",
                               "The {split} split holds {got} of the records instead of {target}: {n} pages of "
                               "different sizes cannot meet the fractions closely; more records get closer.", units)
            else:
                sentence = ntr("The {split} split holds {got} of the records instead of {target}: {n} document of "
                               "different sizes cannot meet the fractions closely; keeping pages together instead of "
                               "documents gets closer.",
                               "The {split} split holds {got} of the records instead of {target}: {n} documents of "
                               "different sizes cannot meet the fractions closely; keeping pages together instead of "
                               "documents gets closer.", units)
            out.append(sentence.format(split=split_name(split), got=f"{got / total:.0%}", target=f"{target:.0%}",
                                       n=units))
    return out
