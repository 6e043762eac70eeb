"""The training defaults, in one place: both training paths are written from here.

* `training/config.py` takes them as the defaults of `TrainConfig`;
* `training/configs/qwen2_5_vl_lora.yaml` and `qwen2_5_vl_full.yaml` hold them; after changing a value
  here run `python -m training.defaults`, which rewrites those lines of both files (comments kept), and
  `tests/training/test_config_and_data.py` fails while a file and this module disagree;
* every export's `llamafactory_qwen2_5_vl_lora_sft.yaml` (`engine/export/llamafactory.py`) is written
  from them: `image_max_pixels` (unless the export caps its crops with --max-pixels), `image_min_pixels`,
  `cutoff_len`, `lora_rank`, `lora_alpha`, `lora_dropout`, `learning_rate`, `warmup_steps`, ...

The module imports nothing beyond the standard library: the desktop app reads it without the training
stack, and `training/` still runs on a GPU machine on its own.

Images: both paths cap an image at MAX_PIXELS, but not at the same point. The bundled script hands the
original image to the Qwen2.5-VL processor with max_pixels = MAX_PIXELS (the processor's smart_resize
rounds each side to a multiple of 28 within the cap). LLaMA-Factory first resizes the image itself to at
most `image_max_pixels` (each side scaled by sqrt(max / pixels) and truncated), then hands it to the
processor with the model's own cap (QWEN_PROCESSOR_MAX_PIXELS), which rounds each side to the nearest
multiple of 28. So the two paths can see a few image tokens more or less for the same crop; both feed
identical pixels when the crops are at most `image_max_pixels` (export with --max-pixels) and the bundled
script uses the processor's own cap (`--set max_pixels=12845056`): see training/README.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BASE_MODEL = "Qwen/Qwen2.5-VL-7B-Instruct"
MIN_PIXELS = 56 * 56  # 3136: smaller images are upscaled (the Qwen2.5-VL processor's own minimum)
MAX_PIXELS = 28 * 28 * 1024  # 802816: at most 1024 image tokens per image
CUTOFF_LEN = 8192  # tokens: image tokens + question + thinking + answer; longer conversations are cut at the end
LORA_RANK = 8
LORA_ALPHA = 16
LORA_DROPOUT = 0.05
LEARNING_RATE = 3e-5  # the ReMUD paper's
LR_SCHEDULER = "cosine"
WARMUP = 0.1  # a fraction of all optimizer steps (transformers' warmup_steps below 1 is a ratio)
NUM_TRAIN_EPOCHS = 3.0
PER_DEVICE_TRAIN_BATCH_SIZE = 1
GRADIENT_ACCUMULATION_STEPS = 8
# The max_pixels of Qwen/Qwen2.5-VL-7B-Instruct's preprocessor_config.json, which LLaMA-Factory's
# processor keeps (it caps images itself, before the processor, at image_max_pixels).
QWEN_PROCESSOR_MAX_PIXELS = 12845056
# LLaMA-Factory's image_min_pixels: it upscales smaller images itself before the processor. 28*28 (the
# smallest pixel cap an export accepts) leaves every ordinary crop to the processor, whose own minimum
# (MIN_PIXELS, 56*56) then upscales it exactly as the bundled script does.
LLAMAFACTORY_IMAGE_MIN_PIXELS = 28 * 28

# The keys of training/configs/*.yaml (TrainConfig's names) that hold a shared default.
CONFIG_DEFAULTS: dict[str, object] = {
    "model_name_or_path": BASE_MODEL,
    "lora_rank": LORA_RANK,
    "lora_alpha": LORA_ALPHA,
    "lora_dropout": LORA_DROPOUT,
    "min_pixels": MIN_PIXELS,
    "max_pixels": MAX_PIXELS,
    "max_length": CUTOFF_LEN,
    "learning_rate": LEARNING_RATE,
    "lr_scheduler_type": LR_SCHEDULER,
    "warmup_ratio": WARMUP,
    "num_train_epochs": NUM_TRAIN_EPOCHS,
    "per_device_train_batch_size": PER_DEVICE_TRAIN_BATCH_SIZE,
    "gradient_accumulation_steps": GRADIENT_ACCUMULATION_STEPS,
}

CONFIG_FILES = ("qwen2_5_vl_lora.yaml", "qwen2_5_vl_full.yaml")


def yaml_scalar(value: object) -> str:
    """A YAML 1.1 scalar for a default: floats keep a dot before any exponent ("3.0e-05"), which
    PyYAML and LLaMA-Factory read as a number ("3e-05" would be text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"
        return text
    return str(value)


def sync_config_text(text: str) -> str:
    """`text` (a training/configs YAML) with every `key: value` line of a shared default set to it; the
    comment after the value and the lines of other keys stay as they are."""
    def replace(match: re.Match[str]) -> str:
        key, gap, comment = match.group("key"), match.group("gap"), match.group("comment") or ""
        value = yaml_scalar(CONFIG_DEFAULTS[key])
        if comment:
            # keep the comment where it was, at least one space after the value
            width = len(match.group("value")) + len(match.group("pad"))
            return f"{key}:{gap}{value}{' ' * max(1, width - len(value))}{comment}"
        return f"{key}:{gap}{value}"

    keys = "|".join(re.escape(k) for k in CONFIG_DEFAULTS)
    pattern = re.compile(rf"^(?P<key>{keys}):(?P<gap>[ \t]+)(?P<value>[^#\n]*?)(?P<pad>[ \t]*)(?P<comment>#[^\n]*)?$",
                         re.MULTILINE)
    return pattern.sub(replace, text)


def write_configs(folder: Path | None = None) -> list[Path]:
    """Rewrite the shared defaults into training/configs/*.yaml; returns the files that changed."""
    folder = folder or Path(__file__).resolve().parent / "configs"
    changed = []
    for name in CONFIG_FILES:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        new = sync_config_text(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for path in write_configs():
        print(f"updated {path}")
    sys.exit(0)
