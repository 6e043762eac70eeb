"""Chat settings in the shared user settings file (the CLI and the GUI read the same file)."""

from __future__ import annotations

import json

import pytest

from engine import settings


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.ENV_DIR, str(tmp_path / "config"))


def test_defaults_follow_the_paper():
    opts = settings.chat_options()
    assert opts["budget"]["min_thinking_tokens"] == 96 and opts["budget"]["num_waits"] == 2
    assert opts["budget"]["wait"] == "Wait,"
    assert (opts["sampling"]["temperature"], opts["sampling"]["top_p"]) == (0.6, 0.7)


def test_partial_updates_merge_and_persist():
    settings.set_chat_options(model_path="/models/remud-7b.Q4_K_M.gguf", budget={"max_thinking_tokens": 2048})
    settings.set_chat_options(budget={"use_max": True})
    opts = settings.chat_options()
    assert opts["model_path"] == "/models/remud-7b.Q4_K_M.gguf"
    assert opts["budget"]["max_thinking_tokens"] == 2048 and opts["budget"]["use_max"] is True
    assert opts["budget"]["min_thinking_tokens"] == 96  # untouched defaults stay
    on_disk = json.loads(settings.settings_path().read_text())
    assert on_disk["chat"]["budget"] == {"max_thinking_tokens": 2048, "use_max": True}


def test_unknown_or_broken_values():
    with pytest.raises(settings.SettingsError):
        settings.set_chat_options(api_key="sk-nope")
    settings.save({"chat": {"budget": "garbage", "n_ctx": 4096}})
    opts = settings.chat_options()
    assert opts["n_ctx"] == 4096 and opts["budget"]["min_thinking_tokens"] == 96
