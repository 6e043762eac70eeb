"""The `openai` synthesizer: chat completions through the official openai SDK.

Works with OpenAI itself and any OpenAI-compatible server (Azure-style gateways, vLLM,
llama.cpp server, Ollama, DashScope). Images go as data URIs. The answer is requested
with a JSON schema (response_format json_schema); a server that refuses that with HTTP
400/422 is asked again without it, and remembered, and the answer is parsed leniently.
The endpoint is reached through engine.llm.OpenAIChat, whose errors become SynthErrors.

SDK retries default to 0: the job runner owns retries, backoff and Retry-After.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from engine.i18n import N_, tr
from engine.llm.errors import LLMCallError
from engine.llm.openai_chat import OpenAIChat, json_schema_format, user_message
from engine.llm.urls import safe_url
from engine.secrets import get_secret
from engine.synth.base import (
    Pricing,
    SynthConfigError,
    SynthError,
    SynthInput,
    SynthOutputError,
    SynthResult,
    call_limits,
    load_pricing,
    synth_error,
)
from engine.synth.parse import json_schema, parse_records
from engine.synth.prompts import Prompt, build_prompt

NAME = "openai"
NO_KEY = N_("No OpenAI API key: store one in Settings (keyring entry 'openai') or set OPENAI_API_KEY.")


class OpenAISynthesizer:
    name = NAME

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        temperature: float = 0.7,
        max_tokens: int = 4096,
        timeout: float = 120.0,
        max_retries: int = 0,
        structured: bool = True,
        max_tokens_param: str = "max_tokens",
        prompt_dirs: Sequence[str | Path] = (),
        pricing: Pricing | None = None,
        extra_body: dict | None = None,
        name: str | None = None,
    ) -> None:
        """The key is `api_key`, else the keyring entry "openai", else OPENAI_API_KEY;
        with none and a custom base URL, "EMPTY" (what local servers expect). The base
        URL is `base_url`, else OPENAI_BASE_URL, else the SDK's default.
        `max_tokens_param` is "max_completion_tokens" for models that refuse max_tokens."""
        if not model:
            raise SynthConfigError(tr("The OpenAI synthesizer needs a model name."))
        if max_tokens_param not in ("max_tokens", "max_completion_tokens"):
            raise SynthConfigError(tr("max_tokens_param must be max_tokens or max_completion_tokens."))
        self.temperature, self.max_tokens, self.timeout, self.max_retries = call_limits(
            "OpenAI", temperature, max_tokens, timeout, max_retries)
        self.model = str(model)
        if name:
            self.name = str(name)
        self.chat = OpenAIChat(
            model=self.model,
            base_url=base_url,
            api_key=api_key or get_secret(NAME, "OPENAI_API_KEY"),
            timeout=self.timeout,
            max_retries=self.max_retries,
            structured=structured,
            no_key_message=NO_KEY,
        )
        self.max_tokens_param = max_tokens_param
        self.prompt_dirs = tuple(prompt_dirs)
        self._pricing = pricing
        self.extra_body = dict(extra_body or {})
        self._formats: dict[tuple[str, bool], dict[str, Any]] = {}

    def __repr__(self) -> str:  # never show the key
        return f"OpenAISynthesizer(model={self.model!r}, base_url={safe_url(self.base_url)!r})"

    @property
    def client(self) -> openai.OpenAI:
        try:
            return self.chat.client
        except LLMCallError as exc:
            raise synth_error(exc) from None

    @property
    def base_url(self) -> str:
        return self.chat.base_url

    @property
    def structured(self) -> bool:
        """Whether answers are asked for with a JSON schema (False once the server refused one)."""
        return self.chat.structured

    @structured.setter
    def structured(self, value: bool) -> None:
        self.chat.structured = bool(value)

    @property
    def pricing(self) -> Pricing:
        if self._pricing is None:
            self._pricing = load_pricing()
        return self._pricing

    def close(self) -> None:
        self.chat.close()

    def error(self, exc: Exception) -> SynthError:
        """The SynthError for an exception of the openai SDK (batch calls use the client directly)."""
        return synth_error(self.chat.error(exc))

    # ------------------------------------------------------------------ requests

    def messages(self, prompt: Prompt) -> list[dict]:
        return [user_message(prompt.text, prompt.images)]

    def _response_format(self, template: str, reasoning: bool) -> dict[str, Any]:
        """The json_schema response_format of a template, built once per synthesizer."""
        key = (template, reasoning)
        fmt = self._formats.get(key)
        if fmt is None:
            fmt = json_schema_format(f"remud_{template}", json_schema(template, reasoning))
            self._formats[key] = fmt
        return fmt

    def request(self, prompt: Prompt, *, structured: bool) -> dict[str, Any]:
        """The keyword arguments of chat.completions.create for this prompt."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": self.messages(prompt),
            "temperature": self.temperature,
            self.max_tokens_param: self.max_tokens,
        }
        if structured:
            kwargs["response_format"] = self._response_format(prompt.template, prompt.reasoning)
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        return kwargs

    def _create(self, prompt: Prompt) -> tuple[Any, bool]:
        try:
            return self.chat.create_structured(lambda structured: self.request(prompt, structured=structured))
        except LLMCallError as exc:
            raise synth_error(exc) from None

    def synthesize(self, inp: SynthInput) -> SynthResult:
        prompt = build_prompt(inp, self.prompt_dirs)
        response, structured = self._create(prompt)
        return self.parse_response(response, prompt, inp, structured=structured)

    def batch_body(self, prompt: Prompt) -> dict[str, Any]:
        """The JSON body of one /v1/chat/completions request line of a batch: what
        `synthesize` sends (same messages, schema and settings), extra_body merged in."""
        kwargs = self.request(prompt, structured=self.structured)
        extra = kwargs.pop("extra_body", None) or {}
        return {**kwargs, **extra}

    def parse_response(self, response: Any, prompt: Prompt, inp: SynthInput, *, structured: bool,
                       batch: bool = False) -> SynthResult:
        """Records from a chat.completion (an SDK object, or its JSON as a dict, as a batch
        output line holds it); `batch` prices the tokens at the batch discount."""
        where = safe_url(self.base_url)
        if isinstance(response, dict):
            try:
                response = ChatCompletion.model_validate(response)
            except Exception:  # noqa: BLE001 - any shape error means "not a chat.completion"
                raise SynthOutputError(
                    tr("The endpoint at {where} did not answer like an OpenAI-compatible server.").format(where=where),
                    json.dumps(response),
                ) from None
        try:
            choice = response.choices[0]
            content = choice.message.content
            truncated = choice.finish_reason == "length"
        except (AttributeError, TypeError, IndexError):
            raise SynthOutputError(
                tr("The endpoint at {where} did not answer like an OpenAI-compatible server.").format(where=where), ""
            ) from None
        if content is not None and not isinstance(content, str):
            raise SynthOutputError(
                tr("The model endpoint at {where} answered with something other than text.").format(where=where),
                str(content))
        raw = content or ""
        usage = getattr(response, "usage", None)
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        price = self.pricing.batch_cost if batch else self.pricing.cost
        cost = price(self.model, tokens_in, tokens_out)
        try:
            records, dropped = parse_records(
                raw,
                template=prompt.template,
                reasoning=prompt.reasoning,
                inp=inp,
                synthesizer=self.name,
                model=self.model,
                prompt_version=prompt.prompt_version,
                truncated=truncated,
            )
        except SynthOutputError as exc:
            raise exc.with_usage(tokens_in, tokens_out, cost) from None
        return SynthResult(
            records=records,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=cost,
            raw=raw,
            dropped=dropped,
            structured=structured,
        )

    def test_connection(self) -> str:
        """A sentence saying whether the endpoint answers and knows the model."""
        try:
            models = self.chat.list_models()
        except LLMCallError as exc:
            raise synth_error(exc) from None
        where = safe_url(self.base_url)
        if self.model in models:
            return tr("Connected to {where}; the model '{model}' is available.").format(where=where, model=self.model)
        if not models:
            return tr("Connected to {where}; it lists no models, so '{model}' could not be checked.").format(
                where=where, model=self.model)
        shown = ", ".join(models[:5]) + (" …" if len(models) > 5 else "")
        return tr("Connected to {where}, but it does not list the model '{model}' (it lists {models}).").format(
            where=where, model=self.model, models=shown)
