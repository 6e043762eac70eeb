"""The library dock: documents with counts, import (dialog, drag-and-drop, passwords, bad
files), removing documents, and page thumbnails."""


import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from engine.geometry import Rect
from engine.store import Project, documents
from remud_desktop.library.import_controller import ImportController
from remud_desktop.library.panel import LibraryPanel
from remud_desktop.library.thumbnails import CountRole, ReviewedRole
from remud_desktop.session import Session
from remud_desktop.workers import JobRunner
from tests import pdf_factory
from tests.desktop.gui_helpers import WAIT_MS, Passwords, finish_jobs, make_window


@pytest.fixture
def lib(qtbot, tmp_path):
    """A session on an empty project, its library panel, and an import controller."""
    Project.create(tmp_path / "p.remud").close()
    session = Session()
    session.open_project(tmp_path / "p.remud")
    host = QWidget()
    qtbot.addWidget(host)
    runner = JobRunner(host)
    panel = LibraryPanel(session, host)
    imports = ImportController(session, runner, host)
    imports.imported.connect(lambda r: session.doc_id is None and session.go_to(r.document.id, 0))
    panel.resize(320, 700)
    host.show()
    yield session, panel, imports, runner
    runner.wait(20000)
    panel.thumbnails.thumbs.wait(20000)
    session.close_project()


def run_import(qtbot, imports, runner, paths):
    with qtbot.waitSignal(imports.finished, timeout=60000) as blocker:
        imports.import_paths(paths)
    return blocker.args[0]


def test_import_lists_documents_with_counts_and_reports_bad_files(qtbot, lib, tmp_path, messages):
    session, panel, imports, runner = lib
    good = pdf_factory.image_pdf(tmp_path / "a.pdf", [(72, 100, 312, 280)])
    folder = tmp_path / "more"
    folder.mkdir()
    pdf_factory.text_pdf(folder / "b.pdf", pages=4, title="Liver chapter")
    (folder / "broken.pdf").write_text("this is not a PDF")
    results = run_import(qtbot, imports, runner, [good, folder])
    assert len(results) == 3
    assert panel.docs.count() == 2
    assert "4 pages · 0 proposed · 0 accepted · 0/4 reviewed" in panel.item_text(2)
    assert "Liver chapter" in panel.item_text(2)
    [warning] = messages.texts("warning")
    assert "broken.pdf" in warning and "not a PDF" in warning  # readable, per file
    assert "Imported a.pdf" in warning  # the good ones still came in, and say so

    messages.shown.clear()
    run_import(qtbot, imports, runner, [good])  # the same file again
    [info] = messages.texts("information")
    assert "already in this project" in info
    assert panel.docs.count() == 2


def test_counts_follow_edits(qtbot, lib, tmp_path):
    session, panel, imports, runner = lib
    run_import(qtbot, imports, runner, [pdf_factory.text_pdf(tmp_path / "b.pdf", pages=3)])
    assert session.doc_id == 1
    session.create_figure(Rect(10, 10, 110, 90))
    session.set_reviewed(1, 0, True)
    qtbot.waitUntil(lambda: "1 accepted · 1/3 reviewed" in panel.item_text(1), timeout=WAIT_MS)
    session.undo_stack.undo()
    qtbot.waitUntil(lambda: "0/3 reviewed" in panel.item_text(1), timeout=WAIT_MS)


def test_password_is_asked_and_a_wrong_one_is_said_so(qtbot, lib, tmp_path, messages, monkeypatch):
    session, panel, imports, runner = lib
    locked = pdf_factory.encrypted_pdf(tmp_path / "locked.pdf", "secret")
    asked = Passwords(monkeypatch, ["guess", "secret"])
    results = run_import(qtbot, imports, runner, [locked])
    assert len(asked.prompts) == 2
    assert "protected by a password" in asked.prompts[0]
    assert "wrong" in asked.prompts[1].lower()
    assert results[0].document is not None
    assert panel.docs.count() == 1
    assert not messages.texts("warning")


def test_password_dialog_cancelled_skips_the_file(qtbot, lib, tmp_path, messages, monkeypatch):
    session, panel, imports, runner = lib
    locked = pdf_factory.encrypted_pdf(tmp_path / "locked.pdf", "secret")
    Passwords(monkeypatch, [None])
    run_import(qtbot, imports, runner, [locked, pdf_factory.text_pdf(tmp_path / "ok.pdf")])
    assert panel.docs.count() == 1
    assert any("locked.pdf" in t and "no password" in t for t in messages.texts("warning"))


def test_cancel_import_keeps_what_came_in(qtbot, lib, tmp_path, messages):
    session, panel, imports, runner = lib
    paths = [pdf_factory.many_pages_pdf(tmp_path / f"{n}.pdf", 40 + n) for n in range(6)]
    first = []
    imports.imported.connect(lambda r: (first.append(r), imports.job and imports.job.cancel()))
    results = run_import(qtbot, imports, runner, paths)
    assert 1 <= len(results) < 6
    assert panel.docs.count() == len(documents.list_documents(session.project)) == len(results)
    assert any("cancelled" in t for t in messages.texts())


def test_remove_document_asks_first(qtbot, lib, tmp_path, messages):
    session, panel, imports, runner = lib
    run_import(qtbot, imports, runner, [pdf_factory.text_pdf(tmp_path / "a.pdf"), pdf_factory.text_pdf(tmp_path / "b.pdf", 2)])
    assert panel.docs.count() == 2
    messages.answer = QMessageBox.StandardButton.Cancel
    assert not panel.remove_document(1)
    assert panel.docs.count() == 2
    messages.answer = QMessageBox.StandardButton.Yes
    assert panel.remove_document(1)
    assert panel.docs.count() == 1
    assert [d.id for d in documents.list_documents(session.project)] == [2]
    assert session.doc_id == 2


def test_thumbnails_render_lazily_and_show_marks(qtbot, lib, tmp_path):
    session, panel, imports, runner = lib
    run_import(qtbot, imports, runner, [pdf_factory.many_pages_pdf(tmp_path / "long.pdf", 120)])
    view = panel.thumbnails
    model = view.thumbs
    assert model.rowCount() == 120
    qtbot.waitUntil(lambda: isinstance(model.data(model.index(0), Qt.ItemDataRole.DecorationRole), QPixmap), timeout=10000)
    model.wait(10000)
    QApplication.processEvents()
    rendered = sum(1 for k in model._cache if k[1] == model.doc_id)
    assert 0 < rendered < 60  # only the visible ones were rendered
    pix = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert pix.deviceIndependentSize().width() == pytest.approx(92, abs=1)

    session.set_reviewed(1, 2, True)
    session.go_to(1, 2)
    session.create_figure(Rect(10, 10, 110, 90))
    qtbot.waitUntil(lambda: model.data(model.index(2), ReviewedRole) and model.data(model.index(2), CountRole) == 1,
                    timeout=WAIT_MS)
    assert not model.data(model.index(1), ReviewedRole) and model.data(model.index(1), CountRole) == 0
    assert view.currentIndex().row() == 2  # follows the current page

    rect = view.visualRect(model.index(4))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert session.page == 4  # clicking a thumbnail goes there
    view.scrollToBottom()
    qtbot.waitUntil(lambda: isinstance(model.data(model.index(119), Qt.ItemDataRole.DecorationRole), QPixmap), timeout=10000)


def test_drop_pdfs_and_folders_on_the_window(qtbot, isolated, tmp_path, messages):
    Project.create(tmp_path / "p.remud").close()
    window = make_window(qtbot, isolated)
    assert window.open_project(tmp_path / "p.remud")
    folder = tmp_path / "drop"
    folder.mkdir()
    pdf_factory.text_pdf(folder / "x.pdf", pages=2)
    pdf_factory.text_pdf(folder / "y.pdf", pages=5, title="Y")
    single = pdf_factory.image_pdf(tmp_path / "z.pdf", [(72, 100, 312, 280)])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder)), QUrl.fromLocalFile(str(single)),
                  QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    pos = window.rect().center()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(pos, *args)
    QApplication.sendEvent(window, enter)  # Qt delivers a drop only to a widget that took the drag
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(pos), *args)
    with qtbot.waitSignal(window.imports.finished, timeout=60000):
        QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    assert window.library.docs.count() == 3
    assert window.session.doc_id is not None  # the first import opened a page
    assert window.status.page.text().startswith("page 1 / ")
    finish_jobs(qtbot, window)
