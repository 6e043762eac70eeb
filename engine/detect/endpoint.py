"""Checking an OpenAI-compatible endpoint before detecting with it ("Test connection")."""

from __future__ import annotations

from dataclasses import dataclass

from engine.detect.qwen_vl import NAME, endpoint_error
from engine.errors import EndpointError
from engine.i18n import tr
from engine.llm.errors import LLMCallError
from engine.llm.openai_chat import OpenAIChat
from engine.llm.urls import refuse_credentials, safe_url
from engine.secrets import get_secret


@dataclass(frozen=True)
class EndpointCheck:
    base_url: str
    models: tuple[str, ...]
    model: str

    @property
    def has_model(self) -> bool:
        return self.model in self.models

    @property
    def message(self) -> str:
        where = safe_url(self.base_url)
        if not self.models:
            return tr("Connected to {where}; it lists no models.").format(where=where)
        if self.has_model:
            return tr("Connected to {where}; the model “{model}” is available.").format(where=where, model=self.model)
        shown = ", ".join(self.models[:5]) + (" …" if len(self.models) > 5 else "")
        return tr("Connected to {where}, but it has no model “{model}”. It offers: {models}.").format(
            where=where, model=self.model, models=shown)


def check_endpoint(base_url: str, model: str, api_key: str | None = None, *, timeout: float = 10.0) -> EndpointCheck:
    """List the endpoint's models (GET /models). Raises a key-free EndpointError."""
    refuse_credentials(base_url, EndpointError)
    key = api_key or get_secret(NAME, "OPENAI_API_KEY") or "EMPTY"
    chat = OpenAIChat(model=model, base_url=base_url, api_key=key, timeout=timeout)
    try:
        models = tuple(chat.list_models())
    except LLMCallError as exc:
        raise endpoint_error(exc) from None
    finally:
        chat.close()
    return EndpointCheck(base_url, models, model)
