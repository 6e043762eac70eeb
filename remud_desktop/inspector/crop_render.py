"""Rendering one figure's crop for the inspector, off the GUI thread (no Qt widgets or images here;
Crop.describe translates its words with QtCore).

The pixels come from `engine.pdf.render.figure_image`, so the preview is exactly what
export writes. The inspector also needs the rect on the page those pixels show (to turn
mask drags into PDF points): for a box on one embedded image that is the image's own
placement, which may differ from the box by up to NATIVE_TOLERANCE_PT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from engine.geometry import Rect
from engine.imaging import Raster
from engine.pdf.opener import DocumentCache
from engine.pdf.render import NATIVE_TOLERANCE_PT, figure_image, native_placement

CROP_DPI = 200  # what export uses by default
_pdfs = DocumentCache(size=2)  # per worker thread


@dataclass(frozen=True)
class CropRequest:
    figure_id: int
    pdf_path: Path
    page: int
    rect: Rect
    masks: tuple[Rect, ...] = ()
    xref: int = 0
    dpi: float = CROP_DPI

    @property
    def key(self) -> tuple:
        """What the pixels depend on: a request with the same key need not be rendered again."""
        return (self.figure_id, str(self.pdf_path), self.page, self.rect, self.masks, self.xref, self.dpi)


@dataclass(frozen=True)
class Crop:
    request: CropRequest
    raster: Raster
    covered: Rect  # the rect on the page the raster shows (PDF points)
    native: bool  # the embedded image's own pixels, not a rendering

    def describe(self) -> str:
        """The crop's size and source, for the GUI (translated: call it in the GUI thread)."""
        if self.native:
            return QCoreApplication.translate("Crop", "{width} × {height} px · native").format(
                width=self.raster.width, height=self.raster.height)
        return QCoreApplication.translate("Crop", "{width} × {height} px · rendered {dpi} dpi").format(
            width=self.raster.width, height=self.raster.height, dpi=f"{self.request.dpi:g}")


def crop_area(pdf, index: int, rect: Rect, xref: int = 0) -> tuple[Rect, bool]:
    """The rect `figure_image` gives pixels of, and whether they are native; the same
    choice figure_image makes, without pulling the image out."""
    page = pdf.load_page(index)
    placement = native_placement(page, rect, xref)
    if placement is not None:
        covered = placement.rect
        if covered.expanded(NATIVE_TOLERANCE_PT).intersect(rect) == rect:
            if rect.expanded(NATIVE_TOLERANCE_PT).intersect(covered) != covered:
                return rect, True  # trimmed: cut to the box
            return covered, True
    page_rect = Rect(page.rect.x0, page.rect.y0, page.rect.x1, page.rect.y1)
    return rect.intersect(page_rect), False


def render_crop(request: CropRequest) -> Crop:
    pdf = _pdfs.get(request.pdf_path)
    raster = figure_image(pdf, request.page, request.rect, dpi=request.dpi, masks=request.masks,
                          xref=request.xref)
    covered, native = crop_area(pdf, request.page, request.rect, request.xref)
    return Crop(request, raster, covered, native)


def pixels_to_points(box: Sequence[float], covered: Rect, size: tuple[int, int]) -> Rect:
    """A rect in crop pixels (x0, y0, x1, y1) as PDF points on the page."""
    sx, sy = covered.width / size[0], covered.height / size[1]
    x0, y0, x1, y1 = box
    return Rect.normalized(covered.x0 + x0 * sx, covered.y0 + y0 * sy, covered.x0 + x1 * sx, covered.y0 + y1 * sy)


def points_to_pixels(rect: Rect, covered: Rect, size: tuple[int, int]) -> tuple[float, float, float, float]:
    sx, sy = size[0] / covered.width, size[1] / covered.height
    return ((rect.x0 - covered.x0) * sx, (rect.y0 - covered.y0) * sy,
            (rect.x1 - covered.x0) * sx, (rect.y1 - covered.y0) * sy)
