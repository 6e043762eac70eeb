"""Load Qwen2.5-VL and its processor, and choose what is trained (LoRA, full, vision frozen or not)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model
from transformers import (
    AutoImageProcessor,
    AutoProcessor,
    AutoTokenizer,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLProcessor,
)
from transformers.image_utils import SizeDict

from training.config import TrainConfig
from training.errors import TrainingError

VISION_PREFIX = "model.visual."
# LoRA on the vision tower (only when freeze_vision is false): its attention and MLP linears.
VISION_LORA_PATTERN = r"model\.visual\.blocks\.\d+\.(attn\.(qkv|proj)|mlp\.(gate_proj|up_proj|down_proj))"


def _image_text_processor_class():
    """Qwen2_5_VLProcessor without its video processor, for machines without torchvision.

    transformers 5 needs torchvision to build the video processor, which training never uses; this subclass
    declares only the image processor and the tokenizer, so images and text are processed exactly as by
    Qwen2_5_VLProcessor.
    """

    class Qwen2_5_VLImageTextProcessor(Qwen2_5_VLProcessor):
        @classmethod
        def get_attributes(cls) -> list[str]:
            return ["image_processor", "tokenizer"]

    return Qwen2_5_VLImageTextProcessor


def load_processor(path: str | Path, min_pixels: int, max_pixels: int) -> Any:
    """The model's processor with images resized to hold between min_pixels and max_pixels pixels."""
    # min_pixels and max_pixels override the saved config's keys
    try:
        if importlib.util.find_spec("torchvision") is not None:
            processor = AutoProcessor.from_pretrained(path, min_pixels=min_pixels, max_pixels=max_pixels)
        else:
            tokenizer = AutoTokenizer.from_pretrained(path)
            image_processor = AutoImageProcessor.from_pretrained(path, min_pixels=min_pixels, max_pixels=max_pixels)
            processor = _image_text_processor_class()(image_processor=image_processor, tokenizer=tokenizer,
                                                      chat_template=tokenizer.chat_template)
    except OSError as exc:
        raise TrainingError(f"Could not load the processor of {path}; give a Hugging Face model id or a folder "
                            "with the model's tokenizer and preprocessor_config.json.") from exc
    # Whatever the saved config held, the limits asked for are the ones used.
    processor.image_processor.size = SizeDict(shortest_edge=min_pixels, longest_edge=max_pixels)
    processor.tokenizer.padding_side = "right"
    if processor.chat_template is None:
        raise TrainingError(f"{path} has no chat template; use a Qwen2.5-VL Instruct model.")
    return processor


def save_processor(processor: Any, folder: str | Path) -> None:
    """Save so that load_processor (and AutoProcessor where torchvision is installed) read it back."""
    if type(processor).__name__ == "Qwen2_5_VLImageTextProcessor":
        processor.tokenizer.save_pretrained(folder)
        processor.image_processor.save_pretrained(folder)
    else:
        processor.save_pretrained(folder)


def load_model(path: str | Path, dtype: torch.dtype, attn_implementation: str = "sdpa") -> Any:
    try:
        return Qwen2_5_VLForConditionalGeneration.from_pretrained(path, dtype=dtype,
                                                                  attn_implementation=attn_implementation)
    except OSError as exc:
        raise TrainingError(f"Could not load a Qwen2.5-VL model from {path}; give a Hugging Face model id "
                            "(e.g. Qwen/Qwen2.5-VL-7B-Instruct) or a folder saved with save_pretrained.") from exc


def lora_target_pattern(targets: list[str], include_vision: bool) -> str:
    """A regex (peft full-matches it against module names) that picks the language model's linears."""
    names = "|".join(sorted(set(targets)))
    pattern = rf"model\.language_model\.layers\.\d+\.(self_attn|mlp)\.({names})"
    return f"({pattern})|({VISION_LORA_PATTERN})" if include_vision else pattern


def prepare_for_training(model: Any, config: TrainConfig) -> Any:
    """Freeze what is not trained and, for LoRA, wrap the model in a peft adapter."""
    model.config.use_cache = False
    if config.finetuning == "lora":
        lora = LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                          target_modules=lora_target_pattern(config.lora_target, not config.freeze_vision),
                          bias="none", task_type="CAUSAL_LM")
        try:
            return get_peft_model(model, lora)
        except ValueError as exc:
            raise TrainingError(f"No layer of the model matches lora_target {config.lora_target}; use names "
                                "such as q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.") from exc
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(not (config.freeze_vision and name.startswith(VISION_PREFIX)))
    return model


def count_parameters(model: Any) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())
