"""LLaMA-Factory files: dataset_info.json entries and a ready Qwen2.5-VL LoRA SFT config.

The config's training values (pixels, cutoff length, LoRA, learning rate, warm-up, epochs, batch) come
from training/defaults.py, the one place the bundled training configs are written from too. The warm-up
is `warmup_steps: 0.1` (a fraction of all steps): transformers 5 accepts a float below 1 there as a ratio
and no longer knows `warmup_ratio`, which LLaMA-Factory's argument parser then refuses as an unused key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from engine.export.splits import SPLITS, Split
from training import defaults  # dependency-free (standard library only): the shared training defaults

YAML_NAME = "llamafactory_qwen2_5_vl_lora_sft.yaml"
_PLAIN = re.compile(r"^[A-Za-z0-9_./-]+$")
DEFAULT_IMAGE_MAX_PIXELS = defaults.MAX_PIXELS


def dataset_info(name: str, counts: Mapping[Split, int] | None = None) -> dict:
    """One sharegpt entry per split that holds rows (all three when `counts` is None): `dataset:
    <name>_train` in a LLaMA-Factory config finds it. LLaMA-Factory refuses to load an entry whose file
    holds no rows ("corresponds to no data"), so an empty split is not declared."""
    return {
        f"{name}_{split}": {
            "file_name": f"sharegpt/{split}.json",
            "formatting": "sharegpt",
            "columns": {"messages": "messages", "images": "images"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                     "assistant_tag": "assistant", "system_tag": "system"},
        }
        for split in SPLITS
        if counts is None or counts.get(split, 0) > 0
    }


def write_dataset_info(out_dir: Path, name: str, counts: Mapping[Split, int] | None = None) -> Path:
    path = out_dir / "dataset_info.json"
    path.write_text(json.dumps(dataset_info(name, counts), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if _PLAIN.match(value) and yaml.safe_load(value) == value:
            return value
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar
    return str(value)


def training_config(name: str, final_dir: Path, base_model: str, max_pixels: int | None,
                    has_validation: bool) -> list[tuple[str, list[tuple[str, object]]]]:
    """Sections of the config: LoRA SFT with the shared defaults (training/defaults.py: the ReMUD paper's
    lr 3e-5, cosine, 3 epochs, bf16). `eval_dataset` and the eval section only when the validation split
    holds rows."""
    folder = str(final_dir)
    dataset: list[tuple[str, object]] = [("dataset", f"{name}_train")]
    if has_validation:
        dataset.append(("eval_dataset", f"{name}_validation"))
    # cutoff_len counts the image tokens too (up to ~1024 per crop at the default pixel cap) plus long
    # thinking traces: 4096 would cut reasoning answers off
    dataset += [("dataset_dir", folder), ("media_dir", folder), ("template", "qwen2_vl"),
                ("cutoff_len", defaults.CUTOFF_LEN), ("overwrite_cache", True), ("preprocessing_num_workers", 4),
                ("dataloader_num_workers", 2)]
    train: list[tuple[str, object]] = [
        ("per_device_train_batch_size", defaults.PER_DEVICE_TRAIN_BATCH_SIZE),
        ("gradient_accumulation_steps", defaults.GRADIENT_ACCUMULATION_STEPS),
        ("learning_rate", defaults.LEARNING_RATE), ("num_train_epochs", defaults.NUM_TRAIN_EPOCHS),
        ("lr_scheduler_type", defaults.LR_SCHEDULER), ("warmup_steps", defaults.WARMUP), ("bf16", True),
        ("ddp_timeout", 180000000),
    ]
    sections: list[tuple[str, list[tuple[str, object]]]] = [
        ("model", [("model_name_or_path", base_model), ("image_max_pixels", max_pixels or DEFAULT_IMAGE_MAX_PIXELS),
                   ("image_min_pixels", defaults.LLAMAFACTORY_IMAGE_MIN_PIXELS), ("trust_remote_code", True)]),
        ("method", [("stage", "sft"), ("do_train", True), ("finetuning_type", "lora"),
                    ("lora_rank", defaults.LORA_RANK), ("lora_alpha", defaults.LORA_ALPHA),
                    ("lora_dropout", defaults.LORA_DROPOUT), ("lora_target", "all"), ("freeze_vision_tower", True)]),
        ("dataset", dataset),
        ("output", [("output_dir", f"saves/{name}-qwen2_5vl/lora/sft"), ("logging_steps", 10), ("save_steps", 500),
                    ("plot_loss", True), ("overwrite_output_dir", True), ("report_to", "none")]),
        ("train", train),
    ]
    if has_validation:
        sections.append(("eval", [("per_device_eval_batch_size", 1), ("eval_strategy", "steps"),
                                  ("eval_steps", 500)]))
    return sections


def write_training_yaml(out_dir: Path, name: str, final_dir: Path, base_model: str, max_pixels: int | None,
                        has_validation: bool) -> Path:
    lines = [f"# LLaMA-Factory: llamafactory-cli train {YAML_NAME}",
             "# Written by ReMUD Desktop next to the exported data (dataset_dir and media_dir point here)."]
    for section, items in training_config(name, final_dir, base_model, max_pixels, has_validation):
        lines += ["", f"### {section}"]
        for key, value in items:
            # floats through defaults.yaml_scalar: a dot before the exponent keeps 3.0e-05 a number in YAML 1.1
            text = defaults.yaml_scalar(value) if isinstance(value, float) else _scalar(value)
            lines.append(f"{key}: {text}")
    path = out_dir / YAML_NAME
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
