"""The sample atlas the app opens on first start, generated: a PDF that knows where its figures are.

Everything here is synthetic: B-mode-like frames drawn with numpy, pages laid out with
PyMuPDF, a scanned page made by rasterizing a born-digital page and inserting the noisy
raster as the page's only content. `make_sample_pdf` returns the ground truth with the file.

The drawing helpers (frames, text, banners, scanned pages) are public because the test and
benchmark generators in tests/generators.py build their books from them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pymupdf
from PIL import Image, ImageDraw, ImageFont

from engine.geometry import Rect
from engine.imaging import cv2

FigureKind = Literal["embedded", "vector", "scanned"]
A4 = (595.0, 842.0)
_CJK = "cjk"


@dataclass
class TruthFigure:
    page: int
    rect: Rect  # PDF points, in the page's own (rotated) rect
    caption: str = ""
    section: str = ""
    sublabel: str = ""
    kind: FigureKind = "embedded"


@dataclass
class GeneratedPdf:
    path: Path
    truth: list[TruthFigure] = field(default_factory=list)

    def truth_on(self, page: int) -> list[TruthFigure]:
        return [t for t in self.truth if t.page == page]


# ----------------------------------------------------------------- ultrasound frames

def ultrasound_frame(width_px: int, height_px: int, rng: np.random.Generator,
                     labels: Sequence[str] = ("LK",)) -> np.ndarray:
    """A B-mode-like frame (uint8 RGB, height x width x 3): speckled sector on black."""
    cv = cv2()
    w, h = max(int(width_px), 32), max(int(height_px), 32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    apex_x = w / 2 + rng.uniform(-0.02, 0.02) * w
    apex_y = -rng.uniform(0.12, 0.3) * h
    r0 = -apex_y + rng.uniform(0.05, 0.09) * h
    r1 = h * rng.uniform(0.9, 0.97) - apex_y
    half = min(math.radians(rng.uniform(30, 40)), math.asin(min(0.99, 0.46 * w / r1)))
    r = np.hypot(xx - apex_x, yy - apex_y)
    phi = np.arctan2(xx - apex_x, yy - apex_y)
    u = (phi / half + 1) / 2  # 0..1 across the sector
    v = (r - r0) / (r1 - r0)  # 0..1 in depth
    inside = ((u >= 0) & (u <= 1) & (v >= 0) & (v <= 1)).astype(np.float32)
    inside = cv.GaussianBlur(inside, (0, 0), 1.0)

    # tissue echogenicity: a smooth field, an organ, a bright capsule, a cyst with enhancement
    coarse = rng.uniform(0.55, 1.0, (5, 5)).astype(np.float32)
    echo = cv.resize(coarse, (w, h), interpolation=cv.INTER_CUBIC)
    uc, vc = rng.uniform(0.35, 0.65), rng.uniform(0.4, 0.6)
    ru, rv = rng.uniform(0.22, 0.32), rng.uniform(0.18, 0.26)
    organ = ((u - uc) / ru) ** 2 + ((v - vc) / rv) ** 2
    echo = np.where(organ < 1, echo * 0.75, echo)
    echo += 1.4 * echo * np.exp(-((np.sqrt(organ) - 1) / 0.04) ** 2)  # capsule
    diaphragm = 0.86 + 0.08 * np.cos((u - 0.5) * 3)
    echo += 1.3 * np.exp(-((v - diaphragm) / 0.015) ** 2)
    cu, cv_ = uc + rng.uniform(-0.12, 0.12), vc + rng.uniform(-0.08, 0.08)
    cru, crv = rng.uniform(0.06, 0.1), rng.uniform(0.05, 0.08)
    cyst = ((u - cu) / cru) ** 2 + ((v - cv_) / crv) ** 2
    enhancement = (np.abs(u - cu) < cru) & (v > cv_)
    echo = np.where(enhancement, echo * 1.35, echo)
    echo = np.where(cyst < 1, 0.04, echo)

    # fully developed speckle: magnitude of smoothed complex noise, stretched laterally
    re = cv.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 1.4, sigmaY=0.7)
    im = cv.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 1.4, sigmaY=0.7)
    speckle = np.hypot(re, im)
    speckle /= float(speckle.mean()) + 1e-6
    gain = 1.0 - 0.3 * np.clip(v, 0, 1)
    tissue = np.log1p(2.2 * echo * speckle * gain) / math.log1p(2.2 * 2.8)
    img = 8 + rng.normal(0, 2, (h, w)) + inside * np.clip(tissue, 0, 1) ** 1.3 * 225
    gray = np.clip(img, 0, 255).astype(np.uint8)

    pil = Image.fromarray(gray, "L")
    draw = ImageDraw.Draw(pil)
    size = max(8, int(h * 0.045))
    font = ImageFont.load_default(size=size)
    y = int(h * 0.03)
    for text in labels:
        draw.text((int(w * 0.03), y), text, fill=235, font=font)
        y += size + 2
    draw.text((int(w * 0.7), int(h * 0.03)), f"C5-1  {rng.integers(2, 6)}.0MHz", fill=200,
              font=ImageFont.load_default(size=max(7, size - 2)))
    x = w - max(4, int(w * 0.03))
    depth_top = int(max(r0 + apex_y, 2))
    for i, yd in enumerate(range(depth_top, h - 3, max(4, h // 24))):
        d = 2 if i % 5 == 0 else 1
        draw.rectangle((x - d, yd - d, x + d, yd + d), fill=225)
    bar_x, bar_y0, bar_y1 = max(2, int(w * 0.015)), int(h * 0.35), int(h * 0.65)
    for yb in range(bar_y0, bar_y1):
        draw.line((bar_x, yb, bar_x + 3, yb), fill=int(230 * (bar_y1 - yb) / (bar_y1 - bar_y0)))
    out = np.asarray(pil)
    return np.dstack([out, out, out])


def _jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def frame_jpeg(rect: Rect, rng: np.random.Generator, labels: Sequence[str], ppp: float = 1.6) -> bytes:
    return _jpeg(ultrasound_frame(round(rect.width * ppp), round(rect.height * ppp), rng, labels))


# ----------------------------------------------------------------- text layout

@cache
def _cjk_font() -> pymupdf.Font:
    return pymupdf.Font("cjk")


@cache
def _advance(ch: str) -> float:
    return _cjk_font().text_length(ch, 1.0)


def _length(text: str, size: float) -> float:
    return sum(_advance(ch) for ch in text) * size


@cache
def _wrap(text: str, width: float, size: float) -> tuple[str, ...]:
    """Greedy line breaking: CJK may break anywhere, Latin at spaces."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ord(ch) > 0x2E7F or ch == " ":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    lines, line, used = [], "", 0.0
    for tok in tokens:
        w = _length(tok, size)
        if line and used + w > width:
            lines.append(line.rstrip())
            line, used = ("", 0.0) if tok == " " else (tok, w)
        else:
            line, used = line + tok, used + w
    if line.strip():
        lines.append(line.rstrip())
    return tuple(lines)


def draw_text(page: pymupdf.Page, x: float, y: float, text: str, size: float = 9.5,
          width: float | None = None, color: Sequence[float] = (0, 0, 0), bold: bool = False,
          leading: float = 1.45) -> float:
    """Write `text` with its top at y; wraps to `width`. Returns the y under the last line."""
    if _CJK not in {f[4] for f in page.get_fonts()}:
        page.insert_font(fontname=_CJK, fontbuffer=_cjk_font().buffer)
    lines = _wrap(text, width, size) if width else (text,)
    for i, line in enumerate(lines):
        page.insert_text((x, y + size * (0.88 + i * leading)), line, fontname=_CJK, fontsize=size,
                         color=color, fill=color, render_mode=2 if bold else 0,
                         border_width=0.03 if bold else 0.05)
    return y + size * leading * len(lines)


def draw_centered(page: pymupdf.Page, cx: float, y: float, text: str, size: float = 8.5) -> float:
    return draw_text(page, cx - _length(text, size) / 2, y, text, size)


def draw_banner(page: pymupdf.Page, text: str, height: float = 34) -> float:
    r = page.rect
    page.draw_rect(pymupdf.Rect(0, 0, r.width, height), color=None, fill=(0.12, 0.18, 0.3))
    draw_text(page, 40, height / 2 - 6, text, 11, color=(1, 1, 1), bold=True)
    return height


def draw_page_number(page: pymupdf.Page, n: int) -> None:
    draw_centered(page, page.rect.width / 2, page.rect.height - 30, f"— {n} —", 8)


# ----------------------------------------------------------------- atlas content

PARAS = [
    ("肝脏位于右上腹，超声检查时患者取仰卧位或左侧卧位，探头置于右肋缘下及肋间。"
    "The liver is examined through subcostal and intercostal windows with the patient supine."),
    ("正常肝实质呈均匀细小点状回声，回声强度略高于肾皮质。Normal parenchyma shows fine, "
    "homogeneous echoes, slightly brighter than the renal cortex."),
    ("胆囊结石表现为强回声团伴后方声影，并随体位改变而移动。Gallstones are echogenic foci "
    "with posterior acoustic shadowing that move when the patient turns."),
    ("肾脏纵切面呈椭圆形，皮质回声低于肝脏，集合系统呈高回声。In the long axis the kidney is oval; "
    "the cortex is less echogenic than the liver and the sinus is bright."),
    ("脾脏位于左季肋区，长径一般不超过12厘米。The spleen lies in the left upper quadrant and "
    "its length normally does not exceed 12 cm."),
    ("囊肿表现为无回声区，边界清晰，后方回声增强。A simple cyst is anechoic and well defined, "
    "with posterior acoustic enhancement."),
]
SECTIONS = ["3-1 肝脏 / Liver", "3-2 胆囊 / Gallbladder", "3-3 肝脏分段 / Liver segments",
            "3-4 肾脏 / Kidney", "3-5 脾脏 / Spleen"]


def draw_body(page: pymupdf.Page, y: float, texts: Sequence[str], x0: float = 56, width: float = 483) -> float:
    for t in texts:
        y = draw_text(page, x0, y, t, 9.5, width) + 6
    return y


def _place_frame(page: pymupdf.Page, rect: Rect, rng: np.random.Generator,
                 labels: Sequence[str], xref: int = 0) -> int:
    r = pymupdf.Rect(*rect.as_tuple())
    if xref:
        return page.insert_image(r, xref=xref, keep_proportion=False)
    return page.insert_image(r, stream=frame_jpeg(rect, rng, labels), keep_proportion=False)


def _frame_row(page: pymupdf.Page, y: float, n: int, w: float, h: float, gap: float,
               rng: np.random.Generator, labels: Sequence[Sequence[str]]) -> list[Rect]:
    x = (page.rect.width - (n * w + (n - 1) * gap)) / 2
    rects = [Rect(x + i * (w + gap), y, x + i * (w + gap) + w, y + h) for i in range(n)]
    for rect, lab in zip(rects, labels):
        _place_frame(page, rect, rng, lab)
    return rects


def _figure_caption(page: pymupdf.Page, y: float, fig: str, zh: str, en: str) -> tuple[str, float]:
    caption = f"图 {fig} {zh} / Figure {fig} {en}"
    return caption, draw_centered(page, page.rect.width / 2, y, caption, 9) + 8


def _liver_sketch(page: pymupdf.Page, box: Rect) -> Rect:
    """A Couinaud segment schematic drawn with vector paths; returns its drawn extent."""
    def p(fx: float, fy: float) -> pymupdf.Point:
        return pymupdf.Point(box.x0 + fx * box.width, box.y0 + fy * box.height)
    sh = page.new_shape()
    pts = [p(0.0, 0.45), p(0.1, 0.02), p(0.55, 0.0), p(1.0, 0.15), p(0.85, 0.6), p(0.45, 1.0), p(0.05, 0.8)]
    n = len(pts)
    for i in range(n):  # closed Catmull-Rom spline through the outline points
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[(i + 1) % n], pts[(i + 2) % n]
        sh.draw_bezier(p1, p1 + (p2 - p0) / 6, p2 - (p3 - p1) / 6, p2)
    sh.finish(color=(0.45, 0.1, 0.05), fill=(0.96, 0.84, 0.78), width=1.4)
    for a, b in [((0.5, 0.02), (0.42, 0.93)), ((0.28, 0.12), (0.18, 0.8)), ((0.75, 0.08), (0.72, 0.6)),
                 ((0.05, 0.5), (0.9, 0.45))]:
        sh.draw_line(p(*a), p(*b))
    sh.finish(color=(0.3, 0.3, 0.6), width=0.8, dashes="[3 2] 0")
    sh.draw_curve(p(0.45, 0.95), p(0.48, 0.6), p(0.3, 0.35))
    sh.draw_curve(p(0.48, 0.6), p(0.62, 0.45), p(0.8, 0.3))
    sh.finish(color=(0.1, 0.2, 0.7), width=2.2, closePath=False)
    sh.draw_oval(pymupdf.Rect(p(0.52, 0.68), p(0.64, 0.9)))
    sh.finish(color=(0.1, 0.45, 0.15), fill=(0.6, 0.85, 0.55), width=0.8)
    sh.commit()
    for lab, fx, fy in [("I", 0.47, 0.5), ("II", 0.12, 0.3), ("III", 0.12, 0.6), ("IVa", 0.36, 0.25),
                        ("IVb", 0.34, 0.6), ("V", 0.6, 0.55), ("VI", 0.78, 0.52), ("VII", 0.85, 0.25),
                        ("VIII", 0.6, 0.2)]:
        q = p(fx, fy)
        page.insert_text(q, lab, fontname="hebo", fontsize=9, color=(0.2, 0.1, 0.1))
    # the drawn extent, measured on a render (path bounds would include curve control points)
    clip = pymupdf.Rect(*box.expanded(12).as_tuple())
    pix = page.get_pixmap(dpi=288, clip=clip, colorspace=pymupdf.csGRAY)
    ink = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, : pix.width] < 250
    ys, xs = np.nonzero(ink)
    k = clip.width / pix.width
    return Rect(float(clip.x0 + xs.min() * k), float(clip.y0 + ys.min() * k),
                float(clip.x0 + (xs.max() + 1) * k), float(clip.y0 + (ys.max() + 1) * k))


# ----------------------------------------------------------------- scanned pages

def _scan_raster(src: pymupdf.Page, rng: np.random.Generator, dpi: int = 150) -> bytes:
    """Rasterize a born-digital page like a scanner would: gray paper, noise, JPEG."""
    pix = src.get_pixmap(dpi=dpi)
    rgb = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3]
    paper = np.array([rng.uniform(228, 242), rng.uniform(226, 238), rng.uniform(216, 230)], np.float32)
    shade = 1.0 - 0.04 * np.linspace(0, 1, pix.width, dtype=np.float32)[None, :, None] ** 2
    out = rgb.astype(np.float32) * (paper / 255.0) * shade + rng.normal(0, 3.0, rgb.shape[:2])[..., None]
    return _jpeg(np.clip(out, 0, 255).astype(np.uint8), quality=82)


Builder = Callable[[pymupdf.Page, np.random.Generator], list[TruthFigure]]


def add_scanned_page(doc: pymupdf.Document, build: Builder, rng: np.random.Generator,
                  size: tuple[float, float] = A4, rotate: int = 0) -> list[TruthFigure]:
    """Append an image-only page whose raster shows what `build` lays out."""
    tmp = pymupdf.open()
    src = tmp.new_page(width=size[0], height=size[1])
    figs = build(src, rng)
    jpeg = _scan_raster(src, rng)
    page = doc.new_page(width=size[0], height=size[1])
    page.insert_image(page.rect, stream=jpeg, keep_proportion=False)
    if rotate:
        page.set_rotation(rotate)
        for f in figs:
            r = pymupdf.Rect(*f.rect.as_tuple()) * page.rotation_matrix
            f.rect = Rect(r.x0, r.y0, r.x1, r.y1)
    for f in figs:
        f.page, f.kind = page.number, "scanned"
    return figs


def draw_frames_block(page: pymupdf.Page, rng: np.random.Generator, y: float, rows: int, cols: int,
                  gap: float, section: str, fig: str, width: float = 470) -> tuple[list[TruthFigure], float]:
    w = (width - (cols - 1) * gap) / cols
    h = w * rng.uniform(0.68, 0.8) if cols > 1 else w * rng.uniform(0.55, 0.7)
    caption = f"图 {fig} 超声声像图 / Figure {fig} Sonograms"
    out = []
    letters = "ABCD"
    for row in range(rows):
        labels = [(("RK", "LONG"), ("LK",), ("GB",), ("LIVER",))[(row * cols + c) % 4] for c in range(cols)]
        rects = _frame_row(page, y + row * (h + gap), cols, w, h, gap, rng, labels)
        for c, rect in enumerate(rects):
            sub = letters[row * cols + c] if rows * cols > 1 else ""
            out.append(TruthFigure(0, rect, caption, section, sub, "scanned"))
    y += rows * h + (rows - 1) * gap + 8
    return out, draw_centered(page, page.rect.width / 2, y, caption, 9) + 10


# ----------------------------------------------------------------- the sample atlas

def draw_atlas_header(page: pymupdf.Page, n: int) -> None:
    draw_text(page, 56, 28, "超声诊断图谱 · 腹部 / Atlas of Diagnostic Ultrasound · Abdomen", 8, color=(0.4, 0.4, 0.4))
    page.draw_line((56, 42), (539, 42), color=(0.6, 0.6, 0.6), width=0.5)
    draw_page_number(page, n)


def _sample_page_liver(doc: pymupdf.Document, rng: np.random.Generator) -> list[TruthFigure]:
    page = doc.new_page(width=A4[0], height=A4[1])
    draw_atlas_header(page, 41)
    y = draw_text(page, 56, 60, "第三章 肝胆脾肾 / Chapter 3 Liver, biliary tract, spleen and kidney", 16, bold=True) + 10
    y = draw_text(page, 56, y, SECTIONS[0], 13, bold=True) + 6
    y = draw_body(page, y, [PARAS[0], "图 3-1 为右肋缘下斜切面。Figure 3-1 shows a right subcostal oblique view."])
    rect = _frame_row(page, y + 4, 1, 330, 235, 0, rng, [("LIVER", "RT OBL")])[0]
    caption, y = _figure_caption(page, rect.y1 + 6, "3-1", "肝右叶", "Right liver lobe")
    draw_body(page, y, [("图解要点：图3-1显示肝右叶实质回声均匀，肝静脉走行清晰，膈肌呈弧形强回声。"
                    "Key points: homogeneous parenchyma, clear hepatic veins, bright curved diaphragm."),
                    PARAS[1]])
    return [TruthFigure(page.number, rect, caption, SECTIONS[0], "", "embedded")]


def _sample_page_gallbladder(doc: pymupdf.Document, rng: np.random.Generator) -> list[TruthFigure]:
    page = doc.new_page(width=A4[0], height=A4[1])
    draw_atlas_header(page, 42)
    y = draw_text(page, 56, 60, SECTIONS[1], 13, bold=True) + 6
    y = draw_body(page, y, [PARAS[2], ("如图 3-2 所示，A 为纵切面，B 为横切面。As Figure 3-2 shows, "
                        "A is a longitudinal and B a transverse view.")])
    rects = _frame_row(page, y + 4, 2, 230, 175, 14, rng, [("GB", "LONG"), ("GB", "TRANS")])
    for r, sub in zip(rects, "AB"):
        draw_centered(page, (r.x0 + r.x1) / 2, r.y1 + 3, sub, 10)
    caption, y = _figure_caption(page, rects[0].y1 + 20, "3-2", "胆囊结石", "Gallbladder stones")
    draw_body(page, y, [("图解要点：A、B图显示胆囊腔内强回声团，后方伴声影，改变体位后移动。"
                    "Key points: A and B show an echogenic focus with shadowing that moves with position."),
                    PARAS[5]])
    return [TruthFigure(page.number, r, caption, SECTIONS[1], sub, "embedded") for r, sub in zip(rects, "AB")]


def _sample_page_segments(doc: pymupdf.Document, rng: np.random.Generator) -> list[TruthFigure]:
    page = doc.new_page(width=A4[0], height=A4[1])
    draw_atlas_header(page, 43)
    y = draw_text(page, 56, 60, SECTIONS[2], 13, bold=True) + 6
    y = draw_body(page, y, [("Couinaud 分段以肝静脉和门静脉为标志，将肝脏分为八段（图 3-3）。"
                        "Couinaud's scheme divides the liver into eight segments along the hepatic and "
                        "portal veins (Figure 3-3).")])
    rect = _liver_sketch(page, Rect(147, y + 14, 447, y + 224))
    caption, y = _figure_caption(page, rect.y1 + 12, "3-3", "肝脏分段示意图", "Couinaud liver segments")
    draw_body(page, y, [("图解要点：虚线示肝静脉平面，蓝色示门静脉分支，绿色示胆囊。Dashed lines mark the "
                    "hepatic vein planes, blue the portal branches, green the gallbladder."), PARAS[1]])
    return [TruthFigure(page.number, rect, caption, SECTIONS[2], "", "vector")]


def _sample_scanned_kidney(page: pymupdf.Page, rng: np.random.Generator) -> list[TruthFigure]:
    y = draw_banner(page, "第三章 肝胆脾肾 / Chapter 3 Liver, biliary tract, spleen and kidney") + 18
    y = draw_text(page, 56, y, SECTIONS[3], 13, bold=True) + 6
    y = draw_body(page, y, [PARAS[3]])
    pair, y = draw_frames_block(page, rng, y + 2, 1, 2, 5.0, SECTIONS[3], "3-4", 470)
    y = draw_body(page, y, [("图解要点：A、B图显示右肾纵切面及横切面，皮髓质分界清晰。Key points: A and B "
                        "show the right kidney in long and short axis; corticomedullary junction is clear.")])
    stack, y = draw_frames_block(page, rng, y + 2, 2, 1, 4.5, SECTIONS[3], "3-5", 250)
    draw_page_number(page, 44)
    return pair + stack


def make_sample_pdf(path: Path | str, seed: int = 7) -> GeneratedPdf:
    """The sample project's document: a 5-page bilingual atlas with known figures."""
    rng = np.random.default_rng(seed)
    doc = pymupdf.open()
    truth = _sample_page_liver(doc, rng) + _sample_page_gallbladder(doc, rng) + _sample_page_segments(doc, rng)
    truth += add_scanned_page(doc, _sample_scanned_kidney, rng)
    page = doc.new_page(width=A4[0], height=A4[1])
    draw_atlas_header(page, 45)
    y = draw_text(page, 56, 60, SECTIONS[4], 13, bold=True) + 6
    y = draw_body(page, y, [PARAS[4]])
    rect = _frame_row(page, y + 4, 1, 300, 210, 0, rng, [("SPLEEN", "LONG")])[0]
    caption, y = _figure_caption(page, rect.y1 + 6, "3-6", "正常脾脏", "Normal spleen")
    truth.append(TruthFigure(page.number, rect, caption, SECTIONS[4], "", "embedded"))
    y = draw_text(page, 56, y, "表 3-1 正常脏器测值 / Table 3-1 Normal organ sizes", 9, bold=True) + 4
    rows = [("脏器 Organ", "长径 Length (cm)"), ("肝右叶 Right lobe", "< 15"), ("脾 Spleen", "< 12"),
            ("肾 Kidney", "10-12")]
    for i, (a, b) in enumerate(rows):
        page.draw_line((56, y + i * 18), (400, y + i * 18), width=1.0 if i == 0 else 0.4)
        draw_text(page, 60, y + i * 18 + 4, a, 9)
        draw_text(page, 250, y + i * 18 + 4, b, 9)
    page.draw_line((56, y + 72), (400, y + 72), width=1.0)
    doc.subset_fonts()
    path = Path(path)
    doc.save(path, garbage=3, deflate=True)
    return GeneratedPdf(path, truth)
