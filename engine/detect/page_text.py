"""What each text line of a born-digital page is: running text, a heading, part of a caption,
or other text (the labels, ticks, legends and callouts that belong to figures).

Running text ("body") is set in the page's dominant size, outside pictures and frames, and
is wide for its column, or runs three long lines or more one under the other (text beside
a picture), or is the short line of such a paragraph. A caption is a line that starts like
one ("Figure 3.", "图 3-1", "Table 2", "TABLE IV", "Supplementary Figure 2"; see `caption_of`) and is not a
reference wrapped to the start of a line, with the lines set closely under it.

The text columns of the page are the x ranges body-sized lines fill, split at gutters few of
them cross.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from engine.detect.page_graphics import holders_of
from engine.detect.page_items import SUBLABEL, Item, Kind
from engine.geometry import Rect
from engine.text.captions import CaptionStart, caption_start
from engine.text.lines import continues
from engine.text.ocr import TextLine, is_cjk

_SENTENCE_END = tuple("。.!?！？;；:：")
# what engine.text.captions does not read: "TABLE IV" (tables numbered in Roman, IEEE), and figures of a
# supplement ("Supplementary Figure 2", "Extended Data Fig. 3 |", "Figure S1")
_ROMAN_TABLE = re.compile(r"^(?:TABLE|Table)\s+(?P<num>[IVXL]{1,6})(?:[.:|]|\s|$)")
_SUPPLEMENT = re.compile(r"^(?:(?:Supplementary|Supplemental|Extended\s+Data)\s+)(?=(?:Fig|FIG|Table|TABLE))"
                         r"|(?<=^Fig\. )S(?=\d)|(?<=^Figure )S(?=\d)|(?<=^FIG\. )S(?=\d)|(?<=^Table )S(?=\d)")


def caption_of(text: str) -> CaptionStart | None:
    """The caption a line starts (engine.text.captions.caption_start, plus Roman-numbered tables
    and supplementary figures), or None."""
    text = text.strip()
    start = caption_start(text)
    if start is not None:
        return start
    m = _ROMAN_TABLE.match(text)
    if m is not None:
        rest = text[m.end():].strip()
        return None if rest[:1].islower() else CaptionStart("table", m.group("num"))  # not "Table I shows"
    plain = _SUPPLEMENT.sub("", text, count=2)
    return caption_start(plain) if plain != text else None


def body_size(lines: Sequence[TextLine]) -> float:
    """The size most characters are set in."""
    sizes: Counter[float] = Counter()
    for ln in lines:
        sizes[round(ln.size * 2) / 2] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def body_sized(ln: TextLine, body: float) -> bool:
    return body > 0 and abs(ln.size - body) <= max(0.6, 0.07 * body)


def long_line(ln: TextLine) -> bool:
    chars = len(ln.text) - ln.text.count(" ")
    return chars >= 8 if is_cjk(ln.text[0]) else chars >= 16


def columns(lines: Sequence[TextLine], body: float, bounds: Rect) -> list[tuple[float, float]]:
    """Text columns: x ranges that body-sized lines fill, split at gutters few of them cross."""
    rects = [ln.rect for ln in lines if body_sized(ln, body) and long_line(ln)]
    if len(rects) < 3:
        rects = [ln.rect for ln in lines]
    if not rects:
        return [(bounds.x0, bounds.x1)]
    lefts, rights = sorted(r.x0 for r in rects), sorted(r.x1 for r in rects)
    x0, x1 = lefts[int(0.02 * (len(rects) - 1))], rights[int(0.98 * (len(rects) - 1) + 0.5)]
    if x1 - x0 < 20:
        return [(bounds.x0, bounds.x1)]
    n = int(x1 - x0) + 1
    delta = [0] * (n + 1)
    for r in rects:
        a, b = int(max(r.x0 - x0, 0)), int(min(r.x1 - x0, n))
        if b > a:
            delta[a] += 1
            delta[b] -= 1
    most = max(2, int(0.06 * len(rects)))  # lines that may cross a gutter (a title, a wide caption)
    cols: list[tuple[float, float]] = []
    start, run, depth = 0, -1, 0
    lo, hi = int(0.15 * n), int(0.85 * n)
    for i in range(n):
        depth += delta[i]
        free = depth <= most and lo <= i < hi
        if free and run < 0:
            run = i
        elif not free and run >= 0:
            if i - run >= 6:
                cols.append((x0 + start, x0 + run))
                start = i
            run = -1
    cols.append((x0 + start, x1))
    return cols


@dataclass
class _Line:
    ln: TextLine
    sized: bool  # body-sized
    long: bool
    holder: Item | None  # the picture or frame it lies in

    @property
    def free(self) -> bool:
        return self.holder is None


def classify(lines: Sequence[TextLine], graphics: list[Item], body: float,
             cols: list[tuple[float, float]]) -> list[Item]:
    """The page's text as Items (captions as whole blocks); marks frames that are containers or
    text panels on the way (see page_items.Item)."""
    lines = sorted(lines, key=lambda ln: (ln.rect.y0, ln.rect.x0))
    holders = [g for g in graphics if g.kind == Kind.PICTURE or g.extra.get("frame")]
    rows = [_Line(ln, body_sized(ln, body), long_line(ln), h)
            for ln, h in zip(lines, holders_of([ln.rect for ln in lines], holders))]
    starts = [_caption_start(i, rows) for i in range(len(rows))]
    _mark_containers(rows, starts, graphics)
    blocks = _caption_blocks(rows, starts)
    in_caption = {j for block in blocks for j in block}
    body_line = _body_lines(rows, in_caption, cols)
    _mark_text_panels(rows, graphics, cols)

    items = [Item(Rect.union_of(rows[j].ln.rect for j in block), Kind.CAPTION,
                  " ".join(rows[j].ln.text for j in block), starts[block[0]]) for block in blocks]
    for i, row in enumerate(rows):
        if i in in_caption:
            continue
        if body_line[i]:
            kind = Kind.BODY
        elif row.free and _heading(row.ln, body, cols):
            kind = Kind.HEADING
        else:
            kind = Kind.TEXT
        items.append(Item(row.ln.rect, kind, row.ln.text))
    return items


def _mark_containers(rows: list[_Line], starts: list[CaptionStart | None], graphics: list[Item]) -> None:
    """Frames around a caption or around much running text are containers (a shaded section, a
    box around a figure and its caption), not figures: their lines count as free."""
    containers = {id(r.holder) for r, s in zip(rows, starts) if r.holder is not None and s is not None}
    counts = Counter(id(r.holder) for r in rows if r.holder is not None and r.sized and r.long)
    containers |= {k for k, n in counts.items() if n >= 14}
    if not containers:
        return
    for r in rows:
        if r.holder is not None and id(r.holder) in containers:
            r.holder = None
    for g in graphics:
        if id(g) in containers:
            g.extra["container"] = True


def _col_width(r: Rect, cols: list[tuple[float, float]]) -> float:
    cx = (r.x0 + r.x1) / 2
    return next((c[1] - c[0] for c in cols if c[0] - 2 <= cx <= c[1] + 2), cols[0][1] - cols[0][0])


def _caption_start(i: int, rows: list[_Line]) -> CaptionStart | None:
    ln = rows[i].ln
    if not rows[i].free:
        return None
    start = caption_of(ln.text)
    if start is None:
        return None
    for j in range(i - 1, max(-1, i - 6), -1):  # a reference wrapped to the start of a line is not a caption
        prev = rows[j].ln
        if prev.rect.y1 <= ln.rect.y0 + 0.5 and rows[j].long and continues(prev, ln) and _same_paragraph(prev, ln):
            if not prev.text.rstrip().endswith(_SENTENCE_END):
                return None
            break
    return start


def _caption_blocks(rows: list[_Line], starts: list[CaptionStart | None]) -> list[list[int]]:
    """Each caption's lines: its first line and the lines right under it, set as closely."""
    blocks = []
    used: set[int] = set()
    for i, row in enumerate(rows):
        head = starts[i]
        if head is None or i in used:
            continue
        block = [i]
        spacing: float | None = None  # the gap between the caption's own lines
        for j in range(i + 1, len(rows)):
            last, nxt = rows[block[-1]].ln, rows[j].ln
            h = max(last.rect.height, nxt.rect.height)
            gap = nxt.rect.y0 - last.rect.y1
            limit = 0.45 * h if spacing is None else min(0.45 * h, spacing + 0.2 * h)
            if gap > limit:
                if nxt.rect.y0 > last.rect.y1 + 0.45 * h:
                    break
                continue
            other = starts[j]
            if j in used or (other is not None and (other.number, other.kind) != (head.number, head.kind)):
                continue
            if other is not None:  # the same caption again: the other language of a bilingual one
                if last.rect.h_overlap(nxt.rect) <= 0 and abs(last.rect.center[0] - nxt.rect.center[0]) > \
                        0.5 * max(last.rect.width, nxt.rect.width):
                    continue
            elif abs(nxt.size - row.ln.size) > 0.6 or not continues(last, nxt):
                continue
            spacing = gap if spacing is None else max(spacing, gap)
            block.append(j)
        used.update(block)
        blocks.append(block)
    return blocks


def _body_lines(rows: list[_Line], in_caption: set[int], cols: list[tuple[float, float]]) -> list[bool]:
    """Which lines are running text (see the module doc)."""
    n = len(rows)
    eligible = [r.free and r.sized and i not in in_caption for i, r in enumerate(rows)]
    wide = []
    for i, r in enumerate(rows):
        cw = _col_width(r.ln.rect, cols)
        w = r.ln.rect.width
        wide.append(eligible[i] and (w >= 0.55 * cw or (r.long and w >= 0.4 * cw)))
    # three long lines or more, one under the other: a paragraph, however narrow (text beside a picture)
    below = [-1] * n
    for i in range(n):
        if eligible[i] and rows[i].long:
            below[i] = next((j for j in range(i + 1, min(i + 4, n)) if eligible[j] and rows[j].long
                             and _same_paragraph(rows[i].ln, rows[j].ln)), -1)
    for i in range(n):
        j = below[i]
        k = below[j] if j >= 0 else -1
        if k >= 0:
            wide[i] = wide[j] = wide[k] = True
    out = list(wide)
    for i in range(n):  # short lines of a paragraph (its last line, an indented first line)
        if out[i] or not eligible[i]:
            continue
        for j in (i - 1, i + 1, i - 2, i + 2):
            if 0 <= j < n and wide[j] and _same_paragraph(rows[min(i, j)].ln, rows[max(i, j)].ln):
                out[i] = True
                break
    return out


def _mark_text_panels(rows: list[_Line], graphics: list[Item], cols: list[tuple[float, float]]) -> None:
    """A frame (not a picture) around two or more lines of running text is a text panel."""
    counts: Counter[int] = Counter()
    for r in rows:
        if r.holder is not None and r.holder.kind == Kind.PATH and r.sized and r.long:
            counts[id(r.holder)] += 1
    for g in graphics:
        if counts.get(id(g), 0) >= 2 and g.rect.width >= 0.5 * _col_width(g.rect, cols) \
                and not any(p.kind == Kind.PICTURE and p.rect.overlap_fraction(g.rect) > 0.5 for p in graphics):
            g.kind = Kind.TEXT_PANEL


def _same_paragraph(a: TextLine, b: TextLine) -> bool:
    """b is the line right under a, in the same column, of the same size."""
    ra, rb = a.rect, b.rect
    h = max(ra.y1 - ra.y0, rb.y1 - rb.y0, 1.0)
    gap = rb.y0 - ra.y1
    return -0.3 * h <= gap <= 0.8 * h and abs(a.size - b.size) <= 0.6 and \
        (abs(ra.x0 - rb.x0) <= 2.5 * h or abs(ra.x0 + ra.x1 - rb.x0 - rb.x1) <= 6)


def _heading(ln: TextLine, body: float, cols: list[tuple[float, float]]) -> bool:
    t = ln.text.strip()
    if len(t) < 2 or SUBLABEL.match(t) or body <= 0:
        return False
    big = ln.size >= 1.1 * body or (ln.bold and ln.size >= 0.95 * body)
    return big and any(abs(ln.rect.x0 - c[0]) <= 4 for c in cols)
