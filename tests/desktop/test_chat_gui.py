"""The Chat tab, driven like a user would, with a real tiny llama.cpp model (tests/tiny_gguf.py):
load (progress, errors), send and stream, thinking section and budget bar, stop, regenerate,
edit and resend, an image on a text-only model, conversations (new, rename, delete, search),
export, the controls saved to the user's settings, no network, and the main window's tabs
and "Send figure to chat"."""

from __future__ import annotations

import json
import socket
from contextlib import contextmanager

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage

from engine import settings as user_settings
from engine.chat import ModelSettings, Sampling, StreamEvent
from engine.chat.errors import NoVisionError
from engine.store import Project, chats
from remud_desktop.chat import ChatTab
from remud_desktop.chat.chat_tab import PERSONAL_NAME
from remud_desktop.chat.message_view import budget_text
from remud_desktop.chat.streaming_text import StreamingText, split_point
from remud_desktop.chat.worker import Coalescer, StreamDelta
from remud_desktop.session import Session
from tests.desktop.gui_helpers import make_window
from tests.tiny_gguf import vocabulary, write_tiny_qwen2_gguf, write_tiny_qwen25vl_mmproj

WAIT_MS = 120_000  # the machine is slow and shared: generous, never a sleep


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return write_tiny_qwen2_gguf(tmp_path_factory.mktemp("model") / "tiny-qwen2.gguf")


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("REMUD_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def tab(qtbot, isolated, data_dir):
    session = Session()
    t = ChatTab(session)
    qtbot.addWidget(t)
    t.resize(1200, 800)
    with qtbot.waitExposed(t):
        t.show()
    yield t
    t.shutdown()


def never(*texts: str) -> dict[int, float]:
    """A logit bias that keeps the random tiny model from writing these tokens (e.g. ending its turn)."""
    tokens, _ = vocabulary()
    return {tokens.index(t): -100.0 for t in texts}


END_OF_TURN = ("<|endoftext|>", "<|im_end|>")


def set_budget(tab: ChatTab, *, mode: int = 3, minimum: int = 8, maximum: int = 24, answer: int = 40) -> None:
    c = tab.controls
    f = c.fields
    f.mode.setCurrentIndex(mode)
    f.max_tokens.setValue(maximum)
    f.min_tokens.setValue(minimum)
    f.max_answer.setValue(answer)


def load(qtbot, tab: ChatTab, model, mmproj: str = "") -> list[float]:
    progress: list[float] = []
    tab.worker.load_progress.connect(progress.append)
    tab.model_bar.model.set_path(str(model))
    tab.model_bar.mmproj.set_path(mmproj)
    qtbot.mouseClick(tab.model_bar.load, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.model_bar.load.isEnabled(), timeout=WAIT_MS)
    return progress


def ask(qtbot, tab: ChatTab, text: str) -> None:
    tab.composer.text.setPlainText(text)
    qtbot.mouseClick(tab.composer.send, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.generating(), timeout=WAIT_MS)


# -- loading ---------------------------------------------------------------------------------------------
def test_load_shows_progress_then_loaded_and_remembers_paths(qtbot, tab, tiny_model):
    qtbot.waitUntil(lambda: tab.conversations.where.text() != "", timeout=WAIT_MS)
    assert PERSONAL_NAME in tab.conversations.where.text()  # no project open: the personal chat project
    progress = load(qtbot, tab, tiny_model)
    assert progress[0] == 0.0 and progress[-1] == 1.0 and len(progress) >= 3
    assert tab.model_bar.state.text().startswith("Loaded tiny-qwen2.gguf")
    assert "text only" in tab.model_bar.state.text()
    assert tab.model_bar.unload.isEnabled() and tab.worker.model.name == "tiny-qwen2.gguf"
    qtbot.waitUntil(lambda: tab.model_bar.memory.text().startswith("Needs about"), timeout=WAIT_MS)
    assert "MiB of memory (model " in tab.model_bar.memory.text()
    assert user_settings.chat_options()["model_path"] == str(tiny_model)

    qtbot.mouseClick(tab.model_bar.unload, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.worker.model is None, timeout=WAIT_MS)
    assert tab.model_bar.state.text() == "No model loaded"
    assert not tab.send("Anything?")
    assert "No model is loaded" in tab.notice.text()


def test_a_context_the_model_cannot_use_is_said_before_loading_and_refused_by_load(qtbot, tab, tiny_model):
    tab.model_bar.model.set_path(str(tiny_model))
    fields = tab.controls.fields
    assert (fields.n_ctx.minimum(), fields.n_ctx.maximum()) == (512, 131072)  # never 0, negative or 10**9
    fields.n_ctx.setValue(65536)  # the tiny model was trained with 8192: 4 x 8192 at most
    expected = ("tiny-qwen2.gguf cannot use a context of 65536 tokens (it was trained with 8192); choose from 64 "
                "to 32768 tokens, e.g. 8192.")
    qtbot.waitUntil(lambda: tab.model_bar.memory.text() == expected, timeout=WAIT_MS)
    load(qtbot, tab, tiny_model)
    assert tab.model_bar.state.property("error") is True and tab.model_bar.state.text() == expected
    assert tab.worker.model is None
    fields.n_ctx.setValue(8192)
    qtbot.waitUntil(lambda: tab.model_bar.memory.text().startswith("Needs about"), timeout=WAIT_MS)


def test_wrong_or_missing_file_is_explained_and_the_app_keeps_running(qtbot, tab, tiny_model, tmp_path):
    fake = tmp_path / "notes.gguf"
    fake.write_text("this is not a model", encoding="utf-8")
    load(qtbot, tab, fake)
    assert tab.model_bar.state.property("error") is True
    assert "not a GGUF file" in tab.model_bar.state.text()
    assert tab.worker.model is None

    load(qtbot, tab, tmp_path / "gone.gguf")
    assert "does not exist" in tab.model_bar.state.text()

    load(qtbot, tab, tiny_model)  # the same model thread still works
    assert tab.worker.model is not None and tab.model_bar.state.property("error") is False


# -- asking -----------------------------------------------------------------------------------------------
def test_answer_streams_in_and_is_stored_with_its_thinking(qtbot, tab, tiny_model, monkeypatch):
    load(qtbot, tab, tiny_model)
    set_budget(tab, mode=3, minimum=8, maximum=24, answer=120)
    # the model never closes its thinking nor its turn by itself: the maximum cuts in, the answer runs to its limit
    monkeypatch.setattr(tab.controls, "sampling", lambda: Sampling(max_answer_tokens=120,
                                                                   logit_bias=never("</think>", *END_OF_TURN)))
    tab.worker.repaint_interval = 0.0  # every event its own update: the test counts them
    deltas, texts = [], []
    tab.worker.delta.connect(deltas.append)
    tab.worker.delta.connect(lambda _d: texts.append(tab.view.streaming.content() if tab.view.streaming else None))
    bars = []
    tab.worker.delta.connect(lambda _d: bars.append(tab.view.streaming.thinking.budget.text()))
    ask(qtbot, tab, "What does an anechoic cyst look like?")
    live = [b for b in bars if not b.endswith("max reached")]
    assert live and all(b.startswith("thinking ") and "/ max 24 tokens · 0 waits" in b for b in live)
    assert len(set(live)) >= 3  # the count went up while the model thought

    assert len(deltas) >= 10 and len({t for t in texts if t}) >= 3  # the answer grew in several steps
    stored = chats.list_messages(tab.project, tab.session_id)
    assert [m.role for m in stored] == ["user", "assistant"]
    answer = stored[1]
    assert answer.content and answer.thinking
    assert answer.stats["thinking_tokens"] == 24 and answer.stats["max_cut_in"] is True
    assert answer.stats["answer_tokens"] == 120
    assert 117 <= deltas[-1].answer_tokens <= 120  # the last bytes of a character may not have made text yet
    assert answer.stats["finish_reason"] == "length" and answer.stats["waits_inserted"] == 0
    # the stored answer is what is shown, with the budget bar's counts
    shown = tab.view.widgets[-1]
    assert shown.content() == answer.content and shown.message_id == answer.id
    assert shown.thinking.budget.text() == "thinking 24 / max 24 tokens · 0 waits · max reached"
    assert "cut at the answer limit" in shown.footer.text()
    assert shown.thinking.expanded() and not shown.thinking.body.isHidden()
    qtbot.mouseClick(shown.thinking.toggle, Qt.MouseButton.LeftButton)
    assert not shown.thinking.expanded() and shown.thinking.body.isHidden()
    qtbot.mouseClick(shown.copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == answer.content
    assert tab.conversations.list.currentItem().text() == "What does an anechoic cyst look like?"


def test_coalescer_hands_on_at_most_one_update_per_interval():
    now = [0.0]
    sent: list[StreamDelta] = []
    c = Coalescer(7, sent.append, interval=1 / 30, clock=lambda: now[0])
    c.add(StreamEvent("thinking", "An", 1, 0, 0))  # the first event goes at once
    for n, piece in enumerate(("echoic", " round", " Wait,"), start=2):
        now[0] += 0.005
        c.add(StreamEvent("wait" if piece == " Wait," else "thinking", piece, n, 0, int(piece == " Wait,")))
    assert [d.thinking for d in sent] == ["An"]
    now[0] += 0.05
    c.add(StreamEvent("cut", "\n</think>\n", 4, 0, 1))
    c.add(StreamEvent("answer", "A cyst.", 4, 3, 1))
    assert len(sent) == 2 and sent[1].thinking == "echoic round Wait," and sent[1].cut and sent[1].answer == ""
    c.flush()
    assert sent[2] == StreamDelta(7, "", "A cyst.", 4, 3, 1, True)
    c.flush()
    assert len(sent) == 3  # nothing new, nothing sent


def test_streaming_text_lays_out_only_the_growing_paragraph(qtbot):
    assert split_point("short\n\ntext") == (-1, False)
    para = "word " * 100
    assert split_point(para + "\n\nnext") == (len(para), True)
    fenced = "```\n" + "x = 1\n\n" * 80 + "still code"
    assert split_point(fenced) == (-1, False)  # never inside a code block
    closed = "```\n" + "x = 1\n\n" * 80 + "```\nafter" + "\n\nlast"
    assert split_point(closed) == (closed.rfind("\n\n"), True)
    assert split_point("a" * 1200) == (-1, False)  # nowhere to split: it stays whole

    text = StreamingText(markdown=True, name="messageText")
    qtbot.addWidget(text)
    written = ""
    for n in range(6):
        for token in [f"Paragraph {n}", *["is written token by token."] * 20, "\n\n"]:
            text.append(token + " ")
            written += token + " "
    assert text.text() == written  # all of it, whatever the pieces
    assert text.pieces() >= 4 and "Paragraph 4" not in text.live.text()  # finished paragraphs are not laid out again
    text.set_text("stored")
    assert text.pieces() == 1 and text.text() == "stored"


def test_budget_text():
    assert budget_text(412, 2, 1024) == "thinking 412 / max 1024 tokens · 2 waits"
    assert budget_text(96, 1, None) == "thinking 96 tokens · 1 wait"
    assert budget_text(24, 0, 24, cut=True).endswith("· max reached")


def test_stop_ends_generation_quickly_and_keeps_the_partial_answer(qtbot, tab, tiny_model, monkeypatch):
    load(qtbot, tab, tiny_model)
    set_budget(tab, mode=2, maximum=16, answer=20000)
    monkeypatch.setattr(tab.controls, "sampling", lambda: Sampling(max_answer_tokens=20000, logit_bias=never(*END_OF_TURN)))
    answers = []
    tab.worker.delta.connect(lambda d: answers.append(d.answer_tokens))
    tab.composer.text.setPlainText("Describe the kidney at length.")
    qtbot.mouseClick(tab.composer.send, Qt.MouseButton.LeftButton)
    assert tab.composer.stop.isVisible() and not tab.composer.send.isVisible()
    qtbot.waitUntil(lambda: bool(answers) and answers[-1] >= 5, timeout=WAIT_MS)
    qtbot.mouseClick(tab.composer.stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.generating(), timeout=WAIT_MS)

    answer = chats.list_messages(tab.project, tab.session_id)[-1]
    assert answer.role == "assistant" and answer.stats["stopped"] is True
    assert answer.stats["finish_reason"] == "cancelled"
    assert 5 <= answer.stats["answer_tokens"] < 20000 and answer.content
    assert tab.composer.send.isVisible() and "stopped" in tab.view.widgets[-1].footer.text()


def test_regenerate_replaces_the_last_answer(qtbot, tab, tiny_model):
    load(qtbot, tab, tiny_model)
    set_budget(tab, mode=2, maximum=8, answer=30)
    ask(qtbot, tab, "First question")
    ask(qtbot, tab, "Second question")
    before = chats.list_messages(tab.project, tab.session_id)
    last = tab.view.widgets[-1]
    assert not last.regenerate.isHidden() and tab.view.widgets[1].regenerate.isHidden()
    qtbot.mouseClick(last.regenerate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.generating(), timeout=WAIT_MS)
    after = chats.list_messages(tab.project, tab.session_id)
    assert [m.role for m in after] == ["user", "assistant", "user", "assistant"]
    assert after[:3] == before[:3] and after[3].id != before[3].id
    assert len(tab.view.widgets) == 4 and tab.view.widgets[-1].message_id == after[3].id


def test_edit_and_resend_drops_what_followed(qtbot, tab, tiny_model):
    load(qtbot, tab, tiny_model)
    set_budget(tab, mode=2, maximum=8, answer=20)
    ask(qtbot, tab, "Is this a cyst?")
    ask(qtbot, tab, "And this?")
    first = tab.view.widgets[0]
    first_id = first.message_id
    qtbot.mouseClick(first.edit, Qt.MouseButton.LeftButton)
    assert tab.composer.editing == first_id and tab.composer.send.text() == "Resend"
    assert tab.composer.text.toPlainText() == "Is this a cyst?"
    tab.composer.text.setPlainText("Is this a simple renal cyst?")
    qtbot.keyClick(tab.composer.text, Qt.Key.Key_Return)  # Enter sends
    qtbot.waitUntil(lambda: not tab.generating(), timeout=WAIT_MS)
    stored = chats.list_messages(tab.project, tab.session_id)
    assert [(m.role, m.content if m.role == "user" else "") for m in stored] == [
        ("user", "Is this a simple renal cyst?"), ("assistant", "")]
    assert first_id not in {m.id for m in stored} and tab.composer.editing is None  # replaced with its answer
    assert [w.message_id for w in tab.view.widgets] == [m.id for m in stored]


def test_image_on_a_text_only_model_says_to_load_the_mmproj(qtbot, tab, tiny_model, tmp_path):
    load(qtbot, tab, tiny_model)
    image = tmp_path / "scan.png"
    picture = QImage(64, 48, QImage.Format.Format_RGB32)
    picture.fill(Qt.GlobalColor.darkGray)
    assert picture.save(str(image))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(image))])
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    tab.composer.dropEvent(drop)
    assert tab.composer.image == image and not tab.composer.chip.isHidden()

    tab.composer.text.setPlainText("What organ is this?")
    qtbot.mouseClick(tab.composer.send, Qt.MouseButton.LeftButton)
    assert tab.notice.text() == str(NoVisionError()) and "mmproj" in tab.notice.text()
    assert not tab.generating() and tab.composer.image == image  # nothing lost: drop the image or load the mmproj
    assert all(not chats.list_messages(tab.project, s.id) for s in chats.list_sessions(tab.project))

    qtbot.mouseClick(tab.composer.chip.remove, Qt.MouseButton.LeftButton)
    assert tab.composer.image is None
    not_image = tmp_path / "notes.png"
    not_image.write_text("no pixels here")
    assert not tab.attach_image(not_image) and "not an image" in tab.notice.text()


def test_image_with_a_vision_model_is_sent_and_stored(qtbot, tab, tmp_path):
    model = write_tiny_qwen2_gguf(tmp_path / "tiny-vl.gguf", arch="qwen2vl")
    mmproj = write_tiny_qwen25vl_mmproj(tmp_path / "mmproj.gguf")
    load(qtbot, tab, model, str(mmproj))
    assert "text only" not in tab.model_bar.state.text()
    set_budget(tab, mode=2, minimum=0, maximum=16, answer=16)
    image = tmp_path / "kidney.png"
    picture = QImage(96, 80, QImage.Format.Format_RGB32)
    picture.fill(Qt.GlobalColor.darkGray)
    assert picture.save(str(image)) and tab.attach_image(image)
    ask(qtbot, tab, "What organ is this?")
    user, answer = chats.list_messages(tab.project, tab.session_id)
    assert user.image_path and chats.image_file(tab.project, user.image_path).read_bytes() == image.read_bytes()
    assert answer.stats["images_encoded"] == 1 and answer.stats["thinking_tokens"] <= 16
    assert tab.composer.image is None  # the image went with the question


# -- conversations -------------------------------------------------------------------------------------------
def test_conversations_new_rename_delete_search(qtbot, tab, messages, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    lst = tab.conversations
    tab.ensure_project()
    project = tab.project
    kidney = chats.create_session(project, "Kidney cyst")
    chats.add_message(project, kidney.id, "user", "Is the wall thin?")
    chats.create_session(project, "Thyroid nodule")
    lst.refresh()
    assert lst.list.count() == 2

    qtbot.mouseClick(lst.new, Qt.MouseButton.LeftButton)
    assert lst.list.count() == 3 and lst.list.currentItem().text() == "New conversation"
    new_id = lst.current_id()
    assert tab.session_id == new_id and not tab.view.widgets

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Liver lesion", True)))
    qtbot.mouseClick(lst.rename, Qt.MouseButton.LeftButton)
    assert chats.get_session(project, new_id).title == "Liver lesion"
    assert lst.list.currentItem().text() == "Liver lesion"

    qtbot.keyClicks(lst.search, "wall thin")  # finds text inside messages too
    qtbot.waitUntil(lambda: lst.list.count() == 1, timeout=WAIT_MS)
    assert lst.list.item(0).text() == "Kidney cyst" and tab.session_id == kidney.id
    lst.search.clear()
    qtbot.waitUntil(lambda: lst.list.count() == 3, timeout=WAIT_MS)

    lst.refresh(select=new_id)
    messages.answer = messages.answer.Yes
    qtbot.mouseClick(lst.delete, Qt.MouseButton.LeftButton)
    assert "Liver lesion" in messages.texts("question")[-1]
    assert [s.title for s in chats.list_sessions(project)] == ["Thyroid nodule", "Kidney cyst"]
    assert lst.list.count() == 2 and tab.session_id == lst.current_id()


def test_export_markdown_and_json(qtbot, tab, tiny_model, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    load(qtbot, tab, tiny_model)
    set_budget(tab, mode=3, minimum=4, maximum=12, answer=20)
    # The tiny model writes random tokens from a fresh seed per answer: now and then (14 seeds in 300
    # before the budget fix) it ended its turn inside the thinking and the answer had no thinking to
    # export. A fixed seed, and no end of turn, give an answer with its thinking (the minimum, 4 tokens, or more).
    monkeypatch.setattr(tab.controls, "sampling",
                        lambda: Sampling(max_answer_tokens=20, seed=15, logit_bias=never(*END_OF_TURN)))
    ask(qtbot, tab, "Export me")
    stored = chats.list_messages(tab.project, tab.session_id)
    assert [m.role for m in stored] == ["user", "assistant"] and stored[1].thinking
    assert stored[1].stats["thinking_tokens"] >= 4
    target = tmp_path / "out" / "talk.md"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    tab.conversations._export("md")
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Export me") and "## Assistant" in text and f"> **Thinking** ({stored[1].stats['thinking_tokens']} tokens)" in text
    tab.conversations._export("json")
    data = json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
    assert data["messages"][1]["content"] == stored[1].content and data["model"] == ""


# -- settings and network ---------------------------------------------------------------------------------------
def test_controls_are_saved_to_the_shared_chat_settings(qtbot, tab):
    c = tab.controls
    f = c.fields
    f.mode.setCurrentIndex(3)
    f.min_tokens.setValue(128)
    f.max_tokens.setValue(512)
    f.wait.setCurrentText("等等，")
    f.num_waits.setValue(3)
    f.temperature.setValue(0.3)
    f.top_p.setValue(0.9)
    f.max_answer.setValue(256)
    f.system_prompt.setPlainText("You are a sonographer.")
    f.n_ctx.setValue(4096)
    qtbot.waitUntil(lambda: user_settings.chat_options()["system_prompt"] == "You are a sonographer.", timeout=WAIT_MS)
    opts = user_settings.chat_options()
    assert opts["budget"] == {"use_min": True, "use_max": True, "min_thinking_tokens": 128, "max_thinking_tokens": 512,
                              "wait": "等等，", "num_waits": 3, "answer_prefix": ""}
    assert opts["sampling"] == {"temperature": 0.3, "top_p": 0.9, "max_answer_tokens": 256}
    assert opts["n_ctx"] == 4096
    assert c.budget().wait == "等等，" and c.max_thinking() == 512
    f.mode.setCurrentIndex(1)
    assert c.max_thinking() is None and not f.max_tokens.isEnabled()

    failures: list[str] = []
    c.save_failed.connect(failures.append)
    f.max_tokens.setValue(64)  # min above max with both on: refused with a sentence, the last good values stay
    f.mode.setCurrentIndex(3)
    c.flush()
    assert failures and "minimum" in failures[-1].lower()
    assert user_settings.chat_options()["budget"]["max_thinking_tokens"] == 512
    f.max_tokens.setValue(1024)
    c.flush()
    again = ChatTab(Session())  # a new window reads what was saved
    qtbot.addWidget(again)
    assert again.controls.values() == c.values()


def test_chat_opens_no_network_connection(qtbot, tab, tiny_model, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    load(qtbot, tab, tiny_model)
    set_budget(tab, mode=3, minimum=4, maximum=12, answer=20)
    ask(qtbot, tab, "Offline?")
    assert tab.model_bar.offline.text().startswith("● Offline")
    assert chats.list_messages(tab.project, tab.session_id)[-1].role == "assistant"
    assert attempts == [] and tab.notice.text() == ""


# -- in the main window -------------------------------------------------------------------------------------------------
def test_main_window_chat_tab_uses_the_open_project_and_receives_figures(qtbot, isolated, data_dir, tmp_path,
                                                                        messages):
    from engine.pdf.importer import import_pdf
    from engine.samplegen import make_sample_pdf
    from engine.store.figures import add_figures
    from engine.store.models import NewFigure

    sample = make_sample_pdf(tmp_path / "sample.pdf")
    with Project.create(tmp_path / "Atlas.remud") as p:
        doc = import_pdf(p, sample.path).document
        fig_id = add_figures(p, [NewFigure(doc.id, sample.truth[0].page, sample.truth[0].rect)])[0]
    window = make_window(qtbot, isolated)
    assert window.open_project(tmp_path / "Atlas.remud")
    window.session.go_to(doc.id, sample.truth[0].page)
    assert window.docks["library"].isVisible()

    window.actions_["chat_tab"].trigger()
    assert window.central_tabs.currentWidget() is window.chat
    assert not window.docks["library"].isVisible() and not window.docks["figures"].isVisible()
    assert "Atlas.remud" in window.chat.conversations.where.text()
    assert not (data_dir / PERSONAL_NAME).exists()  # a project is open: no personal chat project needed

    window.actions_["annotate_tab"].trigger()
    assert window.docks["library"].isVisible() and window.docks["figures"].isVisible()

    window.session.select([fid := fig_id])
    window.actions_["send_to_chat"].trigger()
    assert window.central_tabs.currentWidget() is window.chat
    qtbot.waitUntil(lambda: window.chat.composer.image is not None, timeout=WAIT_MS)
    assert window.chat.composer.chip.name.text() == f"Figure {fid}"
    assert not QImage(str(window.chat.composer.image)).isNull()
    window.close()


# -- no answer, nothing lost ----------------------------------------------------------------------------------------
@contextmanager
def model_held(tab: ChatTab):
    """Keep the model busy (its engine's lock held), so Stop is pressed before the first token
    however fast the tiny model is."""
    lock = tab.worker._thread.engine._lock
    with lock:
        yield


def stored_messages(project) -> list:
    return [m for s in chats.list_sessions(project) for m in chats.list_messages(project, s.id)]


def test_stop_before_any_text_stores_nothing_and_gives_the_question_back(qtbot, tab, tiny_model):
    load(qtbot, tab, tiny_model)
    set_budget(tab, mode=2, maximum=16, answer=40)
    tab.composer.text.setPlainText("Is the gallbladder wall thickened?")
    with model_held(tab):
        qtbot.mouseClick(tab.composer.send, Qt.MouseButton.LeftButton)
        # the question waits in its own bubble over the answer being written: it is stored only with its answer
        assert tab.generating() and tab.composer.text.toPlainText() == ""
        assert [(w.role, w.message_id, w.content()) for w in tab.view.widgets] == [
            ("user", None, "Is the gallbladder wall thickened?"), ("assistant", None, "")]
        qtbot.mouseClick(tab.composer.stop, Qt.MouseButton.LeftButton)  # before the first token
    qtbot.waitUntil(lambda: not tab.generating(), timeout=WAIT_MS)

    assert tab.notice.text() == "Stopped before the model wrote anything."
    assert tab.composer.text.toPlainText() == "Is the gallbladder wall thickened?"
    assert tab.composer.send.isVisible() and tab.composer.editing is None
    assert stored_messages(tab.project) == [] and tab.view.widgets == [] and tab.view.streaming is None


def test_an_error_stores_nothing_and_gives_the_question_and_image_back(qtbot, tab, tmp_path):
    model = write_tiny_qwen2_gguf(tmp_path / "tiny-vl.gguf", arch="qwen2vl")
    mmproj = write_tiny_qwen25vl_mmproj(tmp_path / "mmproj.gguf")
    tab.controls.fields.n_ctx.setValue(512)  # read when the model loads
    load(qtbot, tab, model, str(mmproj))
    set_budget(tab, mode=2, minimum=0, maximum=16, answer=16)
    image = tmp_path / "liver.png"
    picture = QImage(96, 80, QImage.Format.Format_RGB32)
    picture.fill(Qt.GlobalColor.darkGray)
    assert picture.save(str(image)) and tab.attach_image(image)
    question = "Describe every segment of this liver. " * 60  # far more than the 512-token context
    ask(qtbot, tab, question)

    assert "context holds 512" in tab.notice.text()  # the engine's sentence
    assert tab.composer.text.toPlainText() == question.strip() and tab.composer.image == image
    assert stored_messages(tab.project) == [] and tab.view.widgets == []


def test_refused_settings_on_edit_and_resend_leave_the_conversation_as_it_was(qtbot, tab, tiny_model):
    load(qtbot, tab, tiny_model)
    set_budget(tab, mode=2, maximum=8, answer=10)
    ask(qtbot, tab, "Is this a cyst?")
    shown = [(w.role, w.message_id) for w in tab.view.widgets]
    first = tab.view.widgets[0]
    qtbot.mouseClick(first.edit, Qt.MouseButton.LeftButton)
    tab.composer.text.setPlainText("Is this a simple cyst?")
    set_budget(tab, mode=3, minimum=64, maximum=8)  # minimum above maximum: refused before anything is sent
    qtbot.mouseClick(tab.composer.send, Qt.MouseButton.LeftButton)
    assert not tab.generating() and "lower the minimum" in tab.notice.text()
    assert [(w.role, w.message_id) for w in tab.view.widgets] == shown and tab.view.streaming is None
    assert tab.composer.editing == first.message_id and tab.composer.text.toPlainText() == "Is this a simple cyst?"



def test_stop_before_any_text_on_edit_or_regenerate_keeps_the_old_answer(qtbot, tab, tiny_model):
    load(qtbot, tab, tiny_model)
    set_budget(tab, mode=2, maximum=8, answer=10)
    ask(qtbot, tab, "Is this a cyst?")
    before = chats.list_messages(tab.project, tab.session_id)
    question = tab.view.widgets[0]
    qtbot.mouseClick(question.edit, Qt.MouseButton.LeftButton)
    tab.composer.text.setPlainText("Is this a septated cyst?")
    with model_held(tab):
        qtbot.mouseClick(tab.composer.send, Qt.MouseButton.LeftButton)
        assert [(w.message_id, w.content()) for w in tab.view.widgets] == [(None, "Is this a septated cyst?"),
                                                                           (None, "")]
        qtbot.mouseClick(tab.composer.stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.generating(), timeout=WAIT_MS)
    assert tab.notice.text() == "Stopped before the model wrote anything."
    assert tab.composer.editing == before[0].id and tab.composer.text.toPlainText() == "Is this a septated cyst?"
    assert chats.list_messages(tab.project, tab.session_id) == before
    assert [w.message_id for w in tab.view.widgets] == [m.id for m in before]

    with model_held(tab):
        qtbot.mouseClick(tab.view.widgets[-1].regenerate, Qt.MouseButton.LeftButton)
        assert [w.message_id for w in tab.view.widgets] == [before[0].id, None]  # the old answer waits in the store
        qtbot.mouseClick(tab.composer.stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.generating(), timeout=WAIT_MS)
    assert chats.list_messages(tab.project, tab.session_id) == before
    assert [w.message_id for w in tab.view.widgets] == [m.id for m in before]
    assert tab.composer.text.toPlainText() == "Is this a septated cyst?"  # still there: nothing typed is lost

# -- an answer being written while the user looks elsewhere ---------------------------------------------------------
def start_long_answer(qtbot, tab: ChatTab, model, monkeypatch, text: str) -> list[StreamDelta]:
    load(qtbot, tab, model)
    set_budget(tab, mode=2, maximum=16, answer=20000)
    monkeypatch.setattr(tab.controls, "sampling", lambda: Sampling(max_answer_tokens=20000, logit_bias=never(*END_OF_TURN)))
    deltas: list[StreamDelta] = []
    tab.worker.delta.connect(deltas.append)
    tab.composer.text.setPlainText(text)
    qtbot.mouseClick(tab.composer.send, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(deltas) and deltas[-1].answer_tokens >= 5, timeout=WAIT_MS)
    return deltas


def test_switching_away_and_back_shows_the_answer_so_far(qtbot, tab, tiny_model, monkeypatch):
    deltas = start_long_answer(qtbot, tab, tiny_model, monkeypatch, "Describe the spleen.")
    first = tab.session_id
    other = tab.conversations.create()
    assert tab.session_id == other and tab.view.widgets == [] and tab.view.streaming is None
    seen = deltas[-1].answer_tokens
    qtbot.waitUntil(lambda: deltas[-1].answer_tokens >= seen + 10, timeout=WAIT_MS)  # streamed while away

    tab.conversations.refresh(select=first)
    assert tab.session_id == first
    question, answer = tab.view.widgets
    assert question.content() == "Describe the spleen." and answer is tab.view.streaming
    assert answer.content() == "".join(d.answer for d in deltas) != ""
    assert answer.thinking.text() == "".join(d.thinking for d in deltas)
    assert answer.footer.text() == f"writing… {deltas[-1].answer_tokens} answer tokens"
    count = len(deltas)
    qtbot.waitUntil(lambda: len(deltas) > count + 2, timeout=WAIT_MS)
    assert answer.content() == "".join(d.answer for d in deltas)  # and it keeps growing

    qtbot.mouseClick(tab.composer.stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.generating(), timeout=WAIT_MS)
    assert [m.role for m in chats.list_messages(tab.project, first)] == ["user", "assistant"]
    assert chats.list_messages(tab.project, other) == []


def test_another_project_with_the_same_session_id_does_not_get_the_stream(qtbot, tab, tiny_model, monkeypatch,
                                                                          tmp_path):
    deltas = start_long_answer(qtbot, tab, tiny_model, monkeypatch, "Describe the pancreas.")
    personal, session_id = tab.project.folder, tab.session_id
    with Project.create(tmp_path / "Other.remud") as other:
        same = chats.create_session(other, "Thyroid")
        chats.add_message(other, same.id, "user", "Is the nodule solid?")
    assert same.id == session_id  # the same id, in another project

    tab.session.open_project(tmp_path / "Other.remud")
    assert tab.project.folder == tmp_path / "Other.remud" and tab.session_id == same.id
    assert [w.content() for w in tab.view.widgets] == ["Is the nodule solid?"] and tab.view.streaming is None
    count = len(deltas)
    qtbot.waitUntil(lambda: len(deltas) > count + 3, timeout=WAIT_MS)
    assert [w.content() for w in tab.view.widgets] == ["Is the nodule solid?"] and tab.view.streaming is None

    assert not tab.send("Another question?")  # one answer at a time, wherever it is written
    qtbot.mouseClick(tab.composer.stop, Qt.MouseButton.LeftButton)  # Stop still reaches it
    qtbot.waitUntil(lambda: not tab.generating(), timeout=WAIT_MS)
    assert [w.content() for w in tab.view.widgets] == ["Is the nodule solid?"]
    assert [m.role for m in chats.list_messages(tab.project, same.id)] == ["user"]
    with Project.open(personal) as p:
        assert [m.role for m in chats.list_messages(p, session_id)] == ["user", "assistant"]


# -- closing ----------------------------------------------------------------------------------------------------------
def test_shutdown_stops_the_answer_and_ends_the_model_thread(qtbot, tab, tiny_model, monkeypatch):
    start_long_answer(qtbot, tab, tiny_model, monkeypatch, "Describe the aorta.")
    thread = tab.worker._thread
    assert tab.worker.shutdown()
    assert thread.isFinished() and thread.parent() is tab.worker


def test_shutdown_that_times_out_hands_the_running_thread_to_the_application(qtbot, tab, tiny_model,
                                                                             caplog, monkeypatch):
    import threading

    from PySide6.QtCore import QCoreApplication

    from remud_desktop.chat import worker as chat_worker

    # a model load cannot be interrupted: shut down while one runs, with no time to wait at all. The
    # tiny model loads in a blink, so its load is held at its first progress report until then.
    release = threading.Event()
    real_engine = chat_worker.ChatEngine

    def held_engine(settings, progress):
        def report_then_hold(value: float) -> None:
            progress(value)
            release.wait(WAIT_MS / 1000)
        return real_engine(settings, progress=report_then_hold)

    monkeypatch.setattr(chat_worker, "ChatEngine", held_engine)
    started: list[float] = []
    tab.worker.load_progress.connect(started.append)
    tab.worker.load(ModelSettings(tiny_model, n_ctx=1024))
    qtbot.waitUntil(lambda: bool(started), timeout=WAIT_MS)
    thread = tab.worker._thread
    ended = []
    thread.finished.connect(lambda: ended.append(True))
    try:
        with caplog.at_level("WARNING"):
            assert not tab.worker.shutdown(timeout_ms=0)
    finally:
        release.set()
    assert "did not end within 0 ms" in caplog.text
    assert thread.parent() is QCoreApplication.instance()  # not destroyed with the tab while it runs
    assert tab.worker.shutdown()  # nothing left here to wait for
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT_MS)  # the load finished, then "quit": it ended by itself


def test_chat_from_the_welcome_screen_then_a_project_opens_on_chat(qtbot, isolated, data_dir, tmp_path, monkeypatch):
    """No project: Ctrl+3 and the welcome's "Open chat" show Chat (personal chats); a project opened
    then stays on Chat with its docks parked until Annotate; Annotate with no project is the welcome."""
    from PySide6.QtWidgets import QFileDialog

    Project.create(tmp_path / "Atlas.remud").close()
    (tmp_path / "models").mkdir()
    model = write_tiny_qwen2_gguf(tmp_path / "models" / "chosen.gguf")
    window = make_window(qtbot, isolated)
    assert window.central_stack.currentWidget() is window.welcome and not window.docks["library"].isVisible()

    window.actions_["chat_tab"].trigger()  # Ctrl+3, View → Chat
    assert window.central_stack.currentWidget() is window.central_tabs
    assert window.central_tabs.currentWidget() is window.chat and window.chat.isVisible()
    qtbot.waitUntil(lambda: PERSONAL_NAME in window.chat.conversations.where.text(), timeout=WAIT_MS)
    assert not window.docks["library"].isVisible()

    window.actions_["annotate_tab"].trigger()  # no project: back to the welcome screen, docks still away
    assert window.central_stack.currentWidget() is window.welcome and not window.docks["library"].isVisible()

    # a model chosen on the welcome screen reaches the Chat tab, and the welcome's "Open chat" shows it
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a: (str(model), "")))
    qtbot.waitUntil(window.welcome.key_check_done, timeout=WAIT_MS)
    qtbot.mouseClick(window.welcome.chat_row.button, Qt.MouseButton.LeftButton)
    assert window.chat.model_bar.model.path() == str(model) and window.chat.model_bar.mmproj.path() == ""
    window.chat.model_bar.remember()  # what Load does: the tab's paths are the chosen ones, nothing stale
    assert user_settings.chat_options()["model_path"] == str(model)
    qtbot.waitUntil(window.welcome.open_chat_button.isVisible, timeout=WAIT_MS)
    qtbot.mouseClick(window.welcome.open_chat_button, Qt.MouseButton.LeftButton)
    assert window.central_stack.currentWidget() is window.central_tabs and window.chat.isVisible()

    assert window.open_project(tmp_path / "Atlas.remud")
    assert window.central_tabs.currentWidget() is window.chat
    assert not window.docks["library"].isVisible() and not window.docks["figures"].isVisible()
    window.actions_["annotate_tab"].trigger()
    assert window.central_stack.currentWidget() is window.central_tabs
    assert window.docks["library"].isVisible() and window.docks["figures"].isVisible()
    window.close()
