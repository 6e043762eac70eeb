"""Figure text end to end on the sample atlas: detection, then captions/context/OCR into the store."""

import difflib
import re

import pytest

from engine.detect.run import detect_document
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project, figures
from engine.store.models import FigureText
from engine.text.ocr import RapidOcrEngine
from engine.text.pipeline import fill_figure_text


class CountingOcr:
    def __init__(self, engine):
        self.engine, self.pages = engine, 0

    def ocr_image(self, image):
        return self.engine.ocr_image(image)

    def ocr_page(self, page, dpi=200, clip=None):
        self.pages += 1
        return self.engine.ocr_page(page, dpi=dpi, clip=clip)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline")
    pdf = make_sample_pdf(folder / "atlas.pdf")
    project = Project.create(folder / "Atlas.remud")
    doc = import_pdf(project, pdf.path).document
    detect_document(project, doc.id, "auto")
    ocr = CountingOcr(RapidOcrEngine())
    changed = fill_figure_text(project, doc.id, ocr=ocr)
    yield project, doc, pdf, ocr, changed
    project.close()


def test_every_figure_gets_its_caption_and_section(atlas):
    project, doc, pdf, ocr, changed = atlas
    stored = figures.list_figures(project, doc.id)
    assert changed == len(stored)
    for truth in pdf.truth:
        fig = max(stored, key=lambda f: f.rect.iou(truth.rect) if f.page == truth.page else 0)
        assert fig.rect.iou(truth.rect) > 0.85
        similarity = difflib.SequenceMatcher(None, squash(fig.text.caption), squash(truth.caption)).ratio()
        assert similarity > 0.9, (truth.page, fig.text.caption, truth.caption)
        assert squash(fig.text.section).startswith(squash(truth.section)[:3]), (fig.text.section, truth.section)
        assert fig.text.context, f"no context for {truth.caption}"
        assert squash(truth.caption) not in squash(fig.text.context) or "图解要点" in fig.text.context


def test_burned_in_text_is_kept_apart(atlas):
    project, doc, *_ = atlas
    burned = [f.text.burned_text for f in figures.list_figures(project, doc.id) if f.text.burned_text]
    assert burned, "the sample frames carry burned-in labels"
    assert any("MHz" in b or "LK" in b or "RK" in b for b in burned)
    for f in figures.list_figures(project, doc.id):
        assert "MHz" not in f.text.caption and "MHz" not in f.text.context


def test_second_run_reads_no_page_again_and_keeps_user_text(atlas):
    project, doc, _, ocr, _ = atlas
    first = figures.list_figures(project, doc.id)[0]
    figures.set_text(project, first.id, FigureText(caption="My own caption", context="Mine"))
    before = ocr.pages
    fill_figure_text(project, doc.id, ocr=ocr)
    assert ocr.pages == before  # every OCR result came from the project's cache
    assert figures.get_figure(project, first.id).text.caption == "My own caption"


def test_ocr_keeps_the_spaces_between_english_words(atlas):
    project, doc, pdf, *_ = atlas
    scanned = [t for t in pdf.truth if t.kind == "scanned"]
    stored = figures.list_figures(project, doc.id)
    for truth in scanned:
        fig = max(stored, key=lambda f: f.rect.iou(truth.rect) if f.page == truth.page else 0)
        english = truth.caption.split("/")[-1].strip()  # "Figure 3-4 Sonograms"
        assert english in fig.text.caption, (fig.text.caption, english)
    context = next(f.text.context for f in stored if f.page == scanned[0].page)
    assert "show the right kidney" in context
