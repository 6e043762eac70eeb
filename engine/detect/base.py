"""The detector protocol: a page in, boxes in PDF points out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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


def detect_page(detector: Detector, page: pymupdf.Page, masks: Sequence[Rect] = (),
                cancel: Callable[[], bool] | None = None) -> list[Box]:
    """`detector.detect(page)`. A detector that sends the page off the machine (its class says
    `sends_page = True`) takes `masks`, the page's redaction masks, and sends it black under them.
    A detector that works long on one page (its class says `takes_cancel = True`) takes `cancel`, asks it
    while it works and raises CancelledError when it says stop."""
    kwargs: dict[str, Any] = {}
    if getattr(detector, "sends_page", False):
        kwargs["masks"] = masks
    if cancel is not None and getattr(detector, "takes_cancel", False):
        kwargs["cancel"] = cancel
    return detector.detect(page, **kwargs)


def close_detector(detector: Detector) -> None:
    """Free what the detector holds (a loaded model, an HTTP client) if it can."""
    close = getattr(detector, "close", None)
    if callable(close):
        close()


def page_rect(page: pymupdf.Page) -> Rect:
    r = page.rect
    return Rect(r.x0, r.y0, r.x1, r.y1)
