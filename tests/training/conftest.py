"""Session fixtures: one tiny Qwen2.5-VL on disk, one tiny export, one short LoRA run shared by the tests."""

from __future__ import annotations

import pytest

from tests.training.tiny_qwen import save_tiny_qwen, write_tiny_export
from training.config import TrainConfig


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return save_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen") / "model")


@pytest.fixture(scope="session")
def tiny_export(tmp_path_factory):
    return write_tiny_export(tmp_path_factory.mktemp("export") / "OUT_DIR")


def tiny_config(model_dir, export_dir, output_dir, **overrides):
    """A TrainConfig for the tiny model on the CPU: every step logged, small learning-rate warm-up."""
    values = dict(model_name_or_path=str(model_dir), dataset_dir=str(export_dir), output_dir=str(output_dir),
                  min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16, learning_rate=3e-3, warmup_ratio=0.0,
                  per_device_train_batch_size=2, gradient_accumulation_steps=1, lora_rank=8, lora_alpha=16,
                  lora_dropout=0.0, logging_steps=1, eval_steps=10, save_steps=10, dataloader_num_workers=0,
                  bf16=False, gradient_checkpointing=True, max_steps=30)
    values.update(overrides)
    return TrainConfig(**values)


@pytest.fixture(scope="session")
def lora_run(tiny_model_dir, tiny_export, tmp_path_factory):
    """30 LoRA steps on the tiny export (CPU); returns the TrainResult."""
    from training.run import run_training  # heavy: torch and transformers; the GGUF tests share this conftest

    output = tmp_path_factory.mktemp("lora-run") / "out"
    return run_training(tiny_config(tiny_model_dir, tiny_export, output), cpu=True)
