"""The main window: keyboard navigation with real key events, undo/redo, remembered
layout and position, the cheat-sheet, readable errors, and `remud-desktop --screenshot`."""

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, documents, figures
from remud_desktop.window.shortcuts import ShortcutsDialog
from tests import pdf_factory
from tests.desktop.gui_helpers import WAIT_MS, finish_jobs, make_window


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "Atlas.remud"
    with Project.create(folder) as p:
        import_pdf(p, pdf_factory.image_pdf(tmp_path / "a.pdf", [(72, 100, 312, 280), (330, 100, 540, 280)]))
        import_pdf(p, pdf_factory.many_pages_pdf(tmp_path / "b.pdf", 6))
    return folder


@pytest.fixture
def window(qtbot, isolated, folder):
    w = make_window(qtbot, isolated)
    assert w.open_project(folder)
    w.session.go_to(2, 0)
    w.canvas.setFocus()
    yield w
    finish_jobs(qtbot, w)


def key(qtbot, window, k, mods=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.canvas, k, mods)  # to the focused canvas, as a person would


def test_page_keys_with_the_canvas_focused(qtbot, window):
    s = window.session
    assert window.canvas.hasFocus()
    key(qtbot, window, Qt.Key.Key_D)
    key(qtbot, window, Qt.Key.Key_D)
    assert s.page == 2
    assert window.status.page.text() == "page 3 / 6"
    key(qtbot, window, Qt.Key.Key_A)
    assert s.page == 1
    key(qtbot, window, Qt.Key.Key_Space)  # a tap: mark reviewed and go on
    assert s.page == 2
    assert documents.get_page(s.project, 2, 1).reviewed  # stored at once
    key(qtbot, window, Qt.Key.Key_Space)
    assert documents.get_page(s.project, 2, 2).reviewed and s.page == 3
    s.go_to(2, 0)
    key(qtbot, window, Qt.Key.Key_Space)  # page 1 reviewed too
    assert s.page == 1
    key(qtbot, window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert s.page == 3  # the next page not yet reviewed
    qtbot.waitUntil(lambda: "3/6 pages reviewed" in window.status.counts.text(), timeout=WAIT_MS)
    s.go_to(2, 5)
    key(qtbot, window, Qt.Key.Key_Space)  # the last page: reviewed, stays
    assert s.page == 5 and documents.get_page(s.project, 2, 5).reviewed
    key(qtbot, window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert s.page == 3  # wraps around to the first one left


def test_space_held_for_panning_does_not_mark_reviewed(qtbot, window):
    s = window.session
    window.canvas.zoom_in()
    window.canvas.zoom_in()
    qtbot.keyPress(window.canvas, Qt.Key.Key_Space)
    vp = window.canvas.viewport()
    start = vp.rect().center()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QMouseEvent

    end = start + QPoint(-60, -80)
    move = QMouseEvent(QMouseEvent.Type.MouseMove, end, vp.mapToGlobal(end), Qt.MouseButton.NoButton,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, move)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    qtbot.keyRelease(window.canvas, Qt.Key.Key_Space)
    assert s.page == 0 and not documents.get_page(s.project, 2, 0).reviewed


def test_undo_redo_with_keys_and_history(qtbot, window):
    s = window.session
    s.go_to(1, 0)
    s.create_figure(Rect(20, 20, 120, 100))
    s.set_reviewed(1, 0, True)
    assert len(figures.list_figures(s.project, 1, 0)) == 1
    ctrl = Qt.KeyboardModifier.ControlModifier
    key(qtbot, window, Qt.Key.Key_Z, ctrl)
    assert not documents.get_page(s.project, 1, 0).reviewed
    key(qtbot, window, Qt.Key.Key_Z, ctrl)
    assert figures.list_figures(s.project, 1, 0) == []
    key(qtbot, window, Qt.Key.Key_Z, ctrl | Qt.KeyboardModifier.ShiftModifier)
    assert len(figures.list_figures(s.project, 1, 0)) == 1
    key(qtbot, window, Qt.Key.Key_Y, ctrl)
    assert documents.get_page(s.project, 1, 0).reviewed
    assert window.undo_view.stack() is s.undo_stack and s.undo_stack.count() == 2
    assert window.actions_["undo"].text() == "&Undo Mark page reviewed"


def test_layout_project_and_page_are_remembered(qtbot, isolated, folder, tmp_path):
    first = make_window(qtbot, isolated)
    first.open_project(folder)
    first.session.go_to(2, 4)
    first.docks["figures"].hide()
    first.resize(700, 560)
    size = first.size()
    first.close()
    assert isolated.value("lastProject") == str(folder)

    again = make_window(qtbot, QSettings(isolated.fileName(), QSettings.Format.IniFormat))
    assert again.settings.value("lastProject") == str(folder)
    assert again.size() == size
    again.open_project(again.settings.value("lastProject"))
    assert not again.docks["figures"].isVisible() and again.docks["library"].isVisible()  # the welcome screen had none
    assert (again.session.doc_id, again.session.page) == (2, 4)
    assert again.recent_projects() == [str(folder)]
    again.fill_recent_menu()
    assert [a.text() for a in again.actions_.recent_menu.actions()] == [str(folder)]


def test_errors_are_readable_and_the_window_stays_usable(qtbot, window, messages, tmp_path):
    (tmp_path / "not a project").mkdir()
    assert not window.open_project(tmp_path / "not a project")
    [warning] = messages.texts("warning")
    assert "is not a ReMUD project" in warning
    assert window.session.project is not None  # the open project is still there
    key(qtbot, window, Qt.Key.Key_D)
    assert window.session.page == 1


def test_shortcut_sheet_opens_with_f1_and_question_mark(qtbot, window):
    key(qtbot, window, Qt.Key.Key_F1)
    sheet = window._shortcuts
    assert isinstance(sheet, ShortcutsDialog) and sheet.isVisible()
    rows = sheet.texts()
    for expected in ("A", "D", "Space (tap)", "Ctrl+Shift+D", "Ctrl+Z", "Ctrl+Shift+Z or Ctrl+Y", "W", "Del", "F1 or ?"):
        assert expected in rows, expected
    sheet.close()
    window.canvas.setFocus()
    key(qtbot, window, Qt.Key.Key_Question)
    assert window._shortcuts is not sheet and window._shortcuts.isVisible()


def test_counts_and_zoom_in_the_status_bar(qtbot, window):
    s = window.session
    s.go_to(1, 0)
    s.create_figure(Rect(20, 20, 120, 100))
    qtbot.waitUntil(lambda: window.status.counts.text().startswith("0 proposed · 1 accepted · 0 rejected"), timeout=WAIT_MS)
    before = window.status.zoom.text()
    window.actions_["zoom_in"].trigger()
    assert window.status.zoom.text().endswith("%") and window.status.zoom.text() != before


def test_app_opens_a_project_and_saves_a_screenshot(folder, tmp_path):
    """`remud-desktop PROJECT --screenshot PNG`, as its own process with its own settings."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
           "REMUD_CONFIG_DIR": str(tmp_path / "config")}
    shot = tmp_path / "shot.png"
    code = "import sys; from remud_desktop.app import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, str(folder), "--screenshot", str(shot)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert shot.stat().st_size > 10_000
    ini = tmp_path / "config" / "ReMUD" / "ReMUD Desktop.ini"  # REMUD_CONFIG_DIR: QSettings in an INI file there
    assert str(folder) in ini.read_text()  # remembered as the last project
    assert not (tmp_path / "xdg" / "ReMUD").exists()  # nothing in the platform's own settings store


def test_a_bug_in_a_worker_is_reported_not_fatal(qtbot, window):
    from remud_desktop.workers import Job

    job = Job("Broken", lambda ctx: 1 / 0)
    with qtbot.waitSignal(job.signals.failed, timeout=10000) as blocker:
        window.runner.start(job)
    assert blocker.args[0].startswith("Unexpected error: ZeroDivisionError")
    finish_jobs(qtbot, window)
    key(qtbot, window, Qt.Key.Key_D)
    assert window.session.page == 1


def test_the_sample_is_made_once_however_often_it_is_asked_for(qtbot, isolated, monkeypatch, tmp_path):
    """A double-click, or both sample buttons: one job; the buttons wait until it is done."""
    from PySide6.QtCore import Qt as QtKeys

    monkeypatch.setenv("REMUD_DATA_DIR", str(tmp_path / "data"))
    w = make_window(qtbot, isolated)
    started = []
    w.runner.started.connect(started.append)
    qtbot.mouseClick(w.welcome.sample_button, QtKeys.MouseButton.LeftButton)
    assert w.sample_job is not None and not w.welcome.sample_button.isEnabled()
    assert not w.welcome.sample_row.button.isEnabled()
    assert w.open_sample_project() is None  # a second request while the first runs: ignored
    w.welcome.open_sample_requested.emit()
    assert started == [w.sample_job]
    qtbot.waitUntil(lambda: w.session.project is not None and w.sample_job is None, timeout=120000)
    assert w.session.project.folder.name == "Sample atlas.remud"
    assert w.welcome.sample_button.isEnabled() and w.welcome.sample_row.button.isEnabled()
    finish_jobs(qtbot, w)
