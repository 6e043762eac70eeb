"""The `gemini` synthesizer: generateContent through the official google-genai SDK.

Images go as inline bytes; the answer is requested as JSON with a response_schema. SDK
retries are off by default (the job runner owns retries, backoff and Retry-After).
The SDK's errors become SynthErrors through engine.llm.gemini_errors (which tells a
used-up quota from a per-minute rate limit).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.i18n import tr
from engine.llm.gemini_errors import gemini_call_error
from engine.llm.images import image_mime
from engine.secrets import get_secret
from engine.synth.base import (
    Pricing,
    SynthAuthError,
    SynthConfigError,
    SynthError,
    SynthInput,
    SynthOutputError,
    SynthResult,
    call_limits,
    load_pricing,
    synth_error,
)
from engine.synth.parse import gemini_schema, parse_records
from engine.synth.prompts import Prompt, build_prompt

NAME = "gemini"


class GeminiSynthesizer:
    name = NAME

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        temperature: float = 0.7,
        max_tokens: int = 8192,
        timeout: float = 120.0,
        max_retries: int = 0,
        prompt_dirs: Sequence[str | Path] = (),
        pricing: Pricing | None = None,
        name: str | None = None,
    ) -> None:
        """The key is `api_key`, else the keyring entry "gemini", else GEMINI_API_KEY,
        else GOOGLE_API_KEY. `base_url` replaces Google's endpoint (tests, proxies)."""
        if not model:
            raise SynthConfigError(tr("The Gemini synthesizer needs a model name."))
        self.temperature, self.max_tokens, self.timeout, self.max_retries = call_limits(
            "Gemini", temperature, max_tokens, timeout, max_retries)
        self.model = str(model)
        if name:
            self.name = str(name)
        self.base_url = base_url or None
        self._api_key = api_key or get_secret(NAME, "GEMINI_API_KEY", "GOOGLE_API_KEY")
        self.prompt_dirs = tuple(prompt_dirs)
        self._pricing = pricing
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never show the key
        return f"GeminiSynthesizer(model={self.model!r})"

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                if not self._api_key:
                    raise SynthAuthError(tr(
                        "No Gemini API key: store one in Settings (keyring entry 'gemini') or set GEMINI_API_KEY."
                    ))
                # heavy: google-genai (about half a second), loaded with the first client
                from google import genai
                from google.genai import types

                retry = types.HttpRetryOptions(attempts=self.max_retries + 1) if self.max_retries else None
                options = types.HttpOptions(
                    base_url=self.base_url, timeout=max(int(self.timeout * 1000), 1), retry_options=retry
                )
                self._client = genai.Client(api_key=self._api_key, vertexai=False, http_options=options)
            return self._client

    @property
    def pricing(self) -> Pricing:
        if self._pricing is None:
            self._pricing = load_pricing()
        return self._pricing

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def error(self, exc: Exception) -> SynthError:
        """The SynthError for an exception of google-genai or its HTTP library."""
        return synth_error(gemini_call_error(exc, model=self.model, api_key=self._api_key, timeout=self.timeout))

    def request(self, prompt: Prompt) -> dict[str, Any]:
        """The keyword arguments of models.generate_content for this prompt."""
        from google.genai import types  # heavy: google-genai (about half a second)

        parts = [types.Part.from_bytes(data=img, mime_type=image_mime(img)) for img in prompt.images]
        parts.append(types.Part.from_text(text=prompt.text))
        config = types.GenerateContentConfig(
            temperature=self.temperature,
            max_output_tokens=self.max_tokens,
            response_mime_type="application/json",
            response_schema=gemini_schema(prompt.template, prompt.reasoning),
        )
        return {"model": self.model, "contents": [types.Content(role="user", parts=parts)], "config": config}

    def synthesize(self, inp: SynthInput) -> SynthResult:
        prompt = build_prompt(inp, self.prompt_dirs)
        request = self.request(prompt)
        try:
            response = self.client.models.generate_content(**request)
        except SynthError:
            raise
        except Exception as exc:  # noqa: BLE001 - the SDK raises its own errors and its HTTP library's
            raise self.error(exc) from None
        return self.parse_response(response, prompt, inp)

    def parse_response(self, response: Any, prompt: Prompt, inp: SynthInput, *, batch: bool = False) -> SynthResult:
        """Records from a GenerateContentResponse (live, or one answer of a batch job);
        `batch` prices the tokens at the batch discount."""
        usage = getattr(response, "usage_metadata", None)
        tokens_in = int(getattr(usage, "prompt_token_count", 0) or 0)
        tokens_out = int(getattr(usage, "candidates_token_count", 0) or 0) + int(
            getattr(usage, "thoughts_token_count", 0) or 0
        )
        price = self.pricing.batch_cost if batch else self.pricing.cost
        cost = price(self.model, tokens_in, tokens_out)
        raw, finish = self._answer(response)
        try:
            if not raw and finish not in ("", "STOP", "MAX_TOKENS"):
                raise SynthOutputError(tr("Gemini gave no answer (finish reason {reason}).").format(reason=finish), raw)
            records, dropped = parse_records(
                raw,
                template=prompt.template,
                reasoning=prompt.reasoning,
                inp=inp,
                synthesizer=self.name,
                model=self.model,
                prompt_version=prompt.prompt_version,
                truncated=finish == "MAX_TOKENS",
            )
        except SynthOutputError as exc:
            raise exc.with_usage(tokens_in, tokens_out, cost) from None
        return SynthResult(records, tokens_in, tokens_out, cost, raw, dropped, structured=True)

    @staticmethod
    def _answer(response: Any) -> tuple[str, str]:
        """(the answer's text without thought parts, the finish reason name)."""
        feedback = getattr(response, "prompt_feedback", None)
        blocked = getattr(feedback, "block_reason", None)
        candidates = getattr(response, "candidates", None) or []
        if not candidates:
            reason = getattr(blocked, "name", None) or (str(blocked) if blocked else tr("no candidates"))
            # Translators: {reason} is why Gemini blocked the request ("SAFETY", "OTHER") or "no candidates".
            raise SynthOutputError(tr("Gemini gave no answer ({reason}).").format(reason=reason), "")
        candidate = candidates[0]
        finish = getattr(candidate, "finish_reason", None)
        finish_name = str(getattr(finish, "name", None) or finish or "")
        parts = getattr(getattr(candidate, "content", None), "parts", None) or []
        text = "".join(p.text for p in parts if isinstance(getattr(p, "text", None), str) and not getattr(p, "thought", False))
        return text, finish_name

    def test_connection(self) -> str:
        try:
            info = self.client.models.get(model=self.model)
        except SynthError:
            raise
        except Exception as exc:  # noqa: BLE001 - as in synthesize()
            raise self.error(exc) from None
        limit = getattr(info, "output_token_limit", None)
        if limit:
            return tr("Connected to the Gemini API; the model '{model}' is available (up to {limit} output "
                      "tokens).").format(model=self.model, limit=limit)
        return tr("Connected to the Gemini API; the model '{model}' is available.").format(model=self.model)
