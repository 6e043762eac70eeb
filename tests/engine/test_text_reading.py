"""Reading a scanned book's text page by page: the shown page first, each page's figures at once,
burned-in labels from the page pass, progress with an estimate, cancel within a page, and a later
run that skips what did not change. OCR is scripted here (it answers what a page "says", placed
around the generated frames) so the order and number of reads can be checked; the real recogniser
is exercised in test_text_pipeline.py and test_ocr.py."""

from __future__ import annotations

import pymupdf
import pytest

from engine.errors import CancelledError
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, figures
from engine.store.models import NewFigure
from engine.text.lines import scan_dpi
from engine.text.ocr import TextLine
from engine.text.pipeline import fill_figure_text
from engine.text.reading import PageQueue, ReadProgress, about
from tests.generators import make_scanned_test_pdf

PAGES = 10


class BookOcr:
    """What each scanned page says: a heading, the caption under its frames, and a burned-in label
    inside the first frame only (the second frame's labels are too small for the page pass; read
    alone, they say "RT OBL 5.0MHz")."""

    def __init__(self, frames: dict[int, list[Rect]]) -> None:
        self.frames = frames
        self.calls: list[tuple[int, Rect | None, int]] = []  # (page, clip, dpi), in order

    def ocr_image(self, image):
        return []

    def ocr_page(self, page, dpi=200, clip=None):
        self.calls.append((page.number, clip, dpi))
        frames = self.frames[page.number]
        if clip is not None:
            return [TextLine(Rect(clip.x0 + 4, clip.y0 + 4, clip.x0 + 60, clip.y0 + 12), "RT OBL 5.0MHz", 0.9, "ocr", 7)]
        first, last = frames[0], frames[-1]
        bottom = max(f.y1 for f in frames)
        return [
            TextLine(Rect(56, 60, 300, 76), f"{page.number + 1}-1 肾脏 Kidney", 0.95, "ocr", 15),
            TextLine(Rect(first.x0 + 6, first.y0 + 6, first.x0 + 30, first.y0 + 16), "LK", 0.93, "ocr", 8),
            TextLine(Rect(first.x0, bottom + 8, last.x1, bottom + 18),
                     f"图 {page.number + 1}-1 肾脏声像图 / Figure {page.number + 1}-1 Kidney", 0.95, "ocr", 9),
        ]

    def page_reads(self) -> list[int]:
        return [page for page, clip, _ in self.calls if clip is None]


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    return make_scanned_test_pdf(tmp_path_factory.mktemp("scans") / "scans.pdf", ["side_by_side"] * PAGES, seed=4)


@pytest.fixture
def book(tmp_path, scans):
    pdf = scans
    project = Project.create(tmp_path / "Scans.remud")
    doc = import_pdf(project, pdf.path).document
    frames: dict[int, list[Rect]] = {}
    for t in pdf.truth:
        frames.setdefault(t.page, []).append(t.rect)
    figures.add_figures(project, [NewFigure(doc.id, page, r) for page, rs in frames.items() for r in rs])
    yield project, doc.id, BookOcr(frames)
    project.close()


def by_page(project, doc_id):
    out: dict[int, list] = {}
    for f in figures.list_figures(project, doc_id):
        out.setdefault(f.page, []).append(f)
    return out


def test_page_queue_puts_the_shown_page_and_the_next_first_and_follows():
    shown = [None]
    queue = PageQueue(range(10), lambda: shown[0])
    assert [queue.pop(), queue.pop()] == [0, 1]
    shown[0] = 6
    assert [queue.pop(), queue.pop(), queue.pop()] == [6, 7, 2]  # then reading order again
    shown[0] = 7  # read already: the page after it
    assert queue.pop() == 8
    shown[0] = 42  # beyond the book
    assert [queue.pop() for _ in range(len(queue))] == [3, 4, 5, 9] and queue.pop() is None


def test_progress_sentences():
    assert ReadProgress(37, 600, 36, 540).sentence() == "Reading text 37/600 · about 9 min left"
    assert ReadProgress(0, 600).sentence() == "Reading text 0/600"
    assert ReadProgress(600, 600, closing=True).sentence() == "Reading captions and context…"
    assert about(20) == "less than a minute left" and about(3 * 3600) == "about 3.0 h left"


def test_scans_are_read_at_their_own_resolution(tmp_path):
    doc = pymupdf.open()
    for width_px, expected in ((1240, 150), (1654, 200), (2480, 300), (600, 150), (4960, 300)):
        page = doc.new_page(width=595, height=842)
        pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width_px, round(width_px * 842 / 595)), False)
        pix.clear_with(200)
        page.insert_image(page.rect, pixmap=pix)
        assert scan_dpi(page) == expected, width_px


def test_burned_in_text_comes_from_the_page_pass_and_empty_frames_are_read_closer(book):
    project, doc_id, ocr = book
    fill_figure_text(project, doc_id, ocr=ocr)
    assert sorted(ocr.page_reads()) == list(range(PAGES))  # each page once
    crops = [(page, clip, dpi) for page, clip, dpi in ocr.calls if clip is not None]
    pages = by_page(project, doc_id)
    for page, figs in pages.items():
        first, second = sorted(figs, key=lambda f: f.rect.x0)
        assert first.text.burned_text == "LK"  # the page pass's line inside the frame: no crop read
        assert second.text.burned_text == "RT OBL 5.0MHz"  # nothing inside: read alone
        assert [(p, c) for p, c, _ in crops if p == page] == [(page, second.rect)]
        assert first.text.caption.startswith(f"图 {page + 1}-1") and first.text.section.startswith(f"{page + 1}-1")
    page_dpi = {page: dpi for page, clip, dpi in ocr.calls if clip is None}
    assert all(dpi == min(2 * page_dpi[page], 400) for page, _, dpi in crops)  # closer than the page pass


def test_the_shown_page_is_read_next_and_its_figures_get_their_text_at_once(book):
    project, doc_id, ocr = book
    shown = [None]
    seen_when_told: dict[int, str] = {}
    progress: list[ReadProgress] = []

    def on_page(page: int) -> None:
        seen_when_told[page] = by_page(project, doc_id)[page][0].text.caption  # stored before we hear of it
        if page == 1:
            shown[0] = 7  # the person jumps to page 8 while page 2 is being read

    fill_figure_text(project, doc_id, ocr=ocr, focus=lambda: shown[0], on_page=on_page, on_progress=progress.append)
    assert ocr.page_reads() == [0, 1, 7, 8, 2, 3, 4, 5, 6, 9]
    assert all(caption.startswith(f"图 {page + 1}-1") for page, caption in seen_when_told.items())
    assert len(seen_when_told) == PAGES
    reading = [p for p in progress if not p.closing]
    assert [p.done for p in reading] == list(range(PAGES + 1)) and {p.total for p in reading} == {PAGES}
    assert reading[0].seconds_left is None and all(p.seconds_left is not None for p in reading[1:])
    assert progress[-1].closing  # the last word: the closing pass over the whole book


def test_cancel_stops_within_a_page_and_the_next_run_goes_on_from_there(book):
    project, doc_id, ocr = book
    read = []
    with pytest.raises(CancelledError):
        fill_figure_text(project, doc_id, ocr=ocr, cancel=lambda: len(read) >= 3, on_page=read.append)
    assert ocr.page_reads() == [0, 1, 2]  # asked before each page: not one page more
    assert all(f.text.caption for page in read for f in by_page(project, doc_id)[page])
    ocr.calls.clear()
    fill_figure_text(project, doc_id, ocr=ocr)
    assert ocr.page_reads() == list(range(3, PAGES))


def test_a_later_run_skips_pages_whose_boxes_did_not_change(book):
    project, doc_id, ocr = book
    assert fill_figure_text(project, doc_id, ocr=ocr) == 2 * PAGES
    ocr.calls.clear()
    progress: list[ReadProgress] = []
    assert fill_figure_text(project, doc_id, ocr=ocr, on_progress=progress.append) == 0
    assert ocr.calls == [] and progress == []  # nothing read, nothing gone through again

    moved = by_page(project, doc_id)[4][1]
    figures.set_rect(project, moved.id, Rect(moved.rect.x0, moved.rect.y0, moved.rect.x1 - 20, moved.rect.y1))
    fill_figure_text(project, doc_id, ocr=ocr)
    assert ocr.page_reads() == []  # the page's OCR is cached; only the moved box is read again, alone
    assert [(page, clip) for page, clip, _ in ocr.calls] == [(4, figures.get_figure(project, moved.id).rect)]
