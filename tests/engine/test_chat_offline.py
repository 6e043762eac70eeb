"""The offline chat never touches the network: a full load + generate with every socket call blocked."""

from __future__ import annotations

import socket

import pytest

from engine.chat import BudgetSettings, ChatEngine, ChatTurn, ModelSettings, Sampling
from tests.tiny_gguf import write_tiny_qwen2_gguf


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[str] = []

    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append(name)
            raise OSError(f"network blocked by the test ({name})")
        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket.socket, "sendto", refuse("sendto"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_load_and_chat_with_sockets_blocked(tmp_path, no_network):
    with pytest.raises(OSError):  # the block is real
        socket.create_connection(("127.0.0.1", 9))
    no_network.clear()
    path = write_tiny_qwen2_gguf(tmp_path / "tiny.gguf")
    with ChatEngine(ModelSettings(path, n_ctx=512, n_threads=1)) as engine:
        close = engine.token_id("</think>")
        result = engine.generate(
            [ChatTurn("user", "Offline?")],
            budget=BudgetSettings(min_thinking_tokens=8, num_waits=1),
            sampling=Sampling(logit_bias={close: 100.0}, max_answer_tokens=4, seed=1),
        )
    assert result.waits_inserted == 1 and result.answer_tokens == 4
    assert no_network == []
