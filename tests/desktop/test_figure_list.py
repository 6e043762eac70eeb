"""The figure list: all figures of the document, filters, navigation by row, keys, and
following the session row by row."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project, figures
from engine.store.models import FigureStatus, FigureText, NewFigure
from remud_desktop.figure_list import FigureList
from remud_desktop.figure_list.model import CAPTION, PAGE, STATUS, SUBLABEL
from tests import pdf_factory
from tests.desktop.gui_helpers import WAIT_MS, open_session


@pytest.fixture(scope="module")
def atlas_pdf(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("atlas") / "atlas.pdf")


@pytest.fixture
def session(qapp, tmp_path, atlas_pdf):
    folder = tmp_path / "p.remud"
    with Project.create(folder) as p:
        doc = import_pdf(p, pdf_factory.image_pdf(tmp_path / "a.pdf", [(72, 100, 312, 280)])).document
        figures.add_figures(p, [NewFigure(doc.id, 0, Rect(72, 100, 312, 280))])
        atlas = import_pdf(p, atlas_pdf.path).document
        statuses = [FigureStatus.ACCEPTED, FigureStatus.PROPOSED, FigureStatus.REJECTED]
        figures.add_figures(p, [
            NewFigure(atlas.id, t.page, t.rect, detector="auto", score=0.5 + n / 20, status=statuses[n % 3],
                      text=FigureText(caption=t.caption, section=t.section, sublabel=t.sublabel))
            for n, t in enumerate(reversed(atlas_pdf.truth))  # stored out of order on purpose
        ])
    with open_session(folder, 2, 0) as s:
        yield s


@pytest.fixture
def figure_list(qtbot, session):
    widget = FigureList(session)
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    widget.show()
    return widget


def shown(widget, column=None):
    """The figures in view order (or one column's text)."""
    rows = range(widget.proxy.rowCount())
    if column is not None:
        return [widget.proxy.index(r, column).data() for r in rows]
    return [widget.model.figure(widget.proxy.mapToSource(widget.proxy.index(r, 0)).row()) for r in rows]


def click_row(qtbot, widget, row, modifier=Qt.KeyboardModifier.NoModifier):
    rect = widget.table.visualRect(widget.proxy.index(row, CAPTION))
    qtbot.mouseClick(widget.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_lists_every_figure_of_the_document_in_page_order(session, figure_list, atlas_pdf):
    figs = shown(figure_list)
    assert len(figs) == len(atlas_pdf.truth)
    assert [(f.page, f.rect.y0, f.rect.x0) for f in figs] == sorted((t.page, t.rect.y0, t.rect.x0) for t in atlas_pdf.truth)
    assert shown(figure_list, PAGE)[:3] == ["1", "2", "2"]
    assert shown(figure_list, SUBLABEL)[1:3] == ["A", "B"]
    assert shown(figure_list, CAPTION)[0].startswith("图 3-1 肝右叶")
    assert figure_list.count_label.text() == f"{len(figs)} figures"
    session.go_to(1, 0)  # another document
    assert len(shown(figure_list)) == 1 and shown(figure_list, CAPTION) == [""]


def test_filters_by_status_and_text(qtbot, session, figure_list, atlas_pdf):
    total = len(atlas_pdf.truth)
    figure_list.status_combo.setCurrentIndex(figure_list.status_combo.findData("accepted"))
    assert shown(figure_list) and set(shown(figure_list, STATUS)) == {"accepted"}
    figure_list.status_combo.setCurrentIndex(0)
    figure_list.search.setText("胆囊")  # (QTest types ASCII only)
    qtbot.keyClicks(figure_list.search, " stones")
    qtbot.waitUntil(lambda: len(shown(figure_list)) == 2, timeout=WAIT_MS)
    assert shown(figure_list, SUBLABEL) == ["A", "B"]
    assert figure_list.count_label.text() == f"2 of {total} figures"
    figure_list.search.clear()
    qtbot.waitUntil(lambda: len(shown(figure_list)) == total, timeout=WAIT_MS)


def test_clicking_rows_goes_to_the_page_and_selects(qtbot, session, figure_list):
    figs = shown(figure_list)
    click_row(qtbot, figure_list, 1)  # gallbladder A on page 2
    assert (session.doc_id, session.page) == (2, figs[1].page) and session.selection == [figs[1].id]
    click_row(qtbot, figure_list, 2, Qt.KeyboardModifier.ShiftModifier)
    assert session.selection == [figs[1].id, figs[2].id]
    click_row(qtbot, figure_list, 0)
    assert session.page == 0 and session.selection == [figs[0].id]
    session.go_to(2, 1)  # the canvas selects boxes: their rows follow
    session.select([figs[2].id])
    assert [f.id for f in figure_list.selected_figures()] == [figs[2].id]


def test_enter_accepts_r_rejects_del_deletes(qtbot, session, figure_list):
    figs = shown(figure_list)
    click_row(qtbot, figure_list, 1)
    figure_list.table.setFocus()
    qtbot.keyClick(figure_list.table, Qt.Key.Key_Return)
    assert figures.get_figure(session.project, figs[1].id).status == FigureStatus.ACCEPTED
    assert [f.id for f in figure_list.selected_figures()] == [figs[2].id]  # moved on to the next row
    qtbot.keyClick(figure_list.table, Qt.Key.Key_R)
    assert figures.get_figure(session.project, figs[2].id).status == FigureStatus.REJECTED
    qtbot.waitUntil(lambda: shown(figure_list, STATUS)[2] == "rejected", timeout=WAIT_MS)
    click_row(qtbot, figure_list, 1)
    click_row(qtbot, figure_list, 2, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(figure_list.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: len(shown(figure_list)) == len(figs) - 2, timeout=WAIT_MS)
    assert figures.list_figures(session.project, 2, 1) == []
    session.undo_stack.undo()
    qtbot.waitUntil(lambda: len(shown(figure_list)) == len(figs), timeout=WAIT_MS)
    assert {f.id for f in figure_list.selected_figures()} == {figs[1].id, figs[2].id}


def test_rows_across_pages_act_as_one_undo_step_and_keys_beat_window_shortcuts(qtbot, session):
    window = QMainWindow()
    qtbot.addWidget(window)
    figure_list = FigureList(session)
    window.setCentralWidget(figure_list)
    fired = []
    action = QAction("Reject (canvas)", window)
    action.setShortcut(QKeySequence("R"))
    action.triggered.connect(lambda: fired.append(True))
    window.addAction(action)
    window.show()
    figs = shown(figure_list)
    click_row(qtbot, figure_list, 0)
    click_row(qtbot, figure_list, 3, Qt.KeyboardModifier.ShiftModifier)  # pages 1 to 3
    figure_list.table.setFocus()
    qtbot.keyClick(figure_list.table, Qt.Key.Key_R)
    assert not fired
    assert all(figures.get_figure(session.project, f.id).status == FigureStatus.REJECTED for f in figs[:4])
    session.undo_stack.undo()
    assert [figures.get_figure(session.project, f.id).status for f in figs[:4]] == [f.status for f in figs[:4]]


def test_follows_session_edits_row_by_row(qtbot, session, figure_list):
    resets = []
    figure_list.model.modelReset.connect(lambda: resets.append(True))
    session.go_to(2, 4)
    session.create_figure(Rect(60, 500, 200, 600))
    qtbot.waitUntil(lambda: len(shown(figure_list)) == 10, timeout=WAIT_MS)
    new = shown(figure_list)[-1]  # the last page, lowest on it
    assert new.detector == "manual" and [f.id for f in figure_list.selected_figures()] == [new.id]
    session.set_text(new.id, FigureText(caption="Spleen, second view"))
    qtbot.waitUntil(lambda: shown(figure_list, CAPTION)[-1] == "Spleen, second view", timeout=WAIT_MS)
    first = shown(figure_list)[0]
    session.set_rects({first.id: Rect(60, 700, 200, 800)})  # still on page 1
    session.go_to(2, 0)
    figure_list.flush()
    assert shown(figure_list)[0].rect == Rect(60, 700, 200, 800)
    assert resets == []  # no reload of the whole list for any of it


def test_a_box_moved_on_its_page_moves_its_row_and_stays_selected(qtbot, session, figure_list):
    a, b = shown(figure_list)[1:3]  # gallbladder A and B, side by side on page 2
    click_row(qtbot, figure_list, 1)
    session.set_rects({a.id: Rect(b.rect.x1 - 100, a.rect.y0, b.rect.x1, a.rect.y1)})  # A now right of B's left
    session.set_rects({b.id: b.rect.moved(-40, 0)})
    figure_list.flush()
    assert [f.id for f in shown(figure_list)[1:3]] == [b.id, a.id]
    assert [f.id for f in figure_list.selected_figures()] == [a.id]
    figure_list.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # by score, on demand
    scores = [f.score for f in shown(figure_list)]
    assert scores == sorted(scores, reverse=True)
