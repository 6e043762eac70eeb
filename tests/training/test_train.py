"""Training runs on the tiny Qwen2.5-VL (CPU): the loss falls, eval/plots/checkpoints, resume, full mode, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import Qwen2_5_VLForConditionalGeneration

from tests.training.conftest import tiny_config
from training.errors import TrainingCancelled, TrainingError
from training.run import run_training
from training.train_sft import NO_GPU_MESSAGE, main

REPO = Path(__file__).resolve().parents[2]


def logged(history, key="loss"):
    return [(row["step"], row[key]) for row in history if key in row]


def test_thirty_lora_steps_make_the_training_loss_fall(lora_run):
    losses = [loss for _, loss in logged(lora_run.log_history)]
    assert lora_run.global_step == 30 and len(losses) == 30
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < first - 0.1, losses
    evals = logged(lora_run.log_history, "eval_loss")
    assert [step for step, _ in evals] == [10, 20, 30]
    assert evals[-1][1] < evals[0][1] and lora_run.eval_loss == pytest.approx(evals[-1][1])


def test_lora_run_writes_adapter_processor_checkpoints_and_plot(lora_run):
    out = lora_run.output_dir
    weights = load_file(out / "adapter_model.safetensors")
    assert weights and all(".language_model." in name for name in weights)  # vision tower frozen: no adapter
    assert json.loads((out / "adapter_config.json").read_text())["r"] == 8
    for name in ("tokenizer.json", "preprocessor_config.json", "chat_template.jinja"):
        assert (out / name).is_file()
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-10", "checkpoint-20", "checkpoint-30"]
    png = lora_run.loss_plot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_cancel_then_resume_continues_the_step_count(tiny_model_dir, tiny_export, tmp_path):
    settings = dict(max_steps=6, save_steps=100, eval_steps=100, learning_rate=3e-3)
    straight = run_training(tiny_config(tiny_model_dir, tiny_export, tmp_path / "straight", **settings), cpu=True)

    steps_seen: list[int] = []
    config = tiny_config(tiny_model_dir, tiny_export, tmp_path / "resumed", **settings)
    with pytest.raises(TrainingCancelled, match="--resume"):
        run_training(config, cpu=True, progress=lambda step, total: steps_seen.append(step),
                     cancel=lambda: len(steps_seen) >= 3)
    assert steps_seen == [1, 2, 3]
    assert [p.name for p in (tmp_path / "resumed").glob("checkpoint-*")] == ["checkpoint-3"]

    with pytest.raises(TrainingError, match="already holds checkpoints.*--resume"):
        run_training(config, cpu=True)  # a fresh start would mix two runs in one folder
    resumed = run_training(config, cpu=True, resume=True, progress=lambda step, total: steps_seen.append(step))
    assert steps_seen == [1, 2, 3, 4, 5, 6]
    assert resumed.global_step == 6
    assert [s for s, _ in logged(resumed.log_history)] == [1, 2, 3, 4, 5, 6]
    # Same weights, optimizer, scheduler and data order as the uninterrupted run.
    assert [loss for _, loss in logged(resumed.log_history)] == pytest.approx(
        [loss for _, loss in logged(straight.log_history)], abs=1e-4)
    state = json.loads((tmp_path / "resumed" / "checkpoint-6" / "trainer_state.json").read_text())
    assert state["global_step"] == 6


def test_resume_without_checkpoint_is_a_clear_error(tiny_model_dir, tiny_export, tmp_path):
    config = tiny_config(tiny_model_dir, tiny_export, tmp_path / "empty")
    with pytest.raises(TrainingError, match="no checkpoint"):
        run_training(config, cpu=True, resume=True)


def test_full_finetuning_with_frozen_vision(tiny_model_dir, tiny_export, tmp_path):
    config = tiny_config(tiny_model_dir, tiny_export, tmp_path / "full", finetuning="full", max_steps=3,
                         learning_rate=1e-3, save_steps=100, eval_steps=100)
    result = run_training(config, cpu=True)
    base = Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_model_dir).state_dict()
    tuned = Qwen2_5_VLForConditionalGeneration.from_pretrained(result.output_dir).state_dict()
    vision = [k for k in base if k.startswith("model.visual.")]
    language = [k for k in base if k.startswith("model.language_model.layers.")]
    assert vision and language
    assert all(torch.equal(base[k], tuned[k]) for k in vision)
    assert all(not torch.equal(base[k], tuned[k]) for k in language if k.endswith("q_proj.weight"))


def test_no_gpu_without_cpu_flag_exits_2(tiny_export, capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert main(["--config", "configs/qwen2_5_vl_lora.yaml", "--dataset-dir", str(tiny_export)]) == 2
    assert capsys.readouterr().err.strip() == NO_GPU_MESSAGE


def test_bad_inputs_exit_1_with_a_sentence(tiny_model_dir, tmp_path, capsys):
    assert main(["--cpu", "--config", "configs/qwen2_5_vl_lora.yaml", "--model", str(tiny_model_dir),
                 "--dataset-dir", str(tmp_path / "nowhere")]) == 1
    assert "sharegpt/train.json does not exist" in capsys.readouterr().err
    assert main(["--cpu", "--config", "configs/qwen2_5_vl_lora.yaml", "--set", "lora_rnk=4",
                 "--dataset-dir", str(tmp_path)]) == 1
    assert "Unknown config key(s) lora_rnk" in capsys.readouterr().err


def test_script_runs_from_the_command_line(tiny_model_dir, tiny_export, tmp_path):
    out = tmp_path / "cli"
    command = [sys.executable, str(REPO / "training" / "train_sft.py"), "--cpu",
               "--config", "configs/qwen2_5_vl_lora.yaml", "--model", str(tiny_model_dir),
               "--dataset-dir", str(tiny_export), "--output-dir", str(out),
               "--set", "max_steps=2", "--set", "min_pixels=3136", "--set", "max_pixels=12544",
               "--set", "dataloader_num_workers=0", "--set", "logging_steps=1"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Trained 2 steps" in done.stdout
    assert (out / "adapter_model.safetensors").is_file() and (out / "loss.png").is_file()
