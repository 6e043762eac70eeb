"""Born-digital test pages with the boxes a reader would draw around their figures.

Eight kinds of page (KINDS), each in as many seeded variants as asked for: fonts, sizes, page
sizes, margins, positions, caption styles and drawing details vary with the RNG, so a
detector is judged on the general case, not on one layout.

- flowchart: a vector flowchart with raster icons and text labels
- panel:     a drawn panel holding a small ultrasound image and callout text
- panels3:   a three-panel figure (two rasters, one vector plot with axes and tick labels)
             with (a)(b)(c) or A/B/C sub-labels
- textpanel: a framed block of text captioned "Figure N:"
- table:     a table with a "Table N" caption above it (no figure)
- twocol:    a two-column paper page with a column-wide and a page-wide figure
- cjk:       a Chinese textbook page, "图 3-1" under an ultrasound image with vector arrows
- logo:      a logo, an icon and a header band, no caption (no figure)
- pair:      two figures side by side, each with its own caption

Variants on top of that: matplotlib charts placed as PDF forms (as LaTeX does), captions over their figure, a section heading right over a figure, a
title over a plot, a word cloud (text only) as a panel, a picture with the text running beside
it, a figure right under a table, an uncaptioned call-out box.

The truth of each figure is the ink it covers, measured on a render of the area it was drawn
in (nothing else is drawn there). `figures` holds one box per figure (its panels and
sub-labels included), `panels` one box per sub-labelled panel (figures without panels
appear whole).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image, ImageDraw

from engine.geometry import Rect
from engine.samplegen import frame_jpeg

KINDS = ("flowchart", "panel", "panels3", "textpanel", "table", "twocol", "cjk", "logo", "pair")
PAGE_SIZES = ((595.0, 842.0), (612.0, 792.0))
LATIN_FONTS = (("tiro", "tibo"), ("helv", "hebo"), ("cour", "cobo"))
CJK = "cjk"

WORDS = ("the liver parenchyma shows fine homogeneous echoes and the portal veins run with bright walls "
         "while the hepatic veins have none; a simple cyst is anechoic with posterior enhancement and "
         "a solid lesion may show a halo; the gallbladder wall is thin and smooth when the patient has "
         "fasted, stones are echogenic and shadow and move with position; in the long axis the kidney "
         "is oval and its cortex is less echogenic than the liver; Doppler shows flow in the renal "
         "artery with a low resistive index; we trained the model on three thousand labelled frames "
         "and report accuracy sensitivity and specificity on a held out test set of patients").split()
ZH = ("肝脏位于右上腹超声检查时患者取仰卧位探头置于右肋缘下及肋间正常肝实质呈均匀细小点状回声回声强度略高于肾皮质"
      "胆囊结石表现为强回声团伴后方声影并随体位改变而移动肾脏纵切面呈椭圆形皮质回声低于肝脏集合系统呈高回声"
      "囊肿表现为无回声区边界清晰后方回声增强脾脏位于左季肋区长径一般不超过十二厘米")
LABELS = ("Input", "Preprocess", "Segment", "Classify", "Report", "Review", "Archive", "Reject", "Train",
          "Validate", "Ultrasound", "Model", "Expert check", "Dataset", "Output")


@dataclass
class PageTruth:
    kind: str
    figures: list[Rect] = field(default_factory=list)
    panels: list[Rect] = field(default_factory=list)
    sublabels: list[str] = field(default_factory=list)  # of `panels`, "" where a figure has none


@dataclass
class BornDigitalPdf:
    path: Path
    pages: list[PageTruth]


# ----------------------------------------------------------------- text


@cache
def _cjk_font() -> pymupdf.Font:
    return pymupdf.Font("cjk")


def text_width(text: str, font: str, size: float) -> float:
    if font == CJK:
        return _cjk_font().text_length(text, size)
    return pymupdf.get_text_length(text, font, size)


class Sheet:
    """One page and its style: fonts, body size, leading, margins, columns."""

    def __init__(self, page: pymupdf.Page, rng: np.random.Generator, cjk: bool = False):
        self.page, self.rng = page, rng
        self._cjk = False  # the Chinese font is on the page
        self.font, self.bold = (CJK, CJK) if cjk else LATIN_FONTS[int(rng.integers(len(LATIN_FONTS)))]
        self.size = float(rng.choice([9.0, 9.5, 10.0, 10.5, 11.0]))
        if self.font == "cour":
            self.size -= 1.0
        self.lead = float(rng.uniform(1.2, 1.4)) * self.size
        w, h = page.rect.width, page.rect.height
        self.left = float(rng.uniform(48, 78))
        self.right = w - self.left + float(rng.uniform(-6, 6))
        self.top = float(rng.uniform(56, 80))
        self.bottom = h - float(rng.uniform(56, 80))

    @property
    def width(self) -> float:
        return self.right - self.left

    def line(self, x: float, y: float, text: str, font: str | None = None, size: float | None = None,
             color: Sequence[float] = (0, 0, 0)) -> Rect:
        """One line with its top at y; returns its box."""
        font, size = font or self.font, size or self.size
        if not text.isascii():
            font = CJK  # the base-14 fonts have no Chinese
        if font == CJK and not self._cjk:
            self.page.insert_font(fontname=CJK, fontbuffer=_cjk_font().buffer)
            self._cjk = True
        self.page.insert_text((x, y + 0.8 * size), text, fontname=font, fontsize=size, color=color)
        return Rect(x, y, x + text_width(text, font, size), y + size)

    def centered(self, cx: float, y: float, text: str, font: str | None = None, size: float | None = None) -> Rect:
        font, size = font or self.font, size or self.size
        if not text.isascii():
            font = CJK
        return self.line(cx - text_width(text, font, size) / 2, y, text, font, size)

    def words(self, n: int) -> str:
        start = int(self.rng.integers(len(WORDS)))
        return " ".join(WORDS[(start + i) % len(WORDS)] for i in range(n))

    def wrap(self, text: str, width: float, font: str, size: float) -> list[str]:
        if font == CJK and not text.isascii():
            lines, cur = [], ""
            for ch in text:
                if cur and text_width(cur + ch, font, size) > width:
                    lines.append(cur)
                    cur = ""
                cur += ch
            return [*lines, cur] if cur else lines
        lines, cur = [], ""
        for word in text.split():
            cand = f"{cur} {word}" if cur else word
            if cur and text_width(cand, font, size) > width:
                lines.append(cur)
                cur = word
            else:
                cur = cand
        return [*lines, cur] if cur else lines

    def para(self, x: float, y: float, width: float, lines: int, limit: float | None = None) -> float:
        """A paragraph of about `lines` lines (the last one short) from y; returns the y under it."""
        limit = self.bottom if limit is None else limit
        if self.font == CJK:
            start = int(self.rng.integers(len(ZH) // 2))
            per = max(4, int(width / self.size))
            text = (ZH * 4)[start: start + per * lines - int(self.rng.integers(2, per // 2 + 3))] + "。"
        else:
            per = max(3, int(width / (self.size * 2.6)))
            text = self.words(per * lines - int(self.rng.integers(1, max(2, per // 2)))).capitalize() + "."
        for ln in self.wrap(text, width, self.font, self.size):
            if y + self.size > limit:
                break
            self.line(x, y, ln)
            y += self.lead
        return y + 0.5 * self.lead

    def fill(self, x: float, y: float, width: float, limit: float) -> float:
        """Paragraphs from y down to `limit`."""
        while y + 2 * self.lead < limit:
            y = self.para(x, y, width, int(self.rng.integers(3, 8)), limit)
        return y

    def caption(self, x: float, y: float, width: float, label: str, words: int | None = None,
                centered: bool | None = None) -> float:
        """A caption from y ("Figure 3: ..."); returns the y under it."""
        rng = self.rng
        size = self.size - float(rng.choice([0.0, 0.5, 1.0]))
        if self.font == CJK or not label.isascii():
            text = label + " " + ZH[int(rng.integers(20)):][: int(rng.integers(6, 16))]
        else:
            text = label + " " + self.words(words or int(rng.integers(4, 40))).capitalize() + "."
        lines = self.wrap(text, width, self.font if text.isascii() else CJK, size)
        centered = (len(lines) == 1 and rng.random() < 0.6) if centered is None else centered
        for ln in lines:
            if centered:
                self.centered(x + width / 2, y, ln, size=size)
            else:
                self.line(x, y, ln, size=size)
            y += size * 1.25
        return y

    def furniture(self) -> None:
        """A running header (and a rule) and a page number, on some pages."""
        rng, w, h = self.rng, self.page.rect.width, self.page.rect.height
        if rng.random() < 0.7:
            y = self.top - float(rng.uniform(22, 30))
            self.line(self.left, y, "Journal of Medical Ultrasound " + str(int(rng.integers(10, 40))),
                      size=7.5, color=(0.3, 0.3, 0.3))
            if rng.random() < 0.5:
                self.page.draw_line((self.left, y + 10), (self.right, y + 10), width=0.5, color=(0.4, 0.4, 0.4))
        if rng.random() < 0.8:
            self.centered(w / 2, h - float(rng.uniform(30, 44)), str(int(rng.integers(1, 400))), size=8)


def figure_label(rng: np.random.Generator, n: int, cjk: bool = False) -> str:
    if cjk:
        return str(rng.choice([f"图 3-{n}", f"图3-{n}", f"图{n}", f"图 {n}", f"图 2.{n}"]))
    return str(rng.choice([f"Figure {n}:", f"Figure {n}.", f"Fig. {n}.", f"Fig. {n}:", f"FIGURE {n}",
                           f"Figure {n} |", f"FIG. {n}.", f"Figure S{n}.", f"Supplementary Figure {n}.",
                           f"Extended Data Fig. {n} |"],
                          p=[0.14, 0.14, 0.14, 0.12, 0.1, 0.1, 0.1, 0.06, 0.05, 0.05]))


# ----------------------------------------------------------------- pictures


def png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def ultrasound(page: pymupdf.Page, rect: Rect, rng: np.random.Generator, labels: Sequence[str] = ("LK",)) -> None:
    page.insert_image(pymupdf.Rect(*rect.as_tuple()), stream=frame_jpeg(rect, rng, labels, ppp=1.2),
                      keep_proportion=False)


def icon(page: pymupdf.Page, rect: Rect, rng: np.random.Generator) -> None:
    """A small flat icon on a white (or transparent) ground."""
    n = 48
    img = Image.new("RGBA", (n, n), (255, 255, 255, 0 if rng.random() < 0.5 else 255))
    d = ImageDraw.Draw(img)
    color = tuple(int(c) for c in rng.integers(20, 200, 3)) + (255,)
    shape = int(rng.integers(3))
    if shape == 0:
        d.ellipse((4, 4, n - 4, n - 4), fill=color)
    elif shape == 1:
        d.rectangle((6, 10, n - 6, n - 10), fill=color)
        d.rectangle((14, 16, n - 14, n - 16), fill=(255, 255, 255, 255))
    else:
        d.polygon([(n / 2, 3), (n - 3, n - 3), (3, n - 3)], fill=color)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    page.insert_image(pymupdf.Rect(*rect.as_tuple()), stream=buf.getvalue(), keep_proportion=False)


def photo(page: pymupdf.Page, rect: Rect, rng: np.random.Generator) -> None:
    """A colour raster (a heat map) filling `rect`."""
    h, w = max(16, int(rect.height)), max(16, int(rect.width))
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    field_ = np.sin(6 * xx + rng.uniform(0, 3)) * np.cos(5 * yy + rng.uniform(0, 3)) + rng.normal(0, 0.15, (h, w))
    v = (field_ - field_.min()) / (np.ptp(field_) + 1e-6)
    rgb = np.stack([255 * v, 255 * (1 - np.abs(v - 0.5) * 2), 255 * (1 - v)], axis=-1).astype(np.uint8)
    page.insert_image(pymupdf.Rect(*rect.as_tuple()), stream=png(rgb), keep_proportion=False)


def word_cloud(page: pymupdf.Page, rect: Rect, rng: np.random.Generator) -> None:
    """Words of many sizes and colours filling `rect` (text, no picture)."""
    y = rect.y0
    words = [w for w in WORDS if len(w) > 3]
    while True:
        size = float(rng.uniform(6, 20))
        if y + size > rect.y1:
            break
        x = rect.x0 + float(rng.uniform(0, 8))
        while True:
            word = str(rng.choice(words))
            s = size * float(rng.uniform(0.6, 1.0))
            wlen = pymupdf.get_text_length(word, "hebo", s)
            if x + wlen > rect.x1:
                break
            color = tuple(float(c) for c in rng.uniform(0, 0.7, 3))
            page.insert_text((x, y + 0.8 * size), word, fontname="hebo", fontsize=s, color=color)
            x += wlen + float(rng.uniform(3, 8))
        y += size * 1.05


def arrow(page: pymupdf.Page, a: tuple[float, float], b: tuple[float, float], color: Sequence[float] = (0, 0, 0),
          width: float = 0.8, head: float = 5.0) -> None:
    page.draw_line(a, b, color=color, width=width)
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = math.hypot(dx, dy) or 1.0
    ux, uy = dx / n, dy / n
    left = (b[0] - head * ux - 0.5 * head * uy, b[1] - head * uy + 0.5 * head * ux)
    right = (b[0] - head * ux + 0.5 * head * uy, b[1] - head * uy - 0.5 * head * ux)
    page.draw_polyline([b, left, right, b], color=color, fill=color, width=0.3, closePath=True)


def plot(sheet: Sheet, area: Rect) -> None:
    """A vector line or bar plot with axes, ticks, tick labels, axis labels and maybe a legend, inside `area`."""
    page, rng = sheet.page, sheet.rng
    ts = float(rng.uniform(5.5, 8.0))
    font = sheet.font if sheet.font != CJK else "helv"
    top = area.y0 + 2
    if rng.random() < 0.3:  # a title over the plot
        sheet.centered((area.x0 + area.x1) / 2, area.y0, "Validation loss", sheet.bold, ts + 1.5)
        top += ts + 6
    ax = Rect(area.x0 + 3.2 * ts, top, area.x1 - 4, area.y1 - 2.8 * ts)
    page.draw_line((ax.x0, ax.y1), (ax.x1, ax.y1), width=0.7)
    page.draw_line((ax.x0, ax.y0), (ax.x0, ax.y1), width=0.7)
    for i in range(5):
        x = ax.x0 + (i + 0.5) * ax.width / 5
        page.draw_line((x, ax.y1), (x, ax.y1 + 3), width=0.5)
        sheet.centered(x, ax.y1 + 4, str(10 * (i + 1)), font, ts)
        y = ax.y1 - (i + 0.5) * ax.height / 5
        page.draw_line((ax.x0 - 3, y), (ax.x0, y), width=0.5)
        lab = f"0.{2 * i}"
        sheet.line(ax.x0 - 4 - text_width(lab, font, ts), y - ts / 2, lab, font, ts)
    sheet.centered((ax.x0 + ax.x1) / 2, ax.y1 + 5 + ts, "Epoch", font, ts)
    if rng.random() < 0.5:
        for k in range(int(rng.integers(1, 3))):
            pts = [(ax.x0 + (i + 0.5) * ax.width / 12, ax.y1 - ax.height * (0.15 + 0.6 * (1 - math.exp(-i / (3 + k)))
                    + rng.uniform(-0.04, 0.04))) for i in range(12)]
            page.draw_polyline(pts, color=((0.8, 0.1, 0.1), (0.1, 0.3, 0.8))[k], width=1.2)
    else:
        n = int(rng.integers(4, 8))
        bw = ax.width / (n * 1.6)
        for i in range(n):
            x = ax.x0 + (i + 0.3) * ax.width / n
            page.draw_rect(pymupdf.Rect(x, ax.y1 - ax.height * rng.uniform(0.2, 0.9), x + bw, ax.y1),
                           color=None, fill=(0.2, 0.4, 0.7))
    if rng.random() < 0.5:
        lg = Rect(ax.x1 - 0.45 * ax.width, ax.y0 + 4, ax.x1 - 4, ax.y0 + 4 + 2.6 * ts)
        page.draw_rect(pymupdf.Rect(*lg.as_tuple()), color=(0.5, 0.5, 0.5), width=0.4)
        page.draw_line((lg.x0 + 3, lg.y0 + 1.3 * ts), (lg.x0 + 12, lg.y0 + 1.3 * ts), color=(0.8, 0.1, 0.1), width=1.2)
        sheet.line(lg.x0 + 15, lg.y0 + 0.8 * ts, "ours", font, ts)


def mpl_plot(page: pymupdf.Page, area: Rect, rng: np.random.Generator) -> None:
    """A matplotlib chart (line, scatter, bars or a histogram; a legend, a grid, a title on some)
    saved as PDF and placed into `area` as a form, as LaTeX places figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(area.width / 72, area.height / 72))
    kind = int(rng.integers(4))
    x = np.linspace(0, 10, 60)
    if kind == 0:
        for k in range(int(rng.integers(1, 4))):
            ax.plot(x, np.exp(-x / (2 + k)) + rng.normal(0, 0.03, x.size), label=f"model {k + 1}")
    elif kind == 1:
        ax.scatter(rng.random(300), rng.random(300), s=3, c=rng.random(300), cmap="viridis", label="cases")
    elif kind == 2:
        ax.bar([f"G{k}" for k in range(5)], rng.uniform(0.3, 1.0, 5), color="tab:blue", label="accuracy")
    else:
        ax.hist(rng.normal(0, 1, 500), bins=20, color="tab:orange", label="RI")
    ax.set_xlabel("Depth (cm)", fontsize=7)
    ax.set_ylabel("Score", fontsize=7)
    ax.tick_params(labelsize=6)
    if rng.random() < 0.5:
        ax.legend(fontsize=6)
    if rng.random() < 0.3:
        ax.grid(True, linewidth=0.3)
    if rng.random() < 0.3:
        ax.set_title("Validation", fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf", bbox_inches="tight", pad_inches=0.02)
    plt.close(fig)
    with pymupdf.open("pdf", buf.getvalue()) as src:
        page.show_pdf_page(pymupdf.Rect(*area.as_tuple()), src, 0)


def ink(page: pymupdf.Page, area: Rect) -> Rect:
    """The box around the ink inside `area` (what a reader would draw around it)."""
    clip = pymupdf.Rect(*area.as_tuple()) & page.rect
    pix = page.get_pixmap(dpi=216, clip=clip, colorspace=pymupdf.csGRAY, annots=False)
    g = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, : pix.width]
    ys, xs = np.nonzero(g < 235)
    if xs.size == 0:
        raise ValueError(f"nothing drawn in {area}")
    k = clip.width / pix.width
    return Rect(float(clip.x0 + xs.min() * k), float(clip.y0 + ys.min() * k),
                float(clip.x0 + (xs.max() + 1) * k), float(clip.y0 + (ys.max() + 1) * k))


# ----------------------------------------------------------------- page kinds


def _flow_box(sheet: Sheet, rect: Rect, text: str) -> None:
    rng = sheet.rng
    color = tuple(float(c) for c in rng.uniform(0, 0.6, 3))
    fill = tuple(float(c) for c in rng.uniform(0.85, 1.0, 3)) if rng.random() < 0.5 else None
    sheet.page.draw_rect(pymupdf.Rect(*rect.as_tuple()), color=color, fill=fill, width=float(rng.uniform(0.5, 1.5)),
                         radius=float(rng.choice([0.0, 0.15, 0.3])) or None)
    ts = min(sheet.size - 1, rect.height * 0.45)
    font = sheet.font if sheet.font != "cour" else "helv"
    sheet.centered((rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2 - ts / 2, text, font, ts)


def flowchart(sheet: Sheet, area: Rect) -> Rect:
    """Rows of boxes joined by arrows, some with icons beside them; returns the area used."""
    rng = sheet.rng
    rows = int(rng.integers(3, 6))
    bh = float(rng.uniform(16, 24))
    step = (area.height - bh) / (rows - 1)
    labels = list(rng.permutation(LABELS))
    prev: list[Rect] = []
    for r in range(rows):
        n = 1 if r in (0, rows - 1) or rng.random() < 0.5 else 2
        bw = min(area.width * 0.4, float(rng.uniform(70, 130)))
        y = area.y0 + r * step
        if n == 1:
            xs = [(area.x0 + area.x1) / 2 - bw / 2]
        else:
            xs = [area.x0 + 0.25 * area.width - bw / 2, area.x0 + 0.75 * area.width - bw / 2]
        row = [Rect(x, y, x + bw, y + bh) for x in xs]
        for b in row:
            _flow_box(sheet, b, str(labels.pop()))
            if rng.random() < 0.45:  # an icon beside the box, inside the chart's area
                s = min(bh * 1.1, 26.0)
                left = rng.random() < 0.5
                ix = b.x0 - s - 4 if left else b.x1 + 4
                ix = min(max(ix, area.x0), area.x1 - s)
                icon(sheet.page, Rect(ix, b.y0 + (bh - s) / 2, ix + s, b.y0 + (bh + s) / 2), rng)
        for p in prev:
            for b in row:
                if n == 2 and len(prev) == 2 and abs(p.center[0] - b.center[0]) > 1:
                    continue  # two boxes over two boxes: straight down only
                arrow(sheet.page, ((p.x0 + p.x1) / 2, p.y1), ((b.x0 + b.x1) / 2, b.y0 - 0.5))
        if n == 2 and prev and rng.random() < 0.5:
            sheet.line(area.x0 + 0.5 * area.width + 3, y - 0.5 * (step - bh) - 3, "yes", size=6.5)
        prev = row
    return area


def callout_panel(sheet: Sheet, area: Rect) -> None:
    """A framed panel: a small ultrasound image and callout text with a leader line."""
    page, rng = sheet.page, sheet.rng
    fill = (0.93, 0.95, 1.0) if rng.random() < 0.5 else None
    page.draw_rect(pymupdf.Rect(*area.as_tuple()), color=(0.2, 0.3, 0.5), fill=fill,
                   width=float(rng.uniform(0.6, 1.6)), radius=float(rng.choice([0.0, 0.05])) or None)
    pad = float(rng.uniform(6, 12))
    iw = min(area.width * float(rng.uniform(0.3, 0.5)), (area.height - 2 * pad) * 1.35)
    ih = iw / 1.35
    img = Rect(area.x0 + pad, area.y0 + pad, area.x0 + pad + iw, area.y0 + pad + ih)
    ultrasound(page, img, rng, ("GB",))
    ts = float(rng.choice([7.0, 8.0, sheet.size]))
    x = img.x1 + 14
    y = area.y0 + pad
    body = sheet.wrap(sheet.words(int(rng.integers(10, 40))).capitalize() + ".", area.x1 - pad - x, sheet.font, ts)
    for ln in body[: int((area.y1 - pad - y) / (ts * 1.3))]:
        sheet.line(x, y, ln, size=ts)
        y += ts * 1.3
    arrow(page, (x - 2, area.y0 + pad + ts / 2), (img.x0 + 0.6 * iw, img.y0 + 0.5 * ih), color=(1, 0.85, 0.1), width=1.2)


def text_panel(sheet: Sheet, area: Rect) -> float:
    """A framed block of text (a prompt shown as a figure); returns its bottom."""
    rng = sheet.rng
    font = "cour" if rng.random() < 0.5 else sheet.font
    size = sheet.size - float(rng.choice([0.0, 1.0]))
    pad = float(rng.uniform(6, 12))
    lines: list[tuple[str, str]] = []
    if rng.random() < 0.6:
        lines.append(("You are an expert sonographer. Answer the question:", "cobo" if font == "cour" else sheet.bold))
    for _ in range(int(rng.integers(2, 5))):
        for ln in sheet.wrap(sheet.words(int(rng.integers(8, 30))).capitalize() + ".", area.width - 2 * pad, font, size):
            lines.append((ln, font))
    y = area.y0 + pad
    for text, f in lines:
        sheet.line(area.x0 + pad, y, text, f, size)
        y += size * 1.3
    bottom = y + pad - 0.3 * size
    fill = (0.96, 0.96, 0.96) if rng.random() < 0.4 else None
    sheet.page.draw_rect(pymupdf.Rect(area.x0, area.y0, area.x1, bottom), color=(0.3, 0.3, 0.3), fill=fill,
                         width=float(rng.uniform(0.5, 1.2)), overlay=False)
    return bottom


def table(sheet: Sheet, x: float, y: float, width: float) -> float:
    rng, page = sheet.rng, sheet.page
    cols, rows = int(rng.integers(3, 6)), int(rng.integers(4, 9))
    size = sheet.size - 1
    rh = size * 1.6
    grid = rng.random() < 0.4
    cw = width / cols
    for r in range(rows):
        for c in range(cols):
            text = ("Group", "Accuracy", "Sensitivity", "Specificity", "AUC")[c] if r == 0 else \
                (f"Set {r}" if c == 0 else f"{rng.uniform(0.5, 0.99):.3f}")
            sheet.line(x + c * cw + 4, y + r * rh + 0.3 * size, text, sheet.bold if r == 0 else sheet.font, size)
    bottom = y + rows * rh
    if grid:
        for r in range(rows + 1):
            page.draw_line((x, y + r * rh), (x + width, y + r * rh), width=0.5)
        for c in range(cols + 1):
            page.draw_line((x + c * cw, y), (x + c * cw, bottom), width=0.5)
    else:
        for yy, w in ((y, 1.0), (y + rh, 0.5), (bottom, 1.0)):
            page.draw_line((x, yy), (x + width, yy), width=w)
    return bottom


# ----------------------------------------------------------------- pages


Builder = Callable[[Sheet], PageTruth]


def _figure_width(sheet: Sheet, lo: float = 0.55, hi: float = 0.95) -> tuple[float, float]:
    w = sheet.width * float(sheet.rng.uniform(lo, hi))
    return sheet.left + (sheet.width - w) / 2, w


def _lead_in(sheet: Sheet, most: int = 12) -> float:
    """Running text before a figure; on some pages it ends with a section heading right over the
    figure (as Word documents have it). Returns the y under it."""
    rng = sheet.rng
    y = sheet.para(sheet.left, sheet.top, sheet.width, int(rng.integers(2, most)))
    if rng.random() < 0.3:
        y = sheet.line(sheet.left, y + 4, f"{int(rng.integers(1, 9))}.{int(rng.integers(1, 9))} Results",
                       sheet.bold, sheet.size + float(rng.choice([0.0, 1.0, 2.0]))).y1 + 6
    return y


def _captioned(sheet: Sheet, y: float, height: float, draw: Callable[[Rect], Rect], label: str,
               lo: float = 0.55, hi: float = 0.95) -> Rect:
    """A figure `height` tall from y, drawn by `draw` (which returns the ink it made), with its
    caption under it or, on some pages, over it; running text follows. Returns the ink."""
    rng = sheet.rng
    x, w = _figure_width(sheet, lo, hi)
    on_top = rng.random() < 0.25
    if on_top:
        y = sheet.caption(sheet.left, y + 8, sheet.width, label) + float(rng.uniform(4, 10))
    truth = draw(Rect(x, y + 8, x + w, y + 8 + height))
    y = truth.y1 if on_top else sheet.caption(sheet.left, truth.y1 + float(rng.uniform(6, 14)), sheet.width, label)
    sheet.fill(sheet.left, y + 10, sheet.width, sheet.bottom)
    return truth


def page_flowchart(sheet: Sheet) -> PageTruth:
    rng = sheet.rng
    y = _lead_in(sheet)

    def draw(area: Rect) -> Rect:
        flowchart(sheet, area)
        return ink(sheet.page, area.expanded(2))

    truth = _captioned(sheet, y, float(rng.uniform(160, 300)), draw, figure_label(rng, int(rng.integers(1, 9))))
    return PageTruth("flowchart", [truth], [truth], [""])


def page_panel(sheet: Sheet) -> PageTruth:
    rng = sheet.rng
    y = _lead_in(sheet, 14)

    def draw(area: Rect) -> Rect:
        callout_panel(sheet, area)
        return ink(sheet.page, area.expanded(3))

    truth = _captioned(sheet, y, float(rng.uniform(110, 200)), draw, figure_label(rng, 2), 0.6, 1.0)
    return PageTruth("panel", [truth], [truth], [""])


def page_panels3(sheet: Sheet) -> PageTruth:
    rng, page = sheet.rng, sheet.page
    y = sheet.para(sheet.left, sheet.top, sheet.width, int(rng.integers(2, 10))) + 8
    x, w = _figure_width(sheet, 0.75, 1.0)
    gap = float(rng.uniform(8, 20))
    style = int(rng.integers(3))  # 0: "(a)" under, 1: bold "A" at the top-left corner, 2: "(a) title" under
    letters = ["(a)", "(b)", "(c)"] if style != 1 else ["A", "B", "C"]
    if style == 1 and rng.random() < 0.5:
        letters = ["a", "b", "c"]
    grid = rng.random() < 0.3  # 2 on top, 1 below
    ph = float(rng.uniform(90, 140))
    ls = sheet.size - float(rng.choice([0.0, 1.0]))
    vgap = gap + (0.0 if style == 1 else ls + 6)
    if grid:
        pw = (w - gap) / 2
        cells = [Rect(x, y, x + pw, y + ph), Rect(x + pw + gap, y, x + w, y + ph),
                 Rect(x + w / 2 - pw / 2, y + ph + vgap, x + w / 2 + pw / 2, y + 2 * ph + vgap)]
    else:
        pw = (w - 2 * gap) / 3
        cells = [Rect(x + i * (pw + gap), y, x + i * (pw + gap) + pw, y + ph) for i in range(3)]
    ultrasound(page, cells[0], rng, ("RK",))
    (word_cloud if rng.random() < 0.25 else photo)(page, cells[1], rng)
    (plot if rng.random() < 0.6 else lambda s, c: mpl_plot(s.page, c, s.rng))(sheet, cells[2])
    panels = [ink(page, c.expanded(1)) for c in cells]
    for c, p, lab in zip(cells, panels, letters):
        if style == 1:
            sheet.line(p.x0 + 3, p.y0 + 2, lab, sheet.bold, ls + 1, color=(1, 1, 1) if c is not cells[2] else (0, 0, 0))
        else:
            text = lab if style == 0 else f"{lab} " + str(rng.choice(["Long axis", "Heat map", "Loss", "Doppler"]))
            sheet.centered((c.x0 + c.x1) / 2, p.y1 + 3, text, size=ls)
    bottom = max(c.y1 for c in cells) + (0 if style == 1 else ls + 4)
    whole = ink(page, Rect(x - 6, y - 2, x + w + 6, bottom + 2))
    if style == 1:
        panels = [ink(page, c.expanded(1)) for c in cells]
    yc = sheet.caption(sheet.left, whole.y1 + float(rng.uniform(6, 12)), sheet.width, figure_label(rng, 3))
    sheet.fill(sheet.left, yc + 8, sheet.width, sheet.bottom)
    return PageTruth("panels3", [whole], panels, [lab.strip("()") for lab in letters])


def page_textpanel(sheet: Sheet) -> PageTruth:
    rng = sheet.rng
    y = sheet.para(sheet.left, sheet.top, sheet.width, int(rng.integers(2, 12)))
    x, w = _figure_width(sheet, 0.7, 1.0)
    bottom = text_panel(sheet, Rect(x, y + 10, x + w, sheet.bottom - 120))
    truth = ink(sheet.page, Rect(x - 2, y + 8, x + w + 2, bottom + 2))
    label = figure_label(rng, int(rng.integers(1, 12)))
    if not label.endswith(":"):
        label = label.rstrip(".|") + ":"
    y = sheet.caption(sheet.left, truth.y1 + float(rng.uniform(6, 12)), sheet.width, label)
    if rng.random() < 0.5:  # an uncaptioned call-out box further down: not a figure
        y = sheet.para(sheet.left, y + 8, sheet.width, 3)
        if y < sheet.bottom - 100:
            text_panel(sheet, Rect(sheet.left, y + 6, sheet.right, sheet.bottom - 30))
            return PageTruth("textpanel", [truth], [truth], [""])
    sheet.fill(sheet.left, y + 8, sheet.width, sheet.bottom)
    return PageTruth("textpanel", [truth], [truth], [""])


def page_table(sheet: Sheet) -> PageTruth:
    rng = sheet.rng
    y = sheet.para(sheet.left, sheet.top, sheet.width, int(rng.integers(2, 14)))
    label = str(rng.choice(["Table 1:", "Table 2.", "TABLE 3", "Tab. 1.", "表 1", "TABLE II"]))
    x, w = _figure_width(sheet, 0.6, 1.0)
    y = sheet.caption(x if rng.random() < 0.5 else sheet.left, y + 10, w, label)
    y = table(sheet, x, y + 4, w)
    if rng.random() < 0.35 and y < sheet.bottom - 300:  # a figure right under the table: the table stays out
        fx, fw = _figure_width(sheet, 0.5, 0.8)
        fig = Rect(fx, y + float(rng.uniform(14, 24)), fx + fw, 0)
        fig = Rect(fig.x0, fig.y0, fig.x1, fig.y0 + fw * 0.5)
        ultrasound(sheet.page, fig, rng, ("RK",))
        truth = ink(sheet.page, fig.expanded(1))
        y = sheet.caption(sheet.left, truth.y1 + 8, sheet.width, figure_label(rng, 4))
        sheet.fill(sheet.left, y + 10, sheet.width, sheet.bottom)
        return PageTruth("table", [truth], [truth], [""])
    sheet.fill(sheet.left, y + 14, sheet.width, sheet.bottom)
    return PageTruth("table")


def _column_figure(sheet: Sheet, x: float, y: float, w: float, h: float | None = None) -> Rect:
    """A raster or a vector plot at (x, y), `w` wide; returns its ink."""
    rng = sheet.rng
    h = w * float(rng.uniform(0.55, 0.8)) if h is None else h
    area = Rect(x, y, x + w, y + h)
    choice = rng.random()
    if choice < 0.4:
        ultrasound(sheet.page, area, rng, ("LIVER",))
    elif choice < 0.7:
        plot(sheet, area)
    else:
        mpl_plot(sheet.page, area, rng)
    return ink(sheet.page, area.expanded(1))


def page_twocol(sheet: Sheet) -> PageTruth:
    rng = sheet.rng
    sheet.size = min(sheet.size, 10.0)
    sheet.lead = sheet.size * float(rng.uniform(1.15, 1.3))
    gutter = float(rng.uniform(12, 26))
    cw = (sheet.width - gutter) / 2
    cols = [sheet.left, sheet.left + cw + gutter]
    truths: list[Rect] = []
    wide_top = rng.random() < 0.5
    y0 = sheet.top
    wide_w = sheet.width * float(rng.uniform(0.7, 1.0))
    wx = sheet.left + (sheet.width - wide_w) / 2
    narrow = rng.random() < 0.3  # the wide figure's caption only one column wide, text beside it
    starts = [y0, y0]
    if wide_top:
        t = _column_figure(sheet, wx, y0, wide_w)
        truths.append(t)
        y0 = sheet.caption(sheet.left, t.y1 + 8, cw if narrow else sheet.width, figure_label(rng, 1)) + 10
        starts = [y0, t.y1 + 10] if narrow else [y0, y0]
    limit = sheet.bottom
    wide_h = wide_w * float(rng.uniform(0.4, 0.6))
    if not wide_top:
        limit = sheet.bottom - wide_h - 4 * sheet.lead - 24
    side = int(rng.integers(2))
    for c, cx in enumerate(cols):
        y = starts[c]
        if c == side:
            y = sheet.para(cx, y, cw, int(rng.integers(3, 12)), limit)
            fw = cw * float(rng.uniform(0.75, 1.0))
            t = _column_figure(sheet, cx + (cw - fw) / 2, y + 6, fw)
            truths.append(t)
            y = sheet.caption(cx, t.y1 + 7, cw, figure_label(rng, 2))
            y += 8
        sheet.fill(cx, y, cw, limit)
    if not wide_top:
        t = _column_figure(sheet, wx, limit + 16, wide_w, wide_h)
        truths.append(t)
        y = sheet.caption(sheet.left, t.y1 + 8, cw if narrow else sheet.width, figure_label(rng, 3))
        if narrow:
            sheet.fill(cols[1], t.y1 + 10, cw, sheet.bottom + 40)
    return PageTruth("twocol", truths, truths, [""] * len(truths))


def page_cjk(sheet: Sheet) -> PageTruth:
    rng, page = sheet.rng, sheet.page
    y = sheet.line(sheet.left, sheet.top, "第三章 腹部超声", CJK, sheet.size + 5).y1 + 10
    y = sheet.para(sheet.left, y, sheet.width, int(rng.integers(2, 10)))
    wrap = rng.random() < 0.35  # the picture on one side, the text running beside it (a textbook layout)
    w = float(rng.uniform(160, 0.55 * sheet.width)) if wrap else float(rng.uniform(200, min(360, sheet.width)))
    right = rng.random() < 0.6
    x = (sheet.right - w if right else sheet.left) if wrap else sheet.left + (sheet.width - w) / 2
    img = Rect(x, y + 8, x + w, y + 8 + w * float(rng.uniform(0.6, 0.8)))
    ultrasound(page, img, rng, ("LK", "LONG"))
    area = img
    for _ in range(int(rng.integers(1, 4))):  # arrows pointing at structures, some from outside the frame
        tip = (float(rng.uniform(img.x0 + 0.3 * w, img.x1 - 0.3 * w)),
               float(rng.uniform(img.y0 + 0.3 * img.height, img.y1 - 0.2 * img.height)))
        ang = float(rng.uniform(0, 2 * math.pi))
        length = float(rng.uniform(20, 45))
        tail = (min(max(tip[0] + length * math.cos(ang), img.x0 + 4), img.x1 - 4),
                min(max(tip[1] + length * math.sin(ang), img.y0 + 4), img.y1 - 4))
        color = ((1, 1, 1), (1, 0.9, 0.1), (0.9, 0.1, 0.1))[int(rng.integers(3))]
        arrow(page, tail, tip, color=color, width=1.4, head=6)
        area = area.union(Rect.normalized(*tail, *tip).expanded(6))
    if rng.random() < 0.5:  # calipers
        for _ in range(2):
            cx, cy = float(rng.uniform(img.x0 + 20, img.x1 - 20)), float(rng.uniform(img.y0 + 20, img.y1 - 20))
            page.draw_line((cx - 4, cy), (cx + 4, cy), color=(1, 1, 0), width=1)
            page.draw_line((cx, cy - 4), (cx, cy + 4), color=(1, 1, 0), width=1)
    if rng.random() < 0.5:  # an arrow drawn from the margin into the image
        tail, tip = (img.x1 + 16, img.y0 + 0.4 * img.height), (img.x1 - 24, img.y0 + 0.45 * img.height)
        arrow(page, tail, tip, color=(0.9, 0.1, 0.1), width=1.4, head=6)
        area = area.union(Rect.normalized(*tail, *tip).expanded(6))
    truth = ink(page, area)
    if wrap:
        y = sheet.caption(truth.x0, truth.y1 + float(rng.uniform(5, 10)), truth.width,
                          figure_label(rng, 1, cjk=True), centered=True)
        tx = sheet.left if right else truth.x1 + 14
        sheet.fill(tx, img.y0, sheet.width - truth.width - 14, y)  # beside the picture and its caption
        sheet.fill(sheet.left, y + 8, sheet.width, sheet.bottom)
        return PageTruth("cjk", [truth], [truth], [""])
    label = figure_label(rng, 1, cjk=True)
    y = sheet.caption(sheet.left, truth.y1 + float(rng.uniform(5, 10)), sheet.width, label, centered=True)
    if rng.random() < 0.4:  # bilingual: the English caption on the next line
        y = sheet.caption(sheet.left, y, sheet.width, "Figure " + label.lstrip("图 "), words=6, centered=True)
    sheet.fill(sheet.left, y + 8, sheet.width, sheet.bottom)
    return PageTruth("cjk", [truth], [truth], [""])


def page_logo(sheet: Sheet) -> PageTruth:
    rng, page = sheet.rng, sheet.page
    w = page.rect.width
    bh = float(rng.uniform(28, 70))
    if rng.random() < 0.5:
        page.draw_rect(pymupdf.Rect(0, 0, w, bh), color=None, fill=tuple(float(c) for c in rng.uniform(0, 0.5, 3)))
    else:
        photo(page, Rect(0, 0, w, bh), rng)
    s = float(rng.uniform(20, min(60, bh + 20)))
    lx = float(rng.choice([sheet.left, w - sheet.left - s]))
    icon(page, Rect(lx, max(4.0, bh / 2 - s / 2), lx + s, max(4.0, bh / 2 - s / 2) + s), rng)
    y = max(sheet.top, bh + 20)
    y = sheet.line(sheet.left, y, "Clinical Guideline: Abdominal Ultrasound", sheet.bold, sheet.size + 4).y1 + 10
    if rng.random() < 0.5:  # a reference to a figure at the start of a line is body text, not a caption
        sheet.line(sheet.left, y, "Figure 2 shows the probe positions; " + sheet.words(6), size=sheet.size)
        y += sheet.lead
    y = sheet.para(sheet.left, y, sheet.width, int(rng.integers(3, 8)))
    s2 = float(rng.uniform(12, 30))
    icon(page, Rect(sheet.left, y, sheet.left + s2, y + s2), rng)  # an icon before a heading
    sheet.line(sheet.left + s2 + 6, y + (s2 - sheet.size) / 2, "Key recommendations", sheet.bold)
    y = sheet.fill(sheet.left, y + s2 + 8, sheet.width, sheet.bottom - 50)
    if rng.random() < 0.5:  # a footer band
        page.draw_rect(pymupdf.Rect(0, page.rect.height - 24, w, page.rect.height), color=None, fill=(0.8, 0.85, 0.9))
    return PageTruth("logo")


def page_pair(sheet: Sheet) -> PageTruth:
    """Two figures side by side, each with its own caption (on some pages one over the other)."""
    rng = sheet.rng
    y = _lead_in(sheet, 6) + 8
    if rng.random() < 0.35:
        return _stacked(sheet, y)
    gap = float(rng.uniform(14, 30))
    w = (sheet.width - gap) / 2
    h = w * float(rng.uniform(0.6, 0.8))
    truths, bottoms = [], []
    for k in range(2):
        x = sheet.left + k * (w + gap)
        fw = w * float(rng.uniform(0.8, 1.0))
        area = Rect(x + (w - fw) / 2, y, x + (w + fw) / 2, y + h)
        choice = rng.random()
        if choice < 0.4:
            ultrasound(sheet.page, area, rng, ("GB",))
        elif choice < 0.7:
            plot(sheet, area)
        else:
            mpl_plot(sheet.page, area, rng)
        truths.append(ink(sheet.page, area.expanded(1)))
    cap_y = max(t.y1 for t in truths) + float(rng.uniform(6, 10))
    for k in range(2):
        x = sheet.left + k * (w + gap)
        bottoms.append(sheet.caption(x, cap_y, w, figure_label(rng, k + 1), words=int(rng.integers(4, 20))))
    sheet.fill(sheet.left, max(bottoms) + 10, sheet.width, sheet.bottom)
    return PageTruth("pair", truths, truths, ["", ""])


def _stacked(sheet: Sheet, y: float) -> PageTruth:
    """Two figures one over the other, each with its own caption (some bilingual, in two lines)."""
    rng = sheet.rng
    truths = []
    for k in range(2):
        x, w = _figure_width(sheet, 0.4, 0.7)
        area = Rect(x, y, x + w, y + min(w * 0.6, (sheet.bottom - sheet.top) / 2 - 90))
        ultrasound(sheet.page, area, rng, ("RK",)) if rng.random() < 0.6 else plot(sheet, area)
        truths.append(ink(sheet.page, area.expanded(1)))
        label = figure_label(rng, k + 1)
        y = sheet.caption(sheet.left, truths[-1].y1 + float(rng.uniform(5, 10)), sheet.width, label, words=8)
        if rng.random() < 0.5:  # the caption again in Chinese, as bilingual books print it
            y = sheet.caption(sheet.left, y, sheet.width, f"图 {k + 1}", centered=True)
        y += float(rng.uniform(10, 22))
    sheet.fill(sheet.left, y, sheet.width, sheet.bottom)
    return PageTruth("pair", truths, truths, ["", ""])




def page_columns(sheet: Sheet) -> PageTruth:
    """Two columns of running text under a section heading, no figure."""
    rng = sheet.rng
    sheet.size = min(sheet.size, 10.0)
    sheet.lead = sheet.size * float(rng.uniform(1.15, 1.3))
    gutter = float(rng.uniform(12, 26))
    cw = (sheet.width - gutter) / 2
    for c in range(2):
        x = sheet.left + c * (cw + gutter)
        y = sheet.top
        if c == 0 or rng.random() < 0.5:
            y = sheet.line(x, y + 4, f"{int(rng.integers(1, 9))} Methods", sheet.bold, sheet.size + 2).y1 + 6
        sheet.fill(x, y, cw, sheet.bottom)
    return PageTruth("columns")


BUILDERS: dict[str, Builder] = {
    "flowchart": page_flowchart, "panel": page_panel, "panels3": page_panels3, "textpanel": page_textpanel,
    "table": page_table, "twocol": page_twocol, "cjk": page_cjk, "logo": page_logo, "pair": page_pair,
    "columns": page_columns,
}


PAPER_MIX = (("columns", 0.3), ("twocol", 0.25), ("panels3", 0.1), ("table", 0.1), ("flowchart", 0.05),
             ("pair", 0.05), ("textpanel", 0.05), ("panel", 0.05), ("cjk", 0.05))


def make_paper(path: Path | str, pages: int = 300, distinct: int = 40, seed: int = 0) -> BornDigitalPdf:
    """A long paper-like document for benchmarks: `distinct` pages drawn from PAPER_MIX (two-column
    text, figures of every kind, tables), repeated in a shuffled order up to `pages`."""
    rng = np.random.default_rng(seed)
    kinds = [k for k, _ in PAPER_MIX]
    weights = np.array([w for _, w in PAPER_MIX])
    pool = pymupdf.open()
    truths: list[PageTruth] = []
    for _ in range(distinct):
        kind = str(rng.choice(kinds, p=weights / weights.sum()))
        w, h = PAGE_SIZES[int(rng.integers(len(PAGE_SIZES)))]
        sheet = Sheet(pool.new_page(width=w, height=h), rng, cjk=kind == "cjk")
        sheet.furniture()
        truths.append(BUILDERS[kind](sheet))
    doc = pymupdf.open()
    order = [int(i) for i in rng.integers(0, distinct, pages)]
    for i in order:
        doc.insert_pdf(pool, from_page=i, to_page=i)
    path = Path(path)
    doc.subset_fonts()
    doc.save(path, garbage=3, deflate=True)
    return BornDigitalPdf(path, [truths[i] for i in order])


def make_pages(path: Path | str, kinds: Sequence[str] = KINDS, variants: int = 6, seed: int = 0) -> BornDigitalPdf:
    """A PDF with `variants` pages of each kind (kind by kind), and their truth."""
    rng = np.random.default_rng(seed)
    doc = pymupdf.open()
    pages: list[PageTruth] = []
    for kind in kinds:
        for _ in range(variants):
            w, h = PAGE_SIZES[int(rng.integers(len(PAGE_SIZES)))]
            page = doc.new_page(width=w, height=h)
            sheet = Sheet(page, rng, cjk=kind == "cjk")
            if kind != "logo":
                sheet.furniture()
            pages.append(BUILDERS[kind](sheet))
    path = Path(path)
    doc.subset_fonts()
    doc.save(path, garbage=3, deflate=True)
    return BornDigitalPdf(path, pages)
