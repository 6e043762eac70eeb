"""The loss mask: exactly the assistant tokens (thinking + answer + <|im_end|>) are learned."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from tests.training.tiny_qwen import ultrasound_png
from training.collator import IGNORE_INDEX, QwenVLCollator, assistant_label_mask
from training.data import to_conversation
from training.errors import TrainingError
from training.model import load_processor

REASONING = "<think>\nThe echo is bright and round.\n</think>\n\nA kidney stone."
FOLLOW_UP = "No, it is 4 mm."


@pytest.fixture(scope="module")
def processor(tiny_model_dir):
    return load_processor(tiny_model_dir, 28 * 28 * 4, 28 * 28 * 16)


@pytest.fixture
def conversation(tmp_path):
    (tmp_path / "images").mkdir()
    ultrasound_png(tmp_path / "images" / "a.png", seed=3)
    item = {"messages": [
        {"role": "system", "content": "You are a sonographer."},
        {"role": "user", "content": "<image>What is the bright spot?"},
        {"role": "assistant", "content": REASONING},
        {"role": "user", "content": "Is it large?"},
        {"role": "assistant", "content": FOLLOW_UP}], "images": ["images/a.png"], "id": "remud-1"}
    return to_conversation(item, tmp_path, "test item")


def runs(labels: torch.Tensor) -> list[list[int]]:
    """Maximal runs of learned (non -100) positions."""
    out: list[list[int]] = []
    previous = -2
    for i in (labels != IGNORE_INDEX).nonzero().flatten().tolist():
        if i == previous + 1:
            out[-1].append(i)
        else:
            out.append([i])
        previous = i
    return out


def test_learned_tokens_are_exactly_the_assistant_turns(processor, conversation):
    tokenizer = processor.tokenizer
    batch = QwenVLCollator(processor, max_length=4096)([conversation])
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    learned = runs(labels)
    # One run per assistant turn, each decoding to the turn's text followed by the end token.
    assert [tokenizer.decode(ids[r]) for r in learned] == [REASONING + "<|im_end|>", FOLLOW_UP + "<|im_end|>"]
    # Token by token: a learned position keeps its id, every other position is -100.
    expected = torch.full_like(ids, IGNORE_INDEX)
    for r in learned:
        expected[r] = ids[r]
    assert torch.equal(labels, expected)
    header = tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    for r in learned:
        assert ids[r[0] - len(header):r[0]].tolist() == header  # right after the assistant header
        assert tokenizer.convert_ids_to_tokens(int(ids[r[-1]])) == "<|im_end|>"
        assert tokenizer.decode(ids[r[-1] + 1:r[-1] + 2]) == "\n"  # the newline after <|im_end|> is not learned
    # Nothing of the system turn, the user turns or the image is learned.
    n_learned = int((labels != IGNORE_INDEX).sum())
    assert n_learned == len(tokenizer.encode(REASONING + FOLLOW_UP, add_special_tokens=False)) + 2
    image_pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert (ids == image_pad).sum() == batch["image_grid_thw"].prod() // 4 > 0
    assert ((labels != IGNORE_INDEX) & (ids == image_pad)).sum() == 0
    text_ignored = tokenizer.decode(ids[labels == IGNORE_INDEX])
    assert "You are a sonographer." in text_ignored and "What is the bright spot?" in text_ignored
    assert "Is it large?" in text_ignored and "<think>" not in text_ignored


def test_padding_and_text_only_rows_in_one_batch(processor, conversation, tmp_path):
    text_only = to_conversation({"messages": [{"role": "user", "content": "Hi"},
                                              {"role": "assistant", "content": "Hello."}]}, tmp_path, "text item")
    batch = QwenVLCollator(processor, max_length=4096)([text_only, conversation])
    tokenizer = processor.tokenizer
    first_ids, first_labels = batch["input_ids"][0], batch["labels"][0]
    assert [tokenizer.decode(first_ids[r]) for r in runs(first_labels)] == ["Hello.<|im_end|>"]
    assert (batch["attention_mask"][0] == 0).any()  # padded
    assert (first_labels[batch["attention_mask"][0] == 0] == IGNORE_INDEX).all()
    # The default system prompt the template adds is not learned either.
    assert "You are a helpful assistant." in tokenizer.decode(first_ids[first_labels == IGNORE_INDEX])
    assert batch["pixel_values"].shape[0] == int(batch["image_grid_thw"].prod(dim=1).sum())


def test_mask_rule_on_raw_ids():
    header, end = [7, 8], 9
    ids = torch.tensor([[7, 1, 9, 7, 8, 2, 3, 9, 5, 7, 8, 4, 9, 0, 0],
                        [7, 8, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6]])  # second row: answer cut off
    mask = assistant_label_mask(ids, header, end)
    assert mask[0].nonzero().flatten().tolist() == [5, 6, 7, 11, 12]
    assert mask[1].nonzero().flatten().tolist() == list(range(2, 15))


def test_truncation_keeps_image_tokens_or_refuses(processor, conversation):
    full = QwenVLCollator(processor, max_length=4096)([conversation])
    length = full["input_ids"].shape[1]
    cut = QwenVLCollator(processor, max_length=length - 5)([conversation])
    assert cut["input_ids"].shape[1] == length - 5
    assert torch.equal(cut["labels"], full["labels"][:, :length - 5])
    with pytest.raises(TrainingError, match="max_length"):
        QwenVLCollator(processor, max_length=20)([conversation])


def test_processor_honours_min_and_max_pixels(tiny_model_dir, conversation, tmp_path):
    # Qwen/Qwen2.5-VL-7B-Instruct's preprocessor_config.json carries its own min_pixels/max_pixels keys.
    model_copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model_copy)
    config_file = model_copy / "preprocessor_config.json"
    saved = json.loads(config_file.read_text())
    config_file.write_text(json.dumps({**saved, "min_pixels": 3136, "max_pixels": 12845056}))
    small = load_processor(model_copy, 28 * 28 * 2, 28 * 28 * 4)
    large = load_processor(model_copy, 28 * 28 * 32, 28 * 28 * 64)
    tokens = [int(QwenVLCollator(p, 4096)([conversation])["image_grid_thw"].prod()) // 4 for p in (small, large)]
    assert tokens[0] <= 4 and 32 <= tokens[1] <= 64
