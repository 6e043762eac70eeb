"""Answers from any OpenAI-compatible chat.completions endpoint, through the official SDK.

Images go as data URLs. Rate limits (429) and server failures (5xx, timeouts, lost
connections) are retried with backoff that honours Retry-After; other failures (wrong key,
unknown model) stop the run with engine.llm's one-sentence, key-free messages.
`thinking_budget` (for the sweep) is sent as the `thinking_budget` extra body field that
Qwen-style OpenAI-compatible servers read; `reasoning_content` beside the answer (DeepSeek,
vLLM reasoning parsers) is kept as the thinking and never searched for the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import openai

from engine.errors import CancelledError
from engine.eval.backends.base import SampleOutput
from engine.eval.errors import EvalBackendError, EvalConfigError
from engine.eval.testset import EvalQuestion
from engine.i18n import tr
from engine.llm.errors import LLMCallError
from engine.llm.openai_chat import OpenAIChat, image_part
from engine.llm.retry import Backoff
from engine.llm.urls import refuse_credentials, safe_url
from engine.secrets import get_secret


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        *,
        api_key_env: str | None = None,
        temperature: float = 0.6,
        top_p: float = 0.7,
        max_tokens: int = 2048,
        thinking_budget: int | None = None,
        seed: int | None = None,
        system: str = "",
        instruction: str = "",
        concurrency: int = 4,
        max_attempts: int = 5,
        timeout: float = 300.0,
        backoff: Backoff | None = None,
        cancel: Callable[[], bool] = lambda: False,
    ) -> None:
        """The key is the keyring entry named `api_key_env` (else "openai"), else that
        environment variable (else OPENAI_API_KEY); a local server needs none."""
        if not model:
            raise EvalConfigError(tr("The OpenAI-compatible backend needs a model name (--model)."))
        if max_tokens < 1 or concurrency < 1 or max_attempts < 1:
            raise EvalConfigError(tr("--max-tokens, the concurrency and the attempts must be 1 or more."))
        refuse_credentials(base_url or "", EvalConfigError)
        self.model = model
        self.base_url = base_url
        self.temperature = float(temperature)
        self.top_p = float(top_p)
        self.max_tokens = int(max_tokens)
        self.thinking_budget = thinking_budget
        self.seed = seed
        self.system = system
        self.instruction = instruction
        self.concurrency = int(concurrency)
        self.max_attempts = int(max_attempts)
        self.timeout = float(timeout)
        self.backoff = backoff or Backoff()
        self.cancel = cancel
        api_key = get_secret(api_key_env, api_key_env) if api_key_env else get_secret("openai", "OPENAI_API_KEY")
        if not api_key and not base_url:
            var = api_key_env or "OPENAI_API_KEY"
            raise EvalBackendError(tr("No API key for the OpenAI API: set {var} (or store it in Settings), or give "
                                      "--base-url.").format(var=var))
        self.chat = OpenAIChat(model=model, base_url=base_url, api_key=api_key, timeout=self.timeout, max_retries=0)

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIBackend(model={self.model!r}, base_url={safe_url(self.base_url or '')!r})"

    def with_budget(self, thinking_budget: int | None) -> OpenAIBackend:
        """The same backend asking for another thinking budget (one sub-run of a sweep)."""
        clone = object.__new__(OpenAIBackend)
        clone.__dict__.update(self.__dict__)
        clone.thinking_budget = thinking_budget
        clone.chat = self.chat.copy()
        return clone

    @property
    def client(self) -> openai.OpenAI:
        return self.chat.client

    def close(self) -> None:
        self.chat.close()

    def settings(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "base_url": safe_url(self.base_url) if self.base_url else "",
                "temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens,
                "thinking_budget": self.thinking_budget, "seed": self.seed, "system": self.system,
                "instruction": self.instruction}

    # ------------------------------------------------------------------ requests
    def request(self, question: EvalQuestion, sample_index: int) -> dict[str, Any]:
        """The keyword arguments of chat.completions.create for one sample."""
        content: list[dict[str, Any]] = [image_part(p.read_bytes()) for p in question.images]
        content.append({"type": "text", "text": question.prompt(self.instruction)})
        messages: list[dict[str, Any]] = [{"role": "system", "content": self.system}] if self.system else []
        messages.append({"role": "user", "content": content})
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": self.temperature,
                                  "top_p": self.top_p, "max_tokens": self.max_tokens}
        if self.seed is not None:
            kwargs["seed"] = self.seed + sample_index
        if self.thinking_budget is not None:
            kwargs["extra_body"] = {"thinking_budget": self.thinking_budget}
        return kwargs

    def answer(self, question: EvalQuestion, sample_index: int) -> SampleOutput:
        kwargs = self.request(question, sample_index)
        for attempt in range(1, self.max_attempts + 1):
            started = time.monotonic()
            try:
                response = self.chat.create(**kwargs)
            except LLMCallError as error:
                if not error.kind.retryable or attempt == self.max_attempts:
                    text = str(error)
                    if attempt > 1:  # a sentence of engine.llm, in any language: its own full stop replaced
                        text = tr("{error} (after {n} attempts).").format(error=text.rstrip(".。"), n=attempt)
                    elif not text.endswith("。"):
                        text = text.rstrip(".") + "."
                    raise EvalBackendError(text) from None
                self._sleep(self.backoff.delay(attempt, error.retry_after))
                continue
            return _output(response, time.monotonic() - started)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self.cancel():
                raise CancelledError(tr("Evaluation cancelled while waiting to retry."))
            time.sleep(min(left, 0.1))


def _output(response: Any, seconds: float) -> SampleOutput:
    try:
        choice = response.choices[0]
        message = choice.message
    except (AttributeError, IndexError, TypeError):
        raise EvalBackendError(
            tr("The endpoint did not answer like an OpenAI-compatible server; check the base URL.")) from None
    text = message.content or ""
    thinking = getattr(message, "reasoning_content", None) or ""
    usage = getattr(response, "usage", None)
    tokens = int(getattr(usage, "completion_tokens", 0) or 0)
    details = getattr(usage, "completion_tokens_details", None)
    thinking_tokens = int(getattr(details, "reasoning_tokens", 0) or 0)
    if not thinking_tokens and tokens:
        thought = thinking or _think_block(text)
        whole = len(thinking) + len(text)
        thinking_tokens = round(tokens * len(thought) / whole) if whole else 0  # an estimate by length
    return SampleOutput(text=text, thinking_tokens=thinking_tokens, tokens=tokens, seconds=seconds,
                        thinking=thinking, finish_reason=str(choice.finish_reason or ""))


def _think_block(text: str) -> str:
    start = text.find("<think>")
    if start < 0:
        return ""
    end = text.find("</think>", start)
    return text[start + 7: end if end >= 0 else len(text)]
