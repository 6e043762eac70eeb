"""Merging overlapping boxes from several detectors."""

from __future__ import annotations

from collections.abc import Sequence

from engine.detect.base import Box


def non_max_suppression(boxes: Sequence[Box], iou: float = 0.5, containment: float = 0.9) -> list[Box]:
    """Keep the best-scoring box of every overlapping group.

    A box mostly inside a kept box (containment) is dropped too: two detectors often
    see one figure as a whole and as a part.
    """
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.score, reverse=True):
        if all(
            box.rect.iou(k.rect) < iou and box.rect.overlap_fraction(k.rect) < containment
            for k in kept
        ):
            kept.append(box)
    return sorted(kept, key=lambda b: (b.rect.y0, b.rect.x0))
