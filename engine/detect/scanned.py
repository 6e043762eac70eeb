"""Ultrasound frames on scanned pages: large, dark, nearly rectangular regions on paper.

The page is rendered once in gray at a low working resolution. A box-blurred copy is
thresholded against the paper brightness measured on the page itself: averaging over a
few millimetres makes text too light to count while frames (dark even where the tissue
is bright) stay solid. Each dark component is then cut XY-style along rows and columns
that are almost all paper, which separates frames that sit a few points apart, and the
pieces are kept when they are big, dark, filled and not banner-shaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pymupdf

from engine.detect.base import Box
from engine.errors import DetectorError
from engine.geometry import Rect
from engine.i18n import tr
from engine.imaging import cv2
from engine.pdf.render import pixmap
from engine.pdf.resolution import check_dpi


@dataclass
class _Piece:
    x0: int
    y0: int
    x1: int
    y1: int


@dataclass
class ScannedDetector:
    """Finds ultrasound frames on image-only pages by classical image analysis.

    dpi: working resolution of the gray render (lower is faster, 1 px = 72/dpi pt).
    min_side_pt / min_area_frac: smallest frame (each side, and share of the page area).
    max_aspect: longer over shorter side; wider boxes are banners or rules.
    dark_level: a blurred pixel darker than dark_level x paper belongs to a dark region.
    paper_level: a pixel brighter than paper - paper_level x (paper - dark threshold)
        looks like paper; rows/columns with paper_share of such pixels cut regions apart.
    min_fill / min_darkness: share of the box that is dark, and 1 - mean / paper.
    """

    name: ClassVar[str] = "scanned"
    dpi: float = 60.0
    min_side_pt: float = 48.0
    min_area_frac: float = 0.012
    max_aspect: float = 4.0
    dark_level: float = 0.5
    paper_level: float = 0.3
    paper_share: float = 0.75
    blur_pt: float = 8.0
    min_fill: float = 0.6
    min_darkness: float = 0.3

    def __post_init__(self) -> None:
        self.dpi = check_dpi(self.dpi, tr("The {detector} detector's dpi").format(detector=self.name), DetectorError)

    def detect(self, page: pymupdf.Page) -> list[Box]:
        # RGB then cvtColor: MuPDF's own gray conversion of an RGB scan is slower
        pix = pixmap(page, self.dpi)  # a huge page at a lower resolution: detect_array scales by what it got
        if pix.width < 8 or pix.height < 8:
            return []
        arr = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, : pix.width * pix.n]
        if pix.n == 1:
            gray = arr
        else:
            gray = cv2().cvtColor(arr.reshape(pix.height, pix.width, pix.n), cv2().COLOR_RGB2GRAY)
        rect = page.rect
        return self.detect_array(gray, Rect(rect.x0, rect.y0, rect.x1, rect.y1))

    def detect_array(self, gray: np.ndarray, bounds: Rect) -> list[Box]:
        """Frames in a gray page image that spans `bounds` (PDF points)."""
        cv = cv2()
        h, w = gray.shape
        sx, sy = bounds.width / w, bounds.height / h
        paper = _paper_level(gray)
        if paper is None:
            return []
        thr = self.dark_level * paper
        light_thr = paper - self.paper_level * (paper - thr)
        k = max(3, round(self.blur_pt / sx) | 1)  # pixels per blur_pt at the resolution of `gray`
        dark = cv.blur(gray, (k, k)) < thr
        light = gray > light_thr
        # outer contours are much cheaper than labelling, and only their extents matter here
        contours, _ = cv.findContours(dark.view(np.uint8), cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE)
        min_w, min_h = self.min_side_pt / sx, self.min_side_pt / sy
        min_area = self.min_area_frac * w * h
        boxes: list[Box] = []
        for contour in contours:
            x, y, bw, bh = cv.boundingRect(contour)
            if bw < min_w * 0.8 or bh < min_h * 0.8 or bw * bh < min_area * 0.5:
                continue
            pad = k // 2 + 1
            start = _Piece(max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad))
            for p in self._cut(light, start, depth=0):
                box = self._judge(gray, dark, p, paper, min_w, min_h, min_area)
                if box is not None:
                    r = Rect(bounds.x0 + p.x0 * sx, bounds.y0 + p.y0 * sy,
                             bounds.x0 + p.x1 * sx, bounds.y0 + p.y1 * sy)
                    boxes.append(Box(r, "ultrasound", box, "scanned"))
        boxes.sort(key=lambda b: (round(b.rect.y0 / 12), b.rect.x0))
        return boxes

    def _cut(self, light: np.ndarray, p: _Piece, depth: int) -> list[_Piece]:
        """Trim paper margins, then split recursively at interior paper rows/columns."""
        sub = light[p.y0:p.y1, p.x0:p.x1]
        if sub.size == 0:
            return []
        cols = sub.mean(axis=0) >= self.paper_share
        rows = sub.mean(axis=1) >= self.paper_share
        if cols.all() or rows.all():
            return []
        cx = np.flatnonzero(~cols)
        ry = np.flatnonzero(~rows)
        trimmed = _Piece(p.x0 + int(cx[0]), p.y0 + int(ry[0]), p.x0 + int(cx[-1]) + 1, p.y0 + int(ry[-1]) + 1)
        if trimmed != p:
            return self._cut(light, trimmed, depth + 1) if depth < 64 else [trimmed]
        for axis, flags in ((0, cols), (1, rows)):
            runs = _interior_runs(flags)
            if runs:
                pieces: list[_Piece] = []
                start = 0
                for a, b in runs + [(len(flags), len(flags))]:
                    if a > start:
                        if axis == 0:
                            part = _Piece(p.x0 + start, p.y0, p.x0 + a, p.y1)
                        else:
                            part = _Piece(p.x0, p.y0 + start, p.x1, p.y0 + a)
                        pieces += self._cut(light, part, depth + 1) if depth < 64 else [part]
                    start = b
                return pieces
        return [p]

    def _judge(self, gray: np.ndarray, dark: np.ndarray, p: _Piece, paper: float,
               min_w: float, min_h: float, min_area: float) -> float | None:
        """The score of a piece (0..1), or None when it is not a frame."""
        bw, bh = p.x1 - p.x0, p.y1 - p.y0
        if bw < min_w or bh < min_h or bw * bh < min_area:
            return None
        # aspect in page units: pixels may not be square when the render is rounded
        if max(bw / bh, bh / bw) > self.max_aspect:
            return None
        fill = float(dark[p.y0:p.y1, p.x0:p.x1].mean())
        darkness = 1.0 - float(gray[p.y0:p.y1, p.x0:p.x1].mean()) / paper
        if fill < self.min_fill or darkness < self.min_darkness:
            return None
        return round(min(1.0, 0.5 * fill + 0.5 * min(1.0, darkness / 0.6)), 3)


def _paper_level(gray: np.ndarray) -> float | None:
    """The brightness of the paper: the main peak among the lighter half of the histogram."""
    sample = gray[::2, ::2]
    hist = np.bincount(sample.ravel(), minlength=256).astype(np.float64)
    if hist[96:].sum() < 0.05 * sample.size:
        return None  # no paper to speak of: a full-bleed dark image or a blank black page
    smooth = np.convolve(hist, np.ones(5) / 5, mode="same")
    return float(96 + int(np.argmax(smooth[96:])))


def _interior_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True strictly inside the array (neither touching the start nor the end)."""
    if flags.size < 3:
        return []
    f = flags.astype(np.int8)
    edges = np.diff(np.concatenate(([0], f, [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends) if a > 0 and b < flags.size]
