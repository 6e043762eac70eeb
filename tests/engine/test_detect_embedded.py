"""EmbeddedDetector on generated born-digital pages, scored against known figure rects."""

from __future__ import annotations

import io

import numpy as np
import pymupdf
import pytest
from PIL import Image

from engine.detect.base import Detector
from engine.detect.embedded import EmbeddedDetector
from engine.geometry import Rect
from engine.pdf.pageinfo import page_is_image_only as is_image_only
from engine.samplegen import make_sample_pdf, ultrasound_frame
from tests.engine.detect_metrics import Match, match
from tests.generators import make_book


def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def _put(page: pymupdf.Page, rect: Rect, data: bytes | None = None, xref: int = 0) -> int:
    r = pymupdf.Rect(*rect.as_tuple())
    if xref:
        return page.insert_image(r, xref=xref, keep_proportion=False)
    return page.insert_image(r, stream=data, keep_proportion=False)


def _para(page: pymupdf.Page, y: float, lines: int = 4) -> None:
    for i in range(lines):
        page.insert_text((56, y + 13 * i), "The gallbladder wall is thin and smooth; stones shadow. " * 2,
                         fontsize=9)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> tuple[str, dict[int, list[Rect]]]:
    """A document of figures mixed with everything that is not a figure."""
    rng = np.random.default_rng(3)
    frame = _png(ultrasound_frame(480, 352, rng, ("GB",)))
    doc = pymupdf.open()
    truth: dict[int, list[Rect]] = {}

    # 0: one figure placed twice on the same spot, a logo, an invisible image, a page
    #    border, an underline, a highlighted line and a lone rule
    p = doc.new_page()
    p.draw_rect(pymupdf.Rect(20, 20, 575, 822), color=(0, 0, 0), width=0.8)
    p.insert_text((56, 70), "2-1 Gallbladder", fontsize=16, fontname="hebo")
    p.draw_line((56, 74), (190, 74), width=0.8)
    p.draw_rect(pymupdf.Rect(54, 88, 400, 101), color=None, fill=(1, 0.95, 0.4))
    _para(p, 98)
    fig = Rect(150, 160, 450, 380)
    xref = _put(p, fig, frame)
    _put(p, fig, xref=xref)
    _put(p, Rect(520, 40, 544, 64), _png(np.full((32, 32, 3), 30, np.uint8)))  # logo
    clear = np.zeros((90, 120, 4), np.uint8)
    clear[..., :3] = 20  # dark pixels, but every one fully transparent
    buf = io.BytesIO()
    Image.fromarray(clear, "RGBA").save(buf, format="PNG")
    _put(p, Rect(100, 450, 400, 675), buf.getvalue())
    p.draw_line((56, 700), (539, 700), width=0.5)
    _para(p, 720)
    truth[0] = [fig]

    # 1: one picture cut into three touching strips; two pictures 6 pt apart; a table
    p = doc.new_page()
    big = ultrasound_frame(600, 420, rng, ("LIVER",))
    strips = Rect(100, 60, 400, 270)
    for k in range(3):
        part = big[k * 140:(k + 1) * 140]
        _put(p, Rect(strips.x0, strips.y0 + k * 70, strips.x1, strips.y0 + (k + 1) * 70), _png(part))
    left, right = Rect(60, 300, 294, 470), Rect(300, 300, 534, 470)
    _put(p, left, frame)
    _put(p, right, _png(ultrasound_frame(468, 340, rng, ("RK",))))
    y = 520
    for i in range(6):
        p.draw_line((56, y + 20 * i), (539, y + 20 * i), width=0.6)
        p.insert_text((60, y + 20 * i + 14), f"Row {i}   length {10 + i} cm   width {4 + i} cm", fontsize=9)
    for x in (56, 250, 400, 539):
        p.draw_line((x, y), (x, y + 100), width=0.6)
    truth[1] = [strips, left, right]

    # 2: a full-page background picture behind text, and one real figure on top
    p = doc.new_page()
    paper = np.clip(rng.normal(245, 4, (200, 140, 3)), 0, 255).astype(np.uint8)
    _put(p, Rect(0, 0, 595, 842), _png(paper))
    _para(p, 60, 8)
    fig2 = Rect(120, 200, 470, 460)
    _put(p, fig2, frame)
    truth[2] = [fig2]

    # 3: a call-out box: a filled rectangle with text in it
    p = doc.new_page()
    p.draw_rect(pymupdf.Rect(56, 80, 539, 220), color=(0.2, 0.3, 0.6), fill=(0.9, 0.93, 1.0), width=1)
    _para(p, 100, 6)
    truth[3] = []

    # 4: blank
    doc.new_page()
    truth[4] = []
    path = tmp_path_factory.mktemp("embedded") / "distractors.pdf"
    doc.save(path)
    return str(path), truth


def test_is_a_detector():
    d = EmbeddedDetector()
    assert isinstance(d, Detector) and d.name == "embedded"


def test_figures_found_and_distractors_ignored(pages):
    path, truth = pages
    with pymupdf.open(path) as doc:
        for index, expected in truth.items():
            boxes = EmbeddedDetector().detect(doc[index])
            m = match(expected, [b.rect for b in boxes], min_iou=0.95)
            assert m.recall == 1.0 and m.found == m.truth, (index, [b.rect for b in boxes])


def test_tiles_joined_but_gapped_pictures_kept_apart(pages):
    path, truth = pages
    with pymupdf.open(path) as doc:
        boxes = EmbeddedDetector().detect(doc[1])
    tiled = [b for b in boxes if b.extra.get("tiled")]
    assert len(tiled) == 1 and len(tiled[0].extra["xrefs"]) == 3
    assert tiled[0].rect.iou(truth[1][0]) > 0.99
    singles = [b for b in boxes if "xref" in b.extra]
    assert len(singles) == 2 and singles[0].rect.intersect(singles[1].rect).is_empty


def test_xref_gives_the_native_image(pages):
    path, _ = pages
    with pymupdf.open(path) as doc:
        [box] = EmbeddedDetector().detect(doc[0])
        info = doc.extract_image(box.extra["xref"])
    assert (info["width"], info["height"]) == (480, 352) == (box.extra["width"], box.extra["height"])
    assert box.label == "image" and box.source == "embedded" and box.score == 1.0


def test_size_threshold_is_a_parameter(pages):
    path, _ = pages
    with pymupdf.open(path) as doc:
        boxes = EmbeddedDetector(min_side_pt=10, min_area_frac=0).detect(doc[0])
    assert any(b.rect.width < 30 for b in boxes), "with a low threshold the logo counts"


def test_sample_atlas(tmp_path):
    sample = make_sample_pdf(tmp_path / "atlas.pdf")
    total = Match(0, 0)
    with pymupdf.open(sample.path) as doc:
        for page in doc:
            boxes = EmbeddedDetector().detect(page)
            truth = [t for t in sample.truth_on(page.number) if t.kind != "scanned"]
            if is_image_only(page):
                assert boxes == [], "a scanned page is no embedded figure"
                continue
            m = match([t.rect for t in truth], [b.rect for b in boxes])
            assert m.found == m.truth, (page.number, [b.rect for b in boxes])  # no table, no rules
            total = total + m
            for t, b in ((truth[i], boxes[j]) for i, j, _ in m.pairs):
                assert b.label == ("drawing" if t.kind == "vector" else "image")
    assert total.truth >= 5 and total.recall >= 0.95 and total.precision >= 0.95


def test_rotated_pages(tmp_path):
    sample = make_sample_pdf(tmp_path / "atlas.pdf")
    with pymupdf.open(sample.path) as doc:
        for page in doc:
            page.set_rotation(90)
        doc.save(tmp_path / "rotated.pdf")
    total = Match(0, 0)
    with pymupdf.open(tmp_path / "rotated.pdf") as doc:
        for index in (0, 1, 2, 4):
            page = doc[index]
            rot = page.rotation_matrix
            truth = []
            for t in sample.truth_on(index):
                r = pymupdf.Rect(*t.rect.as_tuple()) * rot
                truth.append(Rect(r.x0, r.y0, r.x1, r.y1))
            boxes = EmbeddedDetector().detect(page)
            bounds = Rect(0, 0, page.rect.width, page.rect.height)
            assert all(b.rect.overlap_fraction(bounds) > 0.999 for b in boxes)
            total = total + match(truth, [b.rect for b in boxes])
    assert total.truth == 5 and total.recall == 1.0 and total.precision == 1.0


@pytest.mark.parametrize("seed", [0, 1])
def test_book_pages(tmp_path, seed):
    book = make_book(tmp_path / "book.pdf", pages=25, seed=seed)
    total = Match(0, 0)
    with pymupdf.open(book.path) as doc:
        for page in doc:
            if is_image_only(page):
                continue
            boxes = EmbeddedDetector().detect(page)
            total = total + match([t.rect for t in book.truth_on(page.number)], [b.rect for b in boxes])
    assert total.truth > 10 and total.recall >= 0.95 and total.precision >= 0.95


def test_distractor_images_really_are_on_the_page(pages):
    """The ignored placements exist (so ignoring them is the detector's doing)."""
    path, _ = pages
    with pymupdf.open(path) as doc:
        infos = doc[0].get_image_info(xrefs=True)
        background = doc[2].get_image_info()
    assert len(infos) == 4  # the figure twice, the logo, the invisible image
    assert sum(1 for i in infos if i["has-mask"]) == 1
    assert any(pymupdf.Rect(i["bbox"]).width >= 595 for i in background)


def test_auto_lists_a_page_s_images_once_and_a_changed_page_is_read_again(tmp_path, monkeypatch):
    from engine.detect.auto import AutoDetector
    from engine.pdf.pageinfo import image_info, reading

    doc = pymupdf.open()
    page = doc.new_page(width=400, height=500)
    picture = _png(ultrasound_frame(160, 120, np.random.default_rng(3)))
    _put(page, Rect(50, 50, 250, 200), picture)
    calls = []
    real = pymupdf.Page.get_image_info

    def counted(self, *args, **kwargs):
        calls.append(kwargs.get("xrefs", False))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pymupdf.Page, "get_image_info", counted)
    boxes = AutoDetector(born_digital=("embedded",)).detect(page)
    assert [round(b.rect.x0) for b in boxes] == [50]
    assert calls.count(False) == 1  # the scan check and the detector shared one listing

    page = doc.new_page(width=400, height=500)  # (PyMuPDF keeps a hashed listing on the page itself)
    _put(page, Rect(50, 50, 250, 200), picture)
    with reading(page):
        first = image_info(page)
        first[0]["bbox"] = (0, 0, 1, 1)  # a caller changing its copy changes no one else's
        assert image_info(page)[0]["bbox"] != (0, 0, 1, 1)
    _put(page, Rect(50, 250, 250, 400), picture)  # outside `reading` nothing is remembered
    assert len(image_info(page)) == 2
