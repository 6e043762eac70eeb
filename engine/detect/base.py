"""The detector protocol: a page in, boxes in PDF points out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pymupdf

from engine.geometry import Rect


@dataclass(frozen=True)
class Box:
    """A proposed figure on a page, in PDF points of the page's own (rotated) rect."""

    rect: Rect
    label: str = "figure"
    score: float = 1.0
    source: str = ""
    caption: str = ""  # some detectors (qwen-vl, layout) see a caption next to the box
    extra: dict = field(default_factory=dict, compare=False)


@runtime_checkable
class Detector(Protocol):
    name: str

    def detect(self, page: pymupdf.Page) -> list[Box]:
        """Boxes for one page. Must not keep references to the page."""
        ...


def detect_page(detector: Detector, page: pymupdf.Page, masks: Sequence[Rect] = ()) -> list[Box]:
    """`detector.detect(page)`. A detector that sends the page off the machine (its class says
    `sends_page = True`) takes `masks`, the page's redaction masks, and sends it black under them."""
    if getattr(detector, "sends_page", False):
        return detector.detect(page, masks=masks)  # type: ignore[call-arg]
    return detector.detect(page)


def page_rect(page: pymupdf.Page) -> Rect:
    r = page.rect
    return Rect(r.x0, r.y0, r.x1, r.y1)
