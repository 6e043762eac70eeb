"""Near-duplicates across splits, found with the quality module's MinHash.

Per record only its LSH band keys are kept (a compact uint64 array), so memory grows
by a few hundred bytes per record. In each bucket of records sharing a band key, each
record is compared with the distinct texts of the more important splits present in the
bucket (test over validation over train), most important first, by the exact Jaccard
similarity of their shingle sets (texts fetched, once, for bucket members only); the first
match drops it. Records already dropped are skipped, and identical texts are compared once,
so a bucket of m copies of one text costs O(m), not O(m²).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.errors import CancelledError
from engine.i18n import tr
from engine.quality.dedup import DedupConfig, band_keys, bands_for, jaccard, shingles, signature


class BandIndex:
    """LSH band keys of every scanned record, appended chunk by chunk."""

    def __init__(self, threshold: float) -> None:
        self.config = DedupConfig(threshold=threshold)
        self.bands, self.rows = bands_for(threshold, self.config.num_perm)
        self._blocks: list[np.ndarray] = []  # (k, bands) arrays
        self._pending: list[np.ndarray] = []  # single rows not yet stacked

    def add(self, text: str) -> None:
        s = shingles(text, self.config.cjk_ngram, self.config.word_ngram)
        if not s:
            keys = np.zeros(self.bands, dtype=np.uint64)  # nothing to compare: key 0 is never a candidate
        else:
            keys = band_keys(signature(s, self.config.num_perm, self.config.seed), self.bands, self.rows)
        self._pending.append(keys)
        if len(self._pending) >= 1024:
            self._blocks.append(np.stack(self._pending))
            self._pending = []

    def keys(self) -> np.ndarray:
        blocks = self._blocks + ([np.stack(self._pending)] if self._pending else [])
        if not blocks:
            return np.zeros((0, self.bands), dtype=np.uint64)
        return np.vstack(blocks)


class _Shingles:
    """Shingle sets of bucket members, fetched from the database once per record."""

    def __init__(self, text_of: Callable[[list[int]], dict[int, str]], config: DedupConfig) -> None:
        self._text_of, self._config = text_of, config
        self._sets: dict[int, frozenset[str]] = {}
        self._verdicts: dict[tuple[frozenset[str], frozenset[str]], bool] = {}

    def load(self, positions: list[int]) -> None:
        missing = [p for p in positions if p not in self._sets]
        if missing:
            for p, text in self._text_of(missing).items():
                self._sets[p] = shingles(text, self._config.cjk_ngram, self._config.word_ngram)

    def __getitem__(self, position: int) -> frozenset[str]:
        return self._sets.get(position, frozenset())

    def similar(self, a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
        key = (a, b)
        if key not in self._verdicts:
            self._verdicts[key] = a == b or jaccard(a, b) >= threshold
        return self._verdicts[key]


def cross_split_drops(
    keys: np.ndarray,
    split_rank: np.ndarray,
    active: np.ndarray,
    text_of: Callable[[list[int]], dict[int, str]],
    threshold: float,
    config: DedupConfig,
    cancel: Callable[[], bool] = lambda: False,
) -> np.ndarray:
    """Boolean mask (per scanned record) of the records to drop.

    keys: (n, bands) band keys; split_rank: PRIORITY of each record's split; active: records
    still in the export; text_of: positions -> texts."""
    n = len(keys)
    drop = np.zeros(n, dtype=bool)
    sets = _Shingles(text_of, config)
    live = np.flatnonzero(active)
    for band in range(keys.shape[1] if n else 0):
        if cancel():
            raise CancelledError(tr("Export cancelled while looking for duplicates."))
        col = keys[live, band]
        order = np.argsort(col, kind="stable")
        sorted_keys = col[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], len(sorted_keys)]
        for a, b in zip(starts, ends):
            if b - a < 2 or sorted_keys[a] == 0:
                continue
            members = live[order[a:b]]
            ranks = split_rank[members]
            if ranks.min() == ranks.max():
                continue
            _drop_in_bucket(members[~drop[members]], split_rank, drop, sets, threshold)
    return drop


def _drop_in_bucket(members: np.ndarray, split_rank: np.ndarray, drop: np.ndarray, sets: _Shingles,
                    threshold: float) -> None:
    """Drop each member that matches a kept member of a more important split in the bucket."""
    members = members[np.argsort(-split_rank[members], kind="stable")]  # most important split first
    sets.load([int(m) for m in members])
    kept: dict[int, dict[frozenset[str], None]] = {}  # rank -> distinct kept texts of that split
    for m in members:
        rank, mine = int(split_rank[m]), sets[int(m)]
        higher = [s for r, texts in kept.items() if r > rank for s in texts]
        if any(sets.similar(mine, other, threshold) for other in higher):
            drop[m] = True
        else:
            kept.setdefault(rank, {})[mine] = None
