"""figure_text_for: fresh text for one figure, read from the whole document, never stored."""

from __future__ import annotations

import pytest

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project, figures, ocr_cache
from engine.store.models import NewFigure
from engine.text.ocr import RapidOcrEngine
from engine.text.pipeline import figure_text_for


class CountingOcr(RapidOcrEngine):
    """The real OCR, counting what it is asked to read: (page, whole page or crop)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[int, bool]] = []

    def ocr_page(self, page, dpi=200, clip=None):
        self.calls.append((page.number, clip is None))
        return super().ocr_page(page, dpi, clip)


class RecordingOcr:
    """An OCR engine that reads nothing and says what it was asked (to check the scope cheaply)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool]] = []

    def ocr_image(self, image):
        return []

    def ocr_page(self, page, dpi=200, clip=None):
        self.calls.append((page.number, clip is None))
        return []


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ftf")
    pdf = make_sample_pdf(folder / "atlas.pdf")
    project = Project.create(folder / "Atlas.remud")
    doc = import_pdf(project, pdf.path).document
    ids = figures.add_figures(project, [NewFigure(doc.id, t.page, t.rect) for t in pdf.truth])
    yield project, pdf, ids
    project.close()


def test_text_layer_caption_context_and_section_nothing_stored(atlas):
    project, _, ids = atlas
    before = figures.get_figure(project, ids[0])
    text = figure_text_for(project, ids[0])
    assert "肝右叶" in text.caption and "Right liver lobe" in text.caption
    assert text.context.startswith("图解要点")
    assert text.section.startswith("3-1")
    assert text.burned_text == ""  # no OCR asked: the frame's pixels are not read
    assert figures.get_figure(project, ids[0]) == before
    gallbladder = [figure_text_for(project, fid) for fid in ids[1:3]]
    assert [t.sublabel for t in gallbladder] == ["A", "B"]
    assert all("胆囊结石" in t.caption for t in gallbladder)


def test_a_moved_box_reads_what_lies_around_it_now(atlas):
    project, _, ids = atlas
    spleen = figures.get_figure(project, ids[-1])
    figures.set_rect(project, spleen.id, Rect(60, 700, 300, 780))  # onto the table at the bottom
    try:
        text = figure_text_for(project, spleen.id)
        assert "正常脾脏" not in text.caption
    finally:
        figures.set_rect(project, spleen.id, spleen.rect)


def test_ocr_reads_only_this_crop_once_and_masks_hide_text(atlas):
    project, _, ids = atlas
    ocr = CountingOcr()
    text = figure_text_for(project, ids[0], ocr=ocr)
    assert ocr.calls == [(0, False)]  # the crop only: page 1 has a text layer, page 3 is too far
    assert "LIVER" in text.burned_text
    assert "肝右叶" in text.caption
    again = figure_text_for(project, ids[0], ocr=ocr)
    assert again == text and len(ocr.calls) == 1  # the crop came from the project's OCR cache

    fig = figures.get_figure(project, ids[0])
    cached = ocr_cache.get(project, fig.doc_id, 0, fig.rect, 200, ocr.cache_name)  # filed under the engine's name
    liver = next(Rect(*d["rect"]) for d in cached if d["text"] == "LIVER")
    figures.set_redactions(project, fig.id, [liver.expanded(2)])
    masked = figure_text_for(project, ids[0], ocr=ocr)
    assert "LIVER" not in masked.burned_text and masked.burned_text  # the rest is still read
    figures.set_redactions(project, fig.id, [])


def test_ocr_scope_pages_near_the_figure_and_no_other_crops(atlas):
    project, _, ids = atlas
    segments = ids[3]  # page 2, next to the scanned page 3
    near = RecordingOcr()
    figure_text_for(project, segments, ocr=near, read_crop=False)
    assert near.calls == [(3, True)]  # the scanned neighbour page; no crop of any figure
    far = RecordingOcr()
    figure_text_for(project, ids[0], ocr=far, read_crop=False)
    assert far.calls == []

    class OtherOcr(RecordingOcr):  # another engine name: nothing cached for it yet
        pass

    everything = OtherOcr()
    figure_text_for(project, ids[0], ocr=everything, read_crop=False, reach=None)
    assert everything.calls == [(3, True)]
