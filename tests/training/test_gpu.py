"""GPU runs of the real script path (bf16, gradient checkpointing, CUDA); skipped where no GPU is present."""

from __future__ import annotations

import math

import pytest
import torch

from tests.training.conftest import tiny_config
from training.run import run_training
from training.train_sft import main

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_bf16_lora_run_on_the_gpu(tiny_model_dir, tiny_export, tmp_path):
    config = tiny_config(tiny_model_dir, tiny_export, tmp_path / "gpu", bf16=True, max_steps=20,
                         learning_rate=3e-3, eval_steps=10, save_steps=10)
    result = run_training(config, cpu=False)
    losses = [row["loss"] for row in result.log_history if "loss" in row]
    assert result.global_step == 20 and all(math.isfinite(x) for x in losses)
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    assert result.eval_loss is not None and math.isfinite(result.eval_loss)


def test_full_run_through_the_cli_without_cpu_flag(tiny_model_dir, tiny_export, tmp_path):
    out = tmp_path / "cli-gpu"
    code = main(["--config", "configs/qwen2_5_vl_full.yaml", "--model", str(tiny_model_dir),
                 "--dataset-dir", str(tiny_export), "--output-dir", str(out), "--set", "deepspeed=null",
                 "--set", "max_steps=3", "--set", "min_pixels=3136", "--set", "max_pixels=12544",
                 "--set", "dataloader_num_workers=0"])
    assert code == 0 and (out / "loss.png").is_file() and any(out.glob("model*.safetensors"))
