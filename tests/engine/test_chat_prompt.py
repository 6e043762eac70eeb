"""Prompt building, GGUF header reading and the memory estimate (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.chat.errors import ModelFileMissingError, ModelFormatError, NotEnoughMemoryError
from engine.chat.memory import check_memory, estimate_memory, kv_cache_bytes
from engine.chat.modelfile import read_gguf_info
from engine.chat.prompt import ImageSlot, build_prompt, images_of
from engine.chat.types import ChatTurn
from tests.tiny_gguf import write_tiny_qwen2_gguf


def test_chatml_with_image_earlier_answers_only_and_open_thinking():
    turns = [
        ChatTurn("user", "What is shown?", image=Path("a.png")),
        ChatTurn("assistant", "A kidney."),
        ChatTurn("user", "Any stones?"),
    ]
    segments = build_prompt(turns, opening="<think>\n")
    # the image slot sits where the vision path puts <|vision_start|> + embeddings + <|vision_end|>
    assert segments == [
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n",
        ImageSlot(Path("a.png")),
        "What is shown?<|im_end|>\n"
        "<|im_start|>assistant\nA kidney.<|im_end|>\n"
        "<|im_start|>user\nAny stones?<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n",
    ]
    assert images_of(segments) == [ImageSlot(Path("a.png"))]


def test_own_system_prompt_and_no_thinking():
    segments = build_prompt([ChatTurn("system", "Be brief."), ChatTurn("user", "Hi")], opening="")
    assert segments == ["<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"]
    assert images_of(segments) == []


def test_last_turn_must_be_the_user():
    with pytest.raises(ValueError):
        build_prompt([ChatTurn("user", "a"), ChatTurn("assistant", "b")], opening="")


def test_header_reading_and_kv_estimate(tmp_path):
    path = write_tiny_qwen2_gguf(tmp_path / "m.gguf", n_embd=256, n_layer=3, n_head=4, n_head_kv=2)
    info = read_gguf_info(path)
    assert info.architecture == "qwen2"
    assert info.arch_value("block_count") == 3
    assert info.metadata["tokenizer.ggml.tokens"] == 272  # arrays are kept as their length
    # K and V, 3 layers, 1000 positions, 2 KV heads of 64 dims, 2 bytes each
    assert kv_cache_bytes(info, 1000) == 2 * 3 * 1000 * 2 * 64 * 2
    estimate = estimate_memory(info, None, n_ctx=1000)
    assert estimate.total_bytes == path.stat().st_size + kv_cache_bytes(info, 1000) + estimate.overhead_bytes
    assert estimate_memory(info, None, n_ctx=1000, n_gpu_layers=-1).weights_bytes == 0
    check_memory(estimate, available_bytes=estimate.total_bytes)
    with pytest.raises(NotEnoughMemoryError, match="context size"):
        check_memory(estimate, available_bytes=estimate.total_bytes - 1)


def test_header_errors(tmp_path):
    with pytest.raises(ModelFileMissingError):
        read_gguf_info(tmp_path / "none.gguf")
    (tmp_path / "empty.gguf").write_bytes(b"")
    with pytest.raises(ModelFormatError, match="not a GGUF"):
        read_gguf_info(tmp_path / "empty.gguf")
    (tmp_path / "v9.gguf").write_bytes(b"GGUF" + (9).to_bytes(4, "little") + bytes(16))
    with pytest.raises(ModelFormatError, match="damaged"):
        read_gguf_info(tmp_path / "v9.gguf")
