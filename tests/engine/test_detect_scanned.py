"""ScannedDetector on generated image-only pages, scored against the generator's truth."""

from __future__ import annotations

import io

import numpy as np
import pymupdf
import pytest
from PIL import Image

from engine.detect.base import Box, Detector
from engine.detect.scanned import ScannedDetector
from engine.geometry import Rect
from engine.pdf.pageinfo import page_is_image_only as is_image_only
from engine.samplegen import GeneratedPdf, make_sample_pdf, ultrasound_frame
from tests.engine.detect_metrics import Match, match
from tests.generators import LAYOUTS, make_scanned_test_pdf

SEEDS = (0, 1, 2, 3)
FRAME_LAYOUTS = ("single", "side_by_side", "stacked", "grid", "distractors")
A4_WIDTH = 595.0  # the generator's page width


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[tuple[int, int], GeneratedPdf]:
    folder = tmp_path_factory.mktemp("scanned")
    runs = [(seed, 0) for seed in SEEDS] + [(0, 90), (5, 90)]
    return {(s, r): make_scanned_test_pdf(folder / f"s{s}_r{r}.pdf", LAYOUTS, seed=s, rotate=r) for s, r in runs}


def run(gen: GeneratedPdf, detector: ScannedDetector | None = None) -> dict[int, tuple[list[Box], Match]]:
    detector = detector or ScannedDetector()
    out = {}
    with pymupdf.open(gen.path) as doc:
        for page in doc:
            boxes = detector.detect(page)
            out[page.number] = (boxes, match([t.rect for t in gen.truth_on(page.number)], [b.rect for b in boxes]))
    return out


def test_is_a_detector():
    d = ScannedDetector()
    assert isinstance(d, Detector) and d.name == "scanned"


@pytest.mark.parametrize("seed", SEEDS)
def test_recall_and_precision_on_every_layout(generated, seed):
    results = run(generated[(seed, 0)])
    total = Match(0, 0)
    for index, (boxes, m) in results.items():
        layout = LAYOUTS[index]
        total = total + m
        if layout in FRAME_LAYOUTS:
            # every frame found, one box each, nothing else on the page
            assert m.hits == m.truth == len(boxes), (layout, [b.rect for b in boxes], m.pairs)
    assert total.truth == 11
    assert total.recall >= 0.95 and total.precision >= 0.95


def test_narrow_gaps_split_frames(generated):
    """Side by side, stacked and grid frames 4-6 pt apart come out as separate tight boxes."""
    for seed in SEEDS:
        gen = generated[(seed, 0)]
        results = run(gen)
        for layout, expected in (("side_by_side", 2), ("stacked", 2), ("grid", 4)):
            index = LAYOUTS.index(layout)
            boxes, m = results[index]
            assert len(boxes) == expected, (seed, layout)
            assert min(iou for _, _, iou in m.pairs) >= 0.85
            for a in boxes:  # no box swallows a neighbour or the gap
                assert all(a is b or a.rect.iou(b.rect) == 0 for b in boxes)


def test_text_blank_and_banner_pages_get_no_false_boxes(generated):
    for seed in SEEDS:
        gen = generated[(seed, 0)]
        results = run(gen)
        assert results[LAYOUTS.index("blank")][0] == []
        assert results[LAYOUTS.index("text_only")][0] == []
        with pymupdf.open(gen.path) as doc:
            page = doc[LAYOUTS.index("distractors")]
            width = page.rect.width
        boxes = results[LAYOUTS.index("distractors")][0]
        for b in boxes:
            assert b.rect.y0 > 44, "the dark banner is no frame"
            assert not (b.rect.x0 > 500 and b.rect.width < 60), "nor is the small dark logo"
            assert b.rect.width < 0.9 * width


def test_rotated_pages(generated):
    for key in ((0, 90), (5, 90)):
        gen = generated[key]
        total = Match(0, 0)
        with pymupdf.open(gen.path) as doc:
            assert doc[0].rotation == 90 and doc[0].rect.width > doc[0].rect.height
            for page in doc:
                boxes = ScannedDetector().detect(page)
                bounds = Rect(0, 0, page.rect.width, page.rect.height)
                assert all(b.rect.overlap_fraction(bounds) > 0.999 for b in boxes)
                total = total + match([t.rect for t in gen.truth_on(page.number)], [b.rect for b in boxes])
        assert total.truth == 11 and total.recall >= 0.95 and total.precision >= 0.95


def test_boxes_are_well_formed(generated):
    boxes = [b for bs, _ in run(generated[(1, 0)]).values() for b in bs]
    assert boxes
    for b in boxes:
        assert b.label == "ultrasound" and b.source == "scanned"
        assert 0.0 < b.score <= 1.0
        assert not b.rect.is_empty


def _paper_page(doc: pymupdf.Document, raster: np.ndarray) -> pymupdf.Page:
    buf = io.BytesIO()
    Image.fromarray(raster).save(buf, format="JPEG", quality=85)
    h, w = raster.shape[:2]
    page = doc.new_page(width=w * 72 / 150, height=h * 72 / 150)
    page.insert_image(page.rect, stream=buf.getvalue())
    return page


def test_bright_tissue_does_not_break_a_frame():
    rng = np.random.default_rng(4)
    page_px = np.full((1400, 1000, 3), 236, np.uint8)
    frame = ultrasound_frame(700, 520, rng, ("LIVER",)).copy()
    yy, xx = np.mgrid[0:520, 0:700]
    bright = ((xx - 350) / 190.0) ** 2 + ((yy - 280) / 130.0) ** 2 < 1  # a large hyperechoic mass
    frame[bright] = 245
    frame[200:215, 120:580] = 250  # and a bright reflector line across it
    page_px[300:820, 150:850] = frame
    doc = pymupdf.open()
    page = _paper_page(doc, page_px)
    boxes = ScannedDetector().detect(page)
    truth = Rect(150 * 0.48, 300 * 0.48, 850 * 0.48, 820 * 0.48)
    assert len(boxes) == 1 and boxes[0].rect.iou(truth) >= 0.9


def test_paper_brightness_comes_from_the_page(generated):
    """A dim, yellowed scan (paper far from white) is handled like a clean one."""
    gen = generated[(2, 0)]
    index = LAYOUTS.index("grid")
    with pymupdf.open(gen.path) as src:
        raw = src.extract_image(src[index].get_images()[0][0])["image"]
    rgb = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB")).astype(np.float32)
    dim = np.clip(rgb * np.array([0.78, 0.74, 0.6]), 0, 255).astype(np.uint8)
    doc = pymupdf.open()
    page = _paper_page(doc, dim)
    scale = page.rect.width / A4_WIDTH
    truth = [t.rect.scaled(scale) for t in gen.truth_on(index)]
    m = match(truth, [b.rect for b in ScannedDetector().detect(page)])
    assert m.truth == 4 and m.recall == 1.0 and m.precision == 1.0



def test_is_image_only(tmp_path, generated):
    with pymupdf.open(generated[(0, 0)].path) as doc:
        assert all(is_image_only(p) for p in doc)
    sample = make_sample_pdf(tmp_path / "atlas.pdf")
    with pymupdf.open(sample.path) as doc:
        flags = [is_image_only(p) for p in doc]
    scanned = {t.page for t in sample.truth if t.kind == "scanned"}
    assert flags == [i in scanned for i in range(len(flags))]
    blank = pymupdf.open()
    assert not is_image_only(blank.new_page())


def test_scanned_pages_of_the_sample_atlas(tmp_path):
    sample = make_sample_pdf(tmp_path / "atlas.pdf")
    scanned = [t for t in sample.truth if t.kind == "scanned"]
    with pymupdf.open(sample.path) as doc:
        pages = sorted({t.page for t in scanned})
        boxes = [b for i in pages for b in ScannedDetector().detect(doc[i])]
    m = match([t.rect for t in scanned], [b.rect for b in boxes])
    assert m.truth == len(scanned) >= 4 and m.recall >= 0.95 and m.precision >= 0.95


def test_lower_working_resolution_still_separates_frames(generated):
    """The working dpi is a real knob: a coarser render keeps the frames of a clean layout."""
    results = run(generated[(0, 0)], ScannedDetector(dpi=48))
    boxes, m = results[LAYOUTS.index("side_by_side")]
    assert m.hits == 2 == len(boxes)
