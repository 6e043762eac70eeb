"""Facts about a page that decide how it is handled."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pymupdf

IMAGE_ONLY_COVERAGE = 0.6  # share of the page one image must cover
IMAGE_ONLY_MAX_TEXT = 20  # characters; scanners sometimes add an invisible page number


SCAN_COVERAGE = 0.85  # a page-sized raster: a scan, even with an OCR text layer on it
OTHER_IMAGE_MAX = 0.05  # ...and no other sizeable image (then it is a born-digital page on a background)


# the page being read by several parts in turn, and its image placements once read (see `reading`)
_reading: ContextVar[tuple[pymupdf.Page, list[list[dict]]] | None] = ContextVar("remud_reading_page", default=None)


@contextmanager
def reading(page: pymupdf.Page) -> Iterator[None]:
    """While open, `image_info(page)` reads the page's image placements once (PyMuPDF walks the whole
    page to list them, as long as a text extraction). The page must not be changed meanwhile."""
    token = _reading.set((page, []))
    try:
        yield
    finally:
        _reading.reset(token)


def image_info(page: pymupdf.Page) -> list[dict]:
    """`page.get_image_info()`: read once while `reading(page)` is open (a fresh copy for each caller)."""
    held = _reading.get()
    if held is None or held[0] is not page:
        return page.get_image_info()
    if not held[1]:
        held[1].append(page.get_image_info())
    return [dict(info) for info in held[1][0]]


def page_is_scan(page: pymupdf.Page) -> bool:
    """One raster image covers the page (a scanned page, with or without an OCR text layer)."""
    page_area = abs(page.rect)
    if page_area <= 0:
        return False
    covers = sorted(
        (abs((pymupdf.Rect(i["bbox"]) * page.rotation_matrix) & page.rect) / page_area for i in image_info(page)),
        reverse=True,
    )
    return bool(covers) and covers[0] >= SCAN_COVERAGE and (len(covers) == 1 or covers[1] < OTHER_IMAGE_MAX)


def page_is_image_only(page: pymupdf.Page, text: str | None = None) -> bool:
    """A scanned page: (almost) no text layer, and one raster image covering most of it.

    Scanned books with an OCR text layer are *not* image-only: their text is usable.
    """
    if text is None:
        text = page.get_text("text")
    if len(text.strip()) > IMAGE_ONLY_MAX_TEXT:
        return False
    page_area = abs(page.rect)
    if page_area <= 0:
        return False
    for info in image_info(page):
        bbox = (pymupdf.Rect(info["bbox"]) * page.rotation_matrix) & page.rect  # bboxes come unrotated
        if abs(bbox) >= IMAGE_ONLY_COVERAGE * page_area:
            return True
    return False
