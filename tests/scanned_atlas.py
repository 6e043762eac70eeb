"""A long scanned atlas that knows its text: two columns of Chinese (and some English) text,
three to seven ultrasound frames a page with burned-in labels, a caption under the frames and a
section heading, scanned at a chosen resolution (gray paper, noise, JPEG).

For benchmarks of reading a whole book (tests/benchmarks/bench_scanned_text.py). Each page's
truth is kept: the frames, their labels, the caption and the section heading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pymupdf

from engine.geometry import Rect
from engine.samplegen import A4, _scan_raster, draw_centered, draw_page_number, draw_text, frame_jpeg

ORGANS = [("肾脏", "Kidney"), ("肝脏", "Liver"), ("胆囊", "Gallbladder"), ("脾脏", "Spleen"), ("胰腺", "Pancreas"),
          ("甲状腺", "Thyroid"), ("膀胱", "Bladder")]
TERMS = ["肾盂", "肾窦", "回声", "声影", "包膜", "皮髓质", "低回声", "强回声", "无回声", "门静脉", "胆总管", "后方回声增强"]
LABELS = ["LK", "RK", "RT OBL", "LT SAG", "TRANS", "LONG", "GB", "LIVER", "SPL", "5.0MHz", "3.5MHz"]
SENTENCES = [
    "{a}纵切面显示{t1}结构清晰，{t2}分界清楚，未见明显异常{t3}。",
    "探头置于{a}区，可见{t1}呈{t2}，后方伴{t3}。",
    "{a}大小形态正常，{t1}光滑，实质{t2}均匀，{t3}未见扩张。",
    "The {e} is scanned in the long axis; the {t1} shows normal echoes.",
    "彩色多普勒显示{a}内血流信号丰富，{t1}与{t2}关系正常。",
]


@dataclass
class AtlasPage:
    frames: list[Rect]
    labels: list[tuple[str, ...]]  # burned into each frame
    caption: str
    section: str
    body: list[str] = field(default_factory=list)


@dataclass
class GeneratedAtlas:
    path: Path
    pages: list[AtlasPage]
    dpi: int


def _sentence(rng: np.random.Generator, organ: tuple[str, str]) -> str:
    terms = [TERMS[int(i)] for i in rng.choice(len(TERMS), 3, replace=False)]
    template = SENTENCES[int(rng.integers(len(SENTENCES)))]
    return template.format(a=organ[0], e=organ[1].lower(), t1=terms[0], t2=terms[1], t3=terms[2])


def _page(src: pymupdf.Page, n: int, rng: np.random.Generator) -> AtlasPage:
    organ = ORGANS[n % len(ORGANS)]
    chapter = 10 + n // 20
    section = f"{chapter}-{n % 20 + 1} {organ[0]} {organ[1]}"
    draw_text(src, 40, 26, "超声诊断图谱 · 腹部与浅表器官", 8, color=(0.4, 0.4, 0.4))
    y = draw_text(src, 40, 52, section, 13, bold=True) + 6
    count = int(rng.integers(3, 8))
    rows = -(-count // 2)
    col_w, gap = 250.0, 15.0
    height = float(min(rng.uniform(120, 150), (430 - 8 * rows) / rows))
    frames, labels = [], []
    for k in range(count):
        row, col = divmod(k, 2)
        x0 = 40 + col * (col_w + gap) + (col_w - 236) / 2
        rect = Rect(x0, y + row * (height + 8), x0 + 236, y + row * (height + 8) + height)
        lab = tuple(LABELS[int(i)] for i in rng.choice(len(LABELS), int(rng.integers(1, 3)), replace=False))
        src.insert_image(pymupdf.Rect(*rect.as_tuple()), stream=frame_jpeg(rect, rng, lab, ppp=2.2),
                         keep_proportion=False)
        frames.append(rect)
        labels.append(lab)
    y = max(f.y1 for f in frames) + 8
    letters = "ABCDEFG"[:count]
    caption = (f"图 {chapter}-{n % 20 + 1} {organ[0]}声像图 " + " ".join(f"{c}.{TERMS[(n + i) % len(TERMS)]}"
                                                                 for i, c in enumerate(letters)))
    y = draw_centered(src, A4[0] / 2, y, caption, 9) + 10
    body = []
    for col in range(2):  # two columns of running text under the frames
        cy = y
        x0 = 40 + col * (col_w + gap)
        while cy < A4[1] - 70:
            text = _sentence(rng, organ) + _sentence(rng, organ)
            cy = draw_text(src, x0, cy, text, 9.5, col_w) + 5
            body.append(text)
    draw_page_number(src, n + 1)
    return AtlasPage(frames, labels, caption, section, body)


def make_atlas(path: Path | str, pages: int = 200, seed: int = 0, dpi: int = 200) -> GeneratedAtlas:
    """`pages` image-only pages scanned at `dpi`, each different."""
    rng = np.random.default_rng(seed)
    doc = pymupdf.open()
    truth = []
    for n in range(pages):
        tmp = pymupdf.open()
        src = tmp.new_page(width=A4[0], height=A4[1])
        truth.append(_page(src, n, rng))
        jpeg = _scan_raster(src, rng, dpi=dpi)
        tmp.close()
        page = doc.new_page(width=A4[0], height=A4[1])
        page.insert_image(page.rect, stream=jpeg, keep_proportion=False)
    path = Path(path)
    doc.save(path, garbage=3, deflate=True)
    doc.close()
    return GeneratedAtlas(path, truth, dpi)
