"""Scanned pages with known text, for measuring OCR: what each line says and where it is.

Four kinds of page (`CATEGORIES`): Chinese sentences full of ultrasound terms (肾盂, 肾窦,
回声, 声影, 包膜, 皮髓质 ...), English sentences, lines mixing both, and pages of B-mode
frames whose burned-in white labels ("LK", "RT OBL", "5.0MHz" ...) are the text to read.
Each page is laid out born-digital with the helpers of engine/samplegen.py, then scanned
the way a book scanner would: rasterised at `dpi`, paper-tinted, soft and noisy, turned by
0.5-1.5 degrees, JPEG-compressed (quality 75), and put back as the page's only content.

`read_fragments` gives what a recogniser read on a page (before lines are merged), and
`char_error_rate` scores that (or `TextLine`s) against the truth: each read piece goes to
the truth line whose (turned) box holds its centre; whitespace is removed and full-width
forms are folded (NFKC) on both sides before the edit distance is taken. Text read outside
every truth box (speckle read as letters elsewhere in a frame) is not counted.
Used by tests/engine/test_ocr.py and tests/benchmarks/bench_ocr_engines.py.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pymupdf
from PIL import Image

from engine.geometry import Rect
from engine.imaging import cv2
from engine.samplegen import _length, draw_text, frame_jpeg
from engine.text.lines import scan_dpi
from engine.text.ocr import OcrEngine, render_rgb

CATEGORIES = ("zh", "en", "mixed", "labels")
PAGE = (595.0, 842.0)  # A4, points

ZH = [
    "右肾大小形态正常，包膜光滑，皮髓质分界清晰。",
    "肾盂未见扩张，肾窦回声均匀，未见强回声及声影。",
    "胆囊壁光滑，腔内可见一强回声团，后方伴声影。",
    "门静脉主干内径正常，管腔内未见异常回声。",
    "肝内见一低回声结节，边界清楚，形态规则。",
    "左肾窦内见多个强回声光点，后方伴彗星尾征。",
    "肾盂肾盏轻度分离，输尿管上段未见扩张。",
    "肾皮质回声低于肝脏，皮髓质分界清楚。",
    "胆总管不扩张，门静脉周围未见肿大淋巴结。",
    "脾脏厚径正常，实质回声均匀，包膜完整。",
    "胰腺头部回声减低，主胰管未见扩张。",
    "膀胱充盈良好，壁光滑，腔内未见异常回声。",
    "肾窦脂肪增多，肾盂内见无回声区。",
    "胆囊内见低回声沉积物，随体位改变而移动。",
]
EN = [
    "The renal sinus is echogenic and the pelvis is not dilated.",
    "A bright focus with posterior acoustic shadowing lies in the gallbladder.",
    "The portal vein is patent with hepatopetal flow.",
    "Corticomedullary differentiation of the right kidney is preserved.",
    "No hydronephrosis or perinephric fluid collection is identified.",
    "The liver has a smooth capsule and a homogeneous echotexture.",
    "A hypoechoic nodule measuring 12 mm lies in segment VI.",
    "The common bile duct measures 4 mm at the porta hepatis.",
    "Scan the kidney in longitudinal and transverse planes.",
    "The spleen is not enlarged and shows uniform echogenicity.",
    "Gallstones move when the patient turns onto the left side.",
    "The cortex is less echogenic than the liver in adults.",
]
MIXED = [
    "肾盂 renal pelvis 未见扩张",
    "门静脉 portal vein 内径 11 mm",
    "胆囊结石 gallstone 伴声影 acoustic shadow",
    "图 3-2 右肾长轴切面 Right kidney, long axis",
    "低回声 hypoechoic 结节位于 segment VI",
    "肾窦 renal sinus 回声增强",
    "强回声 hyperechoic 光团，后方伴声影",
    "皮髓质 corticomedullary 分界清晰",
    "CDFI 显示门静脉血流通畅",
    "探头频率 3.5MHz，深度 16 cm",
    "包膜 capsule 光滑完整",
    "表 4-1 肾脏测量 Renal measurements",
]
LABELS = [
    ("LK",), ("RT OBL",), ("RK", "LONG"), ("GB", "TRV"), ("LIVER", "SAG"), ("5.0MHz",),
    ("LT OBL", "3.5MHz"), ("PANC",), ("SPLEEN", "7.5MHz"), ("RK", "TRANS"), ("CBD",), ("PV", "LONG"),
]
_TEXTS = {"zh": ZH, "en": EN, "mixed": MIXED}


@dataclass(frozen=True)
class TruthLine:
    rect: Rect  # PDF points on the scanned page, the box the (turned) text lies in
    text: str


@dataclass
class ScanPage:
    category: str
    dpi: int
    angle: float  # degrees the scan is turned by
    doc: pymupdf.Document  # one image-only page
    truth: list[TruthLine]

    @property
    def page(self) -> pymupdf.Page:
        return self.doc[0]

    @property
    def chars(self) -> int:
        return sum(len(normalize(t.text)) for t in self.truth)


def normalize(text: str, spaces: bool = False) -> str:
    """What CER compares: full-width forms folded (NFKC), whitespace removed (or, with
    `spaces`, kept as one space between words, to score word spacing too)."""
    return (" " if spaces else "").join(unicodedata.normalize("NFKC", text).split())


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _text_page(page: pymupdf.Page, category: str, rng: np.random.Generator) -> list[TruthLine]:
    texts = _TEXTS[category]
    order = rng.permutation(len(texts))
    y, out = 60.0, []
    for k in range(len(texts)):
        text = texts[int(order[k])]
        size = float(rng.choice([8.0, 9.0, 10.5, 12.0]))
        while _length(text, size) > 470:
            size -= 0.5
        x = 56.0 + float(rng.uniform(0, 470 - _length(text, size)))
        draw_text(page, x, y, text, size)
        out.append(TruthLine(Rect(x, y, x + _length(text, size), y + size * 1.15), text))
        y += size * float(rng.uniform(2.6, 3.4))
        if y > PAGE[1] - 60:
            break
    return out


def _label_page(page: pymupdf.Page, rng: np.random.Generator) -> list[TruthLine]:
    """Frames in a grid; the truth of each is its top-left label block (labels joined)."""
    out = []
    order = rng.permutation(len(LABELS))
    grids = [(2, 3, 236.0), (3, 4, 150.0)]  # columns, rows, frame width (pt): big and small frames
    cols, rows, w = grids[int(rng.integers(len(grids)))]
    h = w * 0.75
    gap = 14.0
    x0 = (PAGE[0] - (cols * w + (cols - 1) * gap)) / 2
    k = 0
    for r in range(rows):
        for c in range(cols):
            labels = LABELS[int(order[k % len(order)])]
            k += 1
            rect = Rect(x0 + c * (w + gap), 60 + r * (h + gap), x0 + c * (w + gap) + w, 60 + r * (h + gap) + h)
            page.insert_image(pymupdf.Rect(*rect.as_tuple()), stream=frame_jpeg(rect, rng, labels), keep_proportion=False)
            # ultrasound_frame writes the labels from the top-left corner down, one per line,
            # and its probe/frequency text from 70% across: the left 60% of the top fifth is
            # the labels' own block
            out.append(TruthLine(Rect(rect.x0, rect.y0, rect.x0 + 0.6 * w, rect.y0 + 0.2 * h), " ".join(labels)))
    return out


def _scan(src: pymupdf.Page, dpi: int, angle: float, rng: np.random.Generator, quality: int = 75) -> bytes:
    """A scanner's raster of `src`: paper tint, shading, slight blur, turned by `angle`, noise, JPEG."""
    cv = cv2()
    pix = src.get_pixmap(dpi=dpi)
    rgb = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3]
    paper = np.array([rng.uniform(228, 242), rng.uniform(226, 238), rng.uniform(216, 230)], np.float32)
    shade = 1.0 - 0.05 * np.linspace(0, 1, pix.width, dtype=np.float32)[None, :, None] ** 2
    out = rgb.astype(np.float32) * (paper / 255.0) * shade
    out = cv.GaussianBlur(out, (0, 0), 0.35 * dpi / 150)  # the scanner's optics: a little soft
    m = cv.getRotationMatrix2D((pix.width / 2, pix.height / 2), angle, 1.0)
    out = cv.warpAffine(out, m, (pix.width, pix.height), flags=cv.INTER_LINEAR, borderMode=cv.BORDER_CONSTANT,
                        borderValue=tuple(float(v) for v in paper))
    out += rng.normal(0, 3.0, out.shape[:2]).astype(np.float32)[..., None]
    buf = io.BytesIO()
    Image.fromarray(np.clip(out, 0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _turn(rect: Rect, angle: float) -> Rect:
    """The box `rect` occupies after the page is turned by `angle` degrees (counter-clockwise
    as shown) about its centre, as cv2.getRotationMatrix2D does it."""
    cx, cy = PAGE[0] / 2, PAGE[1] / 2
    a = math.radians(angle)
    cos, sin = math.cos(a), math.sin(a)
    xs, ys = [], []
    for x, y in ((rect.x0, rect.y0), (rect.x1, rect.y0), (rect.x1, rect.y1), (rect.x0, rect.y1)):
        dx, dy = x - cx, y - cy
        xs.append(cx + cos * dx + sin * dy)
        ys.append(cy - sin * dx + cos * dy)
    return Rect(min(xs), min(ys), max(xs), max(ys))


def make_scan_page(category: str, dpi: int, seed: int = 0) -> ScanPage:
    """One scanned page of `category` at `dpi`; the same seed gives the same page."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    rng = np.random.default_rng([seed, CATEGORIES.index(category), dpi])
    born = pymupdf.open()
    src = born.new_page(width=PAGE[0], height=PAGE[1])
    truth = _label_page(src, rng) if category == "labels" else _text_page(src, category, rng)
    angle = float(rng.uniform(0.5, 1.5)) * (1 if rng.random() < 0.5 else -1)
    jpeg = _scan(src, dpi, angle, rng)
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE[0], height=PAGE[1])
    page.insert_image(page.rect, stream=jpeg, keep_proportion=False)
    return ScanPage(category, dpi, angle, doc, [TruthLine(_turn(t.rect, angle), t.text) for t in truth])


def make_scan_pages(categories: Sequence[str] = CATEGORIES, dpis: Sequence[int] = (150, 200, 300),
                    per: int = 1, seed: int = 0) -> list[ScanPage]:
    return [make_scan_page(c, d, seed + i) for d in dpis for c in categories for i in range(per)]


@dataclass(frozen=True)
class Fragment:
    rect: Rect  # PDF points
    text: str


def read_fragments(engine: OcrEngine, page: pymupdf.Page, dpi: int | None = None) -> list[Fragment]:
    """What the recogniser itself read, in PDF points: `ocr_image` on the page rendered at
    `dpi` (default: the scan's own resolution, as the app reads a scanned page), before
    `merge_ocr_boxes` joins fragments into lines, so the score is the recogniser's and not
    the merging's (which joins stacked tiny labels into one line)."""
    image, area = render_rgb(page, dpi or scan_dpi(page))
    sx, sy = area.width / image.shape[1], area.height / image.shape[0]
    out = []
    for quad, text, _score in engine.ocr_image(image):
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        out.append(Fragment(Rect(area.x0 + min(xs) * sx, area.y0 + min(ys) * sy,
                                 area.x0 + max(xs) * sx, area.y0 + max(ys) * sy), text))
    return out


def assign(lines: Sequence, truth: Sequence[TruthLine], pad: float = 3.0) -> list[str]:
    """The text read for each truth line: the read lines (anything with .rect and .text) whose
    centre lies in the truth box grown by `pad` points, joined left to right, top to bottom."""
    got: list[list] = [[] for _ in truth]
    for ln in lines:
        cx, cy = ln.rect.center
        for i, t in enumerate(truth):
            if t.rect.x0 - pad <= cx <= t.rect.x1 + pad and t.rect.y0 - pad <= cy <= t.rect.y1 + pad:
                got[i].append(ln)
                break
    return [" ".join(ln.text for ln in _reading_order(g)) for g in got]


def _reading_order(lines: list) -> list:
    """Top to bottom; pieces of one line (centres within half a line height) left to right."""
    rows: list[list] = []
    for ln in sorted(lines, key=lambda ln: ln.rect.center[1]):
        if rows and abs(ln.rect.center[1] - rows[-1][0].rect.center[1]) < 0.5 * rows[-1][0].rect.height:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return [ln for row in rows for ln in sorted(row, key=lambda ln: ln.rect.x0)]


def errors(lines: Sequence, truth: Sequence[TruthLine], spaces: bool = False) -> tuple[int, int]:
    """(edit distance summed over the truth lines, characters of truth), both after `normalize`."""
    read = assign(lines, truth)
    dist = sum(edit_distance(normalize(r, spaces), normalize(t.text, spaces)) for r, t in zip(read, truth))
    return dist, sum(len(normalize(t.text, spaces)) for t in truth)


def char_error_rate(lines: Sequence, truth: Sequence[TruthLine], spaces: bool = False) -> float:
    dist, total = errors(lines, truth, spaces)
    return dist / max(1, total)
