"""LLaMA-Factory files: dataset_info.json entries and a ready Qwen2.5-VL LoRA SFT config."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from engine.export.splits import SPLITS

YAML_NAME = "llamafactory_qwen2_5_vl_lora_sft.yaml"
_PLAIN = re.compile(r"^[A-Za-z0-9_./-]+$")
DEFAULT_IMAGE_MAX_PIXELS = 1003520  # 1280 * 28 * 28, the Qwen2.5-VL processor's default cap


def dataset_info(name: str) -> dict:
    """One sharegpt entry per split: `dataset: <name>_train` in a LLaMA-Factory config finds it."""
    return {
        f"{name}_{split}": {
            "file_name": f"sharegpt/{split}.json",
            "formatting": "sharegpt",
            "columns": {"messages": "messages", "images": "images"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                     "assistant_tag": "assistant", "system_tag": "system"},
        }
        for split in SPLITS
    }


def write_dataset_info(out_dir: Path, name: str) -> Path:
    path = out_dir / "dataset_info.json"
    path.write_text(json.dumps(dataset_info(name), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
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
    """Sections of the config: LoRA SFT with the ReMUD paper's schedule (lr 3e-5, cosine, 3 epochs, bf16)."""
    folder = str(final_dir)
    dataset: list[tuple[str, object]] = [("dataset", f"{name}_train")]
    if has_validation:
        dataset.append(("eval_dataset", f"{name}_validation"))
    # cutoff_len counts the image tokens too (up to ~1280 per crop at the default pixel cap) plus long
    # thinking traces: 4096 would cut reasoning answers off, so 8192
    dataset += [("dataset_dir", folder), ("media_dir", folder), ("template", "qwen2_vl"), ("cutoff_len", 8192),
                ("overwrite_cache", True), ("preprocessing_num_workers", 4), ("dataloader_num_workers", 2)]
    train: list[tuple[str, object]] = [
        ("per_device_train_batch_size", 1), ("gradient_accumulation_steps", 8), ("learning_rate", "3.0e-5"),
        ("num_train_epochs", 3.0), ("lr_scheduler_type", "cosine"), ("warmup_ratio", 0.1), ("bf16", True),
        ("ddp_timeout", 180000000),
    ]
    sections: list[tuple[str, list[tuple[str, object]]]] = [
        ("model", [("model_name_or_path", base_model), ("image_max_pixels", max_pixels or DEFAULT_IMAGE_MAX_PIXELS),
                   ("trust_remote_code", True)]),
        ("method", [("stage", "sft"), ("do_train", True), ("finetuning_type", "lora"), ("lora_rank", 8),
                    ("lora_target", "all"), ("freeze_vision_tower", True)]),
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
            # learning_rate stays a float in YAML 1.1 only with a dot before the exponent
            text = value if key == "learning_rate" else _scalar(value)
            lines.append(f"{key}: {text}")
    path = out_dir / YAML_NAME
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
