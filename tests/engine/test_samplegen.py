"""The sample and test PDF generators: realistic pages whose truth is right."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest

from engine.geometry import Rect
from engine.imaging import cv2
from engine.pdf.pageinfo import page_is_image_only as is_image_only
from engine.samplegen import make_sample_pdf, ultrasound_frame
from tests.generators import LAYOUTS, make_book, make_scanned_test_pdf


def test_ultrasound_frame_looks_like_b_mode():
    img = ultrasound_frame(400, 300, np.random.default_rng(0), labels=("RK", "LONG"))
    assert img.shape == (300, 400, 3) and img.dtype == np.uint8
    gray = img[:, :, 0].astype(int)
    assert (img[:, :, 0] == img[:, :, 2]).all()
    assert gray[-20:, :20].mean() < 25 and gray[-20:, 20:60].mean() < 25  # black outside the sector
    sector = gray[120:200, 150:250]
    assert 40 < sector.mean() < 170 and sector.std() > 20  # speckled mid-gray tissue
    assert (gray[:40, :80] > 200).sum() > 20  # burned-in label text in the corner
    assert (gray[:, 385:395] > 200).sum() > 10  # depth-scale dots along the right edge
    # an anechoic (dark) structure inside the tissue
    inner = gray[60:260, 100:300].astype(np.float32)

    assert cv2().blur(inner, (15, 15)).min() < 25


def test_ultrasound_frame_is_seeded():
    a = ultrasound_frame(160, 120, np.random.default_rng(5))
    b = ultrasound_frame(160, 120, np.random.default_rng(5))
    c = ultrasound_frame(160, 120, np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("sample") / "atlas.pdf")


def test_sample_atlas_structure(sample):
    with pymupdf.open(sample.path) as doc:
        assert 4 <= doc.page_count <= 6
        kinds = {t.kind for t in sample.truth}
        assert kinds == {"embedded", "vector", "scanned"}
        scanned_pages = {t.page for t in sample.truth if t.kind == "scanned"}
        for page in doc:
            text = page.get_text()
            if page.number in scanned_pages:
                assert text.strip() == "" and is_image_only(page)
                assert len(page.get_images()) == 1 and page.get_drawings() == []
            else:
                assert "Figure" in text and "图" in text
        all_text = "".join(p.get_text() for p in doc)
    for needle in ("3-1 肝脏 / Liver", "图 3-1 肝右叶 / Figure 3-1 Right liver lobe", "图解要点：A、B图显示"):
        assert needle in all_text


def test_sample_truth_matches_the_pdf(sample):
    with pymupdf.open(sample.path) as doc:
        for t in sample.truth:
            page = doc[t.page]
            bounds = Rect(0, 0, page.rect.width, page.rect.height)
            assert t.rect.overlap_fraction(bounds) == 1.0 and t.rect.area > 0.03 * bounds.area
            assert t.caption.startswith("图 ") and "Figure" in t.caption and t.section
            if t.kind == "embedded":
                placed = [pymupdf.Rect(i["bbox"]) for i in page.get_image_info()]
                assert any(abs(r.x0 - t.rect.x0) < 0.01 and abs(r.y1 - t.rect.y1) < 0.01 for r in placed)
            if t.kind != "scanned":  # the caption is printed under the figure
                hits = page.search_for(t.caption.split(" / ")[1])
                assert hits and hits[0].y0 > t.rect.y1
    pair = [t for t in sample.truth if t.kind == "embedded" and t.sublabel]
    assert sorted(t.sublabel for t in pair) == ["A", "B"] and pair[0].page == pair[1].page
    with pymupdf.open(sample.path) as doc:
        words = [w[4] for w in doc[pair[0].page].get_text("words")]
    assert "A" in words and "B" in words


def test_chinese_text_renders_as_glyphs(sample):
    """The embedded CJK font draws real glyphs: the caption line has ink, and extracts as Chinese."""
    with pymupdf.open(sample.path) as doc:
        page = doc[0]
        hit = page.search_for("肝右叶")[0]
        pix = page.get_pixmap(dpi=200, clip=hit, colorspace=pymupdf.csGRAY)
        ink = np.frombuffer(pix.samples, np.uint8) < 128
        assert 0.05 < ink.mean() < 0.6
        fonts = {f[3] for f in page.get_fonts()}
    assert any("Droid" in f or "CJK" in f for f in fonts)


def test_scanned_pages_are_image_only_with_real_gaps(tmp_path):
    gen = make_scanned_test_pdf(tmp_path / "s.pdf", ["side_by_side", "stacked", "grid"], seed=9)
    with pymupdf.open(gen.path) as doc:
        assert doc.page_count == 3
        for page in doc:
            assert is_image_only(page) and page.get_text().strip() == ""
            info = page.get_image_info()[0]
            assert info["width"] >= 1200  # about 150 dpi
    side = gen.truth_on(0)
    assert len(side) == 2 and 4 <= side[1].rect.x0 - side[0].rect.x1 <= 6
    stack = gen.truth_on(1)
    assert len(stack) == 2 and 4 <= stack[1].rect.y0 - stack[0].rect.y1 <= 6
    assert len(gen.truth_on(2)) == 4 and all(t.kind == "scanned" for t in gen.truth)


def test_scanned_paper_is_not_white(tmp_path):
    gen = make_scanned_test_pdf(tmp_path / "s.pdf", "blank", seed=1)
    with pymupdf.open(gen.path) as doc:
        pix = doc[0].get_pixmap(dpi=30, colorspace=pymupdf.csGRAY)
    px = np.frombuffer(pix.samples, np.uint8)
    assert 200 < np.median(px) < 250 and px.std() > 0.5
    assert gen.truth == []


def test_rotated_scanned_truth(tmp_path):
    gen = make_scanned_test_pdf(tmp_path / "r.pdf", "side_by_side", seed=2, rotate=90)
    with pymupdf.open(gen.path) as doc:
        page = doc[0]
        assert page.rotation == 90
        bounds = Rect(0, 0, page.rect.width, page.rect.height)
    assert bounds.width > bounds.height
    a, b = sorted(gen.truth, key=lambda t: t.rect.y0)
    assert a.rect.overlap_fraction(bounds) == 1.0 and 4 <= b.rect.y0 - a.rect.y1 <= 6  # now stacked


def test_unknown_layout_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown layout"):
        make_scanned_test_pdf(tmp_path / "x.pdf", "collage")
    assert "grid" in LAYOUTS and "distractors" in LAYOUTS


def test_book_mixes_page_kinds_and_reuses_images(tmp_path):
    book = make_book(tmp_path / "book.pdf", pages=30, seed=4)
    with pymupdf.open(book.path) as doc:
        assert doc.page_count == 30
        flags = [is_image_only(p) for p in doc]
        assert [i for i, f in enumerate(flags) if f] == list(range(4, 30, 5))
        xrefs = {img[0] for p in doc for img in p.get_images()}
        assert len(xrefs) <= 6  # four frames and two scans, placed again and again
        for t in book.truth:
            placed = [pymupdf.Rect(i["bbox"]) for i in doc[t.page].get_image_info()]
            if t.kind == "embedded":
                assert any(Rect(r.x0, r.y0, r.x1, r.y1).iou(t.rect) > 0.999 for r in placed)
    per_page = [len(book.truth_on(i)) for i in range(30) if not flags[i]]
    assert set(per_page) <= {0, 1, 2, 3} and len(set(per_page)) >= 3
