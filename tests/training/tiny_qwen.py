"""Builders for the training tests: a tiny random Qwen2.5-VL, its processor, and a tiny export folder.

Nothing is downloaded. The tokenizer is a byte-level BPE like Qwen2's: the 256 byte tokens, a handful of
merges (so a few words are single tokens, and llama.cpp, which needs merges, loads it after conversion),
Qwen2's pre-tokenizer pattern and the Qwen special tokens, wrapped in PreTrainedTokenizerFast with a
Qwen2.5-VL-style chat template. The model and processor are saved with save_pretrained, so the training
script loads them by path exactly as it loads Qwen/Qwen2.5-VL-7B-Instruct, and training/convert_to_gguf.py
converts them as it converts a merged 7B model.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from PIL import Image, ImageDraw

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                  "<|image_pad|>", "<|video_pad|>"]

# Renders a system turn (a default one when the conversation has none), then each turn as
# "<|im_start|>{role}\n{content}<|im_end|>\n"; images in a content list become
# "<|vision_start|><|image_pad|><|vision_end|>" (the processor expands the pad to one token per merged patch).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

MIN_PIXELS = 28 * 28 * 4
MAX_PIXELS = 28 * 28 * 16


MERGES = [("Ġ", "t"), ("h", "e"), ("i", "n"), ("W", "a"), ("i", "t"), ("Wa", "it"), ("a", "n"), ("e", "r")]
# Qwen2's pre-tokenizer split (its tokenizer.json), which llama.cpp applies for the `qwen2` pre-tokenizer
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")


def build_tokenizer():
    # heavy: transformers (seconds); conftest imports this module for every training test, GGUF ones included
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    for left, right in MERGES:
        vocab[left + right] = len(vocab)
    raw = Tokenizer(models.BPE(vocab=vocab, merges=MERGES))
    raw.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    raw.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, chat_template=CHAT_TEMPLATE,
                                        eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        extra_special_tokens={"image_token": "<|image_pad|>",
                                                              "video_token": "<|video_pad|>"})
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS})
    tokenizer.padding_side = "right"
    return tokenizer


def build_image_processor():
    from transformers import Qwen2VLImageProcessorPil  # heavy: see build_tokenizer

    return Qwen2VLImageProcessorPil(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)


def build_model(tokenizer, seed: int = 0, hidden_size: int = 64):
    """hidden_size 64 for the training tests; 256 for the GGUF round trip (llama.cpp's Q4_K needs rows of 256)."""
    # heavy: see build_tokenizer
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    head_dim = hidden_size // 4  # 4 heads; mrope sections sum to head_dim / 2
    quarter = head_dim // 16  # sections [2q, 3q, 3q] sum to head_dim / 2
    config = Qwen2_5_VLConfig(
        text_config={
            "vocab_size": len(tokenizer), "hidden_size": hidden_size, "intermediate_size": 2 * hidden_size,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "max_position_embeddings": 4096,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0,
                                "mrope_section": [2 * quarter, 3 * quarter, 3 * quarter]},
            "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
        },
        vision_config={
            "depth": 3, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2, "out_hidden_size": hidden_size,
            "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 56,
            "fullatt_block_indexes": [2], "in_channels": 3,
        },
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
    )
    assert sum(config.text_config.rope_parameters["mrope_section"]) * 2 == head_dim
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config)
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    return model


def save_tiny_qwen(folder: Path, hidden_size: int = 64) -> Path:
    """Write a tiny random Qwen2.5-VL model, its tokenizer and image processor to `folder` (the files a
    Qwen2.5-VL checkpoint folder has: config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
    chat_template.jinja, preprocessor_config.json)."""
    tokenizer = build_tokenizer()
    build_model(tokenizer, hidden_size=hidden_size).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    build_image_processor().save_pretrained(folder)
    return folder


def ultrasound_png(path: Path, seed: int, size: tuple[int, int] = (84, 70)) -> None:
    """A small grey fan-shaped 'scan' with a bright blob, different per seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (12, 12, 12))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.pieslice([-w // 2, -h // 3, w + w // 2, h + h // 2], 55, 125, fill=(70, 70, 70))
    x, y = rng.randint(10, w - 20), rng.randint(15, h - 15)
    r = rng.randint(4, 9)
    shade = rng.randint(150, 250)
    draw.ellipse([x - r, y - r, x + r, y + r], fill=(shade, shade, shade))
    image.save(path, format="PNG")


ORGANS = ["liver", "kidney", "spleen", "thyroid", "gallbladder", "aorta"]


def _item(i: int, image: str | None, split: str, system: str | None) -> dict:
    organ = ORGANS[i % len(ORGANS)]
    messages = [{"role": "system", "content": system}] if system else []
    if image is None:
        messages += [{"role": "user", "content": f"What is the normal size of the {organ}?"},
                     {"role": "assistant", "content": f"The {organ} is measured on a long axis view."}]
        images: list[str] = []
    elif i % 3 == 0:
        messages += [{"role": "user", "content": "<image>Which organ is shown?"},
                     {"role": "assistant", "content": f"<think>\nA bright round {organ} echo.\n</think>\n\n"
                                                      f"This is the {organ}."},
                     {"role": "user", "content": "Is it normal?"},
                     {"role": "assistant", "content": "It looks normal."}]
        images = [image]
    else:
        messages += [{"role": "user", "content": "<image>Which structure is bright?\n\nA. cyst\nB. " + organ},
                     {"role": "assistant", "content": f"<think>\nThe echo is bright, so not a cyst.\n</think>\n\n"
                                                      f"B. {organ}\n<answer>B</answer>"}]
        images = [image]
    return {"messages": messages, "images": images, "id": f"remud-{i}", "kind": "vqa", "language": "en",
            "reasoning": True, "split": split}


def write_tiny_export(out_dir: Path, n_train: int = 8, n_validation: int = 2,
                      system: str | None = "You are an ultrasound expert.") -> Path:
    """A tiny export folder in the contract layout (sharegpt/{train,validation,test}.json + images/)."""
    (out_dir / "images").mkdir(parents=True)
    (out_dir / "sharegpt").mkdir()
    splits: dict[str, list[dict]] = {"train": [], "validation": [], "test": []}
    counts = {"train": n_train, "validation": n_validation, "test": 0}
    i = 0
    for split, n in counts.items():
        for _ in range(n):
            image = None
            if i % 4 != 3:
                image = f"images/{i:024x}.png"
                ultrasound_png(out_dir / image, seed=i, size=(84 + 14 * (i % 3), 70))
            splits[split].append(_item(i, image, split, system))
            i += 1
    for split, items in splits.items():
        (out_dir / "sharegpt" / f"{split}.json").write_text(json.dumps(items, indent=1), encoding="utf-8")
    return out_dir
