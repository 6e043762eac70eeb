"""Rendering pages and crops, and pulling embedded images out at native resolution."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pymupdf
from PIL import Image

from engine.errors import PdfError
from engine.geometry import Rect
from engine.i18n import tr
from engine.imaging import Raster
from engine.pdf import resolution
from engine.pdf.resolution import fit_dpi

NATIVE_MATCH_IOU = 0.9


def pixmap(page: pymupdf.Page, dpi: float, *, clip: pymupdf.Rect | None = None, gray: bool = False,
           annots: bool = True, max_pixels: int | None = None) -> pymupdf.Pixmap:
    """`clip` (page.rect space; default the whole page) at `dpi`, or at the lower resolution
    fit_dpi allows, RGB or gray, no alpha. Every page render of the app goes through here."""
    zoom = fit_dpi(page.rect if clip is None else clip, dpi, max_pixels) / 72.0
    return page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=clip, alpha=False, annots=annots,
                           colorspace=pymupdf.csGRAY if gray else pymupdf.csRGB)


def image_too_large(doc: pymupdf.Document, xref: int) -> bool:
    """True when the embedded image `xref` has more pixels than resolution.MAX_RENDER_PIXELS:
    decoding it whole would take gigabytes (or make MuPDF refuse); render what it covers instead."""
    try:
        width, height = (int(doc.xref_get_key(xref, key)[1]) for key in ("Width", "Height"))
    except (RuntimeError, ValueError):
        return False  # no readable size: MuPDF decides
    return width * height > resolution.MAX_RENDER_PIXELS


def render_page(doc: pymupdf.Document, index: int, zoom: float = 1.0, *, gray: bool = False) -> Raster:
    """The whole page at `zoom` (1.0 = 72 DPI; lower where fit_dpi says so), RGB or gray, no alpha."""
    return Raster.from_pixmap(pixmap(doc.load_page(index), zoom * 72.0, gray=gray))


def render_clip(doc: pymupdf.Document, index: int, rect: Rect, dpi: float = 150) -> Raster:
    """A rect of the page (PDF points of the page's own rect) at `dpi` (lower where fit_dpi says so)."""
    page = doc.load_page(index)
    clip = pymupdf.Rect(*rect.as_tuple()) & page.rect
    if clip.is_empty:
        raise PdfError(tr("The crop lies outside the page."))
    return Raster.from_pixmap(pixmap(page, dpi, clip=clip))


@dataclass(frozen=True)
class Placement:
    xref: int
    rect: Rect
    transform: tuple[float, ...]


def image_placements(page: pymupdf.Page) -> list[Placement]:
    out = []
    rotate = page.rotation_matrix  # image bboxes come in unrotated page space
    for info in page.get_image_info(xrefs=True):
        if info.get("xref", 0) > 0:
            bbox = pymupdf.Rect(info["bbox"]) * rotate
            out.append(Placement(info["xref"], Rect(*bbox), tuple(info["transform"])))
    return out


def matching_placement(page: pymupdf.Page, rect: Rect, min_iou: float = NATIVE_MATCH_IOU) -> Placement | None:
    best = max(image_placements(page), key=lambda p: p.rect.iou(rect), default=None)
    return best if best is not None and best.rect.iou(rect) >= min_iou else None


def native_placement(page: pymupdf.Page, rect: Rect, xref: int = 0) -> Placement | None:
    """The image placement whose own pixels make the crop of `rect` (figure_image's choice):
    the one matching the box (and `xref`, when given), unless it is too large to decode."""
    placement = matching_placement(page, rect)
    if placement is None or (xref and placement.xref != xref) or image_too_large(page.parent, placement.xref):
        return None
    return placement


def extract_native(doc: pymupdf.Document, index: int, rect: Rect, *, xref: int = 0) -> tuple[Raster, Rect] | None:
    """The embedded image under `rect` at its own resolution, upright as it appears on the
    page, with the rect it covers there. None when no single image placement matches the
    box, or the image is too large to decode whole (then render a crop)."""
    page = doc.load_page(index)
    placement = native_placement(page, rect, xref)
    if placement is None:
        return None
    pix = pymupdf.Pixmap(doc, placement.xref)
    if pix.colorspace is None or pix.colorspace.n not in (1, 3) or pix.alpha:
        pix = pymupdf.Pixmap(pymupdf.csRGB, pix) if pix.colorspace and pix.colorspace.n != 3 else pix
        if pix.alpha:
            pix = pymupdf.Pixmap(pix, 0)
    if pix.n == 1:
        pix = pymupdf.Pixmap(pymupdf.csRGB, pix)
    return _orient(Raster.from_pixmap(pix), placement.transform, page.rotation), placement.rect


def _orient(raster: Raster, transform: Sequence[float], page_rotation: int = 0) -> Raster:
    """Apply the placement's rotation / mirroring (not its scale), then the page's own
    rotation, so the pixels are upright as the page is shown."""
    a, b, c, d = transform[:4]
    if b == 0 and c == 0 and a > 0 and d > 0 and page_rotation % 360 == 0:
        return raster

    img = raster.to_pil()
    # The unit square maps to the page through (a b c d); images are stored top row first.
    if abs(b) < 1e-6 and abs(c) < 1e-6:
        if a < 0:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if d < 0:
            img = img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    elif abs(a) < 1e-6 and abs(d) < 1e-6:
        img = img.transpose(Image.Transpose.ROTATE_90 if b < 0 else Image.Transpose.ROTATE_270)
        if (b > 0) == (c > 0):
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if page_rotation % 360:
        img = img.rotate(-(page_rotation % 360), expand=True)  # /Rotate turns the page clockwise
    img = img.convert("RGB")
    return Raster(img.width, img.height, 3, img.width * 3, img.tobytes())


def apply_masks(raster: Raster, crop_rect: Rect, masks: Sequence[Rect]) -> Raster:
    """Black out redaction masks (PDF points) on a crop of `crop_rect`."""
    if not masks:
        return raster

    arr = raster.to_numpy().copy()
    sx = raster.width / crop_rect.width
    sy = raster.height / crop_rect.height
    for m in masks:
        r = m.intersect(crop_rect)
        if r.is_empty:
            continue
        x0 = int((r.x0 - crop_rect.x0) * sx)
        y0 = int((r.y0 - crop_rect.y0) * sy)
        x1 = int(np.ceil((r.x1 - crop_rect.x0) * sx))
        y1 = int(np.ceil((r.y1 - crop_rect.y0) * sy))
        arr[y0:y1, x0:x1] = 0
    return Raster(raster.width, raster.height, raster.channels, raster.width * raster.channels, arr.tobytes())


NATIVE_TOLERANCE_PT = 1.5  # a box this close to an image's edges means the whole image


def crop_raster(raster: Raster, covered: Rect, box: Rect) -> Raster:
    """The part of `raster` (which shows `covered` on the page) that lies under `box`."""
    sx, sy = raster.width / covered.width, raster.height / covered.height
    x0 = max(0, int(round((box.x0 - covered.x0) * sx)))
    y0 = max(0, int(round((box.y0 - covered.y0) * sy)))
    x1 = min(raster.width, max(x0 + 1, int(round((box.x1 - covered.x0) * sx))))
    y1 = min(raster.height, max(y0 + 1, int(round((box.y1 - covered.y0) * sy))))
    arr = np.ascontiguousarray(raster.to_numpy()[y0:y1, x0:x1])
    return Raster(x1 - x0, y1 - y0, raster.channels, (x1 - x0) * raster.channels, arr.tobytes())


def figure_image(
    doc: pymupdf.Document, index: int, rect: Rect, *, dpi: float = 200, masks: Sequence[Rect] = (),
    native: bool = True, xref: int = 0,
) -> Raster:
    """The crop as it leaves the app, masks applied. A box on one embedded image gives that
    image's own pixels, cut to the box when the box is smaller (a person trimmed it); a box
    reaching beyond the image is rendered, so nothing outside the box, and everything
    inside it, is exported."""
    found = extract_native(doc, index, rect, xref=xref) if native else None
    if found:
        raster, covered = found
        if covered.expanded(NATIVE_TOLERANCE_PT).intersect(rect) == rect:  # the box lies on the image
            if rect.expanded(NATIVE_TOLERANCE_PT).intersect(covered) != covered:  # ...and was trimmed
                raster, covered = crop_raster(raster, covered, rect), rect
            return apply_masks(raster, covered, masks)
    return apply_masks(render_clip(doc, index, rect, dpi), rect, masks)
