"""Near-duplicates across splits, found with the quality module's MinHash.

Per record only its LSH band keys are kept (a compact uint64 array), so memory grows
by a few hundred bytes per record. Records sharing a band key in different splits are
confirmed by the exact Jaccard similarity of their shingle sets (texts fetched again
for the candidates only); of a confirmed pair the copy in the less important split is
dropped (test is kept over validation, validation over train).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.errors import CancelledError
from engine.quality.dedup import DedupConfig, bands_for, jaccard, shingles, signature

_MIX = np.array([((0x9E3779B97F4A7C15 * (i + 1)) & (2**64 - 1)) | 1 for i in range(128)], dtype=np.uint64)


def dedup_text(question: str, answer: str) -> str:
    return f"{question}\n{answer}"


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
            sig = signature(s, self.config.num_perm, self.config.seed)[: self.bands * self.rows]
            with np.errstate(over="ignore"):
                keys = (sig.reshape(self.bands, self.rows) * _MIX[: self.rows]).sum(axis=1, dtype=np.uint64) | 1
        self._pending.append(keys)
        if len(self._pending) >= 1024:
            self._blocks.append(np.stack(self._pending))
            self._pending = []

    def keys(self) -> np.ndarray:
        blocks = self._blocks + ([np.stack(self._pending)] if self._pending else [])
        if not blocks:
            return np.zeros((0, self.bands), dtype=np.uint64)
        return np.vstack(blocks)


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
    pairs: set[tuple[int, int]] = set()
    live = np.flatnonzero(active)
    for band in range(keys.shape[1] if n else 0):
        if cancel():
            raise CancelledError("Export cancelled while looking for duplicates.")
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
            for i in members:
                for j in members:
                    if split_rank[i] < split_rank[j]:
                        pairs.add((int(i), int(j)))
    if not pairs:
        return drop
    texts = text_of(sorted({p for pair in pairs for p in pair}))
    sets = {p: shingles(t, config.cjk_ngram, config.word_ngram) for p, t in texts.items()}
    for low, high in sorted(pairs):
        if jaccard(sets[low], sets[high]) >= threshold:
            drop[low] = True
    return drop
