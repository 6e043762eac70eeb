"""The first window: opens a project, lists documents and pages, renders pages in a worker."""

import pytest
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsRectItem

from engine.detect.run import detect_document
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project
from remud_desktop.main_window import MainWindow


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gui") / "Atlas.remud"
    pdf = make_sample_pdf(folder.parent / "atlas.pdf")
    with Project.create(folder) as p:
        doc = import_pdf(p, pdf.path).document
        detect_document(p, doc.id, "auto")
    return folder, pdf


def items(window, kind):
    return [i for i in window.view.scene().items() if isinstance(i, kind)]


def test_window_opens_project_and_shows_page_with_boxes(qtbot, sample_project, tmp_path):
    folder, pdf = sample_project
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.open_project(folder)
    assert window.doc_list.count() == 1
    import pymupdf

    assert window.page_list.count() == pymupdf.open(str(pdf.path)).page_count
    qtbot.waitUntil(lambda: len(items(window, QGraphicsPixmapItem)) == 1, timeout=10000)
    assert len(items(window, QGraphicsRectItem)) == len(pdf.truth_on(0))
    assert "figures" in window.status_counts.text()

    window.page_list.setCurrentRow(1)  # paging renders the next page in the background
    qtbot.waitUntil(lambda: window.status_page.text().endswith(f"page 2 of {window.page_list.count()}"), timeout=5000)
    qtbot.waitUntil(lambda: len(items(window, QGraphicsRectItem)) == len(pdf.truth_on(1)), timeout=10000)
    shot = tmp_path / "window.png"
    assert window.grab().save(str(shot)) and shot.stat().st_size > 10_000


def test_stale_render_results_are_dropped(qtbot, sample_project):
    folder, _ = sample_project
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_project(folder)
    from engine.imaging import Raster

    window.view.show_message("moved on")
    window.page_index = 3  # the user has moved on: late results for page 1 must not be shown
    window._page_rendered((window.generation, window.doc_id, 0), Raster(1, 1, 3, 3, b"\0\0\0"))
    window.pool.waitForDone(10000)  # the real render of page 1, started by open_project, arrives...
    qtbot.wait(50)  # ...its signal is delivered, and it is dropped too
    assert not items(window, QGraphicsPixmapItem)
