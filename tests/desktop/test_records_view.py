"""The records view: filters and search, the editor saving as you type (undoable), review
keys, bulk status changes as one undo step, mcq options, the figure crop beside it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, figures, records
from engine.store.models import (
    FigureText,
    NewFigure,
    NewRecord,
    RecordKind,
    RecordStatus,
)
from remud_desktop.records import RecordsView
from remud_desktop.records.editor import TEXT_ONLY
from remud_desktop.records.model import ANY_FLAG, NO_FLAGS, QUESTION
from tests import pdf_factory
from tests.desktop.gui_helpers import WAIT_MS, open_session


@pytest.fixture
def session(qapp, tmp_path):
    folder = tmp_path / "p.remud"
    with Project.create(folder) as p:
        doc = import_pdf(p, pdf_factory.image_pdf(tmp_path / "a.pdf", [(72, 100, 312, 280)])).document
        other = import_pdf(p, pdf_factory.text_pdf(tmp_path / "b.pdf", 2, title="Other")).document
        fid = figures.add_figures(p, [NewFigure(doc.id, 0, Rect(72, 100, 312, 280),
                                                text=FigureText(caption="Liver CT", context="Axial view of the liver"))])[0]
        records.add_records(p, [
            NewRecord(RecordKind.VQA, "What organ is shown?", "The liver.", figure_id=fid, doc_id=doc.id, page=0,
                      reasoning=True, thinking="Large organ on the right.", score=4.5),
            NewRecord(RecordKind.MCQ, "Which lobe is enlarged?", "B", figure_id=fid, doc_id=doc.id, page=0,
                      options=("Left lobe", "Right lobe", "Caudate lobe", "Quadrate lobe"), correct="B",
                      score=2.0, flags=("near_duplicate:1",)),
            NewRecord(RecordKind.QA, "肝脏位于哪里？", "右上腹。", doc_id=other.id, page=1, language="zh",
                      status=RecordStatus.ACCEPTED, flags=("figure_ref",)),
            NewRecord(RecordKind.QA, "What is calcification?", "Calcium deposits in tissue.", doc_id=other.id,
                      page=0, status=RecordStatus.REJECTED),
        ])
    with open_session(folder) as s:
        yield s


@pytest.fixture
def view(qtbot, session):
    widget = RecordsView(session)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    with qtbot.waitExposed(widget):
        widget.show()
    qtbot.waitUntil(lambda: not widget.loading, timeout=10000)  # records are read in a worker
    yield widget
    widget.shutdown()


def shown_ids(view):
    return view.model.visible_ids()


def status_of(session, rid):
    return records.get_record(session.project, rid).status


def pick(combo, data):
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def test_lists_all_records_and_filters_narrow_the_table(view, session):
    assert shown_ids(view) == [1, 2, 3, 4]
    assert view.count_label.text() == "4 records"
    assert view.model.index(0, QUESTION).data() == "What organ is shown?"
    pick(view.status_combo, "draft")
    assert shown_ids(view) == [1, 2]
    assert view.count_label.text() == "2 of 4 records"
    pick(view.kind_combo, "mcq")
    assert shown_ids(view) == [2]
    view.status_combo.setCurrentIndex(0)
    view.kind_combo.setCurrentIndex(0)
    pick(view.lang_combo, "zh")
    assert shown_ids(view) == [3]
    view.lang_combo.setCurrentIndex(0)
    view.min_score.setValue(3.0)
    assert shown_ids(view) == [1]  # unscored records fail any minimum
    view.min_score.setValue(0.0)
    pick(view.flag_combo, NO_FLAGS)
    assert shown_ids(view) == [1, 4]
    pick(view.flag_combo, ANY_FLAG)
    assert shown_ids(view) == [2, 3]
    pick(view.flag_combo, "near_duplicate")
    assert shown_ids(view) == [2]
    view.flag_combo.setCurrentIndex(0)
    pick(view.doc_combo, 2)
    assert shown_ids(view) == [3, 4]
    view.doc_combo.setCurrentIndex(0)
    assert shown_ids(view) == [1, 2, 3, 4]


def test_search_is_debounced_and_uses_full_text(qtbot, view):
    view.search.setText("calcif")
    assert shown_ids(view) == [1, 2, 3, 4]  # not on every keystroke
    qtbot.waitUntil(lambda: shown_ids(view) == [4])
    view.search.setText("肝脏")
    qtbot.waitUntil(lambda: shown_ids(view) == [3])
    view.search.setText("lobe")  # matches options text too
    qtbot.waitUntil(lambda: shown_ids(view) == [2])
    view.search.clear()
    qtbot.waitUntil(lambda: len(shown_ids(view)) == 4)


def test_sorting_by_score(view):
    view.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    assert shown_ids(view)[:2] == [1, 2]
    view.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)
    assert shown_ids(view)[-2:] == [2, 1]


def test_selecting_shows_the_record_and_its_crop(qtbot, view):
    view.select_ids([1])
    assert view.editor.question.toPlainText() == "What organ is shown?"
    assert view.editor.thinking.toPlainText() == "Large organ on the right."
    assert view.editor.answer.toPlainText() == "The liver."
    assert view.editor.options.isHidden()
    assert view.figure_panel.caption.toPlainText() == "Liver CT"
    assert "Axial view" in view.figure_panel.context.toPlainText()
    qtbot.waitUntil(lambda: "px" in view.figure_panel.size_label.text(), timeout=15000)
    assert view.figure_panel.crop_view.image() is not None


def test_a_text_only_record_shows_no_crop(qtbot, view):
    view.select_ids([1])
    qtbot.waitUntil(lambda: "px" in view.figure_panel.size_label.text(), timeout=15000)
    view.select_ids([3])
    assert view.editor.question.toPlainText() == "肝脏位于哪里？"
    assert view.figure_panel.size_label.text() == TEXT_ONLY
    assert view.figure_panel.crop_view.image() is None
    assert view.figure_panel.caption.toPlainText() == ""


def test_typing_saves_after_the_pause_and_one_undo_reverts_it(qtbot, view, session):
    view.select_ids([1])
    view.editor.answer.setFocus()
    view.editor.answer.moveCursor(view.editor.answer.textCursor().MoveOperation.End)
    qtbot.keyClicks(view.editor.answer, " Enlarged")
    assert view.editor.pending()
    assert records.get_record(session.project, 1).answer == "The liver."  # not yet
    qtbot.waitUntil(lambda: not view.editor.pending(), timeout=WAIT_MS)
    assert records.get_record(session.project, 1).answer == "The liver. Enlarged"
    assert session.undo_stack.count() == 1  # many keystrokes, one step
    session.undo_stack.undo()
    assert records.get_record(session.project, 1).answer == "The liver."
    assert view.editor.answer.toPlainText() == "The liver."  # the editor follows the undo
    session.undo_stack.redo()
    assert view.editor.answer.toPlainText() == "The liver. Enlarged"


def test_switching_records_saves_pending_typing(qtbot, view, session):
    view.select_ids([1])
    qtbot.keyClicks(view.editor.question, "Q: ")
    view.select_ids([4])
    assert records.get_record(session.project, 1).question.startswith("Q: ")
    assert view.editor.question.toPlainText() == "What is calcification?"


def test_mcq_options_and_correct_letter_round_trip(qtbot, view, session):
    view.select_ids([2])
    assert not view.editor.options.isHidden()
    assert view.editor.options.toPlainText().splitlines() == ["Left lobe", "Right lobe", "Caudate lobe",
                                                               "Quadrate lobe"]
    assert view.editor.correct.currentText() == "B"
    view.editor.options.setPlainText("Left lobe\nRight lobe\n\nCaudate lobe\nQuadrate lobe\nSpigelian lobe")
    view.editor.correct.setCurrentIndex(view.editor.correct.findData("E"))
    view.editor.flush()
    rec = records.get_record(session.project, 2)
    assert rec.options == ("Left lobe", "Right lobe", "Caudate lobe", "Quadrate lobe", "Spigelian lobe")
    assert rec.correct == "E"
    view.select_ids([1])
    view.select_ids([2])  # shown again from the store
    assert view.editor.options.toPlainText().splitlines()[-1] == "Spigelian lobe"
    assert view.editor.correct.currentText() == "E"
    session.undo_stack.undo()
    rec = records.get_record(session.project, 2)
    assert rec.options[-1] == "Quadrate lobe" and rec.correct == "B"
    assert view.editor.correct.currentText() == "B"


def test_keys_accept_reject_reset_and_undo(qtbot, view, session):
    view.select_ids([1])
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_A)
    assert status_of(session, 1) == RecordStatus.ACCEPTED
    assert view.current_id() == 2  # moved on
    qtbot.keyClick(view.table, Qt.Key.Key_X)
    assert status_of(session, 2) == RecordStatus.REJECTED
    assert view.current_id() == 3
    qtbot.keyClick(view.table, Qt.Key.Key_U)
    assert status_of(session, 3) == RecordStatus.DRAFT
    assert view.current_id() == 3  # reset stays
    assert session.undo_stack.count() == 3
    session.undo_stack.undo()
    assert status_of(session, 3) == RecordStatus.ACCEPTED
    session.undo_stack.undo()
    assert status_of(session, 2) == RecordStatus.DRAFT
    session.undo_stack.undo()
    assert status_of(session, 1) == RecordStatus.DRAFT
    assert view.model.index(view.model.row_of(1), 3).data() == "draft"  # the row follows


def test_j_k_and_arrows_move_between_records(qtbot, view):
    view.select_ids([1])
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_J)
    assert view.current_id() == 2 and view.editor.record.id == 2
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert view.current_id() == 3 and view.editor.record.id == 3
    qtbot.keyClick(view.table, Qt.Key.Key_K)
    assert view.current_id() == 2
    qtbot.keyClick(view.table, Qt.Key.Key_Up)
    assert view.current_id() == 1


def test_keys_typed_in_a_field_are_text_not_actions(qtbot, view, session):
    view.select_ids([1])
    view.editor.question.setFocus()
    qtbot.keyClicks(view.editor.question, "ax")
    view.editor.flush()
    assert status_of(session, 1) == RecordStatus.DRAFT
    assert "ax" in records.get_record(session.project, 1).question


def test_bulk_reject_is_one_undo_step(qtbot, view, session):
    view.select_ids([1, 2, 3])
    assert view.selected_ids() == [1, 2, 3]
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_X)
    assert [status_of(session, i) for i in (1, 2, 3)] == [RecordStatus.REJECTED] * 3
    assert session.undo_stack.count() == 1
    session.undo_stack.undo()
    assert [status_of(session, i) for i in (1, 2, 3)] == [RecordStatus.DRAFT, RecordStatus.DRAFT,
                                                           RecordStatus.ACCEPTED]


def test_reload_picks_up_records_added_by_a_job(qtbot, view, session):
    records.add_record(session.project, NewRecord(RecordKind.QA, "New question?", "New answer."))
    assert len(shown_ids(view)) == 4
    with qtbot.waitSignal(view.loaded, timeout=10000):
        view.poll()  # the count changed: read again
    assert len(shown_ids(view)) == 5
    records.add_record(session.project, NewRecord(RecordKind.QA, "Another?", "Yes."))
    with qtbot.waitSignal(view.loaded, timeout=10000):
        session.notify_records_added()
    assert len(shown_ids(view)) == 6
    assert view.model.index(view.model.row_of(6), QUESTION).data() == "Another?"
