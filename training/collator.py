"""Turn a list of conversations into a Qwen2.5-VL training batch, with loss on assistant tokens only.

The label rule (also in training/README.md) is Qwen's own: for every assistant turn, the tokens after
the header "<|im_start|>assistant\\n" up to and including that turn's "<|im_end|>" and the newline
after it are learned: the thinking ("<think>...</think>"), the answer, the end token and the "\\n" the
chat template writes after it. Qwen2.5-VL's fine-tuning code (qwen-vl-finetune, `preprocess_qwen_visual`:
labels from the answer start to the <|im_end|> position + 2) and LLaMA-Factory's qwen2_vl template
(assistant turns are "{{content}}<|im_end|>\\n", all of it the target) learn exactly these tokens.
Everything else is -100 (ignored by the loss): the system turn, the user turns, the image tokens
(<|vision_start|>, <|image_pad|>..., <|vision_end|>), every role header "<|im_start|>role\\n", and padding.
"""

from __future__ import annotations

from typing import Any

import torch
from PIL import Image

from training.data import Conversation
from training.errors import TrainingError

IGNORE_INDEX = -100
ASSISTANT_HEADER = "<|im_start|>assistant\n"
END_OF_TURN = "<|im_end|>"
AFTER_END_OF_TURN = "\n"  # the chat template's newline after every <|im_end|>: learned with the turn


def assistant_label_mask(input_ids: torch.Tensor, header: list[int], end_id: int,
                         newline_id: int | None = None) -> torch.Tensor:
    """Bool mask [batch, seq]: True on the tokens after each `header` up to and including the next `end_id`,
    and the token right after it when that is `newline_id` (the "\\n" the template writes after <|im_end|>)."""
    length = input_ids.shape[1]
    mask = torch.zeros_like(input_ids, dtype=torch.bool)
    width = len(header)
    if length < width:
        return mask
    windows = input_ids.unfold(1, width, 1)  # [batch, length - width + 1, width]
    starts = (windows == torch.tensor(header, dtype=input_ids.dtype)).all(dim=-1)
    for row, start in starts.nonzero().tolist():
        first = start + width
        ends = (input_ids[row, first:] == end_id).nonzero()
        last = first + int(ends[0]) if len(ends) else length - 1  # a cut-off answer is learned to the end
        if len(ends) and newline_id is not None and last + 1 < length and int(input_ids[row, last + 1]) == newline_id:
            last += 1
        mask[row, first:last + 1] = True
    return mask


def count_assistant_headers(input_ids: torch.Tensor, header: list[int]) -> torch.Tensor:
    windows = input_ids.unfold(1, len(header), 1)
    return (windows == torch.tensor(header, dtype=input_ids.dtype)).all(dim=-1).sum(dim=1)


class QwenVLCollator:
    """Callable collator for Trainer: chat template -> processor (images resized within min/max pixels) -> labels."""

    def __init__(self, processor: Any, max_length: int) -> None:
        self.processor = processor
        self.max_length = max_length
        tokenizer = processor.tokenizer
        self.header = tokenizer.encode(ASSISTANT_HEADER, add_special_tokens=False)
        self.end_id = tokenizer.convert_tokens_to_ids(END_OF_TURN)
        newline = tokenizer.encode(AFTER_END_OF_TURN, add_special_tokens=False)
        self.newline_id = newline[0] if len(newline) == 1 else None
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.end_id
        self.image_token_id = tokenizer.convert_tokens_to_ids("<|image_pad|>")

    def render(self, conversation: Conversation) -> str:
        return self.processor.apply_chat_template(conversation.messages, tokenize=False,
                                                  add_generation_prompt=False)

    def __call__(self, conversations: list[Conversation]) -> dict[str, torch.Tensor]:
        texts = [self.render(c) for c in conversations]
        images = [_load_image(p) for c in conversations for p in c.images]
        batch = self.processor(text=texts, images=images or None, padding=True, return_tensors="pt")
        input_ids = batch["input_ids"]
        expected = torch.tensor([sum(m["role"] == "assistant" for m in c.messages) for c in conversations])
        found = count_assistant_headers(input_ids, self.header)
        if not torch.equal(found, expected):
            bad = conversations[int((found != expected).nonzero()[0])]
            raise TrainingError(f"The chat template of this model does not render assistant turns as "
                                f"{ASSISTANT_HEADER!r} (conversation {bad.id}); use a Qwen2.5-VL processor.")
        labels = torch.where(assistant_label_mask(input_ids, self.header, self.end_id, self.newline_id), input_ids, IGNORE_INDEX)
        labels[batch["attention_mask"] == 0] = IGNORE_INDEX
        batch["labels"] = labels
        return self._truncate(dict(batch))

    def _truncate(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Cut sequences longer than max_length at the end; the image tokens must stay whole."""
        if batch["input_ids"].shape[1] <= self.max_length:
            return batch
        cut = batch["input_ids"][:, self.max_length:]
        if (cut == self.image_token_id).any():
            raise TrainingError(f"A conversation's image tokens reach past max_length ({self.max_length}); "
                                "raise max_length or lower max_pixels.")
        for key in ("input_ids", "attention_mask", "labels", "mm_token_type_ids"):
            if key in batch:
                batch[key] = batch[key][:, :self.max_length]
        return batch


def _load_image(path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")
