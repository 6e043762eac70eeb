"""`auto`: the right detectors for each kind of page, merged."""

from __future__ import annotations

from collections.abc import Sequence

import pymupdf

from engine.detect import registry
from engine.detect.base import Box, Detector, detect_page
from engine.detect.nms import non_max_suppression
from engine.geometry import Rect
from engine.pdf.pageinfo import page_is_scan, reading


class AutoDetector:
    name = "auto"
    sends_page = True  # passes the page's masks on to those of its detectors that send pages

    def __init__(
        self,
        scanned: Sequence[str] = ("scanned",),
        born_digital: Sequence[str] = ("embedded",),
        nms_iou: float = 0.5,
    ) -> None:
        cards = registry.load_cards()
        self._scanned: list[Detector] = [registry.create(n, cards) for n in scanned]
        self._born_digital: list[Detector] = [registry.create(n, cards) for n in born_digital]
        self.nms_iou = nms_iou

    def detectors_for(self, page: pymupdf.Page) -> list[Detector]:
        return self._scanned if page_is_scan(page) else self._born_digital

    def detect(self, page: pymupdf.Page, masks: Sequence[Rect] = ()) -> list[Box]:
        with reading(page):  # the scan check and the detectors list the page's images once
            boxes = [b for d in self.detectors_for(page) for b in detect_page(d, page, masks)]
        return non_max_suppression(boxes, self.nms_iou)
