"""The backend protocol: one answer to one question, for one sample index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from engine.eval.testset import EvalQuestion


@dataclass(frozen=True)
class SampleOutput:
    text: str  # what the answer is extracted from (a closed <think> block may lead it)
    thinking_tokens: int = 0
    tokens: int = 0  # generated tokens, thinking included
    seconds: float = 0.0
    thinking: str = ""  # thinking the backend returned apart from `text`, kept for reading
    finish_reason: str = ""


@runtime_checkable
class Backend(Protocol):
    name: str  # "gguf" | "openai"
    concurrency: int  # how many answers the runner may ask for at once

    def settings(self) -> dict[str, Any]:
        """Everything that changes the answers (model, sampling, budget): a resumed run
        must match it. Never holds a key."""
        ...

    def answer(self, question: EvalQuestion, sample_index: int) -> SampleOutput: ...

    def close(self) -> None: ...
