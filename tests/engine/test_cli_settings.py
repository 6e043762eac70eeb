"""`remud settings`: reads everything the Settings dialog holds (keys only as set / not set)
and changes the plain values, with readable errors for bad names, values and secrets."""

import json

import keyring
import pytest
from keyring.backend import KeyringBackend

from engine import settings
from engine.cli import main
from engine.secrets import SERVICE
from tests.memory_keyring import MemoryKeyring

KEY_VARS = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


@pytest.fixture
def config(monkeypatch, tmp_path):
    monkeypatch.setenv("REMUD_CONFIG_DIR", str(tmp_path / "config"))
    for var in KEY_VARS:
        monkeypatch.delenv(var, raising=False)
    backend = type("TestKeyring", (MemoryKeyring, KeyringBackend), {})()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_shows_defaults_as_json_and_as_a_table(config, capsys):
    code, out, _ = run(capsys, "settings", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["file"] == str(settings.settings_path())
    assert data["chat"] == settings.CHAT_DEFAULTS
    assert data["appearance"] == {"theme": "system", "language": "system"}
    assert data["synthesis"]["concurrency"] == settings.DEFAULT_CONCURRENCY
    assert data["synthesizers"]["gemini"]["model"] == "gemini-2.5-flash"
    assert data["detectors"]["qwen-vl"]["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
    assert data["pricing"]["models"]["gpt-4o"] == {"input": 2.5, "output": 10.0}
    assert data["pricing"]["file"].endswith("pricing.toml")
    assert {k: v["status"] for k, v in data["api_keys"].items()} == {
        "openai": "not set", "gemini": "not set", "qwen-vl": "not set"}

    code, out, _ = run(capsys, "settings")
    assert code == 0
    assert "chat.budget.wait                 Wait," in out
    assert "synthesizers.openai.model" in out and "gpt-4o" in out
    assert f"from {data['pricing']['file']}" in out


def test_key_sources_are_named_but_keys_never_printed(config, capsys, monkeypatch):
    config.set_password(SERVICE, "openai", "sk-from-the-keyring-123456")
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-from-the-environment-987")
    for argv in (("settings",), ("settings", "--json")):
        code, out, err = run(capsys, *argv)
        assert code == 0
        assert "sk-from-the-keyring" not in out + err and "AIza-from" not in out + err
    keys = json.loads(out)["api_keys"]
    assert keys["openai"]["status"] == "set in keyring"
    assert keys["gemini"]["status"] == "from environment (GOOGLE_API_KEY)"
    assert keys["qwen-vl"]["status"] == "not set"


def test_set_changes_plain_values_in_their_types(config, capsys, tmp_path):
    model = tmp_path / "remud-7b.gguf"
    code, out, _ = run(capsys, "settings", "set", f"chat.model_path={model}", "chat.n_ctx=4096",
                       "chat.budget.use_max=yes", "chat.budget.wait=等等，", "chat.sampling.top_p=0.9",
                       "synthesis.concurrency=3", "synthesizers.local.base_url=http://127.0.0.1:9999/v1",
                       "synthesizers.openai.temperature=0.25", "detectors.qwen-vl.max_pixels=1003520",
                       "appearance.theme=Dark")
    assert code == 0 and "Saved 10 settings" in out
    chat = settings.chat_options()
    assert chat["model_path"] == str(model) and chat["n_ctx"] == 4096
    assert chat["budget"]["use_max"] is True and chat["budget"]["use_min"] is True  # the other value kept
    assert chat["budget"]["wait"] == "等等，" and chat["sampling"]["top_p"] == 0.9
    assert settings.synthesis_options()["concurrency"] == 3
    assert settings.synthesizer_params("local") == {"base_url": "http://127.0.0.1:9999/v1"}
    assert settings.synthesizer_params("openai") == {"temperature": 0.25}
    assert settings.detector_params("qwen-vl") == {"max_pixels": 1003520}
    assert settings.appearance_options() == {"theme": "dark", "language": "system"}

    code, out, _ = run(capsys, "settings", "set", "synthesizers.local.base_url=", "--json")
    assert code == 0 and json.loads(out)["synthesizers"]["local"]["base_url"] == "http://127.0.0.1:8000/v1"


@pytest.mark.parametrize("assignment, message", [
    ("chat.wait=Wait,", "There is no setting “chat.wait”"),
    ("chat.n_ctx=lots", "chat.n_ctx needs a whole number, not “lots”."),
    ("chat.budget.use_min=maybe", "chat.budget.use_min is true or false"),
    ("appearance.theme=purple", "The theme “purple” is not one of system, light, dark."),
    ("synthesis.concurrency=0", "synthesis.concurrency must be 1 or more."),
    ("synthesis.card=nobody", "There is no synthesizer “nobody”"),
    ("synthesizers.nobody.model=x", "There is no setting “synthesizers.nobody”"),
    ("synthesizers.openai.api_key=sk-secret-555", "looks like a secret"),
    ("detectors.qwen-vl.access_token=tok-555", "looks like a secret"),
    ("weather.today=sunny", "There is no setting “weather.today”"),
    ("synthesizers.openai.modle=gpt-4o", "The card “openai” has no setting “modle”; its settings are: model, base_url,"),
    ("detectors.qwen-vl.max_pixel=5", "The card “qwen-vl” has no setting “max_pixel”"),
    ("synthesizers.local.model=sk-proj-555aaaaaaaaaaaaaaaaaaaa", "looks like a secret"),
    ("detectors.qwen-vl.base_url=AIzaSy555AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "looks like a secret"),
    # a key inside a base URL (user info or a key-like query parameter)
    ("synthesizers.openai.base_url=https://me:sk-555@api.example.com/v1",
     "https://api.example.com/v1 has a key or password in it: put the key in Settings → Synthesis"),
    ("detectors.qwen-vl.base_url=http://127.0.0.1:8000/v1?api_key=555", "not in the URL"),
    ("synthesizers.local.base_url=https://host/v1?api-version=2&token=555", "not in the URL"),
    ("synthesizers.gemini.base_url=https://host/v1beta?key=555", "not in the URL"),
    ("chat.n_ctx", "is not KEY=VALUE"),
    ("chat.n_ctx=0", "chat.n_ctx must be from 64 to 1048576 tokens (e.g. 8192), not 0."),
    ("chat.n_ctx=1000000000", "chat.n_ctx must be from 64 to 1048576 tokens (e.g. 8192), not 1000000000."),
    ("detectors.scanned.dpi=0", "detectors.scanned.dpi must be a number of dots per inch from 10 to 1200 (e.g. 200), not 0."),
    ("detectors.qwen-vl.dpi=100000", "detectors.qwen-vl.dpi must be a number of dots per inch from 10 to 1200"),
])
def test_set_refuses_with_a_readable_sentence(config, capsys, assignment, message):
    code, _, err = run(capsys, "settings", "set", assignment)
    assert code == 1 and message in err and err.startswith("error: ")
    assert "555" not in err and "api_key" not in err.partition("settings are:")[2]
    path = settings.settings_path()
    assert not path.exists() or b"555" not in path.read_bytes()


def test_set_without_values_says_what_to_do(config, capsys):
    code, _, err = run(capsys, "settings", "set")
    assert code == 1 and "remud settings set chat.n_ctx=4096" in err


def test_an_empty_value_resets_the_setting_to_its_default(config, capsys):
    assert run(capsys, "settings", "set", "chat.n_ctx=4096", "chat.budget.use_max=true", "appearance.theme=dark",
               "synthesis.concurrency=3", "chat.budget.wait=Hmm,", "synthesizers.openai.temperature=0.2")[0] == 0
    code, out, err = run(capsys, "settings", "set", "chat.n_ctx=", "chat.budget.use_max=", "appearance.theme=",
                         "synthesis.concurrency=", "chat.budget.wait=", "synthesizers.openai.temperature=", "--json")
    assert code == 0, err
    snap = json.loads(out)
    assert snap["chat"]["n_ctx"] == 8192 and snap["chat"]["budget"]["use_max"] is False
    assert snap["chat"]["budget"]["wait"] == "Wait," and snap["appearance"]["theme"] == "system"
    assert snap["synthesis"]["concurrency"] == settings.DEFAULT_CONCURRENCY
    assert snap["synthesizers"]["openai"]["temperature"] == 0.7 and settings.synthesizer_params("openai") == {}
