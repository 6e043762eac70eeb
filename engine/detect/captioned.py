"""`captioned`: one box per captioned figure on born-digital pages.

A figure is what a caption names ("Figure 3", "Fig. 2b", "图 3-2", "图3"; a "Table" caption
claims its table, which is never a figure). Its box holds everything between the caption and
the running text next to it in its column (or across the columns a picture spans): pictures,
vector drawings and the figure's own text (axis and tick labels, legends, labels inside a
flowchart, the text of a framed text panel), measured from the page's content, nothing
rendered. How the region is found: engine/detect/figure_regions.py; what the page is made
of: engine/detect/page_content.py.

Panels lettered (a)/(b)/(c) or A/B/C (engine/detect/panels.py): with `panels = "split"` (the
default) each panel is its own box with the figure's caption, and the figure's sub-label
step later gives it its letter, as for the frames of an atlas; with `panels = "whole"` the
figure is one box and its parts are listed in Box.extra["panels"] (rect and sub-label).

Pictures no caption claims are dropped when small, thin or at the page edge (logos, icons,
bands, headers); a large one (`uncaptioned_min_side_pt`, default 72 pt, not thinner than
1:3) is kept as an image with a lower score, for atlases whose frames have no "Figure"
caption. Set `uncaptioned_min_side_pt = 0` to keep only captioned figures.

PyMuPDF's layout model is asked in one place only: a figure caption whose region holds text
and no picture or drawing (a word cloud, a diagram set in text). Text alone is no figure
unless the model sees a picture there; the model runs at most once per page, and only on such
pages, because it costs about a hundred times the rest of the detection. If it fails, the
caption is left without a figure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import pymupdf

from engine.detect.base import Box
from engine.detect.figure_regions import Region, caption_regions, limits_for, text_only_region
from engine.detect.page_content import read_page
from engine.detect.page_items import Item, Kind, PageContent
from engine.detect.panels import split_panels
from engine.errors import DetectorError
from engine.geometry import Rect
from engine.i18n import tr

PANEL_MODES = ("split", "whole")


@dataclass
class CaptionedDetector:
    """Caption-anchored figures of born-digital pages.

    panels: "split" (a box per lettered panel) or "whole" (a box per figure, parts in extra).
    gap_lines: the widest gap, in body-text lines, between a caption and its figure and inside a figure.
    layout_signal: ask the layout model about captioned regions that hold only text.
    uncaptioned_min_side_pt: pictures no caption claims are kept from this size up (0: never).
    """

    name: ClassVar[str] = "captioned"
    panels: str = "split"
    gap_lines: float = 3.5
    layout_signal: bool = True
    uncaptioned_min_side_pt: float = 72.0

    def __post_init__(self) -> None:
        if self.panels not in PANEL_MODES:
            raise DetectorError(tr("panels must be one of {choices}, not “{value}”.").format(
                choices=", ".join(PANEL_MODES), value=self.panels))

    def detect(self, page: pymupdf.Page) -> list[Box]:
        content = read_page(page)
        limits = limits_for(content, self.gap_lines, self.gap_lines)
        regions = caption_regions(content, limits)
        boxes: list[Box] = []
        for region in regions:
            if region.caption.caption is not None and region.caption.caption.kind == "figure":
                boxes += self._figure_boxes(content, region)
        if self.layout_signal:
            boxes += self._text_figures(page, content, regions, limits)
        boxes += self._uncaptioned(content, regions, boxes)
        if page.rotation:
            boxes = [_turned(b, page.rotation_matrix) for b in boxes]
        boxes.sort(key=lambda b: (round(b.rect.y0 / 12), b.rect.x0))
        return boxes

    def _figure_boxes(self, content: PageContent, region: Region) -> list[Box]:
        items = [content.items[i] for i in region.items]
        caption = region.caption.text
        number = region.caption.caption.number if region.caption.caption else ""
        score = 0.9 if any(it.kind != Kind.TEXT_PANEL for it in items if it.graphic) else 0.8
        rect = region.rect.clip(content.bounds)
        extra: dict = {"number": number, "side": region.side}
        pictures = [it for it in items if it.kind == Kind.PICTURE]
        if len(pictures) == 1 and pictures[0].rect.iou(rect) >= 0.95:
            extra.update(pictures[0].extra)
        panels = split_panels(items)
        if panels and self.panels == "split":
            return [Box(p.rect.clip(content.bounds), "figure", score, "captioned", caption,
                        {"number": number, "sublabel": p.sublabel, "figure": rect.as_tuple(), **_xref(items, p.rect)})
                    for p in panels]
        if panels:
            extra["panels"] = [{"rect": p.rect.as_tuple(), "sublabel": p.sublabel} for p in panels]
        return [Box(rect, "figure", score, "captioned", caption, extra)]

    def _text_figures(self, page: pymupdf.Page, content: PageContent, regions: list[Region], limits) -> list[Box]:
        done = {r.caption_index for r in regions}
        todo = [i for i, it in enumerate(content.items) if it.kind == Kind.CAPTION and i not in done
                and it.caption is not None and it.caption.kind == "figure"]
        proposals = [r for r in (text_only_region(content, i, regions, limits) for i in todo) if r is not None]
        if not proposals:
            return []
        try:
            from engine.detect.layout import PICTURE_CLASSES, layout_regions

            back = page.derotation_matrix  # the model answers in the page as shown
            pictures = [_moved(r, back) for r, label in layout_regions(page) if label in PICTURE_CLASSES]
        except Exception:  # noqa: BLE001 - the model is an extra signal; without it, text stays text
            return []
        out = []
        for region in proposals:
            if any(p.intersect(region.rect).area >= 0.5 * min(p.area, region.rect.area) for p in pictures):
                number = region.caption.caption.number if region.caption.caption else ""
                out.append(Box(region.rect.clip(content.bounds), "figure", 0.6, "captioned", region.caption.text,
                               {"number": number, "side": region.side, "layout": True}))
        return out

    def _uncaptioned(self, content: PageContent, regions: list[Region], boxes: list[Box]) -> list[Box]:
        if self.uncaptioned_min_side_pt <= 0:
            return []
        claimed = {i for r in regions for i in r.items}
        out = []
        for i, it in enumerate(content.items):
            r = it.rect
            if it.kind != Kind.PICTURE or i in claimed or min(r.width, r.height) < self.uncaptioned_min_side_pt:
                continue
            if max(r.width, r.height) > 3 * min(r.width, r.height) or r.area < 0.02 * content.bounds.area:
                continue
            if any(r.overlap_fraction(b.rect) > 0.5 for b in boxes):
                continue
            out.append(Box(r.clip(content.bounds), "image", 0.5, "captioned", "", dict(it.extra)))
        return out


def _xref(items: list[Item], rect: Rect) -> dict:
    """The native image of a panel that is one picture."""
    pictures = [it for it in items if it.kind == Kind.PICTURE and it.rect.overlap_fraction(rect) > 0.5]
    if len(pictures) == 1 and pictures[0].rect.iou(rect) >= 0.95:
        return dict(pictures[0].extra)
    return {}


def _moved(r: Rect, m: pymupdf.Matrix) -> Rect:
    return Rect.normalized(*(pymupdf.Rect(*r.as_tuple()) * m))


def _turned(box: Box, rot: pymupdf.Matrix) -> Box:
    """A box of unrotated page space in the page as shown."""
    extra = dict(box.extra)
    if "figure" in extra:
        extra["figure"] = _moved(Rect(*extra["figure"]), rot).as_tuple()
    if "panels" in extra:
        extra["panels"] = [{**p, "rect": _moved(Rect(*p["rect"]), rot).as_tuple()} for p in extra["panels"]]
    return replace(box, rect=_moved(box.rect, rot), extra=extra)
