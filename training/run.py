"""One supervised fine-tuning run with transformers' Trainer (single GPU, accelerate/torchrun, DeepSpeed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainerCallback, TrainingArguments, set_seed
from transformers.trainer_utils import get_last_checkpoint

from training.collator import QwenVLCollator
from training.config import TrainConfig
from training.data import ConversationDataset, load_split
from training.errors import TrainingCancelled, TrainingError
from training.model import (
    load_model,
    load_processor,
    prepare_for_training,
    save_processor,
)
from training.plot import save_loss_plot

LOSS_PLOT = "loss.png"


@dataclass(frozen=True)
class TrainResult:
    global_step: int
    train_loss: float
    eval_loss: float | None
    output_dir: Path
    loss_plot: Path
    log_history: list[dict[str, Any]]


class LossPlotCallback(TrainerCallback):
    """Rewrites OUTPUT_DIR/loss.png at every checkpoint and at the end (main process only)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            save_loss_plot(state.log_history, self.path)

    def on_train_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            save_loss_plot(state.log_history, self.path)


class ProgressCallback(TrainerCallback):
    """Reports (step, max_steps) after each optimizer step and stops cleanly when cancel() is true."""

    def __init__(self, progress: Callable[[int, int], None] | None, cancel: Callable[[], bool] | None) -> None:
        self.progress, self.cancel = progress, cancel
        self.cancelled = False

    def on_step_end(self, args, state, control, **kwargs):
        if self.progress is not None:
            self.progress(state.global_step, state.max_steps)
        if self.cancel is not None and self.cancel():
            self.cancelled = True
            control.should_training_stop = True
            control.should_save = True


def training_arguments(config: TrainConfig, cpu: bool, has_eval: bool) -> TrainingArguments:
    bf16 = config.bf16 and not cpu
    return TrainingArguments(
        output_dir=config.output_dir,
        per_device_train_batch_size=config.per_device_train_batch_size,
        per_device_eval_batch_size=config.per_device_eval_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        num_train_epochs=config.num_train_epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler_type,
        warmup_steps=config.warmup_ratio,  # a float below 1 is a fraction of all steps
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        bf16=bf16,
        activation_checkpointing=config.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if config.gradient_checkpointing else None,
        logging_steps=config.logging_steps,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=config.eval_steps if has_eval else None,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        dataloader_num_workers=config.dataloader_num_workers,
        remove_unused_columns=False,
        label_names=["labels"],
        seed=config.seed,
        data_seed=config.seed,
        use_cpu=cpu,
        deepspeed=config.deepspeed,
        report_to=config.report_to,
        disable_tqdm=True,
    )


def resume_point(config: TrainConfig, resume: bool) -> bool | str | None:
    """None (fresh start), True (latest checkpoint in output_dir) or a checkpoint path."""
    wanted = True if resume else config.resume_from_checkpoint
    if wanted is False or wanted is None:
        folder = Path(config.output_dir)
        if folder.is_dir() and get_last_checkpoint(str(folder)) is not None:
            raise TrainingError(f"{folder} already holds checkpoints of an earlier run; pass --resume to "
                                "continue it, or choose a new --output-dir.")
        return None
    if wanted is True:
        folder = Path(config.output_dir)
        if not folder.is_dir() or get_last_checkpoint(str(folder)) is None:
            raise TrainingError(f"There is no checkpoint-* folder in {folder} to resume from; start without "
                                "--resume.")
        return True
    if not Path(wanted).is_dir():
        raise TrainingError(f"The checkpoint {wanted} does not exist; give a checkpoint-* folder of an "
                            "earlier run.")
    return wanted


def final_eval_loss(trainer: Trainer) -> float:
    """The validation loss at the last step: from the log when evaluated there, else evaluated now."""
    last = [row for row in trainer.state.log_history if "eval_loss" in row]
    if last and last[-1].get("step") == trainer.state.global_step:
        return float(last[-1]["eval_loss"])
    return float(trainer.evaluate()["eval_loss"])


def run_training(config: TrainConfig, *, cpu: bool = False, resume: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> TrainResult:
    """Fine-tune config.model_name_or_path on config.dataset_dir; checkpoints and loss.png go to output_dir."""
    config.validate()
    set_seed(config.seed)
    train = load_split(config.dataset_dir, "train")
    if not train:
        raise TrainingError(f"The train split of {config.dataset_dir} is empty; accept more records and export "
                            "again.")
    validation = load_split(config.dataset_dir, "validation")
    checkpoint = resume_point(config, resume)

    # The arguments come before the model: with DeepSpeed ZeRO-3 they make from_pretrained load it sharded.
    args = training_arguments(config, cpu, has_eval=bool(validation))
    dtype = torch.bfloat16 if config.bf16 and not cpu else torch.float32
    processor = load_processor(config.model_name_or_path, config.min_pixels, config.max_pixels)
    model = prepare_for_training(load_model(config.model_name_or_path, dtype, config.attn_implementation), config)
    output_dir = Path(config.output_dir)
    progress_callback = ProgressCallback(progress, cancel)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=ConversationDataset(train),
        eval_dataset=ConversationDataset(validation) if validation else None,
        data_collator=QwenVLCollator(processor, config.max_length),
        callbacks=[LossPlotCallback(output_dir / LOSS_PLOT), progress_callback],
    )
    outcome = trainer.train(resume_from_checkpoint=checkpoint)
    if progress_callback.cancelled:
        raise TrainingCancelled(f"Training was cancelled at step {trainer.state.global_step}; run again with "
                                "--resume to continue from the last checkpoint.")
    eval_loss = final_eval_loss(trainer) if validation else None
    trainer.save_model(str(output_dir))
    if trainer.is_world_process_zero():
        save_processor(processor, output_dir)
        save_loss_plot(trainer.state.log_history, output_dir / LOSS_PLOT)
    return TrainResult(global_step=trainer.state.global_step, train_loss=outcome.training_loss,
                       eval_loss=eval_loss, output_dir=output_dir, loss_plot=output_dir / LOSS_PLOT,
                       log_history=list(trainer.state.log_history))
