"""Synthesis from the window: the dialog's count and estimate, jobs running in the
background against a loopback OpenAI server, a wrong key, retry of failed items, the
Synthesis settings page (key in the keyring only) and "Generate now"."""

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engine import settings as user_settings
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project
from engine.store import jobs as store
from engine.store.figures import add_figures
from engine.store.models import FigureStatus, FigureText, NewFigure
from engine.store.records import list_records
from remud_desktop.settings.dialog import SettingsDialog
from remud_desktop.synthesis.dialog import SynthDialog
from tests.desktop.gui_helpers import finish_jobs, make_window
from tests.servers.openai_compat import OpenAICompatServer, chat_completion

KEY = "sk-gui-SECRET-0123456789abcdef"
MODEL = "gpt-4o-mini"  # priced in resources/pricing.toml, so the dialog can estimate a cost
ANSWERS = {
    "vqa": {"items": [{"question": "What is shown?", "thinking": "Anechoic round area.", "answer": "A cyst."}]},
    "mcq": {"items": [{"question": "Diagnosis?", "thinking": "Thin wall.",
                       "options": ["Cyst", "Abscess", "Tumour", "Normal"], "correct": "A"}]},
    "conversation": {"items": [{"question": "Which organ?", "answer": "Liver."}]},
}


@pytest.fixture
def ring(monkeypatch, memory_keyring):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    yield memory_keyring


class Answers:
    """Valid answers, except (while `bad_caption` is set) garbage for the figure with that caption."""

    def __init__(self):
        self.bad_caption: str | None = None

    def __call__(self, req):
        if self.bad_caption and self.bad_caption in req.text():
            return chat_completion("this is not JSON {", prompt_tokens=900, completion_tokens=10)
        name = req.json["response_format"]["json_schema"]["name"].removeprefix("remud_")
        return chat_completion(json.dumps(ANSWERS[name]), prompt_tokens=1000, completion_tokens=200)


@pytest.fixture
def answers():
    return Answers()


@pytest.fixture
def server(answers):
    with OpenAICompatServer(api_key=KEY, models=(MODEL,), default=answers) as s:
        yield s


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("pdf") / "sample.pdf")


@pytest.fixture
def window(qtbot, isolated, ring, server, tmp_path, sample_pdf, messages):
    truth = [sample_pdf.truth[0], sample_pdf.truth[3]]  # two figures with different captions
    with Project.create(tmp_path / "Synth.remud") as p:
        doc = import_pdf(p, sample_pdf.path).document
        add_figures(p, [NewFigure(doc.id, t.page, t.rect, status=FigureStatus.ACCEPTED, text=FigureText(caption=t.caption))
                        for t in truth])
        add_figures(p, [NewFigure(doc.id, sample_pdf.truth[1].page, sample_pdf.truth[1].rect)])  # proposed: left out
    user_settings.set_synthesizer_params("openai", {"model": MODEL, "base_url": server.base_url})
    user_settings.set_synthesis_options(concurrency=2, kinds=["vqa"], languages=["en"], card="openai")
    ring.set_password("ReMUD Desktop", "openai", KEY)
    w = make_window(qtbot, isolated)
    assert w.open_project(tmp_path / "Synth.remud")
    w.captions = [t.caption for t in truth]
    yield w
    finish_jobs(qtbot, w)


def open_dialog(qtbot, window, selected=()) -> SynthDialog:
    """The Synthesize dialog once its key lookup (off the GUI thread) has answered."""
    dialog = SynthDialog(window.session, list(selected), window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.key_checked, timeout=30000)
    return dialog


def run_and_wait(qtbot, window, start, timeout=60000):
    with qtbot.waitSignal(window.synth.run_finished, timeout=timeout) as blocker:
        start()
    finish_jobs(qtbot, window)
    return blocker.args[1]


def test_dialog_shows_count_and_estimate_before_anything_is_sent(qtbot, window, server):
    dialog = open_dialog(qtbot, window)
    assert dialog.use_document.isChecked()
    assert dialog.count.text() == "2" and dialog.items_to_send == 2  # 2 accepted figures × vqa × en
    assert dialog.estimated_cost is not None and dialog.estimated_cost > 0
    assert dialog.cost.text().startswith("about $")
    dialog.kinds["mcq"].setChecked(True)
    dialog.languages["zh"].setChecked(True)
    assert dialog.items_to_send == 8
    dialog.kinds["vqa"].setChecked(False)
    dialog.kinds["mcq"].setChecked(False)
    assert not dialog.start_button.isEnabled() and "at least one kind" in dialog.problem.text()
    # the preview kept nothing and sent nothing
    assert store.list_jobs(window.session.project) == [] and server.chat_requests == []


def test_job_runs_in_the_background_and_records_appear(qtbot, window, server):
    added = []
    window.session.records_added.connect(lambda: added.append(1))
    dialog = open_dialog(qtbot, window)
    dialog.kinds["mcq"].setChecked(True)
    dialog.accept()
    job = dialog.job
    assert job is not None and user_settings.synthesis_options()["kinds"] == ["vqa", "mcq"]  # remembered
    report = run_and_wait(qtbot, window, lambda: window._start_synth_job(job))
    assert report.state == "done" and report.stored == 4
    assert len(list_records(window.session.project)) == 4 and added
    assert window.docks["jobs"].isVisible()
    panel = window.jobs_panel
    qtbot.waitUntil(lambda: panel.status(job.id) is not None and panel.status(job.id).job.state == "done")
    row = panel.table
    assert row.item(0, 2).text() == "done" and row.item(0, 3).text() == "4/4"
    assert row.item(0, 5).text().startswith("$") and row.item(0, 5).text() != "$0.0000"
    assert not panel.run_button.isEnabled() and not panel.retry_button.isEnabled()
    assert all(r.bearer == KEY for r in server.chat_requests)


def test_wrong_key_stops_the_job_readably_and_resume_works_after_fixing_it(qtbot, window, server, ring, messages):
    ring.set_password("ReMUD Desktop", "openai", "sk-wrong-key-000")
    dialog = open_dialog(qtbot, window)
    dialog.accept()
    job = dialog.job
    report = run_and_wait(qtbot, window, lambda: window._start_synth_job(job))
    assert report.state == "stopped" and "rejected the API key" in report.message
    assert store.get_job(window.session.project, job.id).state == "stopped"
    warned = messages.texts("warning")
    assert warned and "rejected the API key" in warned[-1] and "sk-wrong" not in warned[-1]
    assert list_records(window.session.project) == []
    panel = window.jobs_panel
    panel.select_job(job.id)
    assert panel.run_button.isEnabled() and panel.run_button.text() == "Resume"

    ring.set_password("ReMUD Desktop", "openai", KEY)
    report = run_and_wait(qtbot, window, panel.run_selected)
    assert report.state == "done" and len(list_records(window.session.project)) == 2


def test_retry_failed_sends_only_the_failed_items(qtbot, window, server, answers):
    answers.bad_caption = window.captions[0]
    dialog = open_dialog(qtbot, window)
    dialog.accept()
    job = dialog.job
    report = run_and_wait(qtbot, window, lambda: window._start_synth_job(job))
    assert report.state == "finished" and report.failed == 1 and report.stored == 1
    panel = window.jobs_panel
    panel.select_job(job.id)
    assert panel.retry_button.isEnabled() and panel.failures.count() == 1
    panel.failures.setCurrentRow(0)
    assert "this is not JSON" in panel.raw.toPlainText()  # the raw response, for inspection

    answers.bad_caption = None
    before = len(server.chat_requests)
    report = run_and_wait(qtbot, window, panel.retry_selected)
    sent = server.chat_requests[before:]
    assert report.state == "done" and len(sent) == 1
    assert window.captions[0] in sent[0].text() and window.captions[1] not in sent[0].text()
    assert len(list_records(window.session.project)) == 2


def test_a_figure_that_cannot_be_prepared_fails_alone_and_the_panel_says_why(qtbot, window, server, tmp_path,
                                                                           monkeypatch, messages):
    from engine.pdf import resolution
    from engine.store.figures import list_figures
    from tests.engine.test_huge_pages import BIG_BOX, huge_pdf

    project = window.session.project
    doc = import_pdf(project, huge_pdf(tmp_path / "poster.pdf")).document
    add_figures(project, [NewFigure(doc.id, 1, BIG_BOX, status=FigureStatus.ACCEPTED)])
    accepted = [f.id for f in list_figures(project, status=FigureStatus.ACCEPTED)]
    budget = resolution.MAX_RENDER_PIXELS
    monkeypatch.setattr(resolution, "MAX_RENDER_PIXELS", 10**12)  # as before the pixel budget: MuPDF refuses that crop
    dialog = open_dialog(qtbot, window, accepted)
    dialog.accept()
    job = dialog.job
    report = run_and_wait(qtbot, window, lambda: window._start_synth_job(job))
    assert report.state == "finished" and report.stored == 2 and report.failed == 1
    panel = window.jobs_panel
    panel.select_job(job.id)
    assert "1 of 3 items failed" in panel.summary.text() and "1 of 3 items failed" in panel.table.item(0, 6).text()
    assert panel.failures.count() == 1 and "Overly large image" in panel.failures.item(0).text()
    panel.failures.setCurrentRow(0)
    assert panel.raw.toPlainText().startswith("Error: The figure or text of this item could not be prepared")
    assert not messages.texts("warning")  # a failed item is shown in the panel, not in a message box
    # the panel stays usable: with the budget back (the app as shipped), Retry sends the huge page smaller
    monkeypatch.setattr(resolution, "MAX_RENDER_PIXELS", budget)
    assert panel.retry_button.isEnabled()
    report = run_and_wait(qtbot, window, panel.retry_selected)
    assert report.state == "done" and len(list_records(project)) == 3


def test_synthesis_settings_put_the_key_in_the_keyring_only(qtbot, isolated, ring, server, tmp_path, messages):
    secret = "sk-typed-in-settings-42424242"
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    page = dialog.synthesis
    page.card.setCurrentIndex(page.card.findData("openai"))
    page.model.setText(MODEL)
    page.base_url.setText(server.base_url)
    page.temperature.setValue(0.3)
    page.max_tokens.setValue(2048)
    page.concurrency.setValue(5)
    qtbot.keyClicks(page.key, secret)
    dialog.accept()
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=10000)  # keys stored off the GUI thread
    assert ring.store[("ReMUD Desktop", "openai")] == secret
    raw = user_settings.settings_path().read_bytes()
    assert secret.encode() not in raw and b"sk-typed" not in raw
    saved = json.loads(raw)
    assert saved["synthesizers"]["openai"] == {"model": MODEL, "base_url": server.base_url,
                                               "temperature": 0.3, "max_tokens": 2048}
    assert saved["synthesis"]["concurrency"] == 5
    for f in tmp_path.rglob("*"):
        assert not f.is_file() or secret.encode() not in f.read_bytes()

    again = SettingsDialog()
    qtbot.addWidget(again)
    assert again.synthesis.model.text() == MODEL and again.synthesis.key.text() == ""
    qtbot.waitUntil(lambda: "Checking" not in again.synthesis.key.placeholderText(), timeout=10000)
    assert "saved in the system keyring" in again.synthesis.key.placeholderText()
    again.synthesis.test_connection()  # the saved key is wrong for this server
    qtbot.waitUntil(lambda: again.synthesis.test_button.isEnabled(), timeout=20000)
    assert "rejected the API key" in again.synthesis.test_result.text() and secret not in again.synthesis.test_result.text()
    again.synthesis.key.setText(KEY)
    again.synthesis.test_connection()
    qtbot.waitUntil(lambda: again.synthesis.test_button.isEnabled(), timeout=20000)
    assert f"the model '{MODEL}' is available" in again.synthesis.test_result.text()


def test_generate_now_makes_and_runs_a_job_for_the_selected_figure_only(qtbot, window, server):
    s = window.session
    s.go_to(1, 0)
    target = next(f for f in s.current_figures() if f.status == FigureStatus.ACCEPTED)
    s.select([target.id])
    report = run_and_wait(qtbot, window, window.actions_["generate_now"].trigger)
    assert report.state == "done" and report.stored == 1
    jobs = store.list_jobs(s.project)
    assert len(jobs) == 1
    items = store.list_items(s.project, jobs[0].id)
    assert [(i.figure_id, i.kind, i.language) for i in items] == [(target.id, "vqa", "en")]
    assert [r.figure_id for r in list_records(s.project)] == [target.id]
    assert len(server.chat_requests) == 1


def test_batch_mode_halves_the_estimate_runs_from_the_window_and_resumes_the_same_batch(qtbot, window, server):
    from engine.synth.base import load_pricing
    from tests.servers.openai_batch import OpenAIBatchServer

    def answer(body, custom_id):
        name = body["response_format"]["json_schema"]["name"].removeprefix("remud_")
        return chat_completion(json.dumps(ANSWERS[name]), prompt_tokens=1000, completion_tokens=200)

    project = window.session.project
    with OpenAIBatchServer(api_key=KEY, answer=answer, polls_to_complete=3) as batch_server:
        user_settings.set_synthesizer_params("openai", {"model": MODEL, "base_url": batch_server.base_url})
        dialog = open_dialog(qtbot, window)
        live_cost = dialog.estimated_cost
        assert live_cost is not None and live_cost > 0 and not dialog.batch.isChecked()
        dialog.batch.setChecked(True)
        assert dialog.items_to_send == 2
        assert dialog.estimated_cost == pytest.approx(live_cost * load_pricing().batch_discount)
        assert dialog.estimated_cost < live_cost and "batch price" in dialog.cost.text()
        assert store.list_jobs(project) == [] and batch_server.requests == []  # the preview sent nothing
        dialog.accept()
        job = dialog.job
        assert job is not None and store.get_job(project, job.id).settings["batch"] is True

        window.synth.poll_s = 0.05
        report = run_and_wait(qtbot, window, lambda: window._start_synth_job(job))
        assert report.state == "done" and report.stored == 2
        assert len(batch_server.uploads) == 1 and len(batch_server.batches) == 1
        assert len(list_records(project)) == 2 and server.chat_requests == []  # nothing went the live way
        assert store.list_batches(project, job.id, active=True) == []

        # A job whose batch is still running at the provider when its run stops (the window
        # closed): Resume polls that batch again, and uploads nothing.
        second = open_dialog(qtbot, window)
        second.kinds["vqa"].setChecked(False)
        second.kinds["mcq"].setChecked(True)
        assert not second.batch.isChecked()
        second.accept()
        job2 = second.job
        window.synth.poll_s = 30.0  # the stop below wakes it early
        with qtbot.waitSignal(window.synth.run_finished, timeout=60000) as blocker:
            window.synth.run(job2.id, batch=True)
            qtbot.waitUntil(lambda: len(batch_server.batches) == 2, timeout=30000)
            window.synth.cancel_all()
        finish_jobs(qtbot, window)
        assert blocker.args[1].state == "pending"
        (active,) = store.list_batches(project, job2.id, active=True)
        assert active.batch_id in batch_server.batches and batch_server.cancels == []
        assert len(list_records(project)) == 2 and len(batch_server.uploads) == 2

        window.synth.poll_s = 0.05
        panel = window.jobs_panel
        panel.refresh()
        panel.select_job(job2.id)
        assert panel.run_button.isEnabled()
        report = run_and_wait(qtbot, window, panel.run_selected)  # run(job_id) with batch left False
        assert report.state == "done" and report.stored == 2 and report.requests == 0
        assert len(batch_server.uploads) == 2 and len(batch_server.batches) == 2  # the same batch, polled again
        assert batch_server.batches[active.batch_id].status == "completed"
        assert len(list_records(project)) == 4 and server.chat_requests == []


def test_cancel_of_an_idle_job_with_an_active_batch_cancels_the_provider_batch(qtbot, window, server):
    from tests.servers.openai_batch import OpenAIBatchServer

    project = window.session.project
    with OpenAIBatchServer(api_key=KEY, polls_to_complete=50) as batch_server:
        user_settings.set_synthesizer_params("openai", {"model": MODEL, "base_url": batch_server.base_url})
        dialog = open_dialog(qtbot, window)
        dialog.batch.setChecked(True)
        dialog.accept()
        job = dialog.job
        window.synth.poll_s = 30.0
        with qtbot.waitSignal(window.synth.run_finished, timeout=60000):
            window.synth.run(job.id)  # batch mode from the job's settings
            qtbot.waitUntil(lambda: len(batch_server.batches) == 1, timeout=30000)
            window.synth.stop(job.id)
        finish_jobs(qtbot, window)
        (active,) = store.list_batches(project, job.id, active=True)
        panel = window.jobs_panel
        panel.refresh()
        panel.select_job(job.id)
        assert panel.cancel_button.isEnabled()
        with qtbot.waitSignal(window.synth.batches_cancelled, timeout=30000) as blocker:
            panel.cancel_selected()
        assert blocker.args == [job.id, 1]
        assert batch_server.cancels == [active.batch_id]
        assert store.get_job(project, job.id).state == "cancelled"
        assert server.chat_requests == [] and len(batch_server.uploads) == 1


# -- Start only when something can be sent: what the dialog says otherwise ------------------------------------------
def test_no_accepted_figures_says_how_many_are_proposed_and_how_to_accept_them(qtbot, window, server):
    from engine.store.figures import list_figures, set_status

    s = window.session
    accepted = [f for f in list_figures(s.project) if f.status == FigureStatus.ACCEPTED]
    set_status(s.project, accepted[0].id, FigureStatus.PROPOSED)
    set_status(s.project, accepted[1].id, FigureStatus.REJECTED)
    dialog = open_dialog(qtbot, window)
    assert dialog.use_document.isChecked() and not dialog.start_button.isEnabled()
    text = dialog.problem.text()
    assert "no accepted figures (2 proposed, 1 rejected)" in text and "already exist" not in text
    assert "press Enter" in text and "Ctrl+A" in text
    assert dialog.count.text() == "—" and not dialog.settings_button.isVisible()
    dialog.accept()  # what Start would do: nothing, and no job
    assert dialog.job is None and dialog.result() != dialog.DialogCode.Accepted
    assert store.list_jobs(s.project) == [] and server.chat_requests == []

    # doing what it says works: the boxes of the page selected with Ctrl+A, accepted with Enter
    target = accepted[0]
    s.go_to(target.doc_id, target.page)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert target.id in s.selection
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(f.status == FigureStatus.ACCEPTED for f in list_figures(s.project)), timeout=10000)
    again = open_dialog(qtbot, window)
    assert again.start_button.isEnabled() and again.items_to_send >= 1 and again.problem.text() == ""


def test_a_document_without_figures_and_items_made_already_say_so(qtbot, window, server):
    from engine.store.figures import delete_figures, list_figures

    s = window.session
    dialog = open_dialog(qtbot, window)
    dialog.accept()
    run_and_wait(qtbot, window, lambda: window._start_synth_job(dialog.job))
    jobs_before = store.list_jobs(s.project)
    same = open_dialog(qtbot, window)
    assert not same.start_button.isEnabled() and same.count.text() == "0 (2 already made)"
    assert "all 2 item(s) already exist" in same.problem.text() and "no accepted" not in same.problem.text()
    same.kinds["mcq"].setChecked(True)  # new work: Start again
    assert same.start_button.isEnabled() and same.items_to_send == 2

    delete_figures(s.project, [f.id for f in list_figures(s.project)])
    empty = open_dialog(qtbot, window)
    assert not empty.start_button.isEnabled() and "has no figures yet" in empty.problem.text()
    assert "Detect" in empty.problem.text()
    empty.accept()
    assert empty.job is None and store.list_jobs(s.project) == jobs_before  # no empty job was made


def test_no_key_for_the_chosen_provider_disables_start_until_settings_has_one(qtbot, window, server, ring):
    ring.delete_password("ReMUD Desktop", "openai")
    user_settings.set_synthesizer_params("openai", {"model": MODEL})  # OpenAI's own endpoint: a key is needed
    opened = []

    def settings_with_a_key(page, card):
        opened.append((page, card))
        ring.set_password("ReMUD Desktop", "openai", KEY)

    dialog = SynthDialog(window.session, [], window, open_settings=settings_with_a_key)
    qtbot.addWidget(dialog)
    assert not dialog.start_button.isEnabled()  # before the lookup answers, too
    qtbot.waitUntil(lambda: dialog.key_checked, timeout=30000)
    assert dialog.items_to_send == 2 and not dialog.start_button.isEnabled()
    assert "No API key for OpenAI" in dialog.problem.text() and "OPENAI_API_KEY" in dialog.problem.text()
    assert dialog.settings_button.isVisibleTo(dialog)
    dialog.accept()
    assert dialog.job is None and store.list_jobs(window.session.project) == []

    # another provider is checked when it is chosen: the local server needs no key
    dialog.card.setCurrentIndex(dialog.card.findData("local"))
    qtbot.waitUntil(lambda: dialog.key_checked, timeout=30000)
    assert dialog.start_button.isEnabled() and not dialog.settings_button.isVisibleTo(dialog)
    dialog.card.setCurrentIndex(dialog.card.findData("gemini"))
    qtbot.waitUntil(lambda: dialog.key_checked, timeout=30000)
    assert "No API key for Google Gemini" in dialog.problem.text() and "GEMINI_API_KEY" in dialog.problem.text()

    # Settings opens at the right page for the chosen provider; the key is checked again when it closes
    dialog.card.setCurrentIndex(dialog.card.findData("openai"))
    qtbot.waitUntil(lambda: dialog.key_checked, timeout=30000)
    assert not dialog.start_button.isEnabled()
    qtbot.mouseClick(dialog.settings_button, Qt.MouseButton.LeftButton)
    assert opened == [("synthesis", "openai")]
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=30000)
    assert dialog.problem.text() == "" and not dialog.settings_button.isVisibleTo(dialog)


def test_the_window_opens_settings_at_the_synthesis_page_of_the_chosen_provider(qtbot, window, ring, monkeypatch):
    from PySide6.QtCore import QTimer

    ring.delete_password("ReMUD Desktop", "openai")
    user_settings.set_synthesizer_params("gemini", {"model": "gemini-2.5-flash"})
    seen = []

    def look_at_settings():
        settings_dialog = QApplication.activeModalWidget()
        if not isinstance(settings_dialog, SettingsDialog):
            QTimer.singleShot(20, look_at_settings)
            return
        seen.append((settings_dialog.current_page(), settings_dialog.synthesis.card.currentData()))
        ring.set_password("ReMUD Desktop", "gemini", "g-key-typed-in-settings")
        settings_dialog.reject()

    def in_the_dialog():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SynthDialog):
            QTimer.singleShot(20, in_the_dialog)
            return
        dialog.card.setCurrentIndex(dialog.card.findData("gemini"))
        qtbot.waitUntil(lambda: dialog.key_checked, timeout=30000)
        assert dialog.settings_button.isVisible() and not dialog.start_button.isEnabled()
        QTimer.singleShot(0, look_at_settings)
        dialog.settings_button.click()  # returns when Settings closes
        qtbot.waitUntil(lambda: dialog.key_checked, timeout=30000)
        seen.append(dialog.start_button.isEnabled())
        dialog.reject()

    QTimer.singleShot(0, in_the_dialog)
    assert window.synthesize_dialog() is None
    assert seen == [("synthesis", "gemini"), True]
    assert store.list_jobs(window.session.project) == []


def test_generate_now_makes_no_job_without_a_key_or_anything_new(qtbot, window, server, ring, messages):
    s = window.session
    s.go_to(1, 0)
    target = next(f for f in s.current_figures() if f.status == FigureStatus.ACCEPTED)
    s.select([target.id])
    ring.delete_password("ReMUD Desktop", "openai")
    user_settings.set_synthesizer_params("openai", {"model": MODEL})
    window.actions_["generate_now"].trigger()
    qtbot.waitUntil(lambda: bool(messages.texts("warning")), timeout=30000)
    assert "No API key for OpenAI" in messages.texts("warning")[-1]
    assert store.list_jobs(s.project) == [] and server.chat_requests == []

    user_settings.set_synthesizer_params("openai", {"model": MODEL, "base_url": server.base_url})
    ring.set_password("ReMUD Desktop", "openai", KEY)
    report = run_and_wait(qtbot, window, window.actions_["generate_now"].trigger)
    assert report.state == "done"
    window.actions_["generate_now"].trigger()  # the same again: nothing new
    qtbot.waitUntil(lambda: "Nothing to generate" in window.statusBar().currentMessage(), timeout=30000)
    assert len(store.list_jobs(s.project)) == 1 and len(server.chat_requests) == 1


def test_the_jobs_panel_opens_at_most_a_third_of_the_window_high(qtbot, window, server):
    dock = window.docks["jobs"]

    def shown_height() -> int:
        qtbot.waitUntil(dock.isVisible)
        QApplication.processEvents()  # the dock layout settles
        return dock.height()

    third = window.height() / 3
    assert dock.isHidden()
    dock.toggleViewAction().trigger()  # View → Panels → Synthesis jobs, in a fresh layout
    assert 0 < shown_height() <= third, (dock.height(), window.height())
    dock.hide()
    dialog = open_dialog(qtbot, window)
    dialog.accept()
    run_and_wait(qtbot, window, lambda: window._start_synth_job(dialog.job))  # Start shows it
    assert 0 < shown_height() <= third, (dock.height(), window.height())
    assert window.centralWidget().height() >= third  # the page keeps the most of the window

    # a layout left from a session where it was dragged tall: opening it brings it back to a third at most
    window.resizeDocks([dock], [int(window.height() * 0.7)], Qt.Orientation.Vertical)
    assert shown_height() > third
    dock.hide()
    window.show_jobs_panel()
    assert 0 < shown_height() <= third, (dock.height(), window.height())
