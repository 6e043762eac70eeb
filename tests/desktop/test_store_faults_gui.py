"""Store faults in the window: a damaged, busy, read-only or full project says so in a dialog,
the edit is not shown as done, and the window stays usable."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, figures
from engine.store.models import FigureStatus, NewFigure
from engine.store.project import DB_NAME, forget_checks
from tests import pdf_factory
from tests.desktop.gui_helpers import make_window
from tests.engine.test_store_faults import scribble


def make_project(folder: Path, pdfs: Path, boxes: int = 2) -> Path:
    with Project.create(folder) as p:
        doc = import_pdf(p, pdf_factory.many_pages_pdf(pdfs / "book.pdf", 3)).document
        figures.add_figures(p, [NewFigure(doc.id, page, Rect(60 + 40 * n, 80, 90 + 40 * n, 200),
                                          status=FigureStatus.ACCEPTED) for page in range(3) for n in range(boxes)])
        for n in range(400):  # enough rows that damage in the middle of the file hits a table
            p.db.execute("INSERT INTO edit_log(at, entity, entity_id, action, before, after) "
                         "VALUES ('t', 'figure', ?, 'note', ?, ?)", [n, "x" * 300, "y" * 300])
    forget_checks()
    return folder


def delete_selected(qtbot, window) -> None:
    first = window.session.current_figures()[0].id
    window.session.select([first])
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)


def figure_count(folder: Path) -> int:
    conn = sqlite3.connect(f"{(folder / DB_NAME).as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM figures").fetchone()[0]
    finally:
        conn.close()


def test_damaged_project_opens_read_only_and_every_edit_says_why(qtbot, isolated, messages, tmp_path):
    folder = make_project(tmp_path / "P.remud", tmp_path)
    scribble(folder / DB_NAME)
    window = make_window(qtbot, isolated)
    assert window.open_project(folder)
    assert any("remud repair" in t for t in messages.texts("warning"))
    assert "(damaged, read-only)" in window.windowTitle()
    assert window.status.state.isVisible() and "remud repair" in window.status.state.toolTip()
    window.session.go_to(1, 0)
    shown = len(window.session.current_figures())
    delete_selected(qtbot, window)
    fault_dialogs = [t for _, title, t in messages.shown if title == "Not saved"]
    assert len(fault_dialogs) == 1 and "Could not delete" in fault_dialogs[0] and "damaged" in fault_dialogs[0]
    assert len(window.session.current_figures()) == shown  # nothing pretends to be deleted
    assert window.session.undo_stack.count() == 0
    delete_selected(qtbot, window)  # the same reason again: the status bar, not a second dialog
    assert len([1 for _, title, _ in messages.shown if title == "Not saved"]) == 1
    assert "damaged" in window.statusBar().currentMessage()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.canvas, Qt.Key.Key_D)  # still usable: next page
    assert window.session.page == 1


def test_busy_project_says_so_and_the_edit_works_once_the_other_writer_is_done(qtbot, isolated, messages, tmp_path):
    folder = make_project(tmp_path / "P.remud", tmp_path)
    window = make_window(qtbot, isolated)
    assert window.open_project(folder)
    window.session.go_to(1, 0)
    window.session.project.db.execute("PRAGMA busy_timeout = 50")  # the real wait is 30 s
    other = sqlite3.connect(folder / DB_NAME, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        delete_selected(qtbot, window)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert any("busy" in t for t in messages.texts("warning"))
    assert figure_count(folder) == 6 and window.session.undo_stack.count() == 0
    delete_selected(qtbot, window)
    assert figure_count(folder) == 5 and window.session.undo_stack.count() == 1


# -- read-only storage and a full disk need a mount (root on Linux) ---------------------------
def _mount(*argv: str) -> bool:
    return subprocess.run(["mount", *argv], capture_output=True).returncode == 0


needs_root_mount = pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0,
                                      reason="mounts a read-only bind or a small tmpfs (root on Linux)")


@pytest.fixture
def read_only_folder(tmp_path):
    folder = make_project(tmp_path / "P.remud", tmp_path)
    if not (_mount("--bind", str(folder), str(folder)) and _mount("-o", "remount,bind,ro", str(folder))):
        pytest.skip("mount is not permitted here")
    yield folder
    subprocess.run(["umount", "--lazy", str(folder)], check=True)


@needs_root_mount
def test_read_only_project_browses_and_refuses_edits_in_one_dialog(qtbot, isolated, messages, read_only_folder):
    window = make_window(qtbot, isolated)
    assert window.open_project(read_only_folder)
    assert any("read-only" in t for t in messages.texts("information"))
    assert "(read-only)" in window.windowTitle() and window.status.state.text() == "Read-only"
    window.session.go_to(1, 0)
    delete_selected(qtbot, window)
    assert any(title == "Not saved" and "read-only" in text for _, title, text in messages.shown)
    assert len(window.session.current_figures()) == 2
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.canvas, Qt.Key.Key_D)
    assert window.session.page == 1
    hits = window.session.project.db.execute("SELECT count(*) FROM figures").fetchone()[0]
    assert hits == 6  # reading works


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)):
        pytest.skip("mount is not permitted here")
    yield disk
    subprocess.run(["umount", "--lazy", str(disk)], check=True)


def fill(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


@needs_root_mount
def test_full_disk_says_so_and_the_edit_works_once_space_is_free(qtbot, isolated, messages, tmp_path, small_disk):
    folder = small_disk / "P.remud"
    shutil.copytree(make_project(tmp_path / "P.remud", tmp_path), folder)
    window = make_window(qtbot, isolated)
    assert window.open_project(folder)
    window.session.go_to(1, 0)
    fill(small_disk / "filler")
    for _ in range(3):  # the WAL may still have room for a first small write
        delete_selected(qtbot, window)
        if messages.texts("warning"):
            break
    assert any("is full" in t for t in messages.texts("warning")), messages.shown
    (small_disk / "filler").unlink()
    before = figure_count(folder)
    delete_selected(qtbot, window)
    assert figure_count(folder) == before - 1
    window.close_project()
    with Project.open(folder) as p:
        assert not p.damaged
