"""CaptionedDetector on generated born-digital pages (tests/born_digital_pages.py), scored
against the boxes a reader would draw: recall at IoU >= 0.85 and extra boxes."""

from __future__ import annotations

from collections import defaultdict

import pymupdf
import pytest

from engine.detect import registry
from engine.detect.auto import AutoDetector
from engine.detect.base import Detector
from engine.detect.captioned import CaptionedDetector
from engine.detect.page_text import caption_of
from engine.errors import DetectorError
from engine.geometry import Rect
from engine.samplegen import frame_jpeg
from tests.born_digital_pages import KINDS, Sheet, figure_label, make_pages, word_cloud
from tests.engine.detect_metrics import Match, match

VARIANTS = 6


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return make_pages(tmp_path_factory.mktemp("captioned") / "pages.pdf", variants=VARIANTS, seed=13)


def score(pages, detector: CaptionedDetector, whole: bool) -> dict[str, Match]:
    per_kind: dict[str, Match] = defaultdict(lambda: Match(0, 0))
    with pymupdf.open(pages.path) as doc:
        for page, truth in zip(doc, pages.pages):
            boxes = detector.detect(page)
            expected = truth.figures if whole else truth.panels
            per_kind[truth.kind] = per_kind[truth.kind] + match(expected, [b.rect for b in boxes])
    return per_kind


def report(per_kind: dict[str, Match]) -> str:
    return "; ".join(f"{k}: recall {m.recall:.2f}, extra {m.found - m.hits}" for k, m in per_kind.items())


@pytest.mark.parametrize("mode", ["split", "whole"])
def test_recall_and_extra_boxes_per_kind(pages, mode):
    per_kind = score(pages, CaptionedDetector(panels=mode), whole=mode == "whole")
    assert set(per_kind) == set(KINDS)
    for kind, m in per_kind.items():
        assert m.recall >= 0.95, (kind, report(per_kind))
    extra = sum(m.found - m.hits for m in per_kind.values())
    assert extra <= len(pages.pages) / 10, report(per_kind)
    for kind in ("table", "logo"):  # no figure on these pages, so nothing at all
        assert per_kind[kind].found == per_kind[kind].truth, report(per_kind)


def test_is_a_detector_with_a_card_and_auto_uses_it_on_born_digital_pages(pages):
    d = registry.create("captioned")
    assert isinstance(d, Detector) and d.name == "captioned" and isinstance(d, CaptionedDetector)
    auto = registry.create("auto")
    assert isinstance(auto, AutoDetector)
    with pymupdf.open(pages.path) as doc:
        assert [type(x) for x in auto.detectors_for(doc[0])] == [CaptionedDetector]


def test_a_bad_panel_mode_is_refused():
    with pytest.raises(DetectorError, match="panels must be one of split, whole"):
        CaptionedDetector(panels="parts")


def test_panels_split_or_whole(pages):
    """(a)(b)(c): three boxes sharing the caption, each with its letter, or one box listing them."""
    with pymupdf.open(pages.path) as doc:
        for page, truth in zip(doc, pages.pages):
            if truth.kind != "panels3":
                continue
            split = CaptionedDetector(panels="split").detect(page)
            assert sorted(b.extra["sublabel"].lower() for b in split) == ["a", "b", "c"]
            assert len({b.caption for b in split}) == 1 and split[0].caption
            assert all(b.source == "captioned" and b.label == "figure" for b in split)
            [whole] = CaptionedDetector(panels="whole").detect(page)
            assert [p["sublabel"].lower() for p in whole.extra["panels"]] == ["a", "b", "c"]
            assert whole.caption == split[0].caption
            for p in whole.extra["panels"]:
                assert Rect(*p["rect"]).overlap_fraction(whole.rect) > 0.99


def test_boxes_carry_their_caption_and_number(pages):
    with pymupdf.open(pages.path) as doc:
        for page, truth in zip(doc, pages.pages):
            if truth.kind not in ("flowchart", "cjk", "textpanel"):
                continue
            [box] = CaptionedDetector().detect(page)
            start = caption_of(box.caption)
            assert start is not None and start.kind == "figure" and box.extra["number"] == start.number


def test_a_figure_of_one_picture_gives_the_native_image():
    page = _single_picture_page()
    [box] = CaptionedDetector().detect(page)
    info = page.parent.extract_image(box.extra["xref"])
    assert (info["width"], info["height"]) == (box.extra["width"], box.extra["height"])


def _single_picture_page() -> pymupdf.Page:
    import numpy as np

    doc = pymupdf.open()
    page = doc.new_page()
    sheet = Sheet(page, np.random.default_rng(5))
    y = sheet.para(sheet.left, sheet.top, sheet.width, 5)
    rect = Rect(150, y + 10, 450, y + 230)
    page.insert_image(pymupdf.Rect(*rect.as_tuple()), stream=frame_jpeg(rect, np.random.default_rng(1), ("LK",)))
    y = sheet.caption(sheet.left, rect.y1 + 8, sheet.width, "Figure 1.")
    sheet.fill(sheet.left, y + 8, sheet.width, sheet.bottom)
    return page


def _word_cloud_page(caption: bool = True) -> tuple[pymupdf.Page, Rect]:
    """A figure made of text only (a word cloud) under running text, captioned."""
    import numpy as np

    rng = np.random.default_rng(2)
    doc = pymupdf.open()
    page = doc.new_page()
    sheet = Sheet(page, rng)
    sheet.font, sheet.bold, sheet.size = "tiro", "tibo", 10.0
    y = sheet.para(sheet.left, sheet.top, sheet.width, 6)
    area = Rect(160, y + 10, 440, y + 170)
    word_cloud(page, area, rng)
    if caption:
        y = sheet.caption(sheet.left, area.y1 + 8, sheet.width, figure_label(rng, 4))
    sheet.fill(sheet.left, y + 12, sheet.width, sheet.bottom)
    return page, area


def test_text_alone_is_no_figure_unless_the_layout_model_sees_a_picture(monkeypatch):
    from engine.detect import layout

    page, area = _word_cloud_page()
    assert CaptionedDetector(layout_signal=False).detect(page) == []
    calls = []

    def sees_a_picture(p):
        calls.append(p.number)
        return [(area, "picture")]

    monkeypatch.setattr(layout, "layout_regions", sees_a_picture)
    [box] = CaptionedDetector().detect(page)
    assert box.extra["layout"] and box.score < 0.9 and box.rect.iou(area) > 0.7 and calls == [0]

    monkeypatch.setattr(layout, "layout_regions", lambda p: [(area, "text")])
    assert CaptionedDetector().detect(page) == []

    def broken(p):
        raise RuntimeError("no ONNX runtime")

    monkeypatch.setattr(layout, "layout_regions", broken)
    assert CaptionedDetector().detect(page) == []  # the model is an extra signal: without it, text stays text


def test_the_layout_model_is_not_asked_where_captions_found_their_figures(pages, monkeypatch):
    from engine.detect import layout

    def must_not_run(p):
        raise AssertionError("the layout model ran")

    monkeypatch.setattr(layout, "layout_regions", must_not_run)
    with pymupdf.open(pages.path) as doc:
        for page in doc:
            CaptionedDetector().detect(page)


def test_large_uncaptioned_pictures_are_kept_small_ones_not():
    import numpy as np

    doc = pymupdf.open()
    page = doc.new_page()
    sheet = Sheet(page, np.random.default_rng(3))
    y = sheet.para(sheet.left, sheet.top, sheet.width, 4)
    big = Rect(150, y + 10, 430, y + 220)
    page.insert_image(pymupdf.Rect(*big.as_tuple()), stream=frame_jpeg(big, np.random.default_rng(4), ("RK",)))
    logo = Rect(500, 30, 540, 70)
    page.insert_image(pymupdf.Rect(*logo.as_tuple()), stream=frame_jpeg(logo, np.random.default_rng(5), ()))
    sheet.fill(sheet.left, big.y1 + 12, sheet.width, sheet.bottom)
    [box] = CaptionedDetector().detect(page)
    assert box.label == "image" and box.score == 0.5 and box.rect.iou(big) > 0.99 and box.extra["xref"]
    assert CaptionedDetector(uncaptioned_min_side_pt=0).detect(page) == []


def test_a_figure_reference_wrapped_to_the_start_of_a_line_is_no_caption():
    import numpy as np

    doc = pymupdf.open()
    page = doc.new_page()
    sheet = Sheet(page, np.random.default_rng(6))
    sheet.font, sheet.size, sheet.lead = "helv", 10.0, 13.0
    y = sheet.para(sheet.left, sheet.top, sheet.width, 3)
    y = sheet.para(sheet.left, y, sheet.width, 2) - 0.5 * sheet.lead
    sheet.line(sheet.left, y - sheet.lead, "The positions of the probe and the landmarks are listed in the " * 1)
    sheet.line(sheet.left, y, "Figure 2. The gallbladder wall is thin and smooth when the patient has fasted and")
    sheet.line(sheet.left, y + sheet.lead, "the stones are echogenic and shadow.")
    r = Rect(200, y - 140, 260, y - 100)  # a small uncaptioned drawing above the paragraph
    page.draw_rect(pymupdf.Rect(*r.as_tuple()), color=(0, 0, 0), fill=(0.5, 0.6, 0.9))
    assert CaptionedDetector().detect(page) == []


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotated_pages(pages, tmp_path, rotation):
    chosen = [i for i, p in enumerate(pages.pages) if p.kind in ("twocol", "panels3", "cjk")][::2]
    with pymupdf.open(pages.path) as doc:
        doc.select(chosen)
        for page in doc:
            page.set_rotation(rotation)
        doc.save(tmp_path / "rotated.pdf")
    total = Match(0, 0)
    with pymupdf.open(tmp_path / "rotated.pdf") as doc:
        for page, index in zip(doc, chosen):
            rot = page.rotation_matrix
            truth = [Rect(*(pymupdf.Rect(*t.as_tuple()) * rot)) for t in pages.pages[index].panels]
            boxes = CaptionedDetector().detect(page)
            bounds = Rect(0, 0, page.rect.width, page.rect.height)
            assert all(b.rect.overlap_fraction(bounds) > 0.999 for b in boxes)
            total = total + match(truth, [b.rect for b in boxes])
    assert total.truth >= 6 and total.recall >= 0.95 and total.found == total.hits
