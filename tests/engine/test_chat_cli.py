"""`remud chat` and stored conversations, on a real tiny llama.cpp model."""

from __future__ import annotations

import io
import json

import pytest

pytest.importorskip("llama_cpp")

from PIL import Image

from engine import settings
from engine.chat import BudgetSettings, ChatEngine, ModelSettings, Sampling, conversation
from engine.chat.errors import ContextTooSmallError, NoVisionError
from engine.cli import main
from engine.errors import CancelledError
from engine.store import Project, chats
from tests.tiny_gguf import write_tiny_qwen2_gguf, write_tiny_qwen25vl_mmproj


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return write_tiny_qwen2_gguf(tmp_path_factory.mktemp("model") / "tiny.gguf")


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.ENV_DIR, str(tmp_path / "config"))


def _json_out(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_json_reports_budget_forcing(model_path, capsys):
    rc = main(["chat", "--model", str(model_path), "--no-min", "--max-think", "6", "--max-tokens", "5", "--seed", "1",
               "--json", "What does the arrow show?"])
    out = _json_out(capsys)
    assert rc == 0
    assert out["thinking_tokens"] == 6 and out["max_cut_in"] is True
    assert out["answer_tokens"] <= 5 and out["waits_inserted"] == 0
    assert out["time_to_first_token_s"] > 0 and out["tokens_per_second"] > 0
    assert isinstance(out["thinking"], str) and isinstance(out["answer"], str)


def test_question_from_stdin_and_saved_model(model_path, capsys, monkeypatch):
    settings.set_chat_options(model_path=str(model_path))  # chosen once in the Chat tab
    monkeypatch.setattr("sys.stdin", io.StringIO("Is this a cyst?\n"))
    assert main(["chat", "--no-min", "--max-think", "3", "--max-tokens", "2", "--json"]) == 0
    assert _json_out(capsys)["thinking_tokens"] == 3


def test_conversation_is_stored_in_the_project(model_path, tmp_path, capsys):
    folder = tmp_path / "P.remud"
    Project.create(folder).close()
    args = ["chat", "--model", str(model_path), "--project", str(folder), "--no-min", "--max-think", "4", "--max-tokens", "3",
            "--json"]
    assert main([*args, "First question"]) == 0
    first = _json_out(capsys)
    assert main([*args, "--session", str(first["session"]), "Follow-up"]) == 0
    second = _json_out(capsys)
    assert second["session"] == first["session"]
    with Project.open(folder) as p:
        msgs = chats.list_messages(p, first["session"])
        assert [m.role for m in msgs] == ["user", "assistant", "user", "assistant"]
        assert msgs[0].content == "First question" and chats.get_session(p, first["session"]).title == "First question"
        assert msgs[1].stats["thinking_tokens"] == 4 and msgs[1].stats["settings"]["budget"]["max_thinking_tokens"] == 4


def test_clear_errors(model_path, tmp_path, capsys):
    assert main(["chat", "--model", str(tmp_path / "missing.gguf"), "hi"]) == 1
    assert "missing.gguf" in capsys.readouterr().err
    assert main(["chat", "--model", str(model_path), "--image", str(tmp_path / "nope.png"), "hi"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["chat", "hi"]) == 1  # no model given and none saved
    assert "--model" in capsys.readouterr().err


def test_an_impossible_context_is_refused_up_front_saying_what_to_use(model_path, capsys):
    for value in ("0", "-4096"):
        with pytest.raises(SystemExit) as exited:
            main(["chat", "--model", str(model_path), "--ctx", value, "hi"])
        assert exited.value.code == 2 and f"argument --ctx: must be 1 or more, not {value}" in capsys.readouterr().err
    assert main(["chat", "--model", str(model_path), "--ctx", str(10**9), "hi"]) == 1
    assert capsys.readouterr().err == ("error: tiny.gguf cannot use a context of 1000000000 tokens (it was trained "
                                       "with 8192); choose from 64 to 32768 tokens, e.g. 8192.\n")


def test_thinking_of_earlier_turns_is_not_fed_back(model_path, project):
    session = chats.create_session(project, "t")
    budget = BudgetSettings(use_min=False, use_max=True, max_thinking_tokens=5)
    with ChatEngine(ModelSettings(model_path, n_ctx=1024, seed=1)) as engine:
        first = conversation.ask(project, session.id, engine, "one", budget=budget, sampling=Sampling(max_answer_tokens=3))
        assert first.thinking
        turns = conversation.context_turns(project, session.id, "Be brief.")
        assert [t.role for t in turns] == ["system", "user", "assistant"]
        assert turns[2].content == first.content  # the answer only, never the thinking
        again = conversation.regenerate(project, session.id, engine, budget=budget,
                                        sampling=Sampling(max_answer_tokens=3))
        assert [m.id for m in chats.list_messages(project, session.id)][-1] == again.id
        assert len(chats.list_messages(project, session.id)) == 2
        user = chats.list_messages(project, session.id)[0]
        conversation.edit_and_resend(project, user.id, "one, edited", engine, budget=budget,
                                     sampling=Sampling(max_answer_tokens=3))
        msgs = chats.list_messages(project, session.id)
        assert [m.content for m in msgs][0] == "one, edited" and len(msgs) == 2


def test_export_markdown_and_json(model_path, project, tmp_path):
    session = chats.create_session(project, "Renal")
    chats.add_message(project, session.id, "user", "What is **this**?")
    chats.add_message(project, session.id, "assistant", "A stone.", thinking="Echogenic focus\nwith shadow",
                      stats={"thinking_tokens": 7})
    md = conversation.write_export(project, session.id, tmp_path / "c.md").read_text(encoding="utf-8")
    assert md.startswith("# Renal") and "> Echogenic focus\n> with shadow" in md and "(7 tokens)" in md
    data = json.loads(conversation.write_export(project, session.id, tmp_path / "c.json").read_text(encoding="utf-8"))
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
    assert data["messages"][1]["thinking"] == "Echogenic focus\nwith shadow"


def test_image_question_with_mmproj_and_without(model_path, tmp_path, capsys):
    image = tmp_path / "scan.png"
    Image.new("RGB", (96, 80), (40, 40, 40)).save(image)
    vl_model = write_tiny_qwen2_gguf(tmp_path / "tiny-vl.gguf", arch="qwen2vl")
    mmproj = write_tiny_qwen25vl_mmproj(tmp_path / "mmproj.gguf")
    rc = main(["chat", "--model", str(vl_model), "--mmproj", str(mmproj), "--image", str(image), "--ctx", "2048",
               "--no-min", "--max-think", "3", "--max-tokens", "2", "--json", "What organ is this?"])
    out = _json_out(capsys)
    assert rc == 0 and out["images_encoded"] == 1 and out["thinking_tokens"] == 3
    assert main(["chat", "--model", str(model_path), "--image", str(image), "hi"]) == 1
    assert "mmproj" in capsys.readouterr().err  # a text-only model: says which file is missing


def test_nothing_is_stored_when_the_answer_fails_or_is_stopped_at_once(model_path, project, tmp_path):
    session = chats.create_session(project, "t")
    budget = BudgetSettings(use_min=False, use_max=True, max_thinking_tokens=4)
    sampling = Sampling(max_answer_tokens=3)
    with ChatEngine(ModelSettings(model_path, n_ctx=256, seed=1)) as engine:
        with pytest.raises(ContextTooSmallError):
            conversation.ask(project, session.id, engine, "why? " * 200, budget=budget, sampling=sampling)
        with pytest.raises(CancelledError):
            conversation.ask(project, session.id, engine, "stop me", budget=budget, sampling=sampling,
                             cancel=lambda: True)
        assert chats.list_messages(project, session.id) == []  # no question left without its answer
        first = conversation.ask(project, session.id, engine, "one", budget=budget, sampling=sampling)
        with pytest.raises(CancelledError):  # a regeneration stopped at once keeps the old answer
            conversation.regenerate(project, session.id, engine, budget=budget, sampling=sampling,
                                    cancel=lambda: True)
        assert [m.id for m in chats.list_messages(project, session.id)][-1] == first.id
        image = tmp_path / "scan.png"
        Image.new("RGB", (32, 32)).save(image)

        with pytest.raises(NoVisionError):
            conversation.ask(project, session.id, engine, "and this?", image=image)
        assert not (project.folder / chats.IMAGES_DIR).exists() or not any((project.folder / chats.IMAGES_DIR).iterdir())


def test_earlier_images_become_a_note_for_a_model_that_cannot_see(model_path, project, tmp_path):
    image = tmp_path / "scan.png"
    Image.new("RGB", (32, 32)).save(image)
    session = chats.create_session(project, "t")
    rel = chats.store_image(project, image)
    chats.add_message(project, session.id, "user", "What is it?", image_path=rel)
    chats.add_message(project, session.id, "assistant", "A cyst.")
    chats.add_message(project, session.id, "assistant", "")  # an answer stopped before any text
    seeing = conversation.context_turns(project, session.id)
    blind = conversation.context_turns(project, session.id, with_images=False)
    assert [t.role for t in seeing] == ["user", "assistant"] and seeing[0].image is not None
    assert blind[0].image is None and conversation.IMAGE_NOT_SHOWN in blind[0].content
    with ChatEngine(ModelSettings(model_path, n_ctx=512, seed=1)) as engine:  # text-only: the follow-up still works
        msg = conversation.ask(project, session.id, engine, "Is it benign?",
                               budget=BudgetSettings(use_min=False, use_max=True, max_thinking_tokens=3),
                               sampling=Sampling(max_answer_tokens=2))
    assert msg.role == "assistant"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_interactive_session_survives_a_failed_question(model_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Terminal("why? " * 300 + "\nIs it a cyst?\n"))
    rc = main(["chat", "--model", str(model_path), "--ctx", "256", "--no-min", "--max-think", "3", "--max-tokens", "2"])
    err = capsys.readouterr().err
    assert rc == 0
    assert "error:" in err and "context" in err.lower()  # the long question: said, then forgotten
    assert err.count("thinking tokens") == 1  # the next question was answered


@pytest.mark.parametrize("argv, saved, words", [
    (["--min-think", "50", "--max-think", "40"], {}, "--min-think 50 is above --max-think 40"),
    (["--max-think", "24"], {}, "--max-think 24 is below the minimum thinking length of 96 tokens in the settings"),
    (["--min-think", "200"], {"use_max": True, "max_thinking_tokens": 100},
     "--min-think 200 is above the maximum thinking length of 100 tokens in the settings"),
    (["--min-think", "20", "--no-budget"], {}, "--no-budget turns it off"),
    (["--min-think", "-3"], {}, "cannot be negative"),
])
def test_contradictory_budget_flags_are_one_sentence_and_exit_2(model_path, capsys, argv, saved, words):
    if saved:
        settings.set_chat_options(budget=saved)
    assert main(["chat", "--model", str(model_path), *argv, "hi"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and words in err and err.count("\n") == 0 and err.startswith("error: ")


def test_consistent_budget_flags_run(model_path, capsys):
    # the settings' minimum (96) is above --max-think 24: --min-think or --no-min settles it
    for extra in (["--min-think", "10"], ["--no-min"]):
        assert main(["chat", "--model", str(model_path), "--max-think", "24", *extra, "--max-tokens", "2", "--seed",
                     "3", "--json", "hi"]) == 0
        out = _json_out(capsys)
        assert out["thinking_tokens"] <= 24
        assert extra == ["--no-min"] or out["thinking_tokens"] >= 10
