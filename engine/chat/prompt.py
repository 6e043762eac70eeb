"""ChatML prompts for Qwen2.5-VL: system, user turns (with images), earlier answers, the open assistant turn.

Earlier assistant turns carry their answer only: the thinking of earlier turns is never fed back.
Images are kept as `ImageSlot`s between text segments; the vision path turns each slot into
`<|vision_start|>` + image embeddings + `<|vision_end|>` (what `<|image_pad|>` stands for).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.chat.types import ChatTurn, Role

DEFAULT_SYSTEM = "You are a helpful assistant."


@dataclass(frozen=True)
class ImageSlot:
    path: Path


Segment = str | ImageSlot


def build_prompt(turns: Sequence[ChatTurn], *, opening: str, system: str = DEFAULT_SYSTEM) -> list[Segment]:
    """Segments of the whole prompt, ending with the open assistant turn and `opening` (e.g. "<think>\\n")."""
    if not turns or turns[-1].role != Role.USER:
        raise ValueError("the last turn must be the user's question")
    segments: list[Segment] = []
    text = ""
    if turns[0].role != Role.SYSTEM:
        text += f"<|im_start|>system\n{system}<|im_end|>\n"
    for turn in turns:
        text += f"<|im_start|>{turn.role}\n"
        if turn.image is not None:
            segments.append(text)
            segments.append(ImageSlot(turn.image))
            text = ""
        text += f"{turn.content}<|im_end|>\n"
    text += "<|im_start|>assistant\n" + opening
    segments.append(text)
    return [s for s in segments if s != ""]


def images_of(segments: Sequence[Segment]) -> list[ImageSlot]:
    return [s for s in segments if isinstance(s, ImageSlot)]
