"""What a born-digital page is made of, sorted for finding figures by their captions.

One pass over the page's text layer, its image placements and its vector paths (nothing is
rendered) gives a flat list of Items (engine/detect/page_items.py) in unrotated page space:
pictures and paths (page_graphics.py), and text lines told apart as running text, headings,
captions and the figures' own text (page_text.py). Page furniture goes first: running
headers, page numbers and their rules (groups of items peeled off the top and bottom edges,
see `_furniture_cuts`) and decorative bands that run to both page edges, so no figure grows
into them.
"""

from __future__ import annotations

from dataclasses import replace

import pymupdf

from engine.detect import page_text
from engine.detect.page_graphics import holders_of, paths, pictures
from engine.detect.page_items import Kind, PageContent
from engine.geometry import Rect
from engine.text.lines import text_layer_lines

FURNITURE_BAND = 0.1  # top and bottom share of the page where running headers and page numbers live


def read_page(page: pymupdf.Page) -> PageContent:
    """The page's items (see the module doc), in unrotated page space: the space the page's
    content is laid out in, where its text runs left to right and captions sit under figures
    (on a page shown turned, PyMuPDF's rotation_matrix turns them the way it is shown)."""
    cb = page.cropbox
    bounds = Rect(0, 0, cb.width, cb.height)
    graphics = pictures(page) + paths(page, bounds)
    lines = [ln for ln in text_layer_lines(page) if ln.text.strip()]
    if page.rotation:  # text_layer_lines answers in the page as shown
        back = page.derotation_matrix
        lines = [replace(ln, rect=Rect.normalized(*(pymupdf.Rect(*ln.rect.as_tuple()) * back))) for ln in lines]
    holders = [g for g in graphics if g.kind == Kind.PICTURE or g.extra.get("frame")]
    free = [ln for ln, h in zip(lines, holders_of([ln.rect for ln in lines], holders)) if h is None]
    body = page_text.body_size(free or lines)  # text in frames and on pictures is no guide to running text

    span = max((ln.rect.x1 for ln in lines), default=0.0) - min((ln.rect.x0 for ln in lines), default=0.0)
    text = [ln.rect for ln in lines if (page_text.body_sized(ln, body) and page_text.long_line(ln)
                                        and ln.rect.width >= 0.4 * span) or page_text.caption_of(ln.text)]
    top, bottom = _furniture_cuts([g.rect for g in graphics] + [ln.rect for ln in lines], text, bounds)
    graphics = [g for g in graphics if not _furniture(g.rect, bounds, top, bottom, graphic=True)]
    lines = [ln for ln in lines if not _furniture(ln.rect, bounds, top, bottom)]

    cols = page_text.columns(lines, body, bounds)
    items = page_text.classify(lines, graphics, body, cols)
    return PageContent(bounds, items + graphics, body, cols)


def _furniture_cuts(rects: list[Rect], text: list[Rect], bounds: Rect) -> tuple[float, float]:
    """(top, bottom): what lies wholly above top or below bottom is a running header or footer.

    From each page edge, groups of items set apart by a gap (a header line, its rule, a page
    number) are peeled off while they lie in the outer FURNITURE_BAND of the page; a group
    reaching out of the band, or holding running text or a caption (`text`), stops the peeling.
    """
    band = FURNITURE_BAND * bounds.height
    top = bounds.y0
    for _ in range(3):
        rest = sorted((r for r in rects if r.y0 >= top), key=lambda r: r.y0)
        if not rest:
            break
        end = rest[0].y1
        for r in rest[1:]:
            if r.y0 > end + 3:
                break
            end = max(end, r.y1)
        if end > bounds.y0 + band or any(top <= t.y0 and t.y1 <= end for t in text):
            break
        top = end + 0.01
    bottom = bounds.y1
    for _ in range(3):
        rest = sorted((r for r in rects if r.y1 <= bottom), key=lambda r: -r.y1)
        if not rest:
            break
        start = rest[0].y0
        for r in rest[1:]:
            if r.y1 < start - 3:
                break
            start = min(start, r.y0)
        if start < bounds.y1 - band or any(start <= t.y0 and t.y1 <= bottom for t in text):
            break
        bottom = start - 0.01
    return top, bottom


def _furniture(r: Rect, bounds: Rect, top: float, bottom: float, graphic: bool = False) -> bool:
    """Running headers and footers (see _furniture_cuts), and bands that run to both page edges."""
    if r.y1 <= top or r.y0 >= bottom:
        return True
    return graphic and r.x0 <= bounds.x0 + 0.02 * bounds.width and r.x1 >= bounds.x1 - 0.02 * bounds.width \
        and r.height < 0.2 * bounds.height
