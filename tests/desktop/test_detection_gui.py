"""Detection from the window: in the background, per page, cancellable, one undo step;
corrected pages are asked about; detector errors are readable; settings and the key."""

import json

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from engine import settings as user_settings
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project, documents, figures
from remud_desktop.detection import DetectScope
from remud_desktop.detection.controller import TextRead
from remud_desktop.library.thumbnails import FailedRole
from remud_desktop.settings.dialog import SettingsDialog
from tests.crash_detector import install_crashy_card
from tests.desktop.gui_helpers import StallMeter, finish_jobs, make_window
from tests.generators import make_book, make_scanned_test_pdf
from tests.servers.openai_compat import OpenAICompatServer, chat_completion, closed_port_url


@pytest.fixture(scope="module")
def book_pdf(tmp_path_factory):
    return make_book(tmp_path_factory.mktemp("book") / "book.pdf", pages=50)


@pytest.fixture
def window(qtbot, isolated, tmp_path, book_pdf):
    with Project.create(tmp_path / "Book.remud") as p:
        import_pdf(p, book_pdf.path)
    w = make_window(qtbot, isolated)
    assert w.open_project(tmp_path / "Book.remud")
    w.detection.fill_text = False  # OCR of the scanned pages is tested once, below
    yield w
    finish_jobs(qtbot, w)


def stored_pages(window):
    return {f.page for f in figures.list_figures(window.session.project, 1)}


def wait_run(qtbot, window, start, timeout=60000):
    with qtbot.waitSignal(window.detection.run_finished, timeout=timeout) as blocker:
        job = start()
        assert job is not None
    finish_jobs(qtbot, window)
    return blocker.args[0]


def test_detection_runs_in_the_background_while_keys_work(qtbot, window):
    events = []  # ("result", page) and ("key", current page), in the order the GUI thread saw them
    window.detection.page_detected.connect(lambda r: events.append(("result", r.page)))
    window.canvas.setFocus()

    def press() -> None:
        if window.detection.running():
            qtbot.keyClick(window.canvas, Qt.Key.Key_D)  # a real key event, to the focused canvas
            events.append(("key", window.session.page))

    keys = QTimer(interval=15)
    keys.timeout.connect(press)
    meter = StallMeter(5).start()
    keys.start()
    outcome = wait_run(qtbot, window, lambda: window.detect(DetectScope.DOCUMENT, "auto"))
    keys.stop()
    stall = meter.stop()
    print(f"\nlongest event-loop stall during 50-page detection: {stall * 1000:.1f} ms over {meter.ticks} ticks")

    results = [p for kind, p in events if kind == "result"]
    assert results == list(range(50))  # one signal per page, in order
    first, last = events.index(("result", 0)), events.index(("result", 49))
    handled = [page for kind, page in events[first:last] if kind == "key"]
    assert handled, "no key press was handled while the results were arriving"
    assert handled[-1] > 0  # D moved the page while detection ran
    assert len(outcome.applied) == 50 and stored_pages(window)
    assert window.session.undo_stack.count() == 1  # the whole run is one undo step
    bar = window.job_bar  # the run's last line stays, without a bar or Cancel, until dismissed
    assert bar.label.text().startswith("Detection (auto) done:") and "on 50 pages" in bar.label.text()
    assert not bar.bar.isVisible() and not bar.cancel_button.isVisible() and bar.dismiss_button.isVisible()
    qtbot.mouseClick(bar.dismiss_button, Qt.MouseButton.LeftButton)
    assert not bar.isVisible()


def test_run_is_one_undo_step(qtbot, window):
    wait_run(qtbot, window, lambda: window.detection.detect(1, [0, 1, 2, 3, 4], "auto"))
    detected = figures.list_figures(window.session.project, 1)
    assert detected and {f.page for f in detected} <= {0, 1, 2, 3, 4}
    assert window.session.undo_stack.count() == 1
    window.actions_["undo"].trigger()
    assert figures.list_figures(window.session.project, 1) == []
    window.actions_["redo"].trigger()
    assert {f.id for f in figures.list_figures(window.session.project, 1)} == {f.id for f in detected}


def test_cancel_keeps_the_pages_done(qtbot, window):
    # a remote detector that takes a while per page, as real endpoints do
    answer = chat_completion('[{"bbox_2d": [10, 10, 200, 150], "label": "ultrasound image"}]')
    answer.delay_s = 0.05
    with OpenAICompatServer(default=answer) as server:
        user_settings.set_detector_params("qwen-vl", {"base_url": server.base_url, "model": "m", "max_pixels": 200_000})
        window.detection.page_detected.connect(lambda r: r.page == 2 and window.job_bar.cancel())
        outcome = wait_run(qtbot, window, lambda: window.detect(DetectScope.DOCUMENT, "qwen-vl"))
    assert outcome.cancelled
    assert 3 <= len(outcome.results) < 50
    done = {r.page for r in outcome.applied}
    assert stored_pages(window) == done  # what was stored stays stored
    assert all(figures.list_figures(window.session.project, 1, p)[0].detector == "qwen-vl" for p in done)
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.session.undo_stack.count() == 1


@pytest.mark.parametrize("answer", [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
def test_corrected_page_is_skipped_and_asked_about(qtbot, window, messages, answer):
    s = window.session
    wait_run(qtbot, window, lambda: window.detection.detect(1, [0, 1], "auto"))
    page = min(stored_pages(window))
    mine = figures.list_figures(s.project, 1, page)
    s.delete([mine[0].id])  # a person corrects the page
    assert documents.get_page(s.project, 1, page).corrected
    messages.answer = answer
    outcome = wait_run(qtbot, window, lambda: window.detection.detect(1, [0, 1], "auto"))
    assert outcome.skipped_pages == [page]
    [question] = messages.texts("question")
    assert "1 corrected page was left alone" in question and "replace your edits" in question
    if answer == QMessageBox.StandardButton.Yes:
        qtbot.waitUntil(lambda: len(figures.list_figures(s.project, 1, page)) == len(mine), timeout=30000)
        finish_jobs(qtbot, window)
        assert not documents.get_page(s.project, 1, page).corrected  # re-detected with force
    else:
        assert len(figures.list_figures(s.project, 1, page)) == len(mine) - 1  # the edit stays
        assert window.detection.job is None


def test_detector_error_is_readable_and_the_window_stays_usable(qtbot, window, messages):
    user_settings.set_detector_params("qwen-vl", {"base_url": closed_port_url(), "model": "m", "max_retries": 0})
    outcome = wait_run(qtbot, window, lambda: window.detection.detect(1, [0, 1, 2], "qwen-vl"))
    assert outcome.error and not outcome.applied
    [warning] = messages.texts("warning")
    assert "Could not connect" in warning and "\n" not in outcome.error and "Traceback" not in warning
    assert window.session.undo_stack.count() == 0
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_D)
    assert window.session.page == 1  # still usable
    wait_run(qtbot, window, lambda: window.detection.detect(1, [1], "auto"))
    assert window.session.undo_stack.count() == 1


def test_captions_are_read_after_detection(qtbot, isolated, tmp_path):
    pdf = make_sample_pdf(tmp_path / "atlas.pdf")
    with Project.create(tmp_path / "A.remud") as p:
        import_pdf(p, pdf.path)
    window = make_window(qtbot, isolated)
    window.open_project(tmp_path / "A.remud")
    wait_run(qtbot, window, lambda: window.detection.detect(1, [0], "auto"), timeout=120000)
    figs = figures.list_figures(window.session.project, 1, 0)
    assert figs and any(f.text.caption for f in figs)


def test_text_of_a_scanned_book_shown_page_first_with_phases_and_a_last_line(qtbot, isolated, tmp_path):
    pdf = make_scanned_test_pdf(tmp_path / "scans.pdf", ["side_by_side", "stacked", "grid"], seed=2)
    with Project.create(tmp_path / "S.remud") as p:
        import_pdf(p, pdf.path)
    window = make_window(qtbot, isolated)
    window.open_project(tmp_path / "S.remud")
    window.session.go_to(1, 2)  # the person looks at the last page
    progress, text_pages = [], []

    def watch(job) -> None:  # connected as the job starts, before its first report
        job.signals.progress.connect(lambda done, total, text: progress.append((done, total, text)))
        job.signals.item.connect(lambda item: text_pages.append(item.page) if isinstance(item, TextRead) else None)

    window.runner.started.connect(watch)
    wait_run(qtbot, window, lambda: window.detection.detect(1, None, "auto"), timeout=240000)

    assert text_pages[0] == 2 and sorted(text_pages) == [0, 1, 2]  # the shown page was read first
    phases = [text.split(" ")[0] + " " + text.split(" ")[1] for _, _, text in progress]
    assert phases[0] == "Finding figures" and phases[-1] == "Reading captions"
    assert phases.index("Reading text") > max(i for i, ph in enumerate(phases) if ph == "Finding figures")
    assert ("Reading text 3/3" in progress[-2][2]) and progress[-1][:2] == (0, 0)  # the close: busy
    assert all(done < total for done, total, _ in progress if total)  # never a full bar while work goes on
    last = window.job_bar.label.text()
    assert last.startswith("Detection (auto) done:") and last.endswith("on 3 pages; text read on 3 pages.")
    assert window.job_bar.isVisible() and window.statusBar().currentMessage() == last
    figs = figures.list_figures(window.session.project, 1)
    assert figs and all(f.text.caption for f in figs)


def test_a_page_that_crashes_the_detector_is_marked_and_the_window_stays_usable(qtbot, isolated, tmp_path,
                                                                                  monkeypatch, book_pdf):
    install_crashy_card(tmp_path / "resources", monkeypatch, crash_on=(1,))
    with Project.create(tmp_path / "B.remud") as p:
        import_pdf(p, book_pdf.path)
    window = make_window(qtbot, isolated)
    window.open_project(tmp_path / "B.remud")
    window.detection.fill_text = False
    outcome = wait_run(qtbot, window, lambda: window.detection.detect(1, [0, 1, 2, 3], "crashy"))
    assert len(outcome.applied) == 3 and [e[:8] for e in outcome.page_errors] == ["Page 2: "]
    assert "crashed (signal 11" in outcome.page_errors[0]
    assert "Page 2: the crash test crashed" in window.job_bar.label.text()  # the run's last line says so
    thumbs = window.library.thumbnails.thumbs
    qtbot.waitUntil(lambda: bool(thumbs.data(thumbs.index(1), FailedRole)))
    assert "crashed" in thumbs.data(thumbs.index(1), Qt.ItemDataRole.ToolTipRole)
    assert not thumbs.data(thumbs.index(0), FailedRole)
    window.session.go_to(1, 2)  # the window goes on working
    assert window.session.page == 2
    again = wait_run(qtbot, window, lambda: window.detection.detect(1, [1], "crashy"))
    assert again.applied == [] and "detect again with “retry failed pages”" in again.page_errors[0]


# -- settings -------------------------------------------------------------------------------
def test_settings_store_the_key_in_the_keyring_only(qtbot, isolated, memory_keyring, tmp_path):
    secret = "sk-test-0123456789abcdef"
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.base_url.setText("http://127.0.0.1:9/v1")
    dialog.model.setText("Qwen/Qwen2.5-VL-3B-Instruct")
    dialog.max_pixels.setValue(1_003_520)
    qtbot.keyClicks(dialog.key, secret)
    dialog.accept()
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=10000)  # keys stored off the GUI thread
    assert memory_keyring.store[("ReMUD Desktop", "qwen-vl")] == secret
    path = user_settings.settings_path()
    raw = path.read_bytes()
    assert secret.encode() not in raw and b"sk-test" not in raw
    assert json.loads(raw)["detectors"]["qwen-vl"]["model"] == "Qwen/Qwen2.5-VL-3B-Instruct"
    for f in tmp_path.rglob("*"):  # not in QSettings or anywhere else either
        assert not f.is_file() or secret.encode() not in f.read_bytes()

    from engine.detect import registry

    detector = registry.create("qwen-vl")  # the CLI and the app build it with the saved settings
    assert detector.max_pixels == 1_003_520 and detector.chat.api_key == secret

    again = SettingsDialog()
    qtbot.addWidget(again)
    assert again.model.text() == "Qwen/Qwen2.5-VL-3B-Instruct" and again.key.text() == ""
    qtbot.waitUntil(lambda: again.forget_key.isEnabled(), timeout=10000)
    assert "saved in the system keyring" in again.key.placeholderText()
    with pytest.raises(user_settings.SettingsError):
        user_settings.set_detector_params("qwen-vl", {"api_key": secret})


def test_test_connection_reports_readably(qtbot, isolated, memory_keyring):
    with OpenAICompatServer(api_key="sk-right", models=("qwen-test",)) as server:
        dialog = SettingsDialog()
        qtbot.addWidget(dialog)
        dialog.base_url.setText(server.base_url)
        dialog.model.setText("qwen-test")
        dialog.key.setText("sk-wrong")
        dialog.test_connection()
        qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20000)
        assert "rejected the API key" in dialog.test_result.text() and "sk-wrong" not in dialog.test_result.text()
        dialog.key.setText("sk-right")
        dialog.test_connection()
        qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20000)
        assert "“qwen-test” is available" in dialog.test_result.text()
    dialog.base_url.setText(closed_port_url())
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20000)
    assert "Could not connect" in dialog.test_result.text()


def test_detect_dialog_runs_on_the_selected_thumbnails(qtbot, window, monkeypatch):
    from PySide6.QtCore import QItemSelectionModel

    from remud_desktop.detection.dialog import DetectDialog

    view = window.library.thumbnails
    flags = QItemSelectionModel.SelectionFlag
    for row in (5, 6, 7):  # as a shift-click would: the current page's thumbnail is no longer selected
        view.selectionModel().select(view.thumbs.index(row), flags.ClearAndSelect if row == 5 else flags.Select)
    chosen = {}

    def run(dialog):
        chosen["scope"] = dialog.request().scope
        dialog.detectors.setCurrentIndex(dialog.detectors.findData("embedded"))
        return DetectDialog.DialogCode.Accepted

    monkeypatch.setattr(DetectDialog, "exec", run)
    outcome = wait_run(qtbot, window, window.detect_dialog)
    assert chosen["scope"] == DetectScope.SELECTED  # offered first when thumbnails are selected
    assert outcome.detector == "embedded" and [r.page for r in outcome.results] == [5, 6, 7]
    assert window.settings.value("detector") == "embedded"  # remembered for the menu actions


def test_an_edit_during_the_run_stays_out_of_its_undo_step(qtbot, window):
    s = window.session
    edited = []

    def edit_first_result(result) -> None:
        if not edited and result.figure_ids:  # the user fixes a box as soon as its page is in
            fid = result.figure_ids[0]
            s.go_to(result.doc_id, result.page)
            rect = figures.get_figure(s.project, fid).rect
            s.set_rects({fid: rect.moved(3, 3)})
            edited.append((fid, result.page, rect.moved(3, 3)))

    window.detection.page_detected.connect(edit_first_result)
    wait_run(qtbot, window, lambda: window.detection.detect(1, list(range(8)), "auto"))
    fid, page, moved = edited[0]
    s.undo_stack.undo()  # the run, without the page the user edited
    assert figures.get_figure(s.project, fid).rect == moved
    s.undo_stack.undo()  # the user's move
    assert figures.get_figure(s.project, fid).rect == moved.moved(-3, -3)
    assert documents.get_page(s.project, 1, page).corrected
    s.undo_stack.redo()
    s.undo_stack.redo()
    assert figures.get_figure(s.project, fid).rect == moved
