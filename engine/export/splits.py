"""Deterministic splits by unit (a document, or a page of one).

Each unit gets a seeded, stable position u in [0, 1) from a hash of its key (the
document's sha256, not its row id, so the same PDF lands in the same split in every
project). Units with u < test go to test, u < test + validation to validation, the
rest to train: adding a document never moves an existing one. When a split that
should hold documents gets none (few units), the unit nearest to its range moves
there, and the plan warns when the record fractions are far off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from engine.export.options import SplitSettings

SPLITS = ("train", "validation", "test")
PRIORITY = {"train": 0, "validation": 1, "test": 2}  # which copy of a cross-split duplicate stays


SOURCELESS = "record:"  # prefix of the unit of a record without a source document


def unit_key(unit: str, doc_sha256: str | None, page: int | None, record_id: int) -> str:
    if doc_sha256 is None:
        return f"{SOURCELESS}{record_id}"  # text-only record without a source: a unit of its own
    if unit == "page" and page is not None:
        return f"{doc_sha256}:{page}"
    return doc_sha256


def position(key: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@dataclass(frozen=True)
class Assignment:
    split_of: dict[str, str]  # unit key -> split
    warnings: tuple[str, ...]


def assign_splits(unit_records: Mapping[str, int], settings: SplitSettings) -> Assignment:
    """Split per unit key, given how many records each unit holds."""
    pos = {key: position(key, settings.seed) for key in unit_records}
    split_of: dict[str, str] = {}
    for key, u in pos.items():
        if u < settings.test:
            split_of[key] = "test"
        elif u < settings.test + settings.validation:
            split_of[key] = "validation"
        else:
            split_of[key] = "train"
    # A split without any document, where the fractions want one, takes the unit nearest to its
    # range: train first (from the evaluation splits), then test and validation (from train).
    sourced = [k for k in split_of if not k.startswith(SOURCELESS)]
    for split, edge in (("train", 1.0), ("test", 0.0), ("validation", settings.test)):
        target = {"train": 1.0 - settings.test - settings.validation, "test": settings.test,
                  "validation": settings.validation}[split]
        if target <= 0 or any(split_of[k] == split for k in sourced):
            continue
        donors = [k for k in sourced if split_of[k] != split] if split == "train" else \
            [k for k in sourced if split_of[k] == "train"]
        if len(donors) < 2:
            continue
        split_of[min(donors, key=lambda k: abs(pos[k] - edge))] = split
    return Assignment(split_of, tuple(_warnings(unit_records, split_of, settings)))


def _warnings(unit_records: Mapping[str, int], split_of: Mapping[str, str], settings: SplitSettings) -> list[str]:
    total = sum(unit_records.values())
    if not total:
        return []
    noun = "page" if settings.unit == "page" else "document"
    units = sum(1 for k in unit_records if not k.startswith(SOURCELESS))
    out = []
    for split, target in (("validation", settings.validation), ("test", settings.test)):
        if target <= 0:
            continue
        got = sum(n for k, n in unit_records.items() if split_of[k] == split)
        if not any(split_of[k] == split for k in unit_records if not k.startswith(SOURCELESS)):
            hint = " keep pages together instead of documents" if settings.unit == "document" else " add more records"
            out.append(f"Only {units} {noun}{'s' if units != 1 else ''} to split: the {split} split has no {noun};{hint}.")
        elif abs(got / total - target) > max(0.5 * target, 0.02):
            out.append(f"The {split} split holds {got / total:.0%} of the records instead of {target:.0%}: "
                       f"{units} {noun}{'s' if units != 1 else ''} of different sizes cannot meet the fractions "
                       "closely; keeping pages together instead of documents gets closer.")
    return out
