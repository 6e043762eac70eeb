"""Scoring detector boxes against generated ground truth (greedy IoU matching)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.geometry import Rect


@dataclass
class Match:
    truth: int  # number of true figures
    found: int  # number of boxes
    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # (truth i, box j, iou)
    min_iou: float = 0.85

    @property
    def hits(self) -> int:
        return sum(1 for _, _, iou in self.pairs if iou >= self.min_iou)

    @property
    def recall(self) -> float:
        return self.hits / self.truth if self.truth else 1.0

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else 1.0

    def __add__(self, other: Match) -> Match:
        shift_t, shift_f = self.truth, self.found
        pairs = self.pairs + [(i + shift_t, j + shift_f, v) for i, j, v in other.pairs]
        return Match(self.truth + other.truth, self.found + other.found, pairs, self.min_iou)


def match(truth: Sequence[Rect], found: Sequence[Rect], min_iou: float = 0.85) -> Match:
    """Pair each true rect with at most one box, best IoU first."""
    candidates = sorted(
        ((t.iou(f), i, j) for i, t in enumerate(truth) for j, f in enumerate(found)),
        reverse=True,
    )
    used_t: set[int] = set()
    used_f: set[int] = set()
    pairs = []
    for iou, i, j in candidates:
        if iou <= 0 or i in used_t or j in used_f:
            continue
        used_t.add(i)
        used_f.add(j)
        pairs.append((i, j, iou))
    return Match(len(truth), len(found), sorted(pairs), min_iou)
