"""Supervised fine-tuning of Qwen2.5-VL on a ReMUD export.

    python training/train_sft.py --config training/configs/qwen2_5_vl_lora.yaml --dataset-dir OUT_DIR
    accelerate launch --config_file training/configs/accelerate_multi_gpu.yaml training/train_sft.py --config ...
    torchrun --nproc_per_node 4 training/train_sft.py --config ... --set deepspeed=configs/deepspeed_zero3.json

Exit codes: 0 done, 1 a problem with the inputs (the message says what to fix), 2 no GPU (and no --cpu).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `import training` work from any folder
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.config import load_config
from training.errors import TrainingError

NO_GPU_MESSAGE = ("No CUDA GPU is visible: run on a machine with an NVIDIA GPU, or pass --cpu to train "
                  "(slowly, in float32) on the processor.")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Fine-tune Qwen2.5-VL on a ReMUD export (LoRA by default).")
    parser.add_argument("--config", help="YAML config, e.g. training/configs/qwen2_5_vl_lora.yaml")
    parser.add_argument("--dataset-dir", help="the export folder (overrides dataset_dir)")
    parser.add_argument("--output-dir", help="where checkpoints, the adapter and loss.png go (overrides output_dir)")
    parser.add_argument("--model", help="base model id or folder (overrides model_name_or_path)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key, e.g. --set max_steps=100 --set lora_rank=16")
    parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in output_dir")
    parser.add_argument("--cpu", action="store_true", help="train on the CPU in float32 (tests, tiny models)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch  # heavy (seconds): `--help` and argument errors come first

    if not args.cpu and not torch.cuda.is_available():
        print(NO_GPU_MESSAGE, file=sys.stderr)
        return 2
    from training.run import run_training  # heavy: torch and transformers

    try:
        config = load_config(args.config, args.set)
        for key, value in (("dataset_dir", args.dataset_dir), ("output_dir", args.output_dir),
                           ("model_name_or_path", args.model)):
            if value is not None:
                setattr(config, key, value)
        result = run_training(config, cpu=args.cpu, resume=args.resume)
    except TrainingError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    eval_text = f", validation loss {result.eval_loss:.4f}" if result.eval_loss is not None else ""
    print(f"Trained {result.global_step} steps: train loss {result.train_loss:.4f}{eval_text}. "
          f"Saved to {result.output_dir} (loss plot {result.loss_plot}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
