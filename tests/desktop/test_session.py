"""Session + undo commands: every edit is stored at once, and undo/redo restores the store."""

import pytest

from engine.detect.run import iter_detect
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, documents, figures
from engine.store.models import FigureStatus, FigureText
from tests import pdf_factory
from tests.desktop.gui_helpers import open_session


@pytest.fixture
def session(qapp, tmp_path):
    folder = tmp_path / "p.remud"
    with Project.create(folder) as p:
        src = pdf_factory.image_pdf(tmp_path / "a.pdf", [(72, 100, 312, 280), (330, 100, 540, 280)])
        import_pdf(p, src)
        import_pdf(p, pdf_factory.text_pdf(tmp_path / "b.pdf", pages=3))
    with open_session(folder, 1, 0) as s:
        yield s


def stored(session, page=0, doc=1):
    return figures.list_figures(session.project, doc, page)


def test_create_move_delete_with_undo_redo(session):
    session.create_figure(Rect(10, 10, 110, 90))
    [fig] = stored(session)
    assert fig.detector == "manual" and session.selection == [fig.id]
    session.set_rects({fig.id: Rect(20, 20, 120, 100)})
    session.delete([fig.id])
    assert stored(session) == []
    session.undo_stack.undo()  # delete
    assert stored(session)[0].rect == Rect(20, 20, 120, 100)
    session.undo_stack.undo()  # move
    assert stored(session)[0].rect == Rect(10, 10, 110, 90)
    session.undo_stack.undo()  # create
    assert stored(session) == []
    for _ in range(3):
        session.undo_stack.redo()
    assert stored(session) == []
    session.undo_stack.undo()
    assert stored(session)[0].id == fig.id  # the same figure comes back, same id


def test_boxes_stay_inside_the_page_with_a_minimum_size(session):
    session.create_figure(Rect(560, 800, 700, 900))  # past the bottom-right corner
    [fig] = stored(session)
    assert fig.rect.x1 <= 595 and fig.rect.y1 <= 842
    session.set_rects({fig.id: Rect(100, 100, 101, 101)})
    assert stored(session)[0].rect.width >= 8


def test_nudges_merge_and_text_edits_merge(session):
    session.create_figure(Rect(10, 10, 110, 90))
    [fig] = stored(session)
    for _ in range(5):
        session.nudge([fig.id], 1, 0)
    assert stored(session)[0].rect.x0 == 15
    session.set_text(fig.id, FigureText(caption="Fig"))
    session.set_text(fig.id, FigureText(caption="Figure 1"))
    count = session.undo_stack.count()
    session.undo_stack.undo()
    assert stored(session)[0].text.caption == ""  # one step for the burst of typing
    session.undo_stack.undo()
    assert stored(session)[0].rect.x0 == 10  # one step for the run of nudges
    assert count == 3


def test_status_reviewed_and_undo_across_pages(session):
    session.create_figure(Rect(10, 10, 110, 90))
    [fig] = stored(session)
    session.set_status([fig.id], FigureStatus.REJECTED)
    session.set_reviewed(1, 0, True)
    session.go_to(2, 2)  # elsewhere: undo history survives page changes
    session.undo_stack.undo()
    assert not documents.get_page(session.project, 1, 0).reviewed
    session.undo_stack.undo()
    assert (session.doc_id, session.page) == (1, 0)  # undo brings the edited page into view
    assert stored(session)[0].status == FigureStatus.ACCEPTED


def test_detection_run_is_one_undo_step(session):
    worker_handle = session.project.reopen()
    results = list(iter_detect(worker_handle, 1, "embedded"))
    worker_handle.close()
    detected = stored(session)
    assert len(detected) == 2
    session.record_detection(results, "embedded")
    session.undo_stack.undo()
    assert stored(session) == []
    assert not documents.get_page(session.project, 1, 0).corrected
    session.undo_stack.redo()
    assert {f.id for f in stored(session)} == {f.id for f in detected}


def test_edits_survive_reopening(session, tmp_path):
    session.create_figure(Rect(10, 10, 110, 90))
    session.set_text(stored(session)[0].id, FigureText(caption="Kept"))
    folder = session.project.folder
    session.close_project()
    session.open_project(folder)
    assert stored(session)[0].text.caption == "Kept"
    assert session.undo_stack.count() == 0
