"""Axis-aligned rectangles in PDF points (x grows right, y grows down)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def normalized(cls, x0: float, y0: float, x1: float, y1: float) -> Rect:
        """A rect whose corners may come in any order (reversed boxes are fixed)."""
        return cls(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    @classmethod
    def union_of(cls, rects: Iterable[Rect]) -> Rect:
        rs = list(rects)
        return cls(min(r.x0 for r in rs), min(r.y0 for r in rs), max(r.x1 for r in rs), max(r.y1 for r in rs))

    @property
    def width(self) -> float:
        return max(0.0, self.x1 - self.x0)

    @property
    def height(self) -> float:
        return max(0.0, self.y1 - self.y0)

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    @property
    def is_empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def intersect(self, other: Rect) -> Rect:
        return Rect(max(self.x0, other.x0), max(self.y0, other.y0), min(self.x1, other.x1), min(self.y1, other.y1))

    def union(self, other: Rect) -> Rect:
        return Rect(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def clip(self, bounds: Rect) -> Rect:
        r = self.intersect(bounds)
        return r if not r.is_empty else Rect(r.x0, r.y0, r.x0, r.y0)

    def iou(self, other: Rect) -> float:
        inter = self.intersect(other).area
        if inter <= 0:
            return 0.0
        return inter / (self.area + other.area - inter)

    def overlap_fraction(self, other: Rect) -> float:
        """How much of self lies inside other (0..1)."""
        return self.intersect(other).area / self.area if self.area > 0 else 0.0

    def contains_point(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    def scaled(self, sx: float, sy: float | None = None) -> Rect:
        sy = sx if sy is None else sy
        return Rect(self.x0 * sx, self.y0 * sy, self.x1 * sx, self.y1 * sy)

    def moved(self, dx: float, dy: float) -> Rect:
        return Rect(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)

    def expanded(self, d: float) -> Rect:
        return Rect(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)

    def h_overlap(self, other: Rect) -> float:
        return max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))

    def v_overlap(self, other: Rect) -> float:
        return max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)
