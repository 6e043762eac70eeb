"""File → Hand out… and File → Merge project… in a real window (issue 17): the hand-out dialog plans the
parts as the choices change and writes them in the background; the merge dialog lists the parts this
project handed out, merges them in the background, the project comes back at the same page and the
Merge report panel lists the conflicts: stepping through them selects the figure on its page, and the
record in the Records panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, figures, records
from engine.store.models import FigureText, NewFigure, NewRecord, RecordKind
from engine.team import split_project
from remud_desktop.team import HandOutDialog, MergeDialog
from tests import pdf_factory
from tests.desktop.gui_helpers import make_window
from tests.engine.test_team import later


@pytest.fixture
def atlas(tmp_path) -> Path:
    folder = tmp_path / "Atlas.remud"
    with Project.create(folder) as p:
        for name, pages in (("Liver", 4), ("Kidney", 2)):
            doc = import_pdf(p, pdf_factory.text_pdf(tmp_path / f"{name}.pdf", pages=pages, title=name)).document
            ids = figures.add_figures(p, [NewFigure(doc.id, page, Rect(60, 80, 300, 260), detector="auto",
                                                    text=FigureText(caption=f"{name} {page + 1}"))
                                          for page in range(pages)])
            records.add_records(p, [NewRecord(RecordKind.QA, f"About {name} {n}?", "An answer.", figure_id=ids[n])
                                    for n in range(2)])
    return folder


def _when_modal(kind, act) -> list:
    """Run `act(dialog)` once a modal dialog of `kind` is up (the action's exec() blocks until it closes)."""
    seen: list = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog)
        act(dialog)

    QTimer.singleShot(0, poll)
    return seen


def test_hand_out_from_the_file_menu(qtbot, isolated, atlas, tmp_path, messages):
    window = make_window(qtbot, isolated)
    assert window.open_project(atlas)
    action = window.actions_["handout"]
    menus = {m.title().replace("&", ""): m for m in (a.menu() for a in window.menuBar().actions()) if m}
    assert action in menus["File"].actions() and window.actions_["merge"] in menus["File"].actions()
    out = tmp_path / "parts"
    planned: list = []

    def fill(dialog: HandOutDialog) -> None:
        dialog.mode.setCurrentIndex(1)  # whole documents
        dialog.set_assignees(["alice", "bob"])
        planned.extend((dialog.table.item(r, 1).text(), dialog.table.item(r, 2).text()) for r in range(2))
        dialog.output.setText(str(out))
        assert dialog.start_button.isEnabled()
        dialog.start_button.click()

    seen = _when_modal(HandOutDialog, fill)
    action.trigger()
    assert len(seen) == 1
    assert planned == [("Liver p. 1-4", "Atlas-alice.remud"), ("Kidney p. 1-2", "Atlas-bob.remud")]
    assert (out / "Atlas-alice.remud" / "project.sqlite").is_file() and (out / "Atlas-bob.remud").is_dir()
    [question] = messages.texts("question")
    assert "Atlas-alice.remud for alice" in question and "Merge project" in question


def test_hand_out_shows_why_a_choice_cannot_be_made(qtbot, isolated, atlas, messages):
    window = make_window(qtbot, isolated)
    assert window.open_project(atlas)
    dialog = HandOutDialog(window.session, window.runner, window)
    qtbot.addWidget(dialog)
    dialog.mode.setCurrentIndex(1)
    dialog.count.setValue(3)  # three parts of whole documents, from two documents
    assert not dialog.start_button.isEnabled() and "2 documents" in dialog.problem.text()
    dialog.set_parts(["Liver:1-2", "Liver:2-4"])
    assert not dialog.start_button.isEnabled() and "one annotator" in dialog.problem.text()
    dialog.set_parts(["Liver:1-2", "Liver:3-4; Kidney"])
    assert dialog.start_button.isEnabled() and not dialog.problem.isVisible()
    assert [dialog.table.item(r, 2).text() for r in range(2)] == ["Atlas-1.remud", "Atlas-2.remud"]


def test_merge_from_the_file_menu_and_step_through_the_report(qtbot, isolated, atlas, tmp_path, messages):
    with Project.open(atlas) as p:
        fig_uid = figures.list_figures(p)[3].uid  # Liver p.4: nobody's page below, edited in both parts
        rec_uid = p.db.execute("SELECT uid FROM records ORDER BY id LIMIT 1").fetchone()[0]
        parts = split_project(p, tmp_path / "parts", assignees=["alice", "bob"], parts=["Liver:1-2", "Liver:3"])
    for n, part in enumerate(parts):
        if n:
            later()  # bob edits later: his versions win
        with Project.open(part.folder) as q:
            fid = q.db.execute("SELECT id FROM figures WHERE uid = ?", [fig_uid]).fetchone()[0]
            figures.set_text_fields(q, fid, {"caption": f"caption by {part.info.assignee}"})
            rid = q.db.execute("SELECT id FROM records WHERE uid = ?", [rec_uid]).fetchone()[0]
            records.update_record(q, rid, answer=f"answer by {part.info.assignee}")
    window = make_window(qtbot, isolated)
    assert window.open_project(atlas)
    window.session.go_to(2, 1)  # Kidney p.2: where the window comes back to after the merge
    listed: list = []

    def merge(dialog: MergeDialog) -> None:
        listed.extend(dialog.sources.item(i).text() for i in range(dialog.sources.count()))
        assert [p.name for p in dialog.chosen()] == ["Atlas-alice.remud", "Atlas-bob.remud"]
        dialog.start_button.click()

    seen = _when_modal(MergeDialog, merge)
    window.actions_["merge"].trigger()
    assert len(seen) == 1
    assert listed[0].startswith("alice: Atlas-alice.remud — a part of this project (Liver p. 1-2)")
    assert (window.session.doc_id, window.session.page) == (2, 1)
    dock, view = window.docks["merge"], window.team.report_view
    assert dock.isVisible()
    items = view.conflict_items()
    assert [i.data(0, 0x0100).field for i in items] == ["caption", "answer"]
    assert "kept bob's “caption by bob”, not this project's “caption by alice”" in items[0].text(0)
    view.next_button.click()
    fid = window.session.project.db.execute("SELECT id FROM figures WHERE uid = ?", [fig_uid]).fetchone()[0]
    assert (window.session.doc_id, window.session.page, window.session.selection) == (1, 3, [fid])
    assert figures.get_figure(window.session.project, fid).text.caption == "caption by bob"
    view.next_button.click()
    rid = window.session.project.db.execute("SELECT id FROM records WHERE uid = ?", [rec_uid]).fetchone()[0]
    qtbot.waitUntil(lambda: window.records_view.selected_ids() == [rid])
    assert window.docks["records"].isVisible() and not view.next_button.isEnabled()
    assert view.position.text() == "2 of 2"
    # merging the same parts again: nothing changes, the panel says so
    seen = _when_modal(MergeDialog, lambda d: d.start_button.click())
    window.actions_["merge"].trigger()
    assert view.conflict_items() == [] and "0 conflicts" in view.summary.text()
