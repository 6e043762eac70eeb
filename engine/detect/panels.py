"""A figure's sub-labelled panels: (a)/(b)/(c) or A/B/C.

The figure's items are cut along the widest straight gaps between them (an XY cut), and only
along gaps that leave sub-labels on both sides, until every part holds exactly one sub-label.
A figure whose labels cannot be separated that way (or that has fewer than two distinct
ones) has no panels. A panel's box holds its pictures, drawings and text; its sub-label is
left out when it sits outside them (under the panel, say) and kept when it sits on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.detect.figure_regions import region_rect
from engine.detect.page_items import SUBLABEL, Item, Kind
from engine.geometry import Rect


@dataclass(frozen=True)
class Panel:
    rect: Rect
    sublabel: str


def sublabel_of(item: Item) -> str:
    """"a" for the line "(a)", "a" or "(a) Long axis"; "" for anything else."""
    if item.kind != Kind.TEXT:
        return ""
    m = SUBLABEL.match(item.text.strip())
    return (m.group("lab") or m.group("lab2")) if m else ""


def split_panels(items: list[Item]) -> list[Panel]:
    """The panels of a figure made of `items` (empty when it has none)."""
    labels = [sublabel_of(it) for it in items]
    letters = [lab for lab in labels if lab]
    if len(letters) < 2 or len(set(letters)) != len(letters):
        return []
    if len({lab.isupper() for lab in letters}) != 1:
        return []
    if sorted(lab.lower() for lab in letters) != [chr(ord("a") + k) for k in range(len(letters))]:
        return []  # panels are lettered a, b, c... without holes
    parts = _cut(list(range(len(items))), items, labels)
    if parts is None:
        return []
    panels = []
    for part in parts:
        label_at = next(i for i in part if labels[i])
        rest = [items[i] for i in part if i != label_at]
        if not any(it.graphic for it in rest):
            if any(it.kind == Kind.TEXT for it in rest):  # a panel of text only (a word cloud)
                rest = [it for it in rest if it.kind == Kind.TEXT]
            else:
                return []
        box = region_rect(rest)
        lab = items[label_at]
        if lab.rect.overlap_fraction(box) >= 0.5:
            box = box.union(lab.rect)
        panels.append(Panel(box, labels[label_at]))
    whole = region_rect(items)
    least = max(30.0, 0.15 * min(whole.width, whole.height))
    if any(min(p.rect.width, p.rect.height) < least for p in panels):
        return []  # letters under the bars of a chart, or on the boxes of a flowchart: not panels
    return sorted(panels, key=lambda p: p.sublabel.lower())


def _cut(part: list[int], items: list[Item], labels: list[str]) -> list[list[int]] | None:
    """Split `part` until each piece has one label; None when it cannot be done."""
    if sum(1 for i in part if labels[i]) <= 1:
        return [part]
    best: tuple[float, list[int], list[int]] | None = None
    for axis in (0, 1):
        spans = sorted((_lo(items[i].rect, axis), _hi(items[i].rect, axis), i) for i in part)
        reach = spans[0][1]
        for k in range(1, len(spans)):
            lo = spans[k][0]
            if lo > reach + 0.5:
                first = [s[2] for s in spans[:k]]
                second = [s[2] for s in spans[k:]]
                if any(labels[i] for i in first) and any(labels[i] for i in second):
                    width = lo - reach
                    if best is None or width > best[0]:
                        best = (width, first, second)
            reach = max(reach, spans[k][1])
    if best is None:
        return None
    a, b = _cut(best[1], items, labels), _cut(best[2], items, labels)
    return None if a is None or b is None else a + b


def _lo(r: Rect, axis: int) -> float:
    return r.x0 if axis == 0 else r.y0


def _hi(r: Rect, axis: int) -> float:
    return r.x1 if axis == 0 else r.y1
