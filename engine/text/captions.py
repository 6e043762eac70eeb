"""Which text belongs to which figure, over a whole document in reading order.

Two kinds of books are handled by the same pass:
- atlases: numbered section headings ("16-1-3 肾动脉", "3.2 Liver", "第三章") own the
  figures that follow them (across pages); each figure may carry a sub-label ("A",
  "(b)") right under it; one explanation paragraph ("图解要点：…", "Key points: …")
  explains all figures of a section, wherever it was placed (other column, under a
  later figure, next page) — chosen by the letters and title words it mentions;
- papers and guidelines: a numbered caption ("Figure 3.", "图 3-1", "Table 2") right
  below (tables: above) the figure, and a body paragraph that refers to it by number.
Text inside a figure's rectangle is its burned-in text and is kept out of everything
else.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import pymupdf

from engine.geometry import Rect
from engine.text.lines import (
    Block,
    continues,
    join_lines,
    needs_ocr,
    reading_order,
    scan_dpi,
    strip_page_furniture,
    text_layer_lines,
)
from engine.text.ocr import OcrEngine, TextLine, fold_fullwidth, is_cjk


@dataclass
class FoundText:
    """What the association found for one figure (figure_number is not stored)."""

    caption: str = ""
    context: str = ""
    section: str = ""
    sublabel: str = ""
    burned_text: str = ""
    figure_number: str = ""


DEFAULT_DPI = 200  # OCR of pages and figures that are not scans
CLOSE_DPI = 400  # at most, when a frame's labels are read again on their own
MIN_LEGIBLE = 0.6  # recogniser confidence of a burned-in line that needs no second look


def _legible(ln: TextLine) -> bool:
    return ln.score >= MIN_LEGIBLE and any(c.isalnum() for c in ln.text)


# --- what a line is -------------------------------------------------------------------

_SEP = r"\s*[-.．－–—‐‑·]\s*"
_NUMBER = rf"\d{{1,3}}(?:{_SEP}\d{{1,3}})*"
_CAPTION = re.compile(
    rf"^(?P<kind>图|表|Fig(?:ure)?s?\.?|FIG(?:URE)?S?\.?|Tab(?:le)?\.?|TABLE)\s*(?P<num>{_NUMBER})"
    r"(?P<sub>[a-zA-Z](?![a-zA-Z]))?(?P<rest>.*)$"
)
_REFERENCE = re.compile(
    rf"(?<![A-Za-z代发外仪列报])(?P<kind>图|表|Fig(?:ure)?s?\.?|FIG(?:URE)?S?\.?|Tab(?:le)?s?\.?|TABLES?)\s*(?P<num>{_NUMBER})"
)
_HEADING_MULTI = re.compile(rf"^(?P<num>\d{{1,3}}(?:{_SEP}\d{{1,3}}){{1,4}})[.．、]?\s*(?P<title>.+)$")
_HEADING_SINGLE = re.compile(r"^(?P<num>\d{1,2}|[一二三四五六七八九十]{1,3})[.．、]?\s*(?P<title>.+)$")
_CHAPTER = re.compile(r"^(第\s*[一二三四五六七八九十百零〇\d]+\s*[章节篇部]|(?:Chapter|CHAPTER|Section|SECTION|Part|PART)\s+\d+)")
_UNIT = re.compile(r"^(?:(?:cm|mm|ml|m|kg|g|mg|s|h|d|min|Hz|kHz|MHz|mmHg)(?![A-Za-z])|[%％岁次例天周个倍号月年])", re.IGNORECASE)
_EXPLAIN = re.compile(r"^(?:图解要点|图解说明|图像要点|超声要点|要点|说明|图注|Key\s*points?|Teaching\s*points?|Explanation)\s*[:：]", re.IGNORECASE)
_SUBLABEL = re.compile(r"^[(（]?(?P<lab>[A-Ha-h])[)）.．]?\s*图?$")
_LETTERS = re.compile(r"(?<![A-Za-z])([A-H])(?![A-Za-z])")
_SENTENCE_END = tuple("。.!?！？;；:：")
_BODY_AFTER_NUMBER = re.compile(r"^(显示|示|为|中|所示|可见|是|和|与|及|的|之|~|～|至|、|，|,|。|）|\))")


def normalize_number(num: str) -> str:
    """'3-1', '3－1', '3.1', '3 - 1' -> '3-1'."""
    return re.sub(_SEP, "-", fold_fullwidth(num).strip())


def _caption_match(text: str) -> re.Match | None:
    m = _CAPTION.match(text)
    if m is None:
        return None
    rest = m.group("rest")
    if not rest.strip() or rest[0] in ".:：|．" or rest.lstrip()[:1] in (":", "：", "|"):
        return m
    r = rest.strip()
    if _BODY_AFTER_NUMBER.match(r) or r[0].islower():
        return None  # "Figure 3 shows", "图3显示": the body talking about a figure
    return m if (r[0].isupper() or is_cjk(r[0]) or r[0] in "(（[") else None


CaptionKind = Literal["figure", "table"]
Side = Literal["below", "above"]  # where a caption sits relative to its figure


def _kind_of(label: str) -> CaptionKind:
    return "table" if label.startswith(("表", "Tab", "TAB")) else "figure"


@dataclass(frozen=True)
class CaptionStart:
    """What a line that starts a caption says about it: "Fig. 2b:" is ("figure", "2", "b")."""

    kind: CaptionKind
    number: str  # normalized ("3-1")
    sub: str = ""  # the panel letter right after the number, if any


def caption_start(text: str) -> CaptionStart | None:
    """The caption a line starts ("Figure 3.", "Fig. 2b:", "图 3-2", "图3", "Table 1"), or None;
    "Figure 3 shows…" starts body text, not a caption."""
    m = _caption_match(text.strip())
    if m is None:
        return None
    return CaptionStart(_kind_of(m.group("kind")), normalize_number(m.group("num")), m.group("sub") or "")


def _heading_match(ln: TextLine, body_size: float) -> bool:
    t = ln.text.strip()
    if _CHAPTER.match(t):
        return len(t) <= 60
    big = ln.bold or (body_size > 0 and ln.size >= 1.12 * body_size)
    for rx, strong in ((_HEADING_MULTI, True), (_HEADING_SINGLE, False)):
        m = rx.match(t)
        if m is None:
            continue
        title = m.group("title").strip()
        if not title or not (is_cjk(title[0]) or title[0].isalpha()) or _UNIT.match(title):
            continue
        if len(title) > 40 or title.endswith(("。", "；", ";", "，", ",", "：", ":")):
            continue
        if strong or big:
            return True
    return False


def _title_of(heading: str) -> str:
    m = _HEADING_MULTI.match(heading) or _HEADING_SINGLE.match(heading)
    return m.group("title").strip() if m else heading


# --- the document as one stream ---------------------------------------------------------


@dataclass
class _Fig:
    page: int
    index: int
    rect: Rect
    pos: int = 0  # position in the reading stream (unique among figures and paragraphs)
    section: int = -1
    burned: list[TextLine] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, int]:
        """(page index, index on the page): the figure's key in the result, and in every map of figures."""
        return self.page, self.index


class _ParaKind(StrEnum):
    HEADING = "heading"
    CAPTION = "caption"
    EXPLAIN = "explain"    # an explanation paragraph ("图解要点：", "Key points:")
    SUBLABEL = "sublabel"  # "A", "(b)" under a figure
    BODY = "body"


@dataclass
class _Para:
    page: int
    pos: int  # position in the reading stream (unique among figures and paragraphs): its key in maps of paragraphs
    kind: _ParaKind
    block: Block
    section: int = -1
    number: str = ""
    ref_kind: CaptionKind | Literal[""] = ""  # of a caption

    @property
    def text(self) -> str:
        return self.block.text


def _label_gap(r: Rect, fig: Rect) -> float:
    """How far a label box sits under a figure (over it: 10 more), inf if it is not its label."""
    h = max(r.height, 4.0)
    if not fig.x0 - h <= r.center[0] <= fig.x1 + h:
        return float("inf")
    below, above = r.y0 - fig.y1, fig.y0 - r.y1
    if -0.5 * h <= below <= 2 * h + 4:
        return max(below, 0.0)
    return max(above, 0.0) + 10 if -0.5 * h <= above <= 2 * h else float("inf")


def _is_sublabel_for(ln: TextLine, figs: list[_Fig]) -> bool:
    return bool(_SUBLABEL.match(ln.text.strip())) and any(_label_gap(ln.rect, f.rect) < float("inf") for f in figs)


def _build(doc: pymupdf.Document, figures: dict[int, list[Rect]], ocr: OcrEngine | None, dpi: int | None,
           pages: list[int]):
    read: list[list[TextLine]] = []
    ocred: set[int] = set()
    for pno in pages:
        page = doc[pno]
        layer = text_layer_lines(page)
        if ocr is not None and needs_ocr(page, layer):
            layer = ocr.ocr_page(page, dpi=dpi or scan_dpi(page))
            ocred.add(pno)
        read.append(layer)
    read = strip_page_furniture(read, [doc[pno].rect.height for pno in pages])
    pages_lines = dict(zip(pages, read))
    sizes: Counter[float] = Counter()
    for lines in pages_lines.values():
        for ln in lines:
            sizes[round(ln.size * 2) / 2] += len(ln.text)
    body_size = sizes.most_common(1)[0][0] if sizes else 0.0

    figs: list[_Fig] = []
    paras: list[_Para] = []
    stream: list[_Fig | _Para] = []  # in document reading order
    for pno, lines in pages_lines.items():
        page_figs = [_Fig(pno, i, r) for i, r in enumerate(figures.get(pno, []))]
        outside: list[TextLine] = []
        for ln in lines:
            host = max(page_figs, key=lambda f: ln.rect.overlap_fraction(f.rect), default=None)
            if host is not None and ln.rect.overlap_fraction(host.rect) >= 0.5:
                host.burned.append(ln)
            else:
                outside.append(ln)
        items: list[TextLine | _Fig] = reading_order([*outside, *page_figs], lambda t: t.rect)
        current: _Para | None = None
        for item in items:
            if isinstance(item, _Fig):
                item.pos = len(stream)
                stream.append(item)
                figs.append(item)
                current = None
                continue
            ln = item
            kind, number, ref_kind = _classify(ln, current, page_figs, body_size)
            if current is not None and kind is None and _joins(current, ln):
                current.block.lines.append(ln)
                continue
            if kind == _ParaKind.CAPTION and current is not None and current.kind == _ParaKind.CAPTION \
                    and current.number == number \
                    and continues(current.block.lines[-1], ln):
                current.block.lines.append(ln)  # the other language of a bilingual caption
                continue
            current = _Para(pno, len(stream), kind or _ParaKind.BODY, Block([ln]), number=number, ref_kind=ref_kind)
            stream.append(current)
            paras.append(current)
    stream = _join_broken_paragraphs(stream)
    paras = [p for p in stream if isinstance(p, _Para)]
    section = -1
    headings: list[_Para] = []
    for entry in stream:
        if isinstance(entry, _Para) and entry.kind == _ParaKind.HEADING:
            headings.append(entry)
            section = len(headings) - 1
        entry.section = section
    return figs, paras, headings, ocred


def _join_broken_paragraphs(stream: list[_Fig | _Para]) -> list[_Fig | _Para]:
    """A paragraph cut by a column or page break mid-sentence goes on in the next body block."""
    out: list[_Fig | _Para] = []
    for item in stream:
        prev = out[-1] if out else None
        if isinstance(item, _Para) and item.kind == _ParaKind.BODY and isinstance(prev, _Para) \
                and prev.kind in (_ParaKind.BODY, _ParaKind.EXPLAIN) and item.page - prev.page <= 1 \
                and not prev.text.rstrip().endswith(_SENTENCE_END):
            prev.block.lines.extend(item.block.lines)
            continue
        out.append(item)
    return out


def _classify(ln: TextLine, current: _Para | None, page_figs: list[_Fig],
              body_size: float) -> tuple[_ParaKind | None, str, CaptionKind | Literal[""]]:
    """(what the line starts (None: nothing of its own; body, or it continues a paragraph), number,
    caption kind) for a line."""
    t = ln.text.strip()
    if current is not None and current.kind in (_ParaKind.BODY, _ParaKind.EXPLAIN) \
            and continues(current.block.lines[-1], ln) \
            and not current.block.lines[-1].text.rstrip().endswith(_SENTENCE_END):
        return None, "", ""  # mid-sentence: whatever it looks like, it continues the paragraph
    if _is_sublabel_for(ln, page_figs):
        return _ParaKind.SUBLABEL, "", ""
    m = _caption_match(t)
    if m is not None:
        return _ParaKind.CAPTION, normalize_number(m.group("num")), _kind_of(m.group("kind"))
    if _EXPLAIN.match(t):
        return _ParaKind.EXPLAIN, "", ""
    if _heading_match(ln, body_size):
        return _ParaKind.HEADING, "", ""
    return None, "", ""


def _joins(current: _Para, ln: TextLine) -> bool:
    if current.kind in (_ParaKind.HEADING, _ParaKind.SUBLABEL):
        return False
    prev = current.block.lines[-1]
    if not continues(prev, ln):
        return False
    if current.kind == _ParaKind.CAPTION:  # captions end at a wider gap than body lines
        return ln.rect.y0 - prev.rect.y1 <= 0.5 * max(prev.rect.height, ln.rect.height)
    return True


# --- association ------------------------------------------------------------------------


def _caption_candidates(fig: _Fig, captions: list[_Para], page_figs: list[_Fig]) -> list[tuple[float, Side, _Para]]:
    """(score, "below"|"above", caption) for captions next to the figure with no other figure between."""
    out: list[tuple[float, Side, _Para]] = []
    for cap in captions:
        r = cap.block.rect
        if r.h_overlap(fig.rect) < 0.3 * min(r.width, fig.rect.width) and not fig.rect.x0 <= r.center[0] <= fig.rect.x1:
            continue
        limit = max(48.0, 0.35 * fig.rect.height)
        below, above = r.y0 - fig.rect.y1, fig.rect.y0 - r.y1
        prefer_above = cap.ref_kind == "table"
        side: Side
        if -4 <= below <= limit:
            score, side, lo, hi = below + (24 if prefer_above else 0), "below", fig.rect.y1, r.y0
        elif -4 <= above <= limit:
            score, side, lo, hi = above + (0 if prefer_above else 24), "above", r.y1, fig.rect.y0
        else:
            continue
        blocked = any(o is not fig and o.rect.h_overlap(fig.rect) > 0 and lo <= o.rect.center[1] <= hi for o in page_figs)
        if not blocked:
            out.append((score, side, cap))
    return out


def _page_captions(page_figs: list[_Fig], captions: list[_Para]) -> dict[tuple[int, int], _Para | None]:
    """Each figure's caption, by figure key. A figure caption right below one figure is not also
    the caption "above" the next figure down; frames stacked in one column with no caption of
    their own share the caption under the stack."""
    cands = {f.key: _caption_candidates(f, captions, page_figs) for f in page_figs}
    claimed = {cap.pos for cs in cands.values() for _, side, cap in cs if side == "below" and cap.ref_kind != "table"}
    out: dict[tuple[int, int], _Para | None] = {}
    for f in page_figs:
        usable = [(score, cap) for score, side, cap in cands[f.key] if side == "below" or cap.pos not in claimed]
        out[f.key] = min(usable, key=lambda t: t[0])[1] if usable else None
    changed = True
    while changed:  # up stacks, and across rows of a block whose caption runs under it
        changed = False
        for f in sorted(page_figs, key=lambda f: -f.rect.y0):  # bottom-up, so a whole stack inherits
            if out[f.key] is not None:
                continue
            under = [o for o in page_figs if o is not f and -4 <= o.rect.y0 - f.rect.y1 <= 24
                     and o.rect.h_overlap(f.rect) > 0.5 * min(o.rect.width, f.rect.width)]
            beside = [o for o in page_figs if o is not f and out[o.key] is not None and _same_row(o.rect, f.rect)
                      and out[o.key].block.rect.h_overlap(f.rect) > 0]  # type: ignore[union-attr]
            if under and out[min(under, key=lambda o: o.rect.y0).key] is not None:
                out[f.key] = out[min(under, key=lambda o: o.rect.y0).key]
            elif beside:
                out[f.key] = out[min(beside, key=lambda o: _gap_x(o.rect, f.rect)).key]
            changed = changed or out[f.key] is not None
    return out


def _same_row(a: Rect, b: Rect) -> bool:
    """Side by side in one row of a block of frames: they share most of their height, a gutter apart."""
    return min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5 * min(a.height, b.height) and _gap_x(a, b) <= 36


def _gap_x(a: Rect, b: Rect) -> float:
    return max(a.x0 - b.x1, b.x0 - a.x1, 0.0)


def _title_overlap(title: str, text: str) -> float:
    title = re.sub(r"\s+", "", title)
    if not title:
        return 0.0
    if title in re.sub(r"\s+", "", text):
        return 1.0
    if any(is_cjk(c) for c in title):
        grams = {title[i : i + 2] for i in range(len(title) - 1)} or {title}
        return sum(g in text for g in grams) / len(grams)
    words = [w for w in re.findall(r"[A-Za-z]{3,}", title.lower())]
    return sum(w in text.lower() for w in words) / len(words) if words else 0.0


def _assign_explanations(figs: list[_Fig], paras: list[_Para], headings: list[_Para],
                         sublabels: dict[tuple[int, int], str]) -> dict[int, _Para]:
    """One explanation paragraph per section: its own, or one placed after the next heading
    that names this section's sub-figures or title better than its own section's."""
    by_section: dict[int, list[_Fig]] = defaultdict(list)
    for f in figs:
        by_section[f.section].append(f)
    pairs: list[tuple[float, int, _Para]] = []
    for p in (p for p in paras if p.kind == _ParaKind.EXPLAIN):
        mentioned = set(_LETTERS.findall(fold_fullwidth(p.text)))
        for s in (p.section, p.section - 1):
            if s not in by_section or (s != p.section and s < 0):
                continue
            if s != p.section and p.page - max(f.page for f in by_section[s]) > 1:
                continue
            labels = {sublabels[f.key].strip("()（）.．").upper() for f in by_section[s] if sublabels.get(f.key)}
            label_score = len(mentioned & labels) / len(mentioned | labels) if (mentioned and labels) else 0.0
            title_score = _title_overlap(_title_of(headings[s].text), p.text) if s >= 0 else 0.0
            own = s == p.section
            if not own and label_score + title_score == 0:
                continue
            pairs.append((1.0 * own + 2.0 * label_score + 2.0 * title_score, s, p))
    chosen: dict[int, _Para] = {}
    used: set[int] = set()  # positions of the paragraphs taken
    for _score, s, p in sorted(pairs, key=lambda t: (-t[0], t[2].pos)):
        if s not in chosen and p.pos not in used:
            chosen[s] = p
            used.add(p.pos)
    return chosen


def _section_explanations(figs: list[_Fig], paras: list[_Para], chosen: dict[int, _Para]) -> dict[int, list[_Para]]:
    """Each section's explanation, plus the explanations nobody took inside it (a section
    whose sub-headings were not recognised, or a book without headings, has several)."""
    used = {p.pos for p in chosen.values()}
    with_figs = {f.section for f in figs}
    out: dict[int, list[_Para]] = defaultdict(list)
    for s, p in chosen.items():
        out[s].append(p)
    for p in paras:
        if p.kind == _ParaKind.EXPLAIN and p.pos not in used and p.section in with_figs:
            out[p.section].append(p)
    return {s: sorted(ps, key=lambda p: p.pos) for s, ps in out.items()}


def _references(paras: list[_Para]) -> dict[tuple[CaptionKind, str], list[_Para]]:
    refs: dict[tuple[CaptionKind, str], list[_Para]] = defaultdict(list)
    for p in paras:
        if p.kind not in (_ParaKind.BODY, _ParaKind.EXPLAIN):
            continue
        for m in _REFERENCE.finditer(fold_fullwidth(p.text)):
            key = (_kind_of(m.group("kind")), normalize_number(m.group("num")))
            if not refs[key] or refs[key][-1] is not p:
                refs[key].append(p)
    return refs


def associate_document(
    doc: pymupdf.Document,
    figures: dict[int, list[Rect]],
    ocr: OcrEngine | None = None,
    dpi: int | None = None,
    pages: Iterable[int] | None = None,
) -> dict[tuple[int, int], FoundText]:
    """Caption, context, section, sub-label, burned-in text and number for every figure.

    `figures` maps a page index to that page's figure rectangles (PDF points); the result
    is keyed by (page index, index in that list). With `ocr`, image-only pages are read
    by OCR (at `dpi`, default: the scan's own resolution, see `scan_dpi`); a figure on such a
    page takes the page's OCR lines inside it as its burned-in text, and only when they hold
    nothing legible (labels too small for the page pass) is the figure read again, alone, at
    a higher resolution. A figure on a page with a text layer and no words inside it is read
    by OCR alone. `pages`: only these pages are read (default: all), for a quick answer about
    a few pages; sections and references reaching in from other pages are then not seen.
    """
    walk = list(range(doc.page_count)) if pages is None else sorted({p for p in pages if 0 <= p < doc.page_count})
    figs, paras, headings, ocred = _build(doc, figures, ocr, dpi, walk)
    by_page: dict[int, list[_Fig]] = defaultdict(list)
    for f in figs:
        by_page[f.page].append(f)
    captions_by_page: dict[int, list[_Para]] = defaultdict(list)
    sublabel_lines: dict[int, list[_Para]] = defaultdict(list)
    for p in paras:
        if p.kind == _ParaKind.CAPTION:
            captions_by_page[p.page].append(p)
        elif p.kind == _ParaKind.SUBLABEL:
            sublabel_lines[p.page].append(p)

    sublabels: dict[tuple[int, int], str] = {}  # by figure key
    burned: dict[tuple[int, int], list[TextLine]] = {}
    for f in figs:
        lines = f.burned
        if ocr is not None and not f.rect.is_empty:
            if f.page not in ocred and not lines:  # pixels of a page with a text layer: read them alone
                lines = ocr.ocr_page(doc[f.page], dpi=dpi or DEFAULT_DPI, clip=f.rect)
            elif f.page in ocred and not any(_legible(ln) for ln in lines):  # labels too small for the page pass
                page_dpi = dpi or scan_dpi(doc[f.page])
                lines = ocr.ocr_page(doc[f.page], dpi=min(2 * page_dpi, CLOSE_DPI), clip=f.rect) or lines
        burned[f.key] = reading_order(lines)
        sublabels[f.key] = _sublabel_for(f, sublabel_lines[f.page], by_page[f.page], burned[f.key])
    explanations = _section_explanations(figs, paras, _assign_explanations(figs, paras, headings, sublabels))
    refs = _references(paras)

    caption_of: dict[tuple[int, int], _Para | None] = {}
    for page, page_figs in by_page.items():
        caption_of.update(_page_captions(page_figs, captions_by_page[page]))
    out: dict[tuple[int, int], FoundText] = {}
    for f in figs:
        cap = caption_of[f.key]
        number = cap.number if cap else ""
        context = ""
        eps = explanations.get(f.section, [])
        if eps:  # several: the one that follows the figure (else the last before it)
            context = next((p for p in eps if p.pos > f.pos), eps[-1]).text
        elif cap is not None and cap.ref_kind and refs.get((cap.ref_kind, number)):
            cands = refs[(cap.ref_kind, number)]
            context = min(cands, key=lambda p: (abs(p.page - f.page), abs(p.pos - f.pos))).text
        if not context and cap is not None and f.section >= 0:
            context = _section_body(f, paras)
        out[f.key] = FoundText(
            caption=_caption_text(cap) if cap else "",
            context=context,
            section=headings[f.section].text if f.section >= 0 else "",
            sublabel=sublabels[f.key],
            burned_text="\n".join(ln.text for ln in burned[f.key]),
            figure_number=number,
        )
    return out


def _section_body(fig: _Fig, paras: list[_Para]) -> str:
    """No explanation and no reference: the body paragraph of the figure's own section
    nearest before it (else after it) in reading order; never one about another
    numbered figure or table."""
    body = [p for p in paras if p.kind == _ParaKind.BODY and p.section == fig.section
            and not _REFERENCE.search(fold_fullwidth(p.text))]
    before = [p for p in body if p.pos < fig.pos]
    if before:
        return before[-1].text
    return body[0].text if body else ""


def _caption_text(cap: _Para) -> str:
    """Caption block text; each caption-start line (one per language) on its own line."""
    parts: list[list[str]] = []
    for ln in cap.block.lines:
        if not parts or _caption_match(ln.text.strip()) is not None:
            parts.append([ln.text])
        else:
            parts[-1].append(ln.text)
    return "\n".join(join_lines(p) for p in parts)


def _sublabel_for(fig: _Fig, labels: list[_Para], page_figs: list[_Fig], burned: list[TextLine]) -> str:
    """The closest label under (or over) this figure and no nearer to another one; else a
    lone letter in a corner of the picture itself."""
    best, best_gap = "", float("inf")
    for p in labels:
        gap = _label_gap(p.block.rect, fig.rect)
        if gap < best_gap and min(page_figs, key=lambda o: _label_gap(p.block.rect, o.rect)) is fig:
            best, best_gap = p.text.strip(), gap
    if best:
        return best
    w, h = fig.rect.width, fig.rect.height
    for ln in burned:
        cx, cy = ln.rect.center
        corner_x = cx < fig.rect.x0 + 0.25 * w or cx > fig.rect.x1 - 0.25 * w
        corner_y = cy < fig.rect.y0 + 0.25 * h or cy > fig.rect.y1 - 0.25 * h
        if corner_x and corner_y and _SUBLABEL.match(ln.text.strip()):
            return ln.text.strip()
    return ""
