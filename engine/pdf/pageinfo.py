"""Facts about a page that decide how it is handled."""

from __future__ import annotations

import pymupdf

IMAGE_ONLY_COVERAGE = 0.6  # share of the page one image must cover
IMAGE_ONLY_MAX_TEXT = 20  # characters; scanners sometimes add an invisible page number


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
