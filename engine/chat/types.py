"""Plain data of the chat engine: model settings, conversation turns, stream events and results."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class StreamKind(StrEnum):
    """What a StreamEvent carries."""

    THINKING = "thinking"  # thinking text
    ANSWER = "answer"      # answer text
    WAIT = "wait"          # a wait string was inserted (the minimum)
    CUT = "cut"            # the maximum cut the thinking off


class FinishReason(StrEnum):
    STOP = "stop"            # the model ended its turn
    LENGTH = "length"        # the answer limit or the context was reached
    CANCELLED = "cancelled"  # the user stopped it


@dataclass(frozen=True)
class ModelSettings:
    model_path: Path
    mmproj_path: Path | None = None
    n_ctx: int = 4096
    n_gpu_layers: int = 0           # -1: all layers on the GPU
    n_threads: int | None = None    # None: llama.cpp's default
    seed: int = -1                  # -1: a fresh random seed per answer (unless Sampling.seed is set)
    max_image_pixels: int = 1024 * 28 * 28
    n_batch: int = 512              # prompt tokens per decode call (cancel is checked between calls)

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_path", Path(self.model_path))
        if self.mmproj_path is not None:
            object.__setattr__(self, "mmproj_path", Path(self.mmproj_path))


@dataclass(frozen=True)
class ChatTurn:
    role: Role            # plain strings ("user") are accepted and converted
    content: str          # for assistant turns: the ANSWER only; thinking of earlier turns is never fed back
    image: Path | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "role", Role(self.role))
        except ValueError:
            raise ValueError(f"unknown chat role {self.role!r}") from None
        if self.image is not None:
            object.__setattr__(self, "image", Path(self.image))


@dataclass(frozen=True)
class StreamEvent:
    kind: StreamKind
    text: str
    thinking_tokens: int  # thinking tokens so far
    answer_tokens: int
    waits: int


@dataclass(frozen=True)
class GenerationResult:
    answer: str
    thinking: str
    thinking_tokens: int
    answer_tokens: int
    waits_inserted: int
    max_cut_in: bool
    thinking_closed: bool         # False: the thinking section never closed; if the model ended its turn in it
                                  # without any wait inserted, its text is the answer (thinking empty, 0 tokens)
    stopped: bool                 # the user stopped it
    finish_reason: FinishReason
    time_to_first_token_s: float  # from the call to the first sampled token (prompt evaluation included)
    tokens_per_second: float      # tokens sampled per second after the prompt was evaluated
    prompt_tokens: int            # tokens of the prompt (image tokens included)
    prompt_tokens_evaluated: int  # how many had to be evaluated (the rest came from the KV cache)
    forced_tokens: int = 0        # tokens the budget controller inserted (waits, end of thinking, answer prefix)
    tokens_decoded: int = 0       # every token position sent through the model in this call (prompt + generated + forced)
    images_encoded: int = 0       # images that went through the vision encoder in this call

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
