"""One model behind an OpenAI-compatible chat.completions endpoint, through the official openai SDK.

The openai synthesizer, the LLM judge, the qwen-vl detector and the eval backend all talk
through an OpenAIChat: the SDK client is built on first use (once, under a lock, since
workers share it), and every SDK exception leaves as an LLMCallError with one key-free
sentence (engine.llm.openai_errors). Reading the answer is the caller's business.

JSON-schema output (`create_structured`) is asked for while `structured` is true; a server
that refuses it with HTTP 400/422 is asked again without it, and that is remembered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import openai

from engine.i18n import N_, tr
from engine.llm.errors import FailureKind, LLMCallError
from engine.llm.images import data_uri
from engine.llm.openai_errors import openai_call_error
from engine.llm.urls import safe_url

NO_KEY = N_("No API key for the OpenAI API: store one in Settings (keyring entry 'openai') or set OPENAI_API_KEY.")
LOCAL_KEY = "EMPTY"  # what local OpenAI-compatible servers expect when they need no key


def image_part(data: bytes) -> dict[str, Any]:
    """An image as a content part of a chat message (a data URI)."""
    return {"type": "image_url", "image_url": {"url": data_uri(data)}}


def user_message(text: str, images: Sequence[bytes] = ()) -> dict[str, Any]:
    """A user message: the images first, then the text."""
    return {"role": "user", "content": [*(image_part(img) for img in images), {"type": "text", "text": text}]}


def json_schema_format(name: str, schema: dict) -> dict[str, Any]:
    """The response_format that asks for JSON following `schema` (strict mode)."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


class OpenAIChat:
    """A lazily connected client for one model; thread-safe, never shows its key."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 0,
        structured: bool = True,
        no_key_message: str = NO_KEY,
        client: openai.OpenAI | None = None,
    ) -> None:
        """Without `api_key`, a custom `base_url` gets "EMPTY" (local servers need no key) and
        the default endpoint fails on first use with `no_key_message` (an AUTH LLMCallError; a
        message marked with N_, translated when it is raised).
        The base URL is `base_url`, else OPENAI_BASE_URL, else the SDK's default. SDK retries
        default to 0: callers own retries, backoff and Retry-After. `client` replaces the SDK
        client (tests)."""
        self.model = str(model)
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.structured = bool(structured)
        self.no_key_message = no_key_message
        self._base_url = base_url or None
        self._api_key = api_key or None
        self._client = client
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never show the key
        return f"OpenAIChat(model={self.model!r}, base_url={safe_url(self.base_url)!r})"

    @property
    def api_key(self) -> str | None:
        """The key as given (None: none), for redacting it from what a server echoes."""
        return self._api_key

    @property
    def client(self) -> openai.OpenAI:
        with self._lock:
            if self._client is None:
                key = self._api_key
                if not key:
                    if not self._base_url:
                        raise LLMCallError(FailureKind.AUTH, tr(self.no_key_message))
                    key = LOCAL_KEY
                self._client = openai.OpenAI(
                    api_key=key, base_url=self._base_url, timeout=self.timeout, max_retries=self.max_retries
                )
            return self._client

    @property
    def base_url(self) -> str:
        """The endpoint's base URL (the client's once built), or "the OpenAI API"."""
        if self._client is not None:
            return str(self._client.base_url)
        return self._base_url or tr("the OpenAI API")

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def copy(self) -> OpenAIChat:
        """The same settings with a client of its own (closing one leaves the other open)."""
        return OpenAIChat(model=self.model, base_url=self._base_url, api_key=self._api_key, timeout=self.timeout,
                          max_retries=self.max_retries, structured=self.structured,
                          no_key_message=self.no_key_message)

    def error(self, exc: Exception) -> LLMCallError:
        """The LLMCallError for an exception of the openai SDK."""
        return openai_call_error(exc, base_url=self.base_url, model=self.model, api_key=self._api_key,
                                 timeout=self.timeout)

    def create(self, **kwargs: Any) -> Any:
        """chat.completions.create(**kwargs); raises LLMCallError."""
        client = self.client
        try:
            return client.chat.completions.create(**kwargs)
        except openai.OpenAIError as exc:
            raise self.error(exc) from None

    def create_structured(self, request: Callable[[bool], dict[str, Any]]) -> tuple[Any, bool]:
        """(the completion, whether JSON-schema output was asked for) for `request(structured)`,
        the keyword arguments of chat.completions.create with or without response_format.

        While `structured`, a refusal with HTTP 400/422 is asked again without the schema,
        and `structured` turns False for every later call."""
        client = self.client
        structured = self.structured
        try:
            return client.chat.completions.create(**request(structured)), structured
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            if not structured:
                raise self.error(exc) from None
        except openai.OpenAIError as exc:
            raise self.error(exc) from None
        response = self.create(**request(False))
        self.structured = False
        return response, False

    def list_models(self) -> list[str]:
        """The ids of the models the endpoint lists (GET /models); raises LLMCallError."""
        client = self.client
        try:
            return [m.id for m in client.models.list()]
        except Exception as exc:  # noqa: BLE001 - anything the SDK or its HTTP library raises
            raise self.error(exc) from None
