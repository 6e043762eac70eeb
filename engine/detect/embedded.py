"""Figures in born-digital pages: image placements and clusters of vector drawings.

Images come from the page's placement list, so a crop can later be cut from the
embedded image at its native resolution (Box.extra["xref"]). Tiny images, full-page
backgrounds, invisible and duplicate placements are dropped; strips that exactly tile
one picture are joined. Vector drawings are clustered, and clusters that are rules,
tables, underlines, frames or highlight boxes are dropped.

PyMuPDF reports placements, paths and words in the unrotated page space; boxes are
turned into the page's own (rotated) rect at the very end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pymupdf

from engine.detect.base import Box
from engine.geometry import Rect
from engine.pdf.pageinfo import image_info
from engine.pdf.render import image_too_large, pixmap
from engine.pdf.resolution import fit_dpi


@dataclass
class _Image:
    rect: Rect
    xrefs: list[int]
    width: int = 0
    height: int = 0


@dataclass
class _Cluster:
    rect: Rect
    paths: list[dict] = field(default_factory=list)


def _r(r) -> Rect:
    return Rect.normalized(r[0], r[1], r[2], r[3])


@dataclass
class EmbeddedDetector:
    """Image placements and vector-drawing clusters of born-digital pages.

    min_side_pt / min_area_frac: smaller images and drawings (logos, bullets, icons) are skipped.
    background_cover: an image covering this share of the page is a background or a scan.
    tile_tol_pt: strips whose edges meet and align within this distance are one picture.
    drawings: also look for vector figures; cluster_tol_pt joins paths this close.
    """

    name: ClassVar[str] = "embedded"
    min_side_pt: float = 36.0
    min_area_frac: float = 0.004
    background_cover: float = 0.85
    tile_tol_pt: float = 0.75
    drawings: bool = True
    cluster_tol_pt: float = 4.0
    min_paths: int = 3

    def detect(self, page: pymupdf.Page) -> list[Box]:
        cb = page.cropbox
        bounds = Rect(0, 0, cb.width, cb.height)  # unrotated page space
        images = self._images(page, bounds)
        boxes = [(im.rect, "image", 1.0, self._image_extra(im)) for im in images]
        if self.drawings:
            boxes += self._vector_figures(page, bounds, [im.rect for im in images])
        rot = page.rotation_matrix
        out = []
        for rect, label, score, extra in boxes:
            r = pymupdf.Rect(*rect.as_tuple()) * rot
            out.append(Box(Rect(r.x0, r.y0, r.x1, r.y1), label, score, "embedded", extra=extra))
        out.sort(key=lambda b: (round(b.rect.y0 / 12), b.rect.x0))
        return out

    # ------------------------------------------------------------------ images

    def placements(self, page: pymupdf.Page, hash_images: bool = True) -> list[tuple[Rect, dict]]:
        """The page's visible pictures, in unrotated page space, each with its Box.extra (xref or
        tiles): duplicates, invisible placements and backgrounds dropped, tiles joined, insets
        folded into their picture, those under min_side_pt / min_area_frac skipped.

        hash_images=False does not hash every image to learn its xref (hashing costs a third more): a
        placement then knows its xref only when no other image of the page has its pixel size."""
        cb = page.cropbox
        bounds = Rect(0, 0, cb.width, cb.height)
        return [(im.rect, self._image_extra(im)) for im in self._images(page, bounds, hash_images)]

    @staticmethod
    def _image_extra(im: _Image) -> dict:
        if len(im.xrefs) == 1 and im.xrefs[0] > 0:
            return {"xref": im.xrefs[0], "width": im.width, "height": im.height}
        return {"xrefs": [x for x in im.xrefs if x > 0], "tiled": True}

    def _images(self, page: pymupdf.Page, bounds: Rect, hash_images: bool = True) -> list[_Image]:
        doc = page.parent
        seen: set[tuple] = set()
        transparent: dict[int, bool] = {}
        found: list[_Image] = []
        infos = page.get_image_info(xrefs=True) if hash_images else image_info(page)
        if not hash_images and infos:
            by_size: dict[tuple[int, int], list[int]] = {}
            for entry in page.get_images(full=True):
                by_size.setdefault((int(entry[2]), int(entry[3])), []).append(int(entry[0]))
            for info in infos:
                xrefs = by_size.get((int(info.get("width", 0)), int(info.get("height", 0))), [])
                info["xref"] = xrefs[0] if len(set(xrefs)) == 1 else 0
        for info in infos:
            rect = _r(info["bbox"]).intersect(bounds)
            if rect.is_empty or rect.width < 0.5 or rect.height < 0.5:
                continue
            xref = int(info.get("xref") or 0)
            ident = xref if xref > 0 else info.get("digest")
            key = (round(rect.x0 * 2), round(rect.y0 * 2), round(rect.x1 * 2), round(rect.y1 * 2), ident)
            if key in seen:
                continue  # the same picture placed twice on the same spot
            seen.add(key)
            if xref > 0 and info.get("has-mask"):
                if xref not in transparent:
                    transparent[xref] = _fully_transparent(doc, xref)
                if transparent[xref]:
                    continue
            if rect.area >= self.background_cover * bounds.area:
                continue  # full-page background or a scanned page
            found.append(_Image(rect, [xref], int(info.get("width", 0)), int(info.get("height", 0))))
        found = self._join_tiles(found)
        page_area = bounds.area
        kept = [im for im in found if min(im.rect.width, im.rect.height) >= self.min_side_pt
                and im.rect.area >= self.min_area_frac * page_area]
        # an inset lying inside a bigger picture belongs to that picture
        kept.sort(key=lambda im: -im.rect.area)
        result: list[_Image] = []
        for im in kept:
            if not any(im.rect.overlap_fraction(big.rect) >= 0.9 for big in result):
                result.append(im)
        return result

    def _join_tiles(self, images: list[_Image]) -> list[_Image]:
        """Join placements that exactly tile one picture: edges meet, sides align."""
        tol = self.tile_tol_pt
        items = list(images)
        merged = True
        while merged:
            merged = False
            for i in range(len(items)):
                for j in range(i + 1, len(items)):
                    a, b = items[i].rect, items[j].rect
                    vertical = (abs(a.x0 - b.x0) <= tol and abs(a.x1 - b.x1) <= tol
                                and (abs(a.y1 - b.y0) <= tol or abs(b.y1 - a.y0) <= tol))
                    horizontal = (abs(a.y0 - b.y0) <= tol and abs(a.y1 - b.y1) <= tol
                                  and (abs(a.x1 - b.x0) <= tol or abs(b.x1 - a.x0) <= tol))
                    if vertical or horizontal:
                        items[i] = _Image(a.union(b), items[i].xrefs + items[j].xrefs)
                        del items[j]
                        merged = True
                        break
                if merged:
                    break
        return items

    # ------------------------------------------------------------------ drawings

    def _vector_figures(self, page: pymupdf.Page, bounds: Rect,
                        images: list[Rect]) -> list[tuple[Rect, str, float, dict]]:
        paths = [p for p in page.get_drawings() if self._drawable(p, bounds)]
        if len(paths) < self.min_paths:
            return []
        tol = self.cluster_tol_pt
        clip = pymupdf.Rect(*bounds.expanded(2 * tol).as_tuple())
        clusters = [_Cluster(_r(r)) for r in page.cluster_drawings(
            clip=clip, drawings=paths, x_tolerance=tol, y_tolerance=tol, final_filter=False)]
        for p in paths:
            pr = _r(p["rect"])
            for c in clusters:
                if c.rect.expanded(0.01).intersect(pr).area >= 0.99 * pr.area:
                    c.paths.append(p)
                    break
        words = [(_r(w[:4])) for w in page.get_text("words")]
        out = []
        for c in clusters:
            verdict = self._figure_like(c, bounds)
            if verdict is None:
                continue
            rect = c.rect
            if any(rect.intersect(im).area >= 0.8 * rect.area for im in images):
                continue  # a frame or annotation drawn over a picture
            for w in words:  # labels that sit on the drawing belong to it
                if w.area > 0 and w.overlap_fraction(rect) >= 0.5:
                    rect = rect.union(w)
            rect = _tighten(page, rect)
            if min(rect.width, rect.height) < self.min_side_pt:
                continue
            out.append((rect, "drawing", verdict, {"paths": len(c.paths)}))
        return out

    @staticmethod
    def _drawable(p: dict, bounds: Rect) -> bool:
        """Paths that can be part of a figure (not page borders, fills of white, or dots)."""
        r = _r(p["rect"])
        if r.width < 0.2 and r.height < 0.2:
            return False
        if r.width >= 0.9 * bounds.width and r.height >= 0.9 * bounds.height:
            return False  # page border or page background
        fill, stroke = p.get("fill"), p.get("color")
        # not invisible, and not white paint over white paper
        return stroke is not None or (fill is not None and min(fill) < 0.98)

    def _figure_like(self, c: _Cluster, bounds: Rect) -> float | None:
        """A score when the cluster looks like a figure, None for rules, tables and boxes."""
        r = c.rect
        if (len(c.paths) < self.min_paths or min(r.width, r.height) < self.min_side_pt
                or r.area < self.min_area_frac * bounds.area):
            return None
        if r.width >= 0.9 * bounds.width and r.height >= 0.9 * bounds.height:
            return None
        curved, axis, spanning = 0, 0, 0
        for p in c.paths:
            for item in p["items"]:
                kind = item[0]
                if kind == "c":
                    curved += 1
                elif kind == "l":
                    a, b = item[1], item[2]
                    dx, dy = abs(b.x - a.x), abs(b.y - a.y)
                    if dx > 1 and dy > 1:
                        curved += 1  # a slanted line: drawings have them, tables do not
                        continue
                    axis += 1
                    spanning += (dx >= 0.85 * r.width) or (dy >= 0.85 * r.height)
                elif kind in ("re", "qu"):
                    q = _r(item[1].rect if kind == "qu" else item[1])
                    if kind == "qu" and not _axis_quad(item[1]):
                        curved += 1
                        continue
                    axis += 1
                    thin = min(q.width, q.height) <= 2.0
                    spanning += thin and (q.width >= 0.85 * r.width or q.height >= 0.85 * r.height)
        if curved == 0:
            # only straight axis-aligned pieces: a table, rules, a frame or a bar chart
            if axis <= 4 or spanning >= 0.6 * axis:
                return None
            return 0.6
        return round(min(1.0, 0.7 + 0.03 * curved), 3)


def _axis_quad(q: pymupdf.Quad) -> bool:
    return q.is_rectangular and (abs(q.ul.y - q.ur.y) < 0.5 or abs(q.ul.x - q.ur.x) < 0.5)


def _fully_transparent(doc: pymupdf.Document, xref: int) -> bool:
    """True when the image's soft mask hides every pixel."""
    try:
        kind, value = doc.xref_get_key(xref, "SMask")
        if kind != "xref":
            return False
        mask_xref = int(value.split()[0])
        if image_too_large(doc, mask_xref):
            return False
        mask = pymupdf.Pixmap(doc, mask_xref)
    except (RuntimeError, ValueError):
        return False
    samples = np.frombuffer(mask.samples, np.uint8)
    return samples.size > 0 and int(samples.max()) == 0


def _tighten(page: pymupdf.Page, rect: Rect, dpi: float = 72.0) -> Rect:
    """Shrink a rect to the ink inside it (path bounds include Bezier control points)."""
    rot = page.rotation_matrix
    shown = pymupdf.Rect(*rect.as_tuple()) * rot  # the clip of get_pixmap is in page.rect space
    zoom = fit_dpi(shown, dpi) / 72.0
    pix = pixmap(page, zoom * 72.0, clip=shown, gray=True, annots=False)
    if pix.width < 2 or pix.height < 2:
        return rect
    gray = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, : pix.width]
    ink = gray < 245
    cols, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
    if cols.size == 0 or rows.size == 0:
        return rect
    ox, oy = pix.x, pix.y  # pixel origin of the clip, in the zoomed page.rect space
    x0, x1 = (ox + cols[0]) / zoom, (ox + cols[-1] + 1) / zoom
    y0, y1 = (oy + rows[0]) / zoom, (oy + rows[-1] + 1) / zoom
    back = pymupdf.Rect(x0, y0, x1, y1) * ~rot
    tight = _r(back).intersect(rect)
    return rect if tight.is_empty else tight
