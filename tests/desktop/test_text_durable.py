"""Issue 15, point 1: text typed in the inspector is in the project at once.

* A real window (tests/text_durable_worker.py, a subprocess) types into a text field with key
  events sent to its window; it says when the last key has been handled and from then on
  processes no event at all (its GUI thread blocks), and is killed with SIGKILL right then
  (usually within a few ms; how long after does not matter, since nothing runs meanwhile).
  The project then holds the whole text.
* In this process: each keystroke is stored before the next event; a run of typing in one field
  is one undo step and one edit-log entry, made by the user (automatic text leaves it alone);
  another field, or the same field after leaving it, is another step.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, figures
from engine.store.editlog import history
from engine.store.models import NewFigure
from remud_desktop.inspector import FigureInspector
from tests import pdf_factory
from tests.desktop.gui_helpers import open_session

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 120.0  # generous: a busy machine starts the window slowly; nothing waits this long when all is well
FRAME = (72, 100, 312, 280)


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "p.remud"
    with Project.create(folder) as p:
        doc = import_pdf(p, pdf_factory.image_pdf(tmp_path / "a.pdf", [FRAME])).document
        figures.add_figure(p, NewFigure(doc.id, 0, Rect(*FRAME), detector="embedded", score=0.9), by_user=False)
    return folder


def typed(keys: str) -> str:
    """What `keys` leaves in an empty field ("\\b" is Backspace)."""
    out: list[str] = []
    for ch in keys:
        if ch == "\b":
            if out:
                out.pop()
        else:
            out.append(ch)
    return "".join(out)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize(("field", "keys"), [
    ("caption", "Figure 3-1 Right livr\b\ber lobe, long axis"),  # a QPlainTextEdit
    ("sublabel", "A (long axis)"),  # a QLineEdit
])
def test_text_typed_just_before_a_kill_is_in_the_project(tmp_path, folder, field, keys):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8",
           "QT_QPA_PLATFORM": "offscreen", "REMUD_CONFIG_DIR": str(tmp_path / "config")}
    with open(tmp_path / "worker.err", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.text_durable_worker", str(folder), str(tmp_path / "q.ini"), field, keys],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, encoding="utf-8",
            start_new_session=True)
        watchdog = threading.Timer(DEADLINE_S, proc.kill)  # a worker that hangs fails the test, never blocks it
        watchdog.start()
        try:
            lines, gap = [], None
            for line in proc.stdout:
                if line.startswith("typed "):
                    os.kill(proc.pid, signal.SIGKILL)  # at once: the window is still running
                    gap = time.monotonic() - float(line.split()[2])
                    lines.append(line)
                    break
                lines.append(line)
            proc.wait(DEADLINE_S)
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    worker_said = "".join(lines) + (tmp_path / "worker.err").read_text(errors="replace")[-3000:]
    assert gap is not None, f"the worker never finished typing:\n{worker_said}"
    assert proc.returncode == -signal.SIGKILL
    assert sum(1 for ln in lines if ln.startswith(("key ", "typed "))) == len(keys)
    print(f"{field}: killed {gap * 1000:.1f} ms after the last key was handled")
    with Project.open(folder) as p:
        [fig] = figures.list_figures(p, 1, 0)
        assert getattr(fig.text, field) == typed(keys)
        assert figures.text_edited_by_user(p, [fig.id]) == {fig.id}
        assert figures.text_fields_edited_by_user(p, fig.id) == {field}


@pytest.fixture
def session(qapp, folder):
    with open_session(folder, 1, 0) as s:
        yield s


@pytest.fixture
def inspector(qtbot, session):
    widget = FigureInspector(session)
    qtbot.addWidget(widget)
    widget.resize(520, 900)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.pool.waitForDone(20000)


def text_log(session, fid):
    return [h for h in history(session.project.db, "figure", fid) if h["action"].startswith("text")]


def test_each_keystroke_is_stored_and_a_run_of_typing_is_one_step(qtbot, session, inspector):
    fig = figures.list_figures(session.project, 1, 0)[0]
    session.select([fig.id])
    caption, section = inspector.fields.editors["caption"], inspector.fields.editors["section"]
    caption.setFocus()
    for n, ch in enumerate("Liver", 1):
        qtbot.keyClick(caption, ch)
        assert figures.get_figure(session.project, fig.id).text.caption == "Liver"[:n]  # before the next event
    qtbot.keyClick(caption, Qt.Key.Key_Backspace)
    qtbot.keyClicks(caption, "r, right lobe")
    assert session.undo_stack.count() == 1
    [entry] = text_log(session, fig.id)  # one entry for the run, before to after
    assert entry["action"] == "text" and entry["before"] == {"caption": ""}
    assert entry["after"] == {"caption": "Liver, right lobe"}

    section.setFocus()
    qtbot.keyClicks(section, "3-1 Liver")
    caption.setFocus()  # back to the caption: a new run
    qtbot.keyClicks(caption, " (long axis)")
    stored = figures.get_figure(session.project, fig.id).text
    assert (stored.caption, stored.section) == ("Liver, right lobe (long axis)", "3-1 Liver")
    assert session.undo_stack.count() == 3 and len(text_log(session, fig.id)) == 3
    assert figures.text_fields_edited_by_user(session.project, fig.id) == {"caption", "section"}

    session.undo_stack.undo()
    assert figures.get_figure(session.project, fig.id).text.caption == "Liver, right lobe"
    assert caption.toPlainText() == "Liver, right lobe"  # the field follows the undo
    session.undo_stack.undo()
    assert figures.get_figure(session.project, fig.id).text.section == "" and section.text() == ""
    session.undo_stack.undo()
    assert figures.get_figure(session.project, fig.id).text.caption == ""
    assert session.undo_stack.index() == 0 and session.undo_stack.count() == 3  # nothing echoed back as an edit
    for _ in range(3):
        session.undo_stack.redo()
    stored = figures.get_figure(session.project, fig.id).text
    assert (stored.caption, stored.section) == ("Liver, right lobe (long axis)", "3-1 Liver")


def test_typing_then_taking_it_back_leaves_no_step(qtbot, session, inspector):
    fig = figures.list_figures(session.project, 1, 0)[0]
    session.select([fig.id])
    context = inspector.fields.editors["context"]
    context.setFocus()
    qtbot.keyClicks(context, "ab")
    qtbot.keyClick(context, Qt.Key.Key_Backspace)
    qtbot.keyClick(context, Qt.Key.Key_Backspace)
    assert figures.get_figure(session.project, fig.id).text.context == ""
    assert session.undo_stack.count() == 0
    assert figures.text_fields_edited_by_user(session.project, fig.id) == set()  # nothing changed in the end


def test_switching_figures_mid_word_keeps_both(qtbot, session, inspector, tmp_path):
    first = figures.list_figures(session.project, 1, 0)[0]
    session.create_figure(Rect(330, 100, 540, 280))
    second = session.selection[0]
    session.select([first.id])
    caption = inspector.fields.editors["caption"]
    caption.setFocus()
    qtbot.keyClicks(caption, "First")
    session.select([second])  # no pause: nothing is waiting to be saved
    qtbot.keyClicks(caption, "Second")
    assert figures.get_figure(session.project, first.id).text.caption == "First"
    assert figures.get_figure(session.project, second).text.caption == "Second"
