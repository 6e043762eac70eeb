"""The Export dialog on a real project (a generated atlas PDF, its figures, records):
the preview counts and their update after a filter change (and none after an edit that
cannot change them), an export written in the background, only an empty folder or an
earlier export replaced, Cancel leaving nothing behind, closing without waiting, errors
shown in the dialog, the menu action, and settings remembered between two dialogs."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.export import ExportOptions, export_dataset, plan_export
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project
from engine.store.figures import add_figures, list_figures
from engine.store.models import (
    FigureStatus,
    FigureText,
    NewFigure,
    NewRecord,
    RecordKind,
    RecordStatus,
)
from engine.store.records import add_records
from remud_desktop.export import dialog as export_dialog
from remud_desktop.export.dialog import PREVIEW_DELAY_MS, ExportDialog, default_output
from remud_desktop.workers import JobRunner
from tests.desktop.gui_helpers import make_window, open_session

WORDS = ("anechoic", "hyperechoic", "hypoechoic", "isoechoic", "shadowing", "enhancement", "septated", "lobulated",
         "capsule", "cortex", "medulla", "pelvis", "calyx", "hilum", "portal", "hepatic", "biliary", "duct", "wall",
         "lumen", "stone", "sludge", "polyp", "mass", "nodule", "cyst", "vessel", "flow", "doppler", "spectral",
         "resistive", "index", "peak", "systolic", "diastolic", "velocity", "transverse", "sagittal", "oblique",
         "probe", "depth", "gain", "focus", "artefact", "reverberation", "mirror", "comet", "tail", "ring", "down",
         "edge", "refraction", "posterior", "acoustic")
GROUPS = {("Reasoning VQA", "English"): 9, ("Multiple choice", "English"): 9, ("Conversation / QA", "Chinese"): 3}


def sentence(rng: random.Random, n: int = 14) -> str:
    return " ".join(rng.sample(WORDS, n))


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("pdf") / "atlas.pdf")


@pytest.fixture
def project_folder(tmp_path, sample_pdf) -> Path:
    """9 accepted figures; per figure an accepted VQA (en, scored 4 or 2) and MCQ (en, scored 5);
    3 accepted Chinese QA (unscored); and draft / rejected records that stay out by default."""
    folder = tmp_path / "Kidney atlas.remud"
    rng = random.Random(5)
    with Project.create(folder) as p:
        doc = import_pdf(p, sample_pdf.path).document
        add_figures(p, [NewFigure(doc.id, t.page, t.rect, status=FigureStatus.ACCEPTED,
                                  text=FigureText(caption=t.caption)) for t in sample_pdf.truth])
        figs = list_figures(p, doc.id)
        records = []
        for i, f in enumerate(figs):
            records.append(NewRecord(RecordKind.VQA, sentence(rng) + "?", sentence(rng), figure_id=f.id, doc_id=doc.id,
                                     page=f.page, reasoning=True, language="en", thinking=sentence(rng, 20),
                                     status=RecordStatus.ACCEPTED, score=4.0 if i % 2 == 0 else 2.0))
            records.append(NewRecord(RecordKind.MCQ, sentence(rng) + "?", "", figure_id=f.id, doc_id=doc.id,
                                     page=f.page, reasoning=True, language="en", thinking=sentence(rng, 20),
                                     options=tuple(sentence(rng, 4) for _ in range(4)), correct="B",
                                     status=RecordStatus.ACCEPTED, score=5.0))
        for f in figs[:3]:
            records.append(NewRecord(RecordKind.QA, "这个器官是什么" + sentence(rng, 6) + "？", "肝脏" + sentence(rng, 6),
                                     figure_id=f.id, doc_id=doc.id, page=f.page, language="zh",
                                     status=RecordStatus.ACCEPTED))
        records.append(NewRecord(RecordKind.VQA, sentence(rng), sentence(rng), figure_id=figs[0].id, language="en"))
        records.append(NewRecord(RecordKind.VQA, sentence(rng), sentence(rng), figure_id=figs[1].id, language="fr",
                                 status=RecordStatus.REJECTED))
        add_records(p, records)
    return folder


@pytest.fixture
def session(project_folder):
    with open_session(project_folder) as s:
        yield s


@pytest.fixture
def make_dialog(qtbot, session, isolated):
    runner = JobRunner()
    made = []

    def make(**kwargs) -> ExportDialog:
        dialog = ExportDialog(session, runner, isolated, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        made.append(dialog)
        return dialog

    yield make
    for dialog in made:
        if dialog.job is not None:
            dialog.cancel_export()
    qtbot.waitUntil(lambda: not runner.busy(), timeout=60000)


def table_rows(dialog: ExportDialog) -> dict[tuple[str, str], list[int]]:
    t = dialog.table
    return {(t.cell(r, 0), t.cell(r, 1)): [int(t.cell(r, c)) for c in range(2, 6)] for r in range(t.rowCount())}


@pytest.fixture
def plan_calls(monkeypatch) -> list[ExportOptions]:
    """Every options the dialog's workers count with; the real plan_export still does the counting."""
    calls: list[ExportOptions] = []
    lock = threading.Lock()

    def counted(project, options, **kwargs):
        with lock:
            calls.append(options)
        return plan_export(project, options, **kwargs)

    monkeypatch.setattr(export_dialog, "plan_export", counted)
    return calls


def wait_preview(qtbot, dialog: ExportDialog, change=None):
    with qtbot.waitSignal(dialog.preview_ready, timeout=30000) as blocker:
        if change is not None:
            change()
    return blocker.args[0]


def test_preview_counts_per_kind_language_and_split_and_updates_on_a_filter_change(qtbot, make_dialog, session):
    dialog = make_dialog()
    assert dialog.output.text() == str(default_output(session.project.folder))
    assert Path(dialog.output.text()).name.startswith("Kidney atlas export 20")
    plan = wait_preview(qtbot, dialog)
    qtbot.waitUntil(lambda: set(dialog.form.languages) == {"en", "fr", "zh"})  # languages found in the project
    rows = table_rows(dialog)
    assert {k: v[3] for k, v in rows.items() if k[0] != "All"} == GROUPS  # drafts and rejected left out
    for train, validation, test, total in rows.values():
        assert train + validation + test == total
    assert rows[("All", "")][3] == 21 == plan.records
    assert [rows[("All", "")][i] for i in range(3)] == [sum(n for (_, _, s), n in plan.counts.items() if s == split)
                                                          for split in ("train", "validation", "test")]
    assert plan.images == 9 and plan.dropped_duplicates == 0
    assert "21 records" in dialog.summary.text() and "9 images" in dialog.summary.text()
    assert dialog.export_button.isEnabled()

    plan = wait_preview(qtbot, dialog, lambda: dialog.form.kinds["mcq"].setChecked(False))
    rows = table_rows(dialog)
    assert {k: v[3] for k, v in rows.items()} == {("Reasoning VQA", "English"): 9, ("Conversation / QA", "Chinese"): 3,
                                                  ("All", ""): 12}
    plan = wait_preview(qtbot, dialog, lambda: dialog.form.min_score.setValue(3.0))  # unscored QA drop out too
    assert {k: v[3] for k, v in table_rows(dialog).items()} == {("Reasoning VQA", "English"): 5, ("All", ""): 5}
    assert plan.records == 5

    # quick edits: only the last one's preview is shown
    with qtbot.waitSignal(dialog.preview_ready, timeout=30000) as blocker:
        dialog.form.min_score.setValue(0.0)
        dialog.form.kinds["mcq"].setChecked(True)
        dialog.form.languages["zh"].setChecked(False)
    assert blocker.args[0].records == 18
    assert {k: v[3] for k, v in table_rows(dialog).items()} == {("Reasoning VQA", "English"): 9,
                                                                ("Multiple choice", "English"): 9, ("All", ""): 18}

    dialog.form.statuses["accepted"].setChecked(False)
    assert not dialog.export_button.isEnabled() and "at least one record status" in dialog.problem.text()


def test_export_writes_the_folder_in_the_background_and_closes_the_dialog(qtbot, make_dialog, session, tmp_path):
    dialog = make_dialog()
    wait_preview(qtbot, dialog)
    out = tmp_path / "out" / "dataset"
    dialog.output.setText(str(out))
    stages = []
    dialog.runner.started.connect(lambda job: job.signals.progress.connect(
        lambda done, total, stage: stages.append((stage, dialog.stage.text()))))
    with qtbot.waitSignal(dialog.export_finished, timeout=120000):
        job = dialog.start_export()
        assert job is not None and dialog.progress_row.isVisibleTo(dialog)
        assert not dialog.export_button.isEnabled() and not dialog.form.records_group.isEnabled()
    result = dialog.export_result
    assert result is not None and result.folder == out and result.plan.records == 21
    assert dialog.result() == dialog.DialogCode.Accepted and not dialog.isVisible()
    # progress reached the dialog while the worker ran: the event loop kept going
    assert {"select", "images", "write"} <= {s for s, _ in stages}
    assert any(text.startswith("Writing images") for _, text in stages)

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest
    lines = sum(len((out / "jsonl" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines())
                for split in ("train", "validation", "test"))
    assert lines == 21
    assert len(list((out / "images").glob("*.png"))) == 9
    assert (out / "dataset_info.json").is_file() and (out / "eval" / "mcq_test.jsonl").is_file()


def test_only_an_earlier_export_is_replaced_and_only_after_asking(qtbot, make_dialog, messages, session, tmp_path):
    unrelated = tmp_path / "photos"
    unrelated.mkdir()
    (unrelated / "holiday.txt").write_text("mine", encoding="utf-8")
    dialog = make_dialog()
    wait_preview(qtbot, dialog)
    assert dialog.export_button.isEnabled()
    dialog.output.setText(str(unrelated))
    assert dialog.output_note.text() == ""  # the disk is looked at once typing pauses
    qtbot.waitUntil(lambda: dialog.output_note.isVisibleTo(dialog))
    assert dialog.output_note.text() == f"{unrelated} is not a ReMUD export; choose an empty folder."
    assert not dialog.export_button.isEnabled()
    assert dialog.start_export() is None and dialog.job is None and not messages.texts("question")
    assert [p.name for p in unrelated.iterdir()] == ["holiday.txt"]

    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine too", encoding="utf-8")
    dialog.output.setText(str(a_file))
    qtbot.waitUntil(lambda: "is a file" in dialog.output_note.text())
    assert not dialog.export_button.isEnabled() and dialog.start_export() is None

    earlier = tmp_path / "earlier"  # a real earlier export, plus a file put in it since: never deleted
    export_dataset(session.project, ExportOptions(formats=("jsonl",)), earlier)
    (earlier / "stale.txt").write_text("old", encoding="utf-8")
    dialog.output.setText(str(earlier))
    qtbot.waitUntil(lambda: "files the export did not write (stale.txt)" in dialog.output_note.text())
    assert not dialog.export_button.isEnabled() and dialog.start_export() is None
    (earlier / "stale.txt").rename(tmp_path / "stale.txt")
    dialog._check_output()
    qtbot.waitUntil(lambda: "earlier ReMUD export" in dialog.output_note.text())
    assert dialog.export_button.isEnabled()
    messages.answer = QMessageBox.StandardButton.No
    assert dialog.start_export() is None
    assert len(messages.texts("question")) == 1 and (earlier / "manifest.json").is_file()

    # the folder changed on disk after the check (its manifest.json is now someone else's):
    # Export looks again and leaves it alone
    (earlier / "manifest.json").write_text(json.dumps({"name": "another tool"}), encoding="utf-8")
    messages.answer = QMessageBox.StandardButton.Yes
    assert dialog.start_export() is None and len(messages.texts("question")) == 1
    assert "is not a ReMUD export" in dialog.output_note.text() and (earlier / "jsonl").is_dir()

    again = tmp_path / "again"
    export_dataset(session.project, ExportOptions(formats=("jsonl",)), again)
    dialog.output.setText(str(again))
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled())
    with qtbot.waitSignal(dialog.export_finished, timeout=120000):
        assert dialog.start_export() is not None
    assert len(messages.texts("question")) == 2 and dialog.export_result is not None
    assert (again / "parquet").is_dir() and (again / "manifest.json").is_file()


def test_an_empty_folder_is_filled_without_asking(qtbot, make_dialog, messages, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    dialog = make_dialog()
    dialog.output.setText(str(empty))
    with qtbot.waitSignal(dialog.export_finished, timeout=120000):
        assert dialog.start_export() is not None
    assert not messages.texts("question") and dialog.export_result is not None
    assert (empty / "manifest.json").is_file()


def test_edits_that_cannot_change_the_counts_start_no_preview(qtbot, make_dialog, plan_calls, tmp_path):
    dialog = make_dialog()
    wait_preview(qtbot, dialog)
    qtbot.waitUntil(lambda: set(dialog.form.languages) == {"en", "fr", "zh"})
    qtbot.waitUntil(lambda: not dialog.busy())  # a count the languages started has run (a fixed wait raced it)
    plan_calls.clear()
    form = dialog.form
    qtbot.keyClicks(form.name, "_kidney")
    qtbot.keyClicks(form.system_prompt, "You are a sonographer.")
    form.max_pixels.setValue(1003520)
    form.formats["parquet"].setChecked(False)
    dialog.output.clear()
    qtbot.keyClicks(dialog.output, str(tmp_path / "typed"))
    assert dialog.updating.text() == ""
    qtbot.wait(PREVIEW_DELAY_MS * 3)
    assert plan_calls == [] and dialog.updating.text() == ""
    assert form.options().name == "remud_kidney" and dialog.export_button.isEnabled()

    for box in form.formats.values():  # what is written still says what is missing, still without counting
        box.setChecked(False)
    assert "at least one format" in dialog.problem.text() and not dialog.export_button.isEnabled()
    form.formats["jsonl"].setChecked(True)
    assert not dialog.problem.isVisibleTo(dialog) and dialog.export_button.isEnabled()
    qtbot.wait(PREVIEW_DELAY_MS * 2)
    assert plan_calls == []

    plan = wait_preview(qtbot, dialog, lambda: form.dedup.setValue(0.5))  # one that can: counted once
    assert len(plan_calls) == 1 and plan_calls[0].dedup_threshold == 0.5 and plan.records == 21


def test_closing_while_counting_drops_the_late_preview(qtbot, make_dialog):
    dialog = make_dialog()
    shown = []
    dialog.preview_ready.connect(shown.append)
    dialog._debounce.timeout.emit()  # counting starts now, not after the pause
    dialog.reject()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog._tasks, timeout=30000)  # every worker has answered
    assert shown == [] and dialog.plan is None and dialog.table.rowCount() == 0


def test_cancel_during_export_leaves_no_folder(qtbot, make_dialog, tmp_path):
    dialog = make_dialog()
    out = tmp_path / "cancelled"
    dialog.output.setText(str(out))
    dialog.runner.started.connect(lambda job: job.signals.progress.connect(
        lambda *_: dialog.cancel_button.isEnabled() and dialog.cancel_button.click()))
    with qtbot.waitSignal(dialog.export_finished, timeout=120000) as blocker:
        job = dialog.start_export()
    assert blocker.args[0] is None and dialog.export_result is None
    assert job.cancelled and "cancelled" in dialog.problem.text()
    assert not out.exists() and list(tmp_path.glob("cancelled*")) == []
    assert dialog.isVisible() and dialog.export_button.isEnabled() and dialog.form.records_group.isEnabled()

    # Close (or Esc) while exporting cancels too, and the dialog closes once the worker has stopped
    with qtbot.waitSignal(dialog.export_finished, timeout=120000) as blocker:
        assert dialog.start_export() is not None
        dialog.reject()
        assert dialog.isVisible() and dialog.stage.text() == "Cancelling…"
    assert blocker.args[0] is None and not dialog.isVisible() and dialog.result() == dialog.DialogCode.Rejected
    assert not out.exists() and list(tmp_path.glob("cancelled*")) == []


def test_an_error_is_shown_in_the_dialog_which_stays_open(qtbot, make_dialog, tmp_path):
    dialog = make_dialog()
    wait_preview(qtbot, dialog)
    plan = wait_preview(qtbot, dialog, lambda: (dialog.form.kinds["vqa"].setChecked(False),
                                                dialog.form.kinds["mcq"].setChecked(False),
                                                dialog.form.reasoning.setCurrentIndex(1)))  # QA with thinking: none
    assert plan.records == 0 and "No record matches" in dialog.warnings.text()
    out = tmp_path / "nothing"
    dialog.output.setText(str(out))
    with qtbot.waitSignal(dialog.export_finished, timeout=60000) as blocker:
        dialog.export_button.click()
    assert blocker.args[0] is None
    message = dialog.problem.text()
    assert message and "Unexpected" not in message and message.count(".") >= 1
    assert dialog.isVisible() and dialog.result() != dialog.DialogCode.Accepted and not out.exists()

    bad = tmp_path / "test-set.jsonl"
    bad.write_bytes(b"\xff\xfe not json at all {")
    with qtbot.waitSignal(dialog.preview_failed, timeout=30000) as blocker:
        dialog.form.reasoning.setCurrentIndex(0)
        dialog.form.kinds["vqa"].setChecked(True)
        dialog.form.decontaminate.setText(str(bad))
    assert blocker.args[0] == dialog.problem.text() and "Unexpected" not in blocker.args[0]
    assert dialog.table.rowCount() == 0 and dialog.isVisible()


def test_settings_are_remembered_between_two_dialogs(qtbot, make_dialog):
    first = make_dialog()
    form = first.form
    form.statuses["draft"].setChecked(True)
    form.kinds["qa"].setChecked(False)
    form.reasoning.setCurrentIndex(form.reasoning.findData("yes"))
    form.min_score.setValue(3.5)
    form.validation.setValue(20.0)
    form.test.setValue(15.0)
    form.seed.setValue(99)
    form.unit.setCurrentIndex(form.unit.findData("page"))
    form.formats["parquet"].setChecked(False)
    form.name.setText("kidney_v2")
    form.system_prompt.setText("You are a sonographer.")
    form.max_pixels.setValue(1003520)
    form.dedup.setValue(0.0)
    qtbot.waitUntil(lambda: "fr" in first.form.languages)
    form.languages["fr"].setChecked(False)
    options = form.options()
    first.reject()

    second = make_dialog()
    qtbot.waitUntil(lambda: "fr" in second.form.languages)
    assert second.form.options() == options
    assert not second.form.languages["fr"].isChecked() and second.form.languages["en"].isChecked()
    o = options
    assert o.selection.statuses == ("accepted", "draft") and o.selection.kinds == ("vqa", "mcq")
    assert o.selection.reasoning is True and o.selection.min_score == 3.5
    assert o.selection.languages == ("en", "zh")
    assert (o.splits.validation, o.splits.test, o.splits.seed, o.splits.unit) == (0.2, 0.15, 99, "page")
    assert o.formats == ("llamafactory", "jsonl", "mcq_test") and o.name == "kidney_v2"
    assert o.max_pixels == 1003520 and o.dedup_threshold is None and o.system_prompt == "You are a sonographer."


def test_the_file_menu_action_opens_the_dialog(qtbot, isolated, project_folder, messages):
    window = make_window(qtbot, isolated)
    assert window.open_project(project_folder)
    action = window.actions_["export"]
    menus = {m.title().replace("&", ""): m for m in (a.menu() for a in window.menuBar().actions()) if m}
    assert action in menus["File"].actions() and action in menus["Synthesize"].actions()
    assert action.isEnabled()
    seen = []

    def close_dialog():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, close_dialog)
            return
        seen.append(dialog)
        dialog.reject()

    QTimer.singleShot(0, close_dialog)
    action.trigger()  # exec() returns once the dialog is closed
    assert len(seen) == 1 and isinstance(seen[0], ExportDialog)
    assert seen[0].windowTitle() == "Export dataset"
    window.close_project()
    assert not action.isEnabled()
