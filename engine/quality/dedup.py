"""Near-duplicate records: MinHash signatures, LSH banding, exact Jaccard to confirm.

Text (question, options, answer) is normalised (NFKC, lower case, punctuation dropped) and cut
into shingles that suit each script: character n-grams inside runs of CJK characters,
word n-grams inside runs of other words. Each record gets a seeded MinHash signature
(numpy, (a*h + b) mod 2**61-1 with 64-bit wrap-around, as datasketch does); records that share one
LSH band become candidates, and a candidate pair counts only when the exact Jaccard
similarity of the shingle sets reaches the threshold. So no pairs are missed above the
band's S-curve and none are reported below the threshold; the work grows with the
number of records, not its square. Exact duplicates are folded together first.

Groups are the connected components of confirmed pairs. In each group one record is
kept (the accepted one, else the highest score, else the oldest) and the others get the
flag "near_duplicate:<kept id>".
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.store.models import Record, RecordStatus
from engine.store.search import CJK_RANGES

FLAG = "near_duplicate"
_PRIME = np.uint64((1 << 61) - 1)
_RUN = re.compile(f"([{CJK_RANGES}]+)")
_WORD = re.compile(r"\w+")
# One odd multiplier per row of a band: a band's rows fold into one uint64 key.
_MIX = np.array([((0x9E3779B97F4A7C15 * (i + 1)) & (2**64 - 1)) | 1 for i in range(128)], dtype=np.uint64)


@dataclass(frozen=True)
class DedupConfig:
    threshold: float = 0.8  # Jaccard similarity of shingle sets
    cjk_ngram: int = 3  # characters per shingle in CJK text
    word_ngram: int = 2  # words per shingle in other text
    num_perm: int = 128
    seed: int = 1


def shingles(text: str, cjk_ngram: int = 3, word_ngram: int = 2) -> frozenset[str]:
    text = unicodedata.normalize("NFKC", text or "").lower()
    out: set[str] = set()
    for i, run in enumerate(_RUN.split(text)):
        if i % 2:  # a CJK run: character n-grams, punctuation already outside the run
            n = min(cjk_ngram, len(run))
            out.update(run[j : j + n] for j in range(len(run) - n + 1))
        else:
            words = _WORD.findall(run)
            if not words:
                continue
            n = min(word_ngram, len(words))
            out.update(" ".join(words[j : j + n]) for j in range(len(words) - n + 1))
    return frozenset(out)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    b = rng.integers(0, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    return a, b


def signature(shingle_set: Iterable[str], num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """The MinHash signature (num_perm uint64 values) of a non-empty shingle set."""
    hashes = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in shingle_set), dtype=np.uint64)
    a, b = _permutations(num_perm, seed)
    # a*h + b wraps around 2**64 before the modulo (as datasketch does): the wrap is what
    # mixes the bits; without it, small a would keep the order of the hashes in every row.
    values = (np.outer(hashes, a) + b) % _PRIME
    return values.min(axis=0)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One non-zero uint64 key per LSH band of a signature: records sharing a key are candidates.
    (0 is left free to mark a record without shingles.)"""
    block = sig[: bands * rows].reshape(bands, rows)
    with np.errstate(over="ignore"):
        return (block * _MIX[:rows]).sum(axis=1, dtype=np.uint64) | np.uint64(1)


@lru_cache(maxsize=32)
def bands_for(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for LSH, weighing missed pairs at the threshold far above extra candidates.

    Chosen so that a pair at the threshold becomes a candidate with probability >= 0.995
    while keeping the S-curve as steep as that allows."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if bands < 1:
            break
        p_hit = 1.0 - (1.0 - threshold**rows) ** bands
        if p_hit >= 0.995:
            best = (bands, rows)
    return best


def duplicate_groups(items: Sequence[tuple[int, str]], config: DedupConfig | None = None) -> list[list[int]]:
    """Groups (each sorted, two or more ids) of near-duplicate texts among (id, text) pairs."""
    config = config or DedupConfig()
    # Fold exact duplicates (same shingle set) into one representative.
    by_set: dict[frozenset[str], list[int]] = defaultdict(list)
    for item_id, text in items:
        s = shingles(text, config.cjk_ngram, config.word_ngram)
        if s:
            by_set[s].append(item_id)
    sets = list(by_set)
    parent = list(range(len(sets)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(sets) > 1:
        bands, rows = bands_for(config.threshold, config.num_perm)
        keys = np.stack([band_keys(signature(s, config.num_perm, config.seed), bands, rows) for s in sets])
        checked: set[tuple[int, int]] = set()
        for band in range(bands):
            buckets: dict[int, list[int]] = defaultdict(list)
            for i, key in enumerate(keys[:, band].tolist()):
                buckets[key].append(i)
            for members in buckets.values():
                for x in range(len(members)):
                    for y in range(x + 1, len(members)):
                        i, j = members[x], members[y]
                        if (i, j) in checked:
                            continue
                        checked.add((i, j))
                        ri, rj = find(i), find(j)
                        if ri != rj and jaccard(sets[i], sets[j]) >= config.threshold:
                            parent[ri] = rj
    components: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        components[find(i)].extend(by_set[s])
    return sorted((sorted(g) for g in components.values() if len(g) > 1), key=lambda g: g[0])


def dedup_text(question: str, options: Sequence, answer: str) -> str:
    """The text two records are compared by: question, options (MCQ) and answer."""
    return "\n".join([question or "", *(str(o) for o in options), answer or ""])


def record_text(rec: Record) -> str:
    return dedup_text(rec.question, rec.options, rec.answer)


def keeper(group: Sequence[Record]) -> Record:
    """The record a group keeps: accepted first, then the highest score, then the oldest."""
    return min(
        group,
        key=lambda r: (
            r.status != RecordStatus.ACCEPTED,
            -(r.score if r.score is not None else float("-inf")),
            r.created_at or "",
            r.id,
        ),
    )


def duplicate_flags(records: Sequence[Record], config: DedupConfig | None = None) -> dict[int, str]:
    """{record id: "near_duplicate:<kept id>"} for every record that is not its group's keeper.
    Rejected records take no part: they are neither kept nor flagged."""
    live = {r.id: r for r in records if r.status != RecordStatus.REJECTED}
    flags: dict[int, str] = {}
    for group in duplicate_groups([(r.id, record_text(r)) for r in live.values()], config):
        kept = keeper([live[i] for i in group])
        flags.update({i: f"{FLAG}:{kept.id}" for i in group if i != kept.id})
    return flags
