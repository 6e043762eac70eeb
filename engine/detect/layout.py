"""`layout`: PyMuPDF's built-in ONNX layout model (pymupdf-layout)."""

from __future__ import annotations

import threading

import pymupdf

from engine.detect.base import Box, page_rect
from engine.errors import DetectorError
from engine.geometry import Rect
from engine.i18n import tr
from engine.isolation import step

_lock = threading.Lock()
PICTURE_CLASSES = {"picture", "figure", "image"}
CAPTION_CLASSES = {"caption"}
CAPTION_MAX_GAP_PT = 36.0


def _activate() -> None:
    try:
        import pymupdf.layout  # noqa: F401  registers PyMuPDF's layout function; missing: the DetectorError below
    except ImportError as exc:
        raise DetectorError(
            tr("The layout detector needs the pymupdf-layout package, which is missing. Reinstall ReMUD Desktop.")
        ) from exc


def layout_regions(page: pymupdf.Page) -> list[tuple[Rect, str]]:
    """Every region the layout model labels on the page, in page coordinates."""
    _activate()
    step("the layout model")  # native code that crashes on some real pages (engine.isolation)
    with _lock:  # the ONNX session is shared; one page at a time
        page.get_layout()
    info = getattr(page, "layout_information", None) or []
    rotate = page.rotation_matrix  # the model answers in unrotated page space
    return [(Rect(*(pymupdf.Rect(*map(float, item[:4])) * rotate)), str(item[4]).lower()) for item in info]


def caption_below_or_above(figure: Rect, captions: list[Rect]) -> Rect | None:
    """The caption region just below the figure (preferred) or just above it."""
    def gap(c: Rect) -> float:
        below = c.y0 - figure.y1
        above = figure.y0 - c.y1
        return below if below >= -2 else (above + 0.5 if above >= -2 else 1e9)

    near = [c for c in captions if c.h_overlap(figure) > 0.3 * min(c.width, figure.width) and gap(c) <= CAPTION_MAX_GAP_PT]
    return min(near, key=gap, default=None)


class LayoutDetector:
    name = "layout"

    def __init__(self, min_side_pt: float = 36.0, score: float = 0.8) -> None:
        self.min_side_pt = min_side_pt
        self.score = score

    def detect(self, page: pymupdf.Page) -> list[Box]:
        bounds = page_rect(page)
        regions = layout_regions(page)
        captions = [r for r, label in regions if label in CAPTION_CLASSES]
        boxes = []
        for rect, label in regions:
            if label not in PICTURE_CLASSES:
                continue
            rect = rect.clip(bounds)
            if min(rect.width, rect.height) < self.min_side_pt:
                continue
            cap = caption_below_or_above(rect, captions)
            caption = page.get_textbox(pymupdf.Rect(*cap.as_tuple())).strip() if cap else ""
            boxes.append(Box(rect, label="picture", score=self.score, source="layout", caption=caption))
        return boxes
