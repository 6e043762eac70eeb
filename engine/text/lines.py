"""Text lines of a page, from its text layer or from OCR, in reading order.

Reading order is found by recursive column cutting: among the items of a region
(lines, and figure rectangles when the caller passes them), a vertical gutter is an
x-band in the middle of the region that few items cross. Items crossing it (headings,
banners, full-width figures) split the region into horizontal bands; in each band the
left side is read before the right side, each side again cut recursively. A region
without a gutter is read top to bottom, left to right within a row.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TypeVar

import pymupdf

from engine.geometry import Rect
from engine.text.ocr import OcrEngine, TextLine, is_cjk

T = TypeVar("T")
_PAGE_NUMBER = re.compile(r"[-—–\s]*(第\s*)?\d{1,4}(\s*页)?[-—–\s]*|(?:Page|page)\s*\d{1,4}")

_MIN_LAYER_CHARS = 20  # fewer characters than this on a picture-covered page: treat as scanned


def text_layer_lines(page: pymupdf.Page) -> list[TextLine]:
    """Horizontal-ish lines of the page's text layer, one `TextLine` per visual line.

    Spans on one line that are far apart (more than two font sizes) become separate
    lines, so labels side by side and text in two columns stay apart.
    """
    flags = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
    data = page.get_text("dict", flags=flags)
    rot = page.rotation_matrix if page.rotation else None  # text comes unrotated; we want page.rect space
    out: list[TextLine] = []
    for block in data.get("blocks", []):
        if block.get("type", 0) != 0:
            continue
        for line in block.get("lines", []):
            pieces: list[list[dict]] = []
            for span in line.get("spans", []):
                if not span.get("text", "").strip():
                    if pieces:
                        pieces[-1].append(span)
                    continue
                if pieces:
                    prev = next((s for s in reversed(pieces[-1]) if s["text"].strip()), None)
                    size = max(span.get("size", 10.0), prev.get("size", 10.0) if prev else 0.0)
                    if prev is not None and span["bbox"][0] - prev["bbox"][2] > 2 * size:
                        pieces.append([span])
                        continue
                    pieces[-1].append(span)
                else:
                    pieces.append([span])
            for spans in pieces:
                text = "".join(s["text"] for s in spans).strip()
                if not text:
                    continue
                inked = [s for s in spans if s["text"].strip()]
                box = pymupdf.Rect(Rect.union_of(Rect(*s["bbox"]) for s in inked).as_tuple())
                if rot is not None:
                    box = box * rot
                rect = Rect(box.x0, box.y0, box.x1, box.y1)
                sizes = sorted(s.get("size", 0.0) for s in inked)
                bold = sum(len(s["text"]) for s in inked if s.get("flags", 0) & 16) > len(text) / 2
                out.append(TextLine(rect, " ".join(text.split()), 1.0, "text", sizes[len(sizes) // 2], bold))
    return out


def needs_ocr(page: pymupdf.Page, layer: Sequence[TextLine]) -> bool:
    """True when the text layer cannot stand for the page's text (a scanned page)."""
    text = "".join(ln.text.replace(" ", "") for ln in layer)
    chars = len(text)
    if chars == 0:
        return True
    if sum(1 for c in text if c == "\ufffd" or "\ue000" <= c <= "\uf8ff") > 0.3 * chars:
        return True  # fonts without a usable Unicode map: the text layer is gibberish
    if chars >= _MIN_LAYER_CHARS:
        return False
    page_area = abs(page.rect)
    for info in page.get_image_info():
        r = (pymupdf.Rect(info["bbox"]) * page.rotation_matrix) & page.rect
        if page_area and abs(r) >= 0.5 * page_area:
            return True
    return False


SCAN_DPI_RANGE = (150, 300)  # OCR resolution of a scan: its own, within these bounds


def scan_dpi(page: pymupdf.Page) -> int:
    """The resolution a scanned page was scanned at (its largest image's pixels per inch on the page),
    within SCAN_DPI_RANGE: OCR reads the pixels there are, neither blown up nor thrown away. 200 when
    the page has no image."""
    best, best_area = 200.0, 0.0
    for info in page.get_image_info():
        r = pymupdf.Rect(info["bbox"])
        width_px = int(info.get("width") or 0)
        if r.is_empty or width_px <= 0 or abs(r) <= best_area:
            continue
        # the image may be placed turned: its pixel width runs along the longer or shorter side alike
        sides = sorted((r.width, r.height))
        px = sorted((width_px, int(info.get("height") or width_px)))
        best, best_area = 72.0 * px[1] / sides[1], abs(r)
    low, high = SCAN_DPI_RANGE
    return int(round(min(max(best, low), high)))


def extract_lines(page: pymupdf.Page, ocr: OcrEngine | None = None, dpi: int = 200) -> list[TextLine]:
    """The page's lines, unordered: the text layer when it has text, else OCR if given."""
    layer = text_layer_lines(page)
    if ocr is not None and needs_ocr(page, layer):
        return ocr.ocr_page(page, dpi=dpi)
    return layer


def page_lines(page: pymupdf.Page, ocr: OcrEngine | None = None, dpi: int = 200) -> list[TextLine]:
    """The page's text lines in reading order (text layer, or OCR for image-only pages)."""
    return reading_order(extract_lines(page, ocr, dpi), lambda ln: ln.rect)


def strip_page_furniture(pages: list[list[TextLine]], heights: list[float]) -> list[list[TextLine]]:
    """Drop running headers/footers (the same text, digits aside, in the top or bottom 6%
    of at least 3 pages and 30% of them) and page numbers."""

    def in_margin(ln: TextLine, h: float) -> bool:
        return ln.rect.y1 < 0.06 * h or ln.rect.y0 > 0.94 * h

    def key(ln: TextLine) -> str:
        return re.sub(r"\d+", "#", ln.text.strip())

    seen: Counter[str] = Counter()
    for lines, h in zip(pages, heights):
        seen.update({key(ln) for ln in lines if in_margin(ln, h)})
    running = {k for k, n in seen.items() if n >= 3 and n >= 0.3 * len(pages)}
    return [
        [ln for ln in lines if not (in_margin(ln, h) and (key(ln) in running or _PAGE_NUMBER.fullmatch(ln.text.strip())))]
        for lines, h in zip(pages, heights)
    ]


def _rect_attr(item) -> Rect:
    return item if isinstance(item, Rect) else item.rect


def reading_order(items: Sequence[T], rect_of: Callable[[T], Rect] = _rect_attr, depth: int = 0) -> list[T]:
    """`items` (Rects, or anything with a `.rect`, or use `rect_of`) in reading order,
    handling columns and full-width items."""
    items = list(items)
    if len(items) < 3 or depth > 6:
        return _rows(items, rect_of)
    split = _find_gutter(items, rect_of)
    if split is None:
        return _rows(items, rect_of)
    g0, g1 = split
    spanning = sorted((t for t in items if rect_of(t).x0 < g1 and rect_of(t).x1 > g0), key=lambda t: rect_of(t).y0)
    rest = [t for t in items if not (rect_of(t).x0 < g1 and rect_of(t).x1 > g0)]
    out: list[T] = []
    bounds = [rect_of(s).center[1] for s in spanning]
    for band in range(len(spanning) + 1):
        lo = bounds[band - 1] if band > 0 else float("-inf")
        hi = bounds[band] if band < len(spanning) else float("inf")
        inside = [t for t in rest if lo <= rect_of(t).center[1] < hi]
        left = [t for t in inside if rect_of(t).x1 <= g0]
        right = [t for t in inside if rect_of(t).x0 >= g1]
        out += reading_order(left, rect_of, depth + 1) + reading_order(right, rect_of, depth + 1)
        if band < len(spanning):
            out.append(spanning[band])
    return out


def _rows(items: list[T], rect_of: Callable[[T], Rect]) -> list[T]:
    """Top to bottom; items sharing a row (vertical overlap) left to right."""
    ordered = sorted(items, key=lambda t: (rect_of(t).y0, rect_of(t).x0))
    rows: list[list[T]] = []
    for t in ordered:
        r = rect_of(t)
        if rows:
            last = rect_of(rows[-1][0])
            h = min(r.height, last.height)
            if h > 0 and r.v_overlap(last) >= 0.5 * h:
                rows[-1].append(t)
                continue
        rows.append([t])
    return [t for row in rows for t in sorted(row, key=lambda t: rect_of(t).x0)]


def _find_gutter(items: list[T], rect_of: Callable[[T], Rect]) -> tuple[float, float] | None:
    """The x-band (g0, g1) separating two columns, or None.

    Candidates are bands in the middle 70% of the region crossed by at most a few items,
    each of which must sit in a horizontal band of its own (a heading or banner over
    both columns, not a line of one column that pokes into the gap). The best band is
    wide (up to a normal gutter's width) and has item edges lined up on both sides
    (justified left column, left-aligned right column); every item crossing it costs.
    """
    rects = [rect_of(t) for t in items]
    x0, x1 = min(r.x0 for r in rects), max(r.x1 for r in rects)
    width = x1 - x0
    if width <= 0:
        return None
    lo, hi = x0 + 0.15 * width, x1 - 0.15 * width
    edges = sorted({lo, hi} | {e for r in rects for e in (r.x0, r.x1) if lo < e < hi})
    max_cross = max(1, int(0.3 * len(rects)))
    best: tuple[float, float, float] | None = None  # (score, g0, g1)
    for a, b in pairwise(edges):
        mid = (a + b) / 2
        if sum(1 for r in rects if r.x0 < mid < r.x1) > max_cross:
            continue
        cand = _score_gutter(rects, a, b)
        if cand is not None and (best is None or cand[0] > best[0]):
            best = cand
    return None if best is None else (best[1], best[2])


def _score_gutter(rects: list[Rect], a: float, b: float) -> tuple[float, float, float] | None:
    crossing = [r for r in rects if r.x0 < b and r.x1 > a]
    left = [r for r in rects if r.x1 <= a]
    right = [r for r in rects if r.x0 >= b]
    if not left or not right or len(left) + len(right) < 3:
        return None
    sides = left + right
    for c in crossing:  # a crossing item must not share its rows with column items
        if any(c.v_overlap(r) > 0.3 * min(c.height, r.height) for r in sides):
            return None
    ly0, ly1 = min(r.y0 for r in left), max(r.y1 for r in left)
    ry0, ry1 = min(r.y0 for r in right), max(r.y1 for r in right)
    shared = min(ly1, ry1) - max(ly0, ry0)
    if shared <= 0 or shared < 0.3 * min(ly1 - ly0, ry1 - ry0):
        return None  # side by side only in name: one is above the other
    g0, g1 = max(r.x1 for r in left), min(r.x0 for r in right)
    if g1 - g0 < 4.0:
        return None
    left_aligned = sum(1 for r in left if r.x1 > g0 - 3) / len(left)
    right_aligned = sum(1 for r in right if r.x0 < g1 + 3) / len(right)
    return min(g1 - g0, 36.0) + 30.0 * (left_aligned + right_aligned) - 20.0 * len(crossing), g0, g1


@dataclass
class Block:
    """Consecutive lines of one paragraph (or heading, caption...) in reading order."""

    lines: list[TextLine] = field(default_factory=list)

    @property
    def rect(self) -> Rect:
        return Rect.union_of(ln.rect for ln in self.lines)

    @property
    def text(self) -> str:
        return join_lines([ln.text for ln in self.lines])


def join_lines(texts: Sequence[str]) -> str:
    """Wrapped lines back into running text: CJK joins directly, words get a space,
    an end-of-line hyphen before a lowercase letter is removed."""
    out = ""
    for t in texts:
        t = t.strip()
        if not t:
            continue
        if not out:
            out = t
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha() and t[0].islower():
            out = out[:-1] + t
        elif is_cjk(out[-1]) or is_cjk(t[0]):
            out += t
        else:
            out += " " + t
    return out


def continues(prev: TextLine, line: TextLine) -> bool:
    """Whether `line` continues the paragraph whose last line is `prev` (same column,
    similar size, a small gap below it)."""
    h = max(prev.rect.height, line.rect.height, 1.0)
    gap = line.rect.y0 - prev.rect.y1
    if gap < -0.5 * h or gap > 0.75 * h:
        return False
    a, b = prev.size or prev.rect.height, line.size or line.rect.height
    if a and b and max(a, b) / min(a, b) > 1.2:
        return False
    overlap = prev.rect.h_overlap(line.rect)
    return overlap >= 0.5 * min(prev.rect.width, line.rect.width) or abs(prev.rect.x0 - line.rect.x0) <= 1.5 * h


def group_blocks(lines: Sequence[TextLine]) -> list[Block]:
    """Lines in reading order into paragraphs (a new block at each break in the flow)."""
    blocks: list[Block] = []
    for ln in lines:
        if blocks and continues(blocks[-1].lines[-1], ln):
            blocks[-1].lines.append(ln)
        else:
            blocks.append(Block([ln]))
    return blocks
