"""Merge a LoRA adapter into its base model and save full weights (Qwen2_5_VLForConditionalGeneration layout).

    python training/merge.py --adapter outputs/remud-qwen2_5_vl-7b-lora --output outputs/remud-7b-merged

The output folder holds config.json, model*.safetensors, the tokenizer, the image processor and the chat
template, so Qwen2_5_VLForConditionalGeneration.from_pretrained and llama.cpp's convert_hf_to_gguf.py read it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.errors import TrainingError

DTYPES = ("bfloat16", "float16", "float32")


def adapter_base(adapter_dir: Path) -> str:
    config_file = adapter_dir / "adapter_config.json"
    if not config_file.is_file():
        raise TrainingError(f"{adapter_dir} has no adapter_config.json; give the output_dir of a LoRA run "
                            "(or one of its checkpoint-* folders).")
    base = json.loads(config_file.read_text(encoding="utf-8")).get("base_model_name_or_path")
    if not base:
        raise TrainingError(f"{config_file} does not name its base model; pass --base MODEL.")
    return base


def merge_lora(adapter_dir: str | Path, output_dir: str | Path, base: str | None = None,
               dtype: str = "bfloat16", progress: Callable[[str], None] | None = None) -> Path:
    """Load base + adapter, fold the LoRA weights in (merge_and_unload), save safetensors and the processor."""
    # heavy: torch, peft and transformers (several seconds); `merge.py --help` and its argument errors stay instant
    import torch
    from peft import PeftModel

    from training.model import load_model, load_processor, save_processor

    if dtype not in DTYPES:
        raise TrainingError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}.")
    adapter_dir, output_dir = Path(adapter_dir), Path(output_dir)
    base = base or adapter_base(adapter_dir)
    if output_dir.exists() and any(output_dir.iterdir()):
        raise TrainingError(f"{output_dir} is not empty; choose a new folder for the merged model.")
    report = progress or (lambda message: None)
    report(f"Loading {base}")
    model = load_model(base, getattr(torch, dtype))
    report(f"Applying the adapter from {adapter_dir}")
    merged = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    processor_source = adapter_dir if (adapter_dir / "preprocessor_config.json").is_file() else base
    processor = load_processor(processor_source, **_pixel_limits(processor_source))
    report(f"Saving the merged model to {output_dir}")
    merged.config.use_cache = True
    merged.save_pretrained(output_dir)
    save_processor(processor, output_dir)
    return output_dir


def _pixel_limits(source: str | Path) -> dict[str, int]:
    """Keep the min/max pixels the model was trained with (from its preprocessor_config.json)."""
    from transformers import AutoImageProcessor  # heavy: transformers (see merge_lora)

    size = AutoImageProcessor.from_pretrained(source).size
    return {"min_pixels": size["shortest_edge"], "max_pixels": size["longest_edge"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Merge a LoRA adapter into Qwen2.5-VL full weights.")
    parser.add_argument("--adapter", required=True, help="the LoRA run's output_dir (or a checkpoint-* folder)")
    parser.add_argument("--output", required=True, help="an empty or new folder for the merged model")
    parser.add_argument("--base", help="base model id or folder (default: the one named in adapter_config.json)")
    parser.add_argument("--dtype", default="bfloat16", choices=DTYPES)
    args = parser.parse_args(argv)
    try:
        out = merge_lora(args.adapter, args.output, args.base, args.dtype, progress=print)
    except TrainingError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Merged model saved to {out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
