"""The region each caption claims (the idea of pdffigures2, written afresh).

From a caption, sweep away from it (up for a caption under its figure, down for one on top)
inside its column, collecting pictures, paths and the text that is not running text, until
the sweep meets running text, a heading, another caption or what another caption has claimed
(only where it lies across the figure's width: text beside a narrow figure does not stop it),
or a gap wider than `max_gap` opens. A picture or drawing that reaches into the next column
widens the sweep to the columns it covers (a page-wide figure under a column-wide caption).

Both directions are tried; a proposal counts when it holds a picture or drawing of some size
(or a framed text panel). The nearer one wins, the usual side (figures above their caption,
tables below) by `side_bias` points. Captions are settled nearest first, and what one claims
blocks the others. Table captions claim their tables the same way, so no figure grows into a
table; only figure captions make figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.detect.page_graphics import exact_rect
from engine.detect.page_items import Item, Kind, PageContent
from engine.geometry import Rect

Side = Literal["above", "below"]  # where the figure lies, seen from its caption
BLOCKING = (Kind.BODY, Kind.HEADING, Kind.CAPTION)


@dataclass
class Region:
    caption_index: int  # into PageContent.items
    caption: Item
    items: list[int]  # indices into PageContent.items
    rect: Rect
    side: Side
    gap: float  # from the caption to the nearest item of the region
    has_graphics: bool


@dataclass
class Limits:
    max_first_gap: float
    max_gap: float
    side_bias: float = 12.0
    min_graphic_side: float = 12.0
    min_graphic_area: float = 600.0


def limits_for(content: PageContent, first_gap_lines: float = 3.5, gap_lines: float = 3.5) -> Limits:
    size = content.body_size or 10.0
    return Limits(max(28.0, first_gap_lines * size), max(28.0, gap_lines * size))


def caption_regions(content: PageContent, limits: Limits) -> list[Region]:
    """The region of every caption (figure and table) that claims one, nearest first."""
    captions = [i for i, it in enumerate(content.items) if it.kind == Kind.CAPTION]
    spans = {ci: caption_span(content, ci) for ci in captions}
    first = {ci: _best_proposal(content, ci, set(), limits, [], spans[ci]) for ci in captions}
    fences = _fences(content, [p for p in first.values() if p is not None])
    props = first if not fences else \
        {ci: _best_proposal(content, ci, set(), limits, fences, spans[ci]) for ci in captions}
    claimed: set[int] = set()
    out: list[Region] = []
    while props:
        ready = [(ci, p) for ci, p in props.items() if p is not None]
        if not ready:
            break
        ci, region = min(ready, key=lambda t: _score(t[1], limits))
        del props[ci]
        out.append(region)
        taken = set(region.items)
        claimed |= taken
        for other, p in props.items():  # what this caption took blocks the others
            if p is not None and taken & set(p.items):
                props[other] = _best_proposal(content, other, claimed, limits, fences, spans[other])
    return out


def _fences(content: PageContent, props: list[Region]) -> list[Rect]:
    """Lines no sweep crosses, between a caption whose region lies below it and one whose region
    lies above it when both reach for the same items (a table over a figure): at the widest gap
    between the items in between."""
    fences = []
    for a in props:
        for b in props:
            if a.side != "below" or b.side != "above" or a.caption.rect.y1 > b.caption.rect.y0:
                continue
            if not set(a.items) & set(b.items):
                continue
            between = sorted((content.items[i].rect for i in set(a.items) | set(b.items)
                              if a.caption.rect.y1 <= content.items[i].rect.center[1] <= b.caption.rect.y0),
                             key=lambda r: r.y0)
            widest, cut = 0.0, None
            reach = between[0].y1
            for r in between[1:]:
                if r.y0 - reach > widest:
                    widest, cut = r.y0 - reach, (reach + r.y0) / 2
                reach = max(reach, r.y1)
            if cut is not None:
                x0 = min(a.rect.x0, b.rect.x0, a.caption.rect.x0, b.caption.rect.x0)
                x1 = max(a.rect.x1, b.rect.x1, a.caption.rect.x1, b.caption.rect.x1)
                fences.append(Rect(x0, cut, x1, cut))
    return fences


def _score(r: Region, limits: Limits) -> float:
    usual: Side = "below" if r.caption.caption and r.caption.caption.kind == "table" else "above"
    return r.gap + (0.0 if r.side == usual else limits.side_bias)


def _best_proposal(content: PageContent, ci: int, claimed: set[int], limits: Limits, fences: list[Rect],
                   span: Span, text_only: bool = False) -> Region | None:
    """The caption's nearer proposal that holds graphics (tables: anything; `text_only`: only text)."""
    props = [p for p in (_propose(content, ci, side, claimed, limits, fences, span) for side in ("above", "below"))
             if p is not None]
    if text_only:
        props = [p for p in props if not p.has_graphics]
    else:
        props = [p for p in props if p.has_graphics or (p.caption.caption is not None and p.caption.caption.kind == "table")]
    return min(props, key=lambda p: _score(p, limits), default=None)


def text_only_region(content: PageContent, ci: int, regions: list[Region], limits: Limits) -> Region | None:
    """What a figure caption that claimed nothing would claim if text could be a figure: the
    nearest proposal of non-running text, beside what the other captions claimed."""
    claimed = {i for r in regions for i in r.items}
    return _best_proposal(content, ci, claimed, limits, [], caption_span(content, ci), text_only=True)


@dataclass(frozen=True)
class Span:
    """The x range a caption's sweep covers, and how far it may widen (a caption beside it stops it)."""

    x0: float
    x1: float
    lo: float
    hi: float


def caption_span(content: PageContent, ci: int) -> Span:
    """A caption's columns, shared with captions beside it (split at the widest empty gap
    between their figures)."""
    items = content.items
    cap = items[ci].rect
    x0, x1 = content.columns_of(cap)
    x0, x1 = min(x0, cap.x0), max(x1, cap.x1)
    lo, hi = content.bounds.x0, content.bounds.x1
    for j, other in enumerate(items):
        if j == ci or other.kind != Kind.CAPTION:
            continue
        o = other.rect
        if o.v_overlap(cap) > 0.3 * min(o.height, cap.height) and o.h_overlap(cap) <= 0:
            a, b = (cap.x1, o.x0) if o.x0 >= cap.x1 else (o.x1, cap.x0)
            cut = _widest_gap(items, a - 0.5 * cap.width if o.x0 >= cap.x1 else a,
                              b + 0.5 * cap.width if o.x0 < cap.x1 else b, cap, content.bounds.height)
            if o.x0 >= cap.x1:
                x1 = hi = min(x1, hi, cut)
            else:
                x0 = lo = max(x0, lo, cut)
    return Span(x0, x1, lo, hi)


def _widest_gap(items: list[Item], lo: float, hi: float, cap: Rect, page_h: float) -> float:
    """The middle of the widest x range in (lo, hi) that no picture, drawing or figure text near
    the caption covers (the gutter between two figures side by side); the middle of (lo, hi) if none."""
    near = [it.rect for it in items if (it.graphic or it.kind == Kind.TEXT)
            and abs(it.rect.center[1] - cap.center[1]) < 0.4 * page_h and it.rect.x1 > lo and it.rect.x0 < hi]
    edges = sorted((max(r.x0, lo), min(r.x1, hi)) for r in near)
    best, cut, reach = 0.0, (lo + hi) / 2, lo
    for a, b in edges:
        if a - reach > best:
            best, cut = a - reach, (reach + a) / 2
        reach = max(reach, b)
    if hi - reach > best:
        cut = (reach + hi) / 2
    return cut


def _propose(content: PageContent, ci: int, side: Side, claimed: set[int], limits: Limits,
             fences: list[Rect], span: Span) -> Region | None:
    for _ in range(3):
        found, wider = _sweep(content, ci, side, span, claimed, limits, fences)
        if wider is None:
            break
        span = wider
    if not found:
        return None
    items, gap = found
    graphics = [content.items[i] for i in items if content.items[i].graphic]
    has_graphics = False
    if graphics:
        g = Rect.union_of(it.rect for it in graphics)
        has_graphics = min(g.width, g.height) >= limits.min_graphic_side and g.area >= limits.min_graphic_area
    return Region(ci, content.items[ci], items, region_rect([content.items[i] for i in items]), side, gap, has_graphics)


def _sweep(content: PageContent, ci: int, side: Side, span: Span, claimed: set[int],
           limits: Limits, fences: list[Rect]) -> tuple[tuple[list[int], float] | None, Span | None]:
    """(the items the sweep collects and the gap to the first one, or None), and a wider span to
    sweep again when a graphic reaches into another column."""
    items = content.items
    cap = items[ci].rect
    up = side == "above"
    x0, x1 = span.x0, span.x1
    walls = [f.y0 for f in fences if f.x1 > x0 and f.x0 < x1 and (f.y0 < cap.y0 if up else f.y0 > cap.y1)]
    wall = (max(walls) if up else min(walls)) if walls else None
    cands = []
    for i, it in enumerate(items):
        r = it.rect
        if i == ci or it.extra.get("container") or r.x1 <= x0 or r.x0 >= x1:
            continue
        if wall is not None and (r.center[1] < wall if up else r.center[1] > wall):
            continue
        if (up and r.y1 <= cap.y0 + 2 and r.y0 < cap.y0 - 1) or (not up and r.y0 >= cap.y1 - 2 and r.y1 > cap.y1 + 1):
            cands.append(i)
    cands.sort(key=lambda i: -items[i].rect.y1 if up else items[i].rect.y0)
    edge = cap.y0 if up else cap.y1
    fx0, fx1 = cap.x0, cap.x1  # the figure's footprint so far (x)
    by0, by1 = 0.0, -1.0  # the vertical extent of the content so far (empty while by1 < by0)
    taken: list[int] = []
    first_gap = 0.0
    for n, i in enumerate(cands):
        it = items[i]
        r = it.rect
        dist = edge - r.y1 if up else r.y0 - edge
        if dist > (limits.max_gap if taken else limits.max_first_gap):
            break
        kind = it.kind
        if kind in BLOCKING or i in claimed or kind == Kind.TEXT_PANEL:
            across = r.x1 > fx0 + 1 and r.x0 < fx1 - 1
            beside = by1 >= by0 and min(r.y1, by1) - max(r.y0, by0) >= 0.5 * (r.y1 - r.y0)
            blocks = kind != Kind.TEXT_PANEL or i in claimed or (by1 >= by0 and not beside)
            if blocks and kind == Kind.HEADING and _title_over_graphic(items, cands[n + 1:], r, up):
                blocks = False  # a panel title inside the figure, not a section heading
            if blocks:
                if across and not beside:
                    break
                continue
        if it.graphic:
            inside = min(r.x1, x1) - max(r.x0, x0)
            if inside <= 0:
                continue
            if inside < 0.5 * (r.x1 - r.x0) or r.x0 < x0 - 15 or r.x1 > x1 + 15:
                wide = content.columns_of(r)
                w0, w1 = max(span.lo, min(x0, wide[0], r.x0)), min(span.hi, max(x1, wide[1], r.x1))
                if w0 < x0 - 1 or w1 > x1 + 1:  # it reaches into another column: sweep wider
                    return None, Span(w0, w1, span.lo, span.hi)
                if inside < 0.5 * (r.x1 - r.x0):
                    continue
        elif not x0 <= (r.x0 + r.x1) / 2 <= x1:
            continue
        if not taken:
            first_gap = max(dist, 0.0)
            by0, by1 = r.y0, r.y1
        else:
            by0, by1 = min(by0, r.y0), max(by1, r.y1)
        taken.append(i)
        edge = min(edge, r.y0) if up else max(edge, r.y1)
        fx0, fx1 = min(fx0, r.x0), max(fx1, r.x1)
    return ((taken, first_gap) if taken else None), None


def _title_over_graphic(items: list[Item], rest: list[int], r: Rect, up: bool) -> bool:
    """A heading-like line with a picture or drawing right beyond it (across its width) is a
    title inside the figure."""
    reach = 2.0 * max(r.height, 6.0)
    for i in rest:
        o = items[i].rect
        dist = r.y0 - o.y1 if up else o.y0 - r.y1
        if dist > reach:
            return False
        if o.h_overlap(r) > 0 or abs(o.center[0] - r.center[0]) < 0.5 * max(r.width, o.width):
            return items[i].graphic
    return False


def region_rect(items: list[Item]) -> Rect:
    """The box around the items, curves measured without their control points."""
    box = Rect.union_of(it.rect for it in items)
    curved = [it for it in items if "drawing" in it.extra]
    if not curved:
        return box
    exact: dict[int, Rect] = {}
    for _ in range(4):
        edges = [it for it in curved if id(it) not in exact and _on_edge(it.rect, box)]
        if not edges:
            break
        for it in edges:
            exact[id(it)] = exact_rect(it)
        box = Rect.union_of(exact.get(id(it), it.rect) for it in items)
    return box


def _on_edge(r: Rect, box: Rect) -> bool:
    return min(abs(r.x0 - box.x0), abs(r.y0 - box.y0), abs(r.x1 - box.x1), abs(r.y1 - box.y1)) < 0.5
