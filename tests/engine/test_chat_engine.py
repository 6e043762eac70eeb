"""ChatEngine with a real llama.cpp model: loading, typed errors, streaming, and stopping mid-stream."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import gguf
import pytest
from PIL import Image

from engine.chat import (
    BudgetSettings,
    ChatEngine,
    ChatTurn,
    ContextSizeError,
    ContextTooSmallError,
    EngineClosedError,
    ModelFileMissingError,
    ModelFormatError,
    ModelSettings,
    NotEnoughMemoryError,
    NoVisionError,
    Sampling,
    VisionProjectorError,
    WrongArchitectureError,
    memory,
)
from engine.chat.errors import DecodeError
from engine.errors import RemudError
from tests.tiny_gguf import write_tiny_qwen2_gguf

QUESTION = [ChatTurn("user", "Describe the liver.")]
NO_THINKING = BudgetSettings.from_mode("off", think_open="")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return write_tiny_qwen2_gguf(tmp_path_factory.mktemp("model") / "tiny.gguf")


@pytest.fixture(scope="module")
def engine(model_path):
    with ChatEngine(ModelSettings(model_path, n_ctx=1024, seed=3, n_threads=2)) as e:
        yield e


def endless(engine: ChatEngine, **kw) -> Sampling:
    return Sampling(logit_bias={engine.token_id("<|im_end|>"): -100.0, engine.token_id("<|endoftext|>"): -100.0}, **kw)


def test_load_reports_progress_and_streams_text(model_path):
    steps = []
    with ChatEngine(ModelSettings(model_path, n_ctx=512, n_threads=1), progress=steps.append) as e:
        assert steps[0] == 0.0 and steps[-1] == 1.0 and steps == sorted(steps)
        assert not e.has_vision and e.n_ctx == 512
        events = []
        result = e.generate(QUESTION, budget=NO_THINKING, sampling=endless(e, max_answer_tokens=12, seed=5), on_event=events.append)
    assert [ev.kind for ev in events] == ["answer"] * len(events)
    assert "".join(ev.text for ev in events).strip() == result.answer
    assert result.answer_tokens == 12 and result.finish_reason == "length" and not result.stopped
    assert [ev.answer_tokens for ev in events] == sorted(ev.answer_tokens for ev in events)
    assert result.time_to_first_token_s > 0 and result.tokens_per_second > 0
    assert result.to_dict()["answer_tokens"] == 12


def test_same_seed_same_answer(engine):
    a = engine.generate(QUESTION, budget=NO_THINKING, sampling=endless(engine, max_answer_tokens=8, seed=11))
    b = engine.generate(QUESTION, budget=NO_THINKING, sampling=endless(engine, max_answer_tokens=8, seed=11))
    assert a.answer == b.answer


def test_stop_mid_stream_stops_computing(engine):
    events = []
    before = engine.llama_decoded_tokens()
    result = engine.generate(
        QUESTION, budget=NO_THINKING, sampling=endless(engine, max_answer_tokens=500, seed=2),
        on_event=events.append, cancel=lambda: bool(events) and events[-1].answer_tokens >= 5,
    )
    assert result.stopped and result.finish_reason == "cancelled"
    assert result.answer_tokens == 5
    # llama.cpp decoded the prompt suffix and the five kept tokens, not one token more
    assert engine.llama_decoded_tokens() - before == result.prompt_tokens_evaluated + 5


def test_stop_from_another_thread_and_chat_on(engine):
    started, stop = threading.Event(), threading.Event()
    results = []

    def on_event(event):
        started.set()

    worker = threading.Thread(target=lambda: results.append(engine.generate(
        QUESTION, sampling=endless(engine, max_answer_tokens=100_000), budget=NO_THINKING,
        on_event=on_event, cancel=stop.is_set)))
    worker.start()
    assert started.wait(30)
    stop.set()
    worker.join(30)
    assert not worker.is_alive()
    assert results[0].stopped and results[0].answer_tokens < 1024
    follow_up = QUESTION + [ChatTurn("assistant", results[0].answer), ChatTurn("user", "Shorter.")]
    again = engine.generate(follow_up, budget=NO_THINKING, sampling=Sampling(max_answer_tokens=3))
    assert not again.stopped and again.prompt_tokens_evaluated < again.prompt_tokens


def test_context_too_small_is_a_typed_error(model_path):
    with ChatEngine(ModelSettings(model_path, n_ctx=64, n_threads=1)) as e, \
            pytest.raises(ContextTooSmallError, match="context"):
        e.generate([ChatTurn("user", "word " * 200)])


def test_an_image_without_mmproj_raises_no_vision(engine, tmp_path):
    image = tmp_path / "us.png"
    Image.new("RGB", (64, 48), "gray").save(image)
    with pytest.raises(NoVisionError, match="mmproj"):
        engine.generate([ChatTurn("user", "What organ is this?", image=image)])


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileMissingError, match="does not exist"):
        ChatEngine(ModelSettings(tmp_path / "nope.gguf"))


def test_not_a_gguf(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 this is a zip, not a model" * 10)
    with pytest.raises(ModelFormatError, match="not a GGUF"):
        ChatEngine(ModelSettings(fake))


def test_truncated_gguf(model_path, tmp_path):
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(model_path.read_bytes()[:200])
    with pytest.raises(ModelFormatError, match="damaged"):
        ChatEngine(ModelSettings(cut))


def test_gguf_that_llama_cpp_rejects_is_a_format_error(model_path, tmp_path):
    cut = tmp_path / "no-weights.gguf"
    cut.write_bytes(model_path.read_bytes()[: model_path.stat().st_size // 2])  # header intact, tensors cut
    with pytest.raises(ModelFormatError):
        ChatEngine(ModelSettings(cut))


def test_unknown_architecture(tmp_path):
    path = write_tiny_qwen2_gguf(tmp_path / "alien.gguf", arch="alien9000", n_layer=1)
    with pytest.raises(WrongArchitectureError, match="alien9000"):
        ChatEngine(ModelSettings(path))


def test_projector_chosen_as_model_and_model_chosen_as_projector(model_path, tmp_path):
    projector = tmp_path / "mmproj.gguf"
    write_projector_header(projector)
    with pytest.raises(WrongArchitectureError, match="mmproj"):
        ChatEngine(ModelSettings(projector))
    with pytest.raises(VisionProjectorError, match="not a vision projector"):
        ChatEngine(ModelSettings(model_path, mmproj_path=model_path))
    with pytest.raises(VisionProjectorError, match="does not exist"):
        ChatEngine(ModelSettings(model_path, mmproj_path=tmp_path / "missing-mmproj.gguf"))


def test_not_enough_memory_is_refused_before_loading(model_path, monkeypatch):
    # a context the model can use, on a machine with 64 MiB free: refused by the estimate, llama.cpp never called
    monkeypatch.setattr(memory.psutil, "virtual_memory", lambda: SimpleNamespace(available=64 << 20))
    with pytest.raises(NotEnoughMemoryError, match="GiB"):
        ChatEngine(ModelSettings(model_path, n_ctx=32768))


@pytest.mark.parametrize("n_ctx", [0, -4096, 10**9, 2**31, 32769])
def test_an_impossible_context_is_refused_before_loading_with_what_to_use(model_path, n_ctx):
    # the tiny model's header says it was trained with 8192 positions: 64 to 4 x 8192 are usable
    with pytest.raises(ContextSizeError) as info:
        ChatEngine(ModelSettings(model_path, n_ctx=n_ctx, n_gpu_layers=-1))  # all on the GPU: no memory check to hit
    assert str(info.value) == (f"tiny.gguf cannot use a context of {n_ctx} tokens (it was trained with 8192); "
                               "choose from 64 to 32768 tokens, e.g. 8192.")


def test_errors_are_remud_errors_and_closed_engine_refuses(model_path):
    e = ChatEngine(ModelSettings(model_path, n_ctx=256, n_threads=1))
    e.close()
    with pytest.raises(EngineClosedError) as info:
        e.generate(QUESTION)
    assert isinstance(info.value, RemudError)


def write_projector_header(path) -> None:
    """A GGUF whose header says it is a vision projector (architecture "clip")."""
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_stop_between_prompt_batches_keeps_the_batches_evaluated(model_path):
    with ChatEngine(ModelSettings(model_path, n_ctx=1024, n_threads=1, n_batch=16)) as e:
        result = e.generate([ChatTurn("user", "word " * 100)], cancel=lambda: e.cached_tokens >= 32)
        assert result.stopped and result.finish_reason == "cancelled"
        assert result.prompt_tokens_evaluated == 32 < result.prompt_tokens  # two batches, then stopped
        assert result.tokens_decoded == 32 and result.answer_tokens == 0
        assert e.cached_tokens == 32
        again = e.generate([ChatTurn("user", "word " * 100)], budget=NO_THINKING, sampling=Sampling(max_answer_tokens=1))
        assert again.prompt_tokens_evaluated == again.prompt_tokens - 32  # the stopped part was kept


def test_stop_during_one_long_prompt_batch_aborts_the_decode(model_path):
    asked = []

    def stop_once_the_decode_runs() -> bool:
        asked.append(1)
        return len(asked) >= 2  # the 1st ask is before the batch, the 2nd comes from inside llama_decode

    with ChatEngine(ModelSettings(model_path, n_ctx=1024, n_threads=1, n_batch=1024)) as e:
        turns = [ChatTurn("user", "word " * 100)]
        result = e.generate(turns, cancel=stop_once_the_decode_runs)
        assert result.stopped and result.finish_reason == "cancelled"
        assert len(asked) == 2                      # stopped inside the single batch, nothing asked after
        assert result.prompt_tokens_evaluated == 0 and e.cached_tokens == 0  # the aborted batch was taken back
        again = e.generate(turns, budget=NO_THINKING, sampling=endless(e, max_answer_tokens=2, seed=4))
        assert again.prompt_tokens_evaluated == again.prompt_tokens and again.answer_tokens == 2
        with ChatEngine(ModelSettings(model_path, n_ctx=1024, n_threads=1, n_batch=1024)) as fresh:
            reference = fresh.generate(turns, budget=NO_THINKING, sampling=endless(fresh, max_answer_tokens=2, seed=4))
        assert again.answer == reference.answer  # the KV cache holds nothing of the aborted decode


def test_a_failed_decode_is_a_chat_error_and_other_errors_are_not_hidden(engine):
    with pytest.raises(DecodeError, match="context size"):
        engine._eval([10_000_000])  # a token id outside the vocabulary: llama_decode refuses the batch

    def broken_listener(event):
        raise RuntimeError("a bug in the caller")

    with pytest.raises(RuntimeError, match="a bug in the caller"):  # not a "lower the context size" message
        engine.generate(QUESTION, budget=NO_THINKING, sampling=endless(engine, max_answer_tokens=3),
                        on_event=broken_listener)
    assert engine.cached_tokens > 0  # and the KV cache was not wiped
    again = engine.generate(QUESTION, budget=NO_THINKING, sampling=endless(engine, max_answer_tokens=3))
    assert again.prompt_tokens_evaluated == 1


def test_a_wait_that_does_not_fit_the_context_is_not_counted(model_path):
    close_bias = {}
    with ChatEngine(ModelSettings(model_path, n_ctx=1024, n_threads=1)) as e:
        close_bias[e.token_id("</think>")] = 100.0
        prompt_tokens = e.generate(QUESTION, sampling=Sampling(max_answer_tokens=1)).prompt_tokens
        wait_len = len(e.tokenize("Wait,"))
    with ChatEngine(ModelSettings(model_path, n_ctx=prompt_tokens + wait_len, n_threads=1)) as e:
        result = e.generate(QUESTION, budget=BudgetSettings(min_thinking_tokens=50, num_waits=2),
                            sampling=Sampling(logit_bias=close_bias, seed=1))
    assert result.finish_reason == "length"
    assert result.waits_inserted == 0 and result.thinking_tokens == 0


def test_a_turn_that_never_closes_its_thinking_is_the_answer(engine):
    # like stock Qwen2.5-VL-Instruct after a forced <think>: no </think>, the turn just ends (greedy, with
    # +6 on <|im_end|> the tiny model writes 13 tokens first)
    bias = {engine.token_id("</think>"): -100.0, engine.token_id("<|endoftext|>"): -100.0, engine.token_id("<|im_end|>"): 6.0}
    events = []
    result = engine.generate(QUESTION, budget=BudgetSettings.from_mode("off"), on_event=events.append,
                             sampling=Sampling(logit_bias=bias, temperature=0, max_answer_tokens=100))
    assert result.finish_reason == "stop" and not result.thinking_closed
    assert result.thinking == "" and result.thinking_tokens == 0
    assert result.answer_tokens > 1 and result.answer
    streamed_thinking = "".join(e.text for e in events if e.kind == "thinking")
    assert "".join(e.text for e in events if e.kind == "answer") == streamed_thinking  # the same text, now the answer
    assert result.answer == streamed_thinking.strip()
    closed = engine.generate(QUESTION, budget=NO_THINKING, sampling=endless(engine, max_answer_tokens=2))
    assert closed.thinking_closed  # no thinking section: nothing left open
