"""Facts about a page that decide how it is handled."""

from __future__ import annotations

import pymupdf

IMAGE_ONLY_COVERAGE = 0.6  # share of the page one image must cover
IMAGE_ONLY_MAX_TEXT = 20  # characters; scanners sometimes add an invisible page number


SCAN_COVERAGE = 0.85  # a page-sized raster: a scan, even with an OCR text layer on it
OTHER_IMAGE_MAX = 0.05  # ...and no other sizeable image (then it is a born-digital page on a background)


def page_is_scan(page: pymupdf.Page) -> bool:
    """One raster image covers the page (a scanned page, with or without an OCR text layer)."""
    page_area = abs(page.rect)
    if page_area <= 0:
        return False
    covers = sorted(
        (abs((pymupdf.Rect(i["bbox"]) * page.rotation_matrix) & page.rect) / page_area for i in page.get_image_info()),
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
    for info in page.get_image_info():
        bbox = (pymupdf.Rect(info["bbox"]) * page.rotation_matrix) & page.rect  # bboxes come unrotated
        if abs(bbox) >= IMAGE_ONLY_COVERAGE * page_area:
            return True
    return False
