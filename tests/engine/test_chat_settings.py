"""Chat settings in the shared user settings file (the CLI and the GUI read the same file)."""

from __future__ import annotations

import json
import os

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


def test_budget_contradictions_are_refused_on_the_merged_result():
    settings.set_chat_options(budget={"use_max": True, "max_thinking_tokens": 300})
    with pytest.raises(settings.SettingsError, match="minimum thinking length must not be larger than the maximum"):
        settings.set_chat_options(budget={"min_thinking_tokens": 900})  # the saved maximum is 300
    with pytest.raises(settings.SettingsError, match="Give a wait string"):
        settings.set_chat_options(budget={"wait": "  "})  # the minimum is on and 2 waits by default
    assert settings.chat_options()["budget"]["min_thinking_tokens"] == 96  # nothing saved
    settings.set_chat_options(budget={"wait": "", "num_waits": 0})  # no waits: no wait string needed
    settings.set_chat_options(budget={"use_max": False, "min_thinking_tokens": 900})  # no maximum: any minimum
    assert settings.chat_options()["budget"]["min_thinking_tokens"] == 900


def test_save_refuses_key_shaped_values_and_non_json_and_leaves_no_temp_file(tmp_path):
    folder = settings.settings_path().parent
    for value in ("sk-abcdefghijklmnop1234", " AIzaSyA1234567890abcdefghijklmnopqrstu"):
        with pytest.raises(settings.SettingsError, match="“detectors.qwen-vl.model” looks like a secret"):
            settings.set_detector_params("qwen-vl", {"model": value})
    settings.set_detector_params("qwen-vl", {"model": "sk-short"})  # not shaped like a key
    with pytest.raises(settings.SettingsError, match="Settings hold only text"):
        settings.save({"chat": {"n_ctx": object()}})
    folder.chmod(0o500)  # the rename target folder is read-only: the write fails
    try:
        if os.access(folder, os.W_OK):  # root ignores permissions: make the target a folder instead
            folder.chmod(0o700)
            settings.settings_path().unlink()
            settings.settings_path().mkdir()
        with pytest.raises(settings.SettingsError, match="Cannot save the settings"):
            settings.save({"chat": {"n_ctx": 4096}})
    finally:
        folder.chmod(0o700)
    assert not list(folder.glob(".settings-*.json"))
