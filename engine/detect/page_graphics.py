"""Pictures and vector paths of a born-digital page, as Items in unrotated page space."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pymupdf

from engine.detect.embedded import EmbeddedDetector
from engine.detect.page_items import Item, Kind
from engine.geometry import Rect


def pictures(page: pymupdf.Page) -> list[Item]:
    """Every visible image placement (EmbeddedDetector.placements, whatever its size)."""
    placed = EmbeddedDetector(min_side_pt=0.0, min_area_frac=0.0).placements(page, hash_images=False)
    return [Item(r, Kind.PICTURE, extra=extra) for r, extra in placed]


def paths(page: pymupdf.Page, bounds: Rect) -> list[Item]:
    """Visible vector paths: not white paint, not page borders or backgrounds, not dots."""
    out = []
    for p in page.get_cdrawings():  # plain tuples: faster than get_drawings
        r = p["rect"]
        if r[2] - r[0] < 0.2 and r[3] - r[1] < 0.2:
            continue
        fill, stroke = p.get("fill"), p.get("color")
        if stroke is None and (fill is None or min(fill) >= 0.98):
            continue  # invisible, or white paint on white paper
        rect = Rect.normalized(*r)
        if rect.width >= 0.9 * bounds.width and rect.height >= 0.9 * bounds.height:
            continue  # a page border or background
        items = p["items"]
        extra = {"drawing": p} if any(it[0] == "c" for it in items) else {}
        if stroke is not None and (p.get("width") or 0) > 0.6:
            rect = rect.expanded(0.5 * float(p["width"]))
        extra["frame"] = min(rect.width, rect.height) >= 12 and _is_box(items)
        out.append(Item(rect, Kind.PATH, extra=extra))
    return out


def _is_box(items: Sequence) -> bool:
    """A rectangle outline or a filled rectangle (a frame that can hold things), possibly rounded."""
    if len(items) == 1:
        kind = items[0][0]
        if kind == "re":
            return True
        if kind == "qu":
            (ax, ay), (bx, by), (cx, cy), _ = items[0][1]
            return (abs(ay - by) < 0.5 and abs(ax - cx) < 0.5) or (abs(ax - bx) < 0.5 and abs(ay - cy) < 0.5)
        return False
    if len(items) not in (4, 8):
        return False
    lines = [it for it in items if it[0] == "l"]
    return len(lines) == 4 and all(abs(a[0] - b[0]) < 0.5 or abs(a[1] - b[1]) < 0.5 for _, a, b in lines)


def exact_rect(item: Item) -> Rect:
    """A path's box without the Bezier control points that stick out of its curves."""
    p = item.extra.get("drawing")
    if p is None:
        return item.rect
    xs: list[float] = []
    ys: list[float] = []
    for it in p["items"]:
        kind = it[0]
        if kind == "c":
            a, b, c, d = it[1], it[2], it[3], it[4]
            for axis, out in ((0, xs), (1, ys)):
                for t in _bezier_extrema(a[axis], b[axis], c[axis], d[axis]):
                    u = 1 - t
                    out.append(u * u * u * a[axis] + 3 * u * u * t * b[axis] + 3 * u * t * t * c[axis] + t * t * t * d[axis])
            xs += [a[0], d[0]]
            ys += [a[1], d[1]]
        elif kind == "l":
            xs += [it[1][0], it[2][0]]
            ys += [it[1][1], it[2][1]]
        elif kind == "re":
            xs += [it[1][0], it[1][2]]
            ys += [it[1][1], it[1][3]]
        elif kind == "qu":
            xs += [q[0] for q in it[1]]
            ys += [q[1] for q in it[1]]
    if not xs:
        return item.rect
    half = 0.5 * float(p.get("width") or 0) if p.get("color") is not None else 0.0
    r = Rect(min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half)
    tight = r.intersect(item.rect)
    return item.rect if tight.is_empty else tight


def _bezier_extrema(p0: float, p1: float, p2: float, p3: float) -> list[float]:
    """Parameters in (0, 1) where one coordinate of a cubic Bezier turns."""
    a = -p0 + 3 * p1 - 3 * p2 + p3
    b = 2 * (p0 - 2 * p1 + p2)
    c = p1 - p0
    if abs(a) < 1e-9:
        return [-c / b] if abs(b) > 1e-9 and 0 < -c / b < 1 else []
    disc = b * b - 4 * a * c
    if disc < 0:
        return []
    s = disc ** 0.5
    return [t for t in ((-b + s) / (2 * a), (-b - s) / (2 * a)) if 0 < t < 1]


def holders_of(rects: Sequence[Rect], holders: Sequence[Item]) -> list[Item | None]:
    """For each rect, the smallest of `holders` it lies in (60% of it at least), or None."""
    if not rects or not holders:
        return [None] * len(rects)
    a = np.array([r.as_tuple() for r in rects], np.float64)[:, None, :]
    h = np.array([g.rect.as_tuple() for g in holders], np.float64)[None, :, :]
    iw = np.clip(np.minimum(a[..., 2], h[..., 2]) - np.maximum(a[..., 0], h[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], h[..., 3]) - np.maximum(a[..., 1], h[..., 1]), 0, None)
    own = np.maximum((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]), 1e-9)
    inside = iw * ih >= 0.6 * own
    area = np.where(inside, (h[..., 2] - h[..., 0]) * (h[..., 3] - h[..., 1]), np.inf)
    best = area.argmin(axis=1)
    return [holders[int(k)] if inside[i, k] else None for i, k in enumerate(best)]
