"""Detection end to end: registry, auto per page kind, NMS, storing, corrected pages left alone."""

import pymupdf
import pytest

from engine.detect import registry
from engine.detect.base import Box
from engine.detect.nms import non_max_suppression
from engine.detect.run import detect_document
from engine.errors import DetectorError, UnknownDetectorError
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import documents, figures
from engine.store.models import FigureStatus
from tests.generators import make_scanned_test_pdf


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("sample") / "atlas.pdf")


def best_iou(rect, boxes):
    return max((rect.iou(b) for b in boxes), default=0.0)


def test_registry_lists_cards_and_rejects_unknown():
    names = [c.name for c in registry.available()]
    assert {"auto", "embedded", "scanned", "layout", "qwen-vl"} <= set(names)
    with pytest.raises(UnknownDetectorError, match="no detector called"):
        registry.create("yolo")
    with pytest.raises(DetectorError, match="has no setting no_such_setting; its settings are: dpi"):
        registry.create("scanned", no_such_setting=3)


def test_nms_keeps_best_and_drops_contained():
    a = Box(Rect(0, 0, 100, 100), score=0.9, source="scanned")
    b = Box(Rect(5, 5, 102, 98), score=0.6, source="layout")  # the same figure, a worse score
    c = Box(Rect(10, 10, 40, 40), score=0.5, source="layout")  # a part of a
    d = Box(Rect(200, 0, 300, 100), score=0.5, source="embedded")
    e = Box(Rect(0, 150, 50, 200), score=0.95, source="layout")  # small but separate
    assert non_max_suppression([a, b, c, d, e], iou=0.5) == [a, d, e]  # sorted top to bottom, left to right


def test_auto_on_sample_finds_the_drawn_figures_on_every_kind_of_page(project, sample_pdf):
    doc = import_pdf(project, sample_pdf.path).document
    progress = []
    report = detect_document(project, doc.id, "auto", progress=lambda i, n: progress.append((i, n)))
    assert report.pages_done == doc.page_count and progress[-1] == (doc.page_count, doc.page_count)
    for page in range(doc.page_count):
        found = [f.rect for f in figures.list_figures(project, doc.id, page)]
        for truth in sample_pdf.truth_on(page):
            assert best_iou(truth.rect, found) >= 0.85, (page, truth)
    scanned_pages = [p.index for p in documents.list_pages(project, doc.id) if p.image_only]
    assert scanned_pages, "the sample has a scanned page"
    assert {f.detector for f in figures.list_figures(project, doc.id, scanned_pages[0])} == {"scanned"}


def test_rerun_leaves_corrected_pages_and_force_overrides(project, sample_pdf):
    doc = import_pdf(project, sample_pdf.path).document
    detect_document(project, doc.id, "auto")
    first = figures.list_figures(project, doc.id, 0)[0]
    moved = figures.set_rect(project, first.id, first.rect.moved(5, 5))  # a person's correction
    report = detect_document(project, doc.id, "auto")
    assert report.pages_skipped == [0]
    assert figures.get_figure(project, moved.id).rect == moved.rect
    report = detect_document(project, doc.id, "auto", pages=[0], force=True)
    assert report.pages_skipped == [] and report.pages_done == 1
    assert all(f.id != moved.id for f in figures.list_figures(project, doc.id, 0))


def test_cancel_keeps_pages_done(project, sample_pdf):
    doc = import_pdf(project, sample_pdf.path).document
    seen = []
    report = detect_document(project, doc.id, "auto", progress=lambda i, n: seen.append(i),
                             cancel=lambda: len(seen) >= 2)
    assert report.cancelled and report.pages_done == 2
    assert documents.get_page(project, doc.id, 1).detected_by == "auto"
    assert documents.get_page(project, doc.id, 2).detected_by == ""


def test_layout_detector_contract(sample_pdf):
    det = registry.create("layout")
    pdf = pymupdf.open(str(sample_pdf.path))
    for page in pdf:
        for box in det.detect(page):
            assert box.source == "layout" and box.label == "picture"
            assert page.rect.contains(pymupdf.Rect(*box.rect.as_tuple()))
            assert min(box.rect.width, box.rect.height) >= 36


def test_figure_status_counts_after_detection(project, sample_pdf):
    doc = import_pdf(project, sample_pdf.path).document
    detect_document(project, doc.id, "auto")
    counts = figures.count_by_status(project, doc.id)
    total = len(sample_pdf.truth)
    assert counts[FigureStatus.PROPOSED] >= total and counts[FigureStatus.ACCEPTED] == 0


def test_auto_treats_a_scan_with_an_ocr_text_layer_as_scanned(project, tmp_path):
    gen = make_scanned_test_pdf(tmp_path / "scan.pdf", "side_by_side", seed=3)
    pdf = pymupdf.open(str(gen.path))
    page = pdf[0]
    # what OCR software adds to a scanned book: invisible text over the whole page
    page.insert_textbox(page.rect + (40, 40, -40, -40), "Renal artery Doppler, longitudinal view. " * 40,
                        fontsize=9, render_mode=3)
    pdf.save(str(tmp_path / "ocred.pdf"))
    doc = import_pdf(project, tmp_path / "ocred.pdf").document
    assert documents.get_page(project, doc.id, 0).has_text
    detect_document(project, doc.id, "auto")
    found = figures.list_figures(project, doc.id, 0)
    assert {f.detector for f in found} == {"scanned"}
    for truth in gen.truth_on(0):
        assert best_iou(truth.rect, [f.rect for f in found]) >= 0.85
