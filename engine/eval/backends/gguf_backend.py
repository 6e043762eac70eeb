"""Answers from a local GGUF model through the chat engine, with budget forcing.

Each sample is one fresh generation (no chat history) whose seed is the sampling seed plus
the sample index, so the k samples of a question differ and a resumed run asks the same
thing again. The chat engine returns the thinking apart from the answer: the answer alone
is searched for the letter, the thinking is kept in the results for reading.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.chat import BudgetSettings, ChatEngine, ChatTurn, ModelSettings, Role, Sampling
from engine.errors import CancelledError
from engine.eval.backends.base import SampleOutput
from engine.eval.errors import EvalConfigError
from engine.eval.testset import EvalQuestion
from engine.i18n import tr


class GgufBackend:
    name = "gguf"
    concurrency = 1  # one model, one generation at a time

    def __init__(
        self,
        engine: ChatEngine,
        *,
        model_path: Path,
        mmproj_path: Path | None = None,
        budget: BudgetSettings,
        sampling: Sampling,
        system: str = "",
        instruction: str = "",
        cancel: Callable[[], bool] = lambda: False,
        owns_engine: bool = False,
    ) -> None:
        """Wraps a loaded ChatEngine (see `load`); `owns_engine` closes it with the backend."""
        self.engine = engine
        self.model_path = Path(model_path)
        self.mmproj_path = Path(mmproj_path) if mmproj_path else None
        self.budget = budget
        self.sampling = sampling
        self.system = system
        self.instruction = instruction
        self.cancel = cancel
        self._owns_engine = owns_engine

    @classmethod
    def load(cls, model_path: str | Path, mmproj_path: str | Path | None = None, *, n_ctx: int = 4096,
             n_gpu_layers: int = 0, n_threads: int | None = None,
             progress: Callable[[float], None] | None = None, **kwargs: Any) -> GgufBackend:
        """Loads the model (raising the chat engine's typed errors) and wraps it."""
        settings = ModelSettings(model_path=Path(model_path), mmproj_path=Path(mmproj_path) if mmproj_path else None,
                                 n_ctx=n_ctx, n_gpu_layers=n_gpu_layers, n_threads=n_threads)
        engine = ChatEngine(settings, progress=progress)
        return cls(engine, model_path=Path(model_path), mmproj_path=settings.mmproj_path, owns_engine=True, **kwargs)

    def with_budget(self, budget: BudgetSettings) -> GgufBackend:
        """The same loaded model under other budget settings (one sub-run of a sweep)."""
        return GgufBackend(self.engine, model_path=self.model_path, mmproj_path=self.mmproj_path, budget=budget,
                           sampling=self.sampling, system=self.system, instruction=self.instruction,
                           cancel=self.cancel)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.close()

    def settings(self) -> dict[str, Any]:
        sampling = dataclasses.asdict(self.sampling)
        if sampling.get("logit_bias"):
            sampling["logit_bias"] = {str(k): v for k, v in sorted(sampling["logit_bias"].items())}
        return {"backend": self.name, "model": self.model_path.name, "model_bytes": _size(self.model_path),
                "mmproj": self.mmproj_path.name if self.mmproj_path else "",
                "budget": dataclasses.asdict(self.budget), "sampling": sampling,
                "system": self.system, "instruction": self.instruction}

    def answer(self, question: EvalQuestion, sample_index: int) -> SampleOutput:
        if len(question.images) > 1:
            raise EvalConfigError(tr("Question {id} has {n} images; the local chat engine takes one image per turn, "
                                     "so evaluate it through --backend openai.").format(
                id=question.id, n=len(question.images)))
        turns = [ChatTurn(Role.SYSTEM, self.system)] if self.system else []
        turns.append(ChatTurn(Role.USER, question.prompt(self.instruction),
                              image=question.images[0] if question.images else None))
        sampling = dataclasses.replace(self.sampling, seed=(self.sampling.seed or 0) + sample_index)
        started = time.monotonic()
        result = self.engine.generate(turns, budget=self.budget, sampling=sampling, cancel=self.cancel)
        if result.stopped:
            raise CancelledError(tr("Evaluation cancelled during a generation."))
        return SampleOutput(
            text=result.answer,
            thinking_tokens=result.thinking_tokens,
            tokens=result.thinking_tokens + result.answer_tokens,
            seconds=time.monotonic() - started,
            thinking=result.thinking,
            finish_reason=str(result.finish_reason),
        )


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
