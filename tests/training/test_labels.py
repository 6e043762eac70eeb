"""The loss mask, token by token: Qwen's own rule.

The rule (Qwen2.5-VL's qwen-vl-finetune `preprocess_qwen_visual`, and LLaMA-Factory's qwen2_vl template,
whose assistant turns are "{{content}}<|im_end|>\\n"): for every assistant turn, the assistant's content
(thinking and answer), its <|im_end|> and the "\\n" after it are learned; everything else is -100: the
system turn (given, or the template's default), every user turn with its image tokens, every role header
"<|im_start|>role\\n", and padding.

The expected labels are built two independent ways: LLaMA-Factory's way (each message rendered by the
template's slots and tokenized on its own; source parts -100, target parts learned) and Qwen's way (from
each assistant header to the <|im_end|> position + 2 on the whole sequence), and compared with the
collator's on multi-turn, thinking, multiple-choice, system-prompt and default-system examples.
"""

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
MCQ_USER = "<image>Which structure is bright?\n\nA. cyst\nB. kidney stone\nC. liver"
MCQ_ANSWER = "<think>\nBright with a shadow.\n</think>\n\nB. kidney stone\n<answer>B</answer>"
DEFAULT_SYSTEM = "You are a helpful assistant."

EXAMPLES = {
    "multi-turn with system prompt": [
        {"role": "system", "content": "You are a sonographer."},
        {"role": "user", "content": "<image>What is the bright spot?"},
        {"role": "assistant", "content": REASONING},
        {"role": "user", "content": "Is it large?"},
        {"role": "assistant", "content": FOLLOW_UP}],
    "thinking, default system": [
        {"role": "user", "content": "<image>What is the bright spot?"},
        {"role": "assistant", "content": REASONING}],
    "multiple choice with system prompt": [
        {"role": "system", "content": "Answer with the letter."},
        {"role": "user", "content": MCQ_USER},
        {"role": "assistant", "content": MCQ_ANSWER}],
    "text only, three turns": [
        {"role": "user", "content": "What is the normal size of the spleen?"},
        {"role": "assistant", "content": "Up to 12 cm."},
        {"role": "user", "content": "And the kidney?"},
        {"role": "assistant", "content": "10 to 12 cm."},
        {"role": "user", "content": "Thanks."},
        {"role": "assistant", "content": "You are welcome."}],
}


@pytest.fixture(scope="module")
def processor(tiny_model_dir):
    return load_processor(tiny_model_dir, 28 * 28 * 4, 28 * 28 * 16)


def conversation_of(messages, folder):
    images = []
    if any("<image>" in m["content"] for m in messages):
        (folder / "images").mkdir(exist_ok=True)
        ultrasound_png(folder / "images" / "a.png", seed=3)
        images = ["images/a.png"]
    return to_conversation({"messages": messages, "images": images, "id": "remud-1"}, folder, "test item")


@pytest.fixture
def conversation(tmp_path):
    return conversation_of(EXAMPLES["multi-turn with system prompt"], tmp_path)


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


def llamafactory_rule(tokenizer, messages, image_tokens: int) -> tuple[list[int], list[int]]:
    """(input_ids, labels) as LLaMA-Factory's qwen2_vl template builds them with train_on_prompt false:
    system "<|im_start|>system\\n{c}<|im_end|>\\n" (the default system when none is given), user
    "<|im_start|>user\\n{c}<|im_end|>\\n<|im_start|>assistant\\n" (the source: -100), assistant
    "{c}<|im_end|>\\n" (the target: learned); <image> becomes vision start, the pads, vision end."""
    def encode(text):
        return tokenizer.encode(text, add_special_tokens=False)

    turns = list(messages)
    system = turns.pop(0)["content"] if turns[0]["role"] == "system" else DEFAULT_SYSTEM
    ids: list[int] = []
    labels: list[int] = []
    pending = encode(f"<|im_start|>system\n{system}<|im_end|>\n")
    for message in turns:
        if message["role"] == "user":
            content = message["content"].replace(
                "<image>", "<|vision_start|>" + "<|image_pad|>" * image_tokens + "<|vision_end|>")
            pending += encode(f"<|im_start|>user\n{content}<|im_end|>\n<|im_start|>assistant\n")
        else:
            target = encode(f"{message['content']}<|im_end|>\n")
            ids += pending + target
            labels += [IGNORE_INDEX] * len(pending) + target
            pending = []
    return ids, labels


def qwen_rule(tokenizer, ids: list[int]) -> list[int]:
    """Labels by qwen-vl-finetune's loop: from each assistant header's end to the <|im_end|> position + 2."""
    header = tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    labels = [IGNORE_INDEX] * len(ids)
    pos = 0
    while pos < len(ids):
        if ids[pos:pos + len(header)] == header:
            start = pos + len(header)
            stop = start
            while stop < len(ids) and ids[stop] != end:
                stop += 1
            if stop < len(ids):
                labels[start:stop + 2] = ids[start:stop + 2]
                pos = stop
        pos += 1
    return labels


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_labels_follow_qwen_and_llamafactory_token_by_token(processor, tmp_path, name):
    tokenizer = processor.tokenizer
    batch = QwenVLCollator(processor, max_length=4096)([conversation_of(EXAMPLES[name], tmp_path)])
    ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
    image_tokens = int(batch["image_grid_thw"].prod()) // 4 if "image_grid_thw" in batch else 0
    expected_ids, expected_labels = llamafactory_rule(tokenizer, EXAMPLES[name], image_tokens)
    assert ids == expected_ids  # the collator renders exactly what LLaMA-Factory tokenizes
    assert labels == expected_labels
    assert labels == qwen_rule(tokenizer, ids)
    newline = tokenizer.encode("\n", add_special_tokens=False)[0]
    learned = [i for i, label in enumerate(labels) if label != IGNORE_INDEX]
    n_assistant = sum(m["role"] == "assistant" for m in EXAMPLES[name])
    # every learned run ends with <|im_end|> and the newline after it
    ends = [i for i in learned if i + 1 not in learned]
    assert len(ends) == n_assistant
    assert all(ids[i] == newline and tokenizer.convert_ids_to_tokens(ids[i - 1]) == "<|im_end|>" for i in ends)
    answers = "".join(m["content"] + "<|im_end|>\n" for m in EXAMPLES[name] if m["role"] == "assistant")
    assert len(learned) == len(tokenizer.encode(answers, add_special_tokens=False))
    image_pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert all(ids[i] != image_pad for i in learned)


def test_learned_tokens_are_exactly_the_assistant_turns(processor, conversation):
    tokenizer = processor.tokenizer
    batch = QwenVLCollator(processor, max_length=4096)([conversation])
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    learned = runs(labels)
    # One run per assistant turn, each decoding to the turn's text followed by the end token.
    assert [tokenizer.decode(ids[r]) for r in learned] == [REASONING + "<|im_end|>\n", FOLLOW_UP + "<|im_end|>\n"]
    # Token by token: a learned position keeps its id, every other position is -100.
    expected = torch.full_like(ids, IGNORE_INDEX)
    for r in learned:
        expected[r] = ids[r]
    assert torch.equal(labels, expected)
    header = tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    for r in learned:
        assert ids[r[0] - len(header):r[0]].tolist() == header  # right after the assistant header
        assert tokenizer.convert_ids_to_tokens(int(ids[r[-2]])) == "<|im_end|>"
        assert tokenizer.decode(ids[r[-1]:r[-1] + 1]) == "\n"  # the newline after <|im_end|> is learned too
    # Nothing of the system turn, the user turns or the image is learned.
    n_learned = int((labels != IGNORE_INDEX).sum())
    assert n_learned == len(tokenizer.encode(REASONING + FOLLOW_UP, add_special_tokens=False)) + 4
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
    assert [tokenizer.decode(first_ids[r]) for r in runs(first_labels)] == ["Hello.<|im_end|>\n"]
    assert (batch["attention_mask"][0] == 0).any()  # padded
    assert (first_labels[batch["attention_mask"][0] == 0] == IGNORE_INDEX).all()
    # The default system prompt the template adds is not learned either.
    assert "You are a helpful assistant." in tokenizer.decode(first_ids[first_labels == IGNORE_INDEX])
    assert batch["pixel_values"].shape[0] == int(batch["image_grid_thw"].prod(dim=1).sum())


def test_mask_rule_on_raw_ids():
    header, end, newline = [7, 8], 9, 5
    ids = torch.tensor([[7, 1, 9, 7, 8, 2, 3, 9, 5, 7, 8, 4, 9, 0, 0],
                        [7, 8, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6],   # answer cut off
                        [7, 8, 2, 9, 5, 7, 8, 3, 9, 5, 0, 0, 0, 0, 0]])  # the last newline learned too
    mask = assistant_label_mask(ids, header, end, newline)
    assert mask[0].nonzero().flatten().tolist() == [5, 6, 7, 8, 11, 12]  # no newline after the last end
    assert mask[1].nonzero().flatten().tolist() == list(range(2, 15))
    assert mask[2].nonzero().flatten().tolist() == [2, 3, 4, 7, 8, 9]
    assert assistant_label_mask(ids, header, end)[0].nonzero().flatten().tolist() == [5, 6, 7, 11, 12]


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


def llamafactory_pixels(image, image_max_pixels: int, image_min_pixels: int):
    """What LLaMA-Factory does to an image before Qwen's processor (mm_plugin `_preprocess_image`): both sides
    scaled by sqrt(max / pixels) and truncated when above the cap, likewise up when below the minimum."""
    for limit, above in ((image_max_pixels, True), (image_min_pixels, False)):
        pixels = image.width * image.height
        if (pixels > limit) if above else (pixels < limit):
            factor = (limit / pixels) ** 0.5
            image = image.resize((int(image.width * factor), int(image.height * factor)))
    return image


def test_both_paths_feed_identical_pixels_with_the_documented_recipe():
    """training/README.md, "Images: the same pixels on both paths": by default LLaMA-Factory's own resize can give
    a crop another grid than the bundled processor; with crops within image_max_pixels (export --max-pixels) and
    the bundled max_pixels at the processor's own cap, both grids and pixel values are identical."""
    from PIL import Image
    from transformers import Qwen2VLImageProcessorPil

    from training import defaults

    cap = 28 * 28 * 64  # a small stand-in for max_pixels / image_max_pixels, to keep the images small
    model_cap = defaults.QWEN_PROCESSOR_MAX_PIXELS
    lf_processor = Qwen2VLImageProcessorPil(min_pixels=defaults.MIN_PIXELS, max_pixels=model_cap)
    bundled = Qwen2VLImageProcessorPil(min_pixels=defaults.MIN_PIXELS, max_pixels=cap)
    recipe = Qwen2VLImageProcessorPil(min_pixels=defaults.MIN_PIXELS, max_pixels=model_cap)
    sizes = [(301, 257), (333, 190), (420, 380), (517, 205), (250, 249), (640, 111)]
    differ = 0
    for width, height in sizes:
        crop = Image.new("RGB", (width, height), (40, 90, 140))
        lf = lf_processor(images=[llamafactory_pixels(crop, cap, defaults.LLAMAFACTORY_IMAGE_MIN_PIXELS)],
                          return_tensors="pt")
        ours = bundled(images=[crop], return_tensors="pt")
        differ += not bool((lf["image_grid_thw"] == ours["image_grid_thw"]).all())
    assert differ > 0  # the difference the docs explain
    for width, height in sizes:
        crop = Image.new("RGB", (width, height), (40, 90, 140))
        scale = min(1.0, (cap / (width * height)) ** 0.5)  # the export's --max-pixels cap (aspect kept)
        crop = crop.resize((max(28, int(width * scale)), max(28, int(height * scale))))
        assert crop.width * crop.height <= cap
        lf = lf_processor(images=[llamafactory_pixels(crop, cap, defaults.LLAMAFACTORY_IMAGE_MIN_PIXELS)],
                          return_tensors="pt")
        ours = recipe(images=[crop], return_tensors="pt")
        assert (lf["image_grid_thw"] == ours["image_grid_thw"]).all()
        assert torch.equal(lf["pixel_values"], ours["pixel_values"])
