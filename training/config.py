"""The training configuration: a dataclass loaded from YAML, with `key=value` overrides from the CLI."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from training import defaults
from training.errors import TrainingError

TRAINING_DIR = Path(__file__).resolve().parent
LANGUAGE_MODEL_LINEARS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
FINETUNING_KINDS = ("lora", "full")


@dataclass
class TrainConfig:
    """Every key a training YAML may set. Defaults follow the ReMUD paper (lr 3e-5, cosine, 3 epochs, bf16);
    those the exported LLaMA-Factory config shares come from training/defaults.py."""

    # What to train on and where to write.
    model_name_or_path: str = defaults.BASE_MODEL
    dataset_dir: str = ""  # the folder `remud export` wrote (contains sharegpt/train.json)
    output_dir: str = "outputs/remud-qwen2_5_vl-lora"
    # What is trained.
    finetuning: str = "lora"  # "lora" (adapter only) or "full" (all weights that are not frozen)
    freeze_vision: bool = True  # keep the vision tower and its merger frozen
    lora_rank: int = defaults.LORA_RANK
    lora_alpha: int = defaults.LORA_ALPHA
    lora_dropout: float = defaults.LORA_DROPOUT
    lora_target: list[str] = field(default_factory=lambda: list(LANGUAGE_MODEL_LINEARS))
    # Images and sequence length.
    min_pixels: int = defaults.MIN_PIXELS
    max_pixels: int = defaults.MAX_PIXELS  # at most 1024 image tokens per image
    max_length: int = defaults.CUTOFF_LEN  # longer conversations are cut at the end (never inside the image tokens)
    # Optimisation.
    learning_rate: float = defaults.LEARNING_RATE
    lr_scheduler_type: str = defaults.LR_SCHEDULER
    warmup_ratio: float = defaults.WARMUP  # passed to transformers as warmup_steps (below 1: a fraction)
    num_train_epochs: float = defaults.NUM_TRAIN_EPOCHS
    max_steps: int = -1  # > 0 overrides num_train_epochs
    per_device_train_batch_size: int = defaults.PER_DEVICE_TRAIN_BATCH_SIZE
    per_device_eval_batch_size: int = 1
    gradient_accumulation_steps: int = defaults.GRADIENT_ACCUMULATION_STEPS
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    bf16: bool = True
    gradient_checkpointing: bool = True
    attn_implementation: str = "sdpa"  # "flash_attention_2" where flash-attn is installed
    # Logging, evaluation, checkpoints.
    logging_steps: int = 10
    eval_steps: int = 100  # evaluated on the validation split when it is not empty
    save_steps: int = 100
    save_total_limit: int = 3
    resume_from_checkpoint: bool | str = False  # true: the latest checkpoint in output_dir; or a checkpoint path
    dataloader_num_workers: int = 2
    seed: int = 42
    deepspeed: str | None = None  # e.g. training/configs/deepspeed_zero3.json
    report_to: str = "none"

    def validate(self) -> None:
        if not self.dataset_dir:
            raise TrainingError("No dataset_dir is set: pass the folder `remud export` wrote with --dataset-dir "
                                "or `dataset_dir:` in the config.")
        if self.finetuning not in FINETUNING_KINDS:
            raise TrainingError(f"finetuning is {self.finetuning!r}; use one of: {', '.join(FINETUNING_KINDS)}.")
        if self.finetuning == "lora" and not self.lora_target:
            raise TrainingError("lora_target is empty: list the linear layers LoRA adapts, e.g. [q_proj, v_proj].")
        if not 0 <= self.warmup_ratio < 1:
            raise TrainingError(f"warmup_ratio is {self.warmup_ratio}; give a fraction of all steps from 0 to "
                                "below 1, e.g. 0.1.")
        if not 0 < self.min_pixels <= self.max_pixels:
            raise TrainingError(f"min_pixels ({self.min_pixels}) must be positive and at most max_pixels "
                                f"({self.max_pixels}).")
        if self.deepspeed and importlib.util.find_spec("deepspeed") is None:
            raise TrainingError("The config asks for DeepSpeed but it is not installed; run `pip install "
                                "deepspeed` on the GPU machine or set `deepspeed: null`.")
        if self.deepspeed and not Path(self.deepspeed).is_file():
            raise TrainingError(f"The DeepSpeed config {self.deepspeed} does not exist; point `deepspeed:` at "
                                "training/configs/deepspeed_zero2.json or deepspeed_zero3.json.")


def resolve_path(value: str) -> Path:
    """A path as given, or else relative to training/ (so `configs/x.yaml` works from the repository root too)."""
    path = Path(value).expanduser()
    if path.exists() or path.is_absolute():
        return path
    beside = TRAINING_DIR / path
    return beside if beside.exists() else path


KIND_WORDS = {"bool": "true or false", "int": "a whole number", "float": "a number", "str": "text",
              "list[str]": "a list such as [q_proj, v_proj]", "str | None": "text or null",
              "bool | str": "true, false or a checkpoint folder"}
KIND_TYPES = {"bool": (bool,), "int": (int,), "float": (int, float), "str": (str,), "list[str]": (list,),
              "str | None": (str, type(None)), "bool | str": (bool, str)}


def _coerce(name: str, raw: Any, kind: str) -> Any:
    """Check a YAML value against the field's type; "1e-4" (YAML reads it as text) is accepted as a number."""
    if kind == "float" and isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            pass
    allowed = KIND_TYPES[kind]
    fits = isinstance(raw, allowed) and not (isinstance(raw, bool) and bool not in allowed)
    if not fits:
        raise TrainingError(f"{name} must be {KIND_WORDS[kind]}, not {raw!r}.")
    return float(raw) if kind == "float" else raw


def config_from_dict(values: dict[str, Any]) -> TrainConfig:
    # The field types are the annotations as text (`from __future__ import annotations`): "int", "str | None".
    kinds = {f.name: str(f.type) for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - set(kinds))
    if unknown:
        raise TrainingError(f"Unknown config key(s) {', '.join(unknown)}; see training/configs/"
                            "qwen2_5_vl_lora.yaml for the keys that exist.")
    return TrainConfig(**{k: _coerce(k, v, kinds[k]) for k, v in values.items()})


def parse_override(text: str) -> tuple[str, Any]:
    """`key=value` with a YAML-typed value (`max_steps=30`, `bf16=false`, `lora_target=[q_proj,v_proj]`)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise TrainingError(f"Override {text!r} is not key=value, e.g. --set max_steps=100.")
    return key.strip(), yaml.safe_load(value) if value.strip() else ""


def load_config(path: str | Path | None, overrides: Sequence[str] = ()) -> TrainConfig:
    values: dict[str, Any] = {}
    if path is not None:
        file = resolve_path(str(path))
        if not file.is_file():
            raise TrainingError(f"The config file {path} does not exist; use e.g. "
                                "training/configs/qwen2_5_vl_lora.yaml.")
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise TrainingError(f"The config file {file} is not valid YAML ({exc.__class__.__name__}); "
                                "fix the line it points at.") from exc
        if not isinstance(loaded, dict):
            raise TrainingError(f"The config file {file} must be a mapping of key: value lines.")
        values.update(loaded)
    values.update(parse_override(o) for o in overrides)
    config = config_from_dict(values)
    if config.deepspeed:
        config.deepspeed = str(resolve_path(config.deepspeed))
    return config
