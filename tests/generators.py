"""Generated test and benchmark PDFs that know where their figures are.

Scanned test pages in several layouts (`make_scanned_test_pdf`, also used by
scripts/screenshots.py) and a long mixed book (`make_book`) for detection tests and
benchmarks. They are drawn with the helpers of engine/samplegen.py, which makes the
sample atlas the app itself ships.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pymupdf

from engine.geometry import Rect
from engine.samplegen import (
    A4,
    PARAS,
    SECTIONS,
    Builder,
    GeneratedPdf,
    TruthFigure,
    add_scanned_page,
    draw_atlas_header,
    draw_banner,
    draw_body,
    draw_centered,
    draw_frames_block,
    draw_page_number,
    draw_text,
    frame_jpeg,
)

# ----------------------------------------------------------------- scanned test pages

LAYOUTS = ("single", "side_by_side", "stacked", "grid", "distractors", "text_only", "blank")
_GRIDS = {"single": (1, 1, 380.0), "side_by_side": (1, 2, 480.0), "stacked": (2, 1, 300.0),
          "grid": (2, 2, 480.0), "distractors": (1, 2, 480.0)}  # rows, columns, block width (pt)


def _layout_builder(layout: str) -> Builder:
    def build(page: pymupdf.Page, rng: np.random.Generator) -> list[TruthFigure]:
        if layout == "blank":
            return []
        section = SECTIONS[int(rng.integers(len(SECTIONS)))]
        y = 56.0
        if layout == "distractors":
            y = draw_banner(page, "第三章 腹部超声 / Chapter 3 Abdominal ultrasound", float(rng.uniform(30, 44))) + 20
            page.draw_rect(pymupdf.Rect(520, y, 546, y + 26), color=None, fill=(0.1, 0.1, 0.1))
        y = draw_text(page, 56, y, section, 15, bold=True) + 8
        paras = [PARAS[int(i)] for i in rng.permutation(len(PARAS))]
        y = draw_body(page, y, paras[:2])
        fig = f"3-{int(rng.integers(1, 20))}"
        gap = float(rng.uniform(4, 6))
        figs: list[TruthFigure] = []
        if layout in _GRIDS:
            rows, cols, width = _GRIDS[layout]
            figs, y = draw_frames_block(page, rng, y + 6, rows, cols, gap, section, fig, width)
        if y < 640:
            y = draw_body(page, y, ["图解要点：" + paras[2]] + paras[3:5 if layout == "text_only" else 3])
        if layout == "distractors":
            draw_text(page, 56, min(y, 730), "小结 / Summary", 14, bold=True)
        draw_page_number(page, int(rng.integers(10, 300)))
        return figs
    return build


def make_scanned_test_pdf(path: Path | str, layout: str | Sequence[str] = "single", seed: int = 0,
                          rotate: int = 0) -> GeneratedPdf:
    """Image-only pages, one per layout (see LAYOUTS), with frame truth for each."""
    layouts = [layout] if isinstance(layout, str) else list(layout)
    rng = np.random.default_rng(seed)
    doc = pymupdf.open()
    truth: list[TruthFigure] = []
    for name in layouts:
        if name not in LAYOUTS:
            raise ValueError(f"unknown layout {name!r}; choose from {', '.join(LAYOUTS)}")
        truth += add_scanned_page(doc, _layout_builder(name), rng, rotate=rotate)
    path = Path(path)
    doc.save(path, garbage=3, deflate=True)
    return GeneratedPdf(path, truth)



# ----------------------------------------------------------------- a long mixed book

def make_book(path: Path | str, pages: int = 300, seed: int = 0) -> GeneratedPdf:
    """A long mixed book for benchmarks: born-digital pages with 0-3 images, every 5th scanned.

    Frames and scanned rasters are stored once and placed again by xref, so it is quick.
    """
    rng = np.random.default_rng(seed)
    doc = pymupdf.open()
    frames = [frame_jpeg(Rect(0, 0, 230, 172), rng, (lab,), ppp=1.4) for lab in ("LK", "RK", "GB", "LIVER")]
    frame_xrefs: list[int] = [0] * len(frames)
    scans: list[tuple[list[TruthFigure], int]] = []
    truth: list[TruthFigure] = []
    for n in range(pages):
        if n % 5 == 4:
            if len(scans) < 2:
                figs = add_scanned_page(doc, _layout_builder(("side_by_side", "grid")[len(scans)]), rng)
                xref = doc[-1].get_images()[0][0]
                scans.append((figs, xref))
            else:
                figs, xref = scans[n % 2]
                page = doc.new_page(width=A4[0], height=A4[1])
                page.insert_image(page.rect, xref=xref, keep_proportion=False)
                figs = [TruthFigure(page.number, f.rect, f.caption, f.section, f.sublabel, "scanned")
                        for f in figs]
            truth += figs
            continue
        page = doc.new_page(width=A4[0], height=A4[1])
        section = f"{n // 20 + 1}-{n % 20 + 1} " + SECTIONS[n % len(SECTIONS)].split(" ", 1)[1]
        draw_atlas_header(page, n + 1)
        y = draw_text(page, 56, 60, section, 13, bold=True) + 6
        y = draw_body(page, y, [PARAS[(n + k) % len(PARAS)] for k in range(2)])
        count = int(rng.integers(0, 4))
        for row in range([0, 1, 1, 2][count]):
            cols = 2 if (count == 2 or (count == 3 and row == 0)) else 1
            w, h, gap = (230.0, 172.0, 12.0) if cols == 2 else (300.0, 225.0, 0.0)
            x = (A4[0] - (cols * w + (cols - 1) * gap)) / 2
            for c in range(cols):
                k = int(rng.integers(len(frames)))
                rect = Rect(x + c * (w + gap), y, x + c * (w + gap) + w, y + h)
                r = pymupdf.Rect(*rect.as_tuple())
                if frame_xrefs[k]:
                    page.insert_image(r, xref=frame_xrefs[k], keep_proportion=False)
                else:
                    frame_xrefs[k] = page.insert_image(r, stream=frames[k], keep_proportion=False)
                truth.append(TruthFigure(page.number, rect, "", section, "", "embedded"))
            caption = f"图 {section.split()[0]}-{row + 1} 声像图 / Figure {section.split()[0]}-{row + 1} Sonogram"
            for t in truth[-cols:]:
                t.caption = caption
            y = draw_centered(page, A4[0] / 2, y + h + 5, caption, 9) + 10
        draw_body(page, y, [PARAS[(n + 3) % len(PARAS)]])
    doc.subset_fonts()
    path = Path(path)
    doc.save(path, garbage=3, deflate=True)
    return GeneratedPdf(path, truth)
