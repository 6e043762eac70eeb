"""Which key a synthesizer card needs before a job can send anything (engine.key_status.synthesizer_key)."""

import keyring
import pytest
from keyring.backend import KeyringBackend

from engine.key_status import ENVIRONMENT, KEYRING, NOT_SET, synthesizer_key
from engine.secrets import SERVICE
from tests.memory_keyring import MemoryKeyring


@pytest.fixture
def ring(monkeypatch):
    for var in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    backend = type("TestKeyring", (MemoryKeyring, KeyringBackend), {})()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_remote_cards_need_their_key_local_ones_none(ring, monkeypatch):
    for card in ("openai", "gemini"):
        status = synthesizer_key(card)
        assert status is not None and status.source == NOT_SET and not status.is_set
    assert synthesizer_key("openai").name == "openai" and synthesizer_key("gemini").name == "gemini"
    assert synthesizer_key("local") is None  # a server on this machine: no key
    assert synthesizer_key("no-such-card") is None

    ring.set_password(SERVICE, "openai", "sk-in-the-ring")
    assert synthesizer_key("openai").source == KEYRING
    assert synthesizer_key("gemini").source == NOT_SET  # each provider its own key
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key")
    gemini = synthesizer_key("gemini")
    assert gemini.source == ENVIRONMENT and gemini.variable == "GOOGLE_API_KEY"


def test_an_openai_card_sent_to_a_custom_base_url_needs_no_key(ring, monkeypatch):
    assert synthesizer_key("openai", {"base_url": "http://127.0.0.1:8000/v1"}) is None  # sends "EMPTY"
    assert synthesizer_key("openai", {"base_url": ""}).source == NOT_SET  # an empty override is no URL
    # Gemini's client refuses to start without a key, whatever the URL
    assert synthesizer_key("gemini", {"base_url": "http://127.0.0.1:9/"}).source == NOT_SET
    # OPENAI_BASE_URL alone does not help: without a key the client refuses before it reads it
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    assert synthesizer_key("openai").source == NOT_SET
