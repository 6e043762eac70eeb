"""The image path with a real llama.cpp mtmd context: a tiny random Qwen2.5-VL model + mmproj written by the test.

Proves that the image is encoded once, that a follow-up question about the same image evaluates only the
new text (the image stays in the KV cache), that a changed earlier turn re-decodes the image from the
embedding cache without running the vision encoder, and the typed errors of the image path.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.chat import (
    BudgetSettings,
    ChatEngine,
    ChatTurn,
    ContextTooSmallError,
    ImageFileError,
    ModelSettings,
    Sampling,
    VisionProjectorError,
    vision,
)
from engine.chat.vision import downscale
from tests.tiny_gguf import write_tiny_qwen2_gguf, write_tiny_qwen25vl_mmproj

MAX_PIXELS = 224 * 224
BUDGET = BudgetSettings.from_mode("max", max_thinking_tokens=4)


def noise_image(path, size=(400, 300), seed=0):
    pixels = (np.random.default_rng(seed).random((size[1], size[0], 3)) * 255).astype("uint8")
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vl")
    model = write_tiny_qwen2_gguf(folder / "tiny-vl.gguf", arch="qwen2vl")
    mmproj = write_tiny_qwen25vl_mmproj(folder / "mmproj.gguf")
    return model, mmproj, noise_image(folder / "kidney.png"), noise_image(folder / "liver.png", seed=1)


@pytest.fixture(scope="module")
def engine(files):
    model, mmproj, _, _ = files
    with ChatEngine(ModelSettings(model, mmproj_path=mmproj, n_ctx=2048, seed=1, n_threads=2,
                                  max_image_pixels=MAX_PIXELS)) as e:
        e.generate([ChatTurn("user", "warm up")], budget=BUDGET, sampling=Sampling(max_answer_tokens=2))
        yield e


def endless(engine, **kw):
    return Sampling(logit_bias={engine.token_id("<|im_end|>"): -100.0, engine.token_id("<|endoftext|>"): -100.0},
                    seed=3, **kw)


def test_follow_up_on_the_same_image_evaluates_only_the_new_text(engine, files):
    _, _, kidney, _ = files
    first_turn = [ChatTurn("user", "Which organ?", image=kidney)]
    first = engine.generate(first_turn, budget=BUDGET, sampling=endless(engine, max_answer_tokens=3))
    assert engine.has_vision
    assert first.images_encoded == 1
    text_only = len(engine.tokenize(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|><|vision_end|>"
        "Which organ?<|im_end|>\n<|im_start|>assistant\n<think>\n"))
    image_tokens = first.prompt_tokens - text_only
    assert image_tokens > 20

    follow = first_turn + [ChatTurn("assistant", "The kidney."), ChatTurn("user", "Any cyst?")]
    before = engine.llama_decoded_tokens()
    second = engine.generate(follow, budget=BUDGET, sampling=endless(engine, max_answer_tokens=3))
    assert second.images_encoded == 0
    assert second.prompt_tokens == first.prompt_tokens + len(engine.tokenize(
        "The kidney.<|im_end|>\n<|im_start|>user\nAny cyst?<|im_end|>\n<|im_start|>assistant\n"))
    new_suffix = len(engine.tokenize(
        "The kidney.<|im_end|>\n<|im_start|>user\nAny cyst?<|im_end|>\n<|im_start|>assistant\n<think>\n"))
    assert second.prompt_tokens_evaluated == new_suffix < image_tokens
    assert engine.llama_decoded_tokens() - before == second.tokens_decoded


def test_changed_earlier_turn_redecodes_the_image_without_encoding_it(engine, files):
    _, _, kidney, _ = files
    turns = [ChatTurn("user", "Which organ?", image=kidney)]
    engine.generate(turns, budget=BUDGET, sampling=endless(engine, max_answer_tokens=2))
    changed = [ChatTurn("system", "You are a sonographer.")] + turns
    result = engine.generate(changed, budget=BUDGET, sampling=endless(engine, max_answer_tokens=2))
    assert result.images_encoded == 0                 # embeddings came from the cache
    assert result.prompt_tokens_evaluated > result.prompt_tokens - 20  # ... but the image had to be decoded again


def test_another_image_is_encoded(engine, files):
    _, _, _, liver = files
    result = engine.generate([ChatTurn("user", "And this?", image=liver)], budget=BUDGET,
                             sampling=endless(engine, max_answer_tokens=2))
    assert result.images_encoded == 1


def test_forced_continuation_with_an_image_never_reencodes_or_reevaluates(engine, files):
    _, _, kidney, _ = files
    close = engine.token_id("</think>")
    wait_len = len(engine.tokenize("Wait,"))
    before = engine.llama_decoded_tokens()
    result = engine.generate(
        [ChatTurn("user", "Describe it.", image=kidney)],
        budget=BudgetSettings(min_thinking_tokens=64, num_waits=2),
        sampling=Sampling(logit_bias={close: 100.0}, max_answer_tokens=2, seed=1),
    )
    assert result.waits_inserted == 2 and result.thinking_tokens == 2 * wait_len
    assert result.images_encoded <= 1
    assert result.tokens_decoded == result.prompt_tokens_evaluated + 2 * wait_len + 1 + result.answer_tokens
    assert engine.llama_decoded_tokens() - before == result.tokens_decoded


def test_images_are_downscaled_to_the_pixel_limit(tmp_path):
    big = noise_image(tmp_path / "big.png", size=(1600, 900))
    width, height, rgb = downscale(big.read_bytes(), MAX_PIXELS)
    assert width * height <= MAX_PIXELS and len(rgb) == width * height * 3
    assert abs(width / height - 16 / 9) < 0.02
    small = noise_image(tmp_path / "small.png", size=(100, 80))
    assert downscale(small.read_bytes(), MAX_PIXELS)[:2] == (100, 80)


def test_fewer_pixels_fewer_image_tokens(files):
    model, mmproj, kidney, _ = files
    counts = []
    for pixels in (112 * 112, MAX_PIXELS):
        with ChatEngine(ModelSettings(model, mmproj_path=mmproj, n_ctx=1024, n_threads=2, max_image_pixels=pixels)) as e:
            counts.append(e.generate([ChatTurn("user", "?", image=kidney)], budget=BUDGET,
                                     sampling=Sampling(max_answer_tokens=1)).prompt_tokens)
    assert counts[0] < counts[1]


def test_image_that_does_not_fit_the_context(files):
    model, mmproj, kidney, _ = files
    settings = ModelSettings(model, mmproj_path=mmproj, n_ctx=64, n_threads=2, max_image_pixels=MAX_PIXELS)
    with ChatEngine(settings) as e, pytest.raises(ContextTooSmallError, match="image"):
        e.generate([ChatTurn("user", "What is it?", image=kidney)])


def test_attachment_that_is_not_an_image(engine, tmp_path):
    fake = tmp_path / "scan.png"
    fake.write_text("not an image")
    with pytest.raises(ImageFileError, match="PNG or JPEG"):
        engine.generate([ChatTurn("user", "?", image=fake)])


def test_projector_for_another_model_size(files, tmp_path):
    model, _, _, _ = files
    wrong = write_tiny_qwen25vl_mmproj(tmp_path / "mmproj-512.gguf", projection_dim=512)
    with pytest.raises(VisionProjectorError, match="does not fit"):
        ChatEngine(ModelSettings(model, mmproj_path=wrong, n_ctx=256))


def text_before_image(engine) -> int:
    return len(engine.tokenize("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                               "<|vision_start|>"))


def test_stop_before_the_image_is_encoded(files, tmp_path):
    model, mmproj, _, _ = files
    image = noise_image(tmp_path / "new.png", seed=7)
    with ChatEngine(ModelSettings(model, mmproj_path=mmproj, n_ctx=2048, n_threads=2, max_image_pixels=MAX_PIXELS)) as e:
        before_image = text_before_image(e)
        turns = [ChatTurn("user", "Which organ?", image=image)]
        result = e.generate(turns, budget=BUDGET, cancel=lambda: e.cached_tokens >= before_image)
        assert result.stopped and result.images_encoded == 0 and e.cached_tokens == before_image
        again = e.generate(turns, budget=BUDGET, sampling=Sampling(max_answer_tokens=1))
        assert again.images_encoded == 1 and again.prompt_tokens_evaluated == again.prompt_tokens - before_image


def test_stop_during_the_image_decode_takes_the_image_back(files, tmp_path):
    model, mmproj, _, _ = files
    image = noise_image(tmp_path / "new.png", seed=8)
    asked_after_text = []

    def stop_inside_the_image_decode() -> bool:
        if e.cached_tokens < before_image:
            return False
        asked_after_text.append(1)  # 1: before the encode, 2: before the decode, 3: inside llama_decode
        return len(asked_after_text) >= 3

    with ChatEngine(ModelSettings(model, mmproj_path=mmproj, n_ctx=2048, n_threads=2, max_image_pixels=MAX_PIXELS)) as e:
        before_image = text_before_image(e)
        turns = [ChatTurn("user", "Which organ?", image=image)]
        result = e.generate(turns, budget=BUDGET, cancel=stop_inside_the_image_decode)
        assert result.stopped and result.images_encoded == 1 and len(asked_after_text) == 3
        assert e.cached_tokens == before_image  # what part of the image reached the KV cache was taken back
        again = e.generate(turns, budget=BUDGET, sampling=Sampling(max_answer_tokens=1))
        assert again.images_encoded == 0 and again.prompt_tokens_evaluated == again.prompt_tokens - before_image


def test_a_prompt_with_more_images_than_the_cache_keeps_them_all(files, monkeypatch):
    model, mmproj, kidney, liver = files
    monkeypatch.setattr(vision, "CACHE_SIZE", 1)
    turns = [ChatTurn("user", "Which organ?", image=kidney), ChatTurn("assistant", "The kidney."),
             ChatTurn("user", "And this one?", image=liver)]
    with ChatEngine(ModelSettings(model, mmproj_path=mmproj, n_ctx=2048, n_threads=2, max_image_pixels=MAX_PIXELS)) as e:
        result = e.generate(turns, budget=BUDGET, sampling=Sampling(max_answer_tokens=1))
        assert result.images_encoded == 2 and not result.stopped
        other = e.generate([ChatTurn("user", "?", image=liver)], budget=BUDGET, sampling=Sampling(max_answer_tokens=1))
        assert other.images_encoded == 0  # the latest image stayed cached after the prompt released its pins
