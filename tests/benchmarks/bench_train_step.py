"""Training step time: the script's Trainer path vs a bare transformers loop (target overhead <= 10%).

Same tiny random Qwen2.5-VL (LoRA, gradient checkpointing, CPU float32), same batch of two image
conversations every step. Per-step time is the median over STEPS steps after WARMUP warm-up steps.
- script: training.run.run_training (Trainer + QwenVLCollator + scheduler + grad clipping + logging),
  timed between consecutive optimizer steps, so data loading and collation are included;
- bare: collator(batch) -> model(**batch).loss.backward(); optimizer.step(); optimizer.zero_grad();
- bare, pre-collated: the same without re-collating (pure model + optimizer time, for reference).
"""

from __future__ import annotations

import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch

from tests.benchmarks._timing import median
from tests.training.conftest import tiny_config
from tests.training.tiny_qwen import save_tiny_qwen, write_tiny_export
from training.collator import QwenVLCollator
from training.data import load_split
from training.model import load_model, load_processor, prepare_for_training
from training.run import run_training

WARMUP, STEPS, ROUNDS = 5, 30, 3


def bare_loop(config, conversations, collate_each_step: bool) -> tuple[list[float], list[float]]:
    torch.manual_seed(config.seed)
    processor = load_processor(config.model_name_or_path, config.min_pixels, config.max_pixels)
    model = prepare_for_training(load_model(config.model_name_or_path, torch.float32), config)
    model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    model.train()
    collator = QwenVLCollator(processor, config.max_length)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    fixed = collator(conversations)
    stamps = [_now()]
    for _ in range(WARMUP + STEPS):
        batch = collator(conversations) if collate_each_step else fixed
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        stamps.append(_now())
    return _step_times(stamps)


def script_path(config) -> tuple[list[float], list[float]]:
    stamps: list[tuple[float, float]] = []
    run_training(config, cpu=True, progress=lambda step, total: stamps.append(_now()))
    return _step_times(stamps)


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _step_times(stamps: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds of this process) per step, warm-up steps dropped."""
    wall = [b[0] - a[0] for a, b in pairwise(stamps)][WARMUP:]
    cpu = [b[1] - a[1] for a, b in pairwise(stamps)][WARMUP:]
    return wall, cpu


def collate_only(config, conversations) -> list[float]:
    collator = QwenVLCollator(load_processor(config.model_name_or_path, config.min_pixels, config.max_pixels),
                              config.max_length)
    times = []
    for _ in range(WARMUP + STEPS):
        start = time.perf_counter()
        collator(conversations)
        times.append(time.perf_counter() - start)
    return times[WARMUP:]


def main() -> None:
    torch.set_num_threads(1)  # one thread: less sensitive to other processes on a shared machine
    runs: dict[str, list[tuple[float, float]]] = {"bare": [], "script": [], "pre-collated": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_dir = save_tiny_qwen(tmp / "model")
        export = write_tiny_export(tmp / "export", n_train=2, n_validation=0)
        conversations = load_split(export, "train")
        for round_ in range(ROUNDS):  # interleaved, so load from other processes hits every side alike
            config = tiny_config(model_dir, export, tmp / f"out{round_}", max_steps=WARMUP + STEPS + 1,
                                 logging_steps=10, save_steps=10_000, learning_rate=1e-4)
            for name, measure in (("bare", lambda c=config: bare_loop(c, conversations, collate_each_step=True)),
                                  ("script", lambda c=config: script_path(c)),
                                  ("pre-collated", lambda c=config: bare_loop(c, conversations, False))):
                wall, cpu = measure()
                runs[name].append((median(wall), median(cpu)))
        collate = median(collate_only(config, conversations))
    best = {name: (min(w for w, _ in r), min(c for _, c in r)) for name, r in runs.items()}
    print(f"tiny Qwen2.5-VL (LoRA r=8, gradient checkpointing, float32), batch of 2 image conversations, CPU, "
          f"1 thread; median of {STEPS} steps per round, best of {ROUNDS} interleaved rounds")
    labels = {"bare": "bare loop (collate + fwd/bwd/step)", "pre-collated": "bare loop, pre-collated batch",
              "script": "script (Trainer + collator)"}
    for name in ("bare", "pre-collated", "script"):
        rounds = ", ".join(f"{w * 1000:.1f}" for w, _ in runs[name])
        print(f"{labels[name]:36s} wall {best[name][0] * 1000:7.2f} ms  CPU {best[name][1] * 1000:7.2f} ms"
              f"   (wall per round: {rounds})")
    print(f"collator alone: {collate * 1000:.2f} ms/call")
    for name in ("bare", "pre-collated"):
        print(f"ratio script / {name}: wall {best['script'][0] / best[name][0]:.3f}, "
              f"CPU {best['script'][1] / best[name][1]:.3f}" + ("  (target <= 1.10)" if name == "bare" else ""))


if __name__ == "__main__":
    main()
