"""The exceptions of the openai SDK as LLMCallErrors with one key-free sentence.

Used for every OpenAI-compatible endpoint: OpenAI itself, vLLM, llama.cpp server, Ollama,
DashScope. The server's own reason is kept (key replaced, one short line) where it helps.
"""

from __future__ import annotations

from typing import Any

import openai

from engine.i18n import tr
from engine.llm.errors import FailureKind, LLMCallError
from engine.llm.redact import one_line, redact_key
from engine.llm.retry import retry_after_of
from engine.llm.urls import safe_url

QUOTA_CODES = ("insufficient_quota", "billing_hard_limit_reached", "billing_not_active")


def error_body(body: Any) -> dict:
    """The "error" object of an error response body ({"message": ...} at least)."""
    if isinstance(body, dict):
        err = body.get("error", body)
        return err if isinstance(err, dict) else {"message": str(err)}
    return {"message": str(body or "")}


def openai_call_error(exc: Exception, *, base_url: str, model: str, api_key: str | None,
                      timeout: float) -> LLMCallError:
    """A typed, one-sentence, key-free error for an exception from the openai SDK."""
    where = safe_url(base_url)
    if isinstance(exc, openai.APITimeoutError):
        return LLMCallError(FailureKind.TIMEOUT, tr(
            "The model endpoint at {where} did not answer within {seconds} seconds.").format(
                where=where, seconds=f"{timeout:g}"))
    if isinstance(exc, openai.APIConnectionError):
        return LLMCallError(FailureKind.UNREACHABLE, tr(
            "Could not connect to the model endpoint at {where}; check the network, that the server runs "
            "and the base URL.").format(where=where))
    if not isinstance(exc, openai.APIStatusError):
        return LLMCallError(FailureKind.UNREADABLE, tr(
            "The model endpoint at {where} sent an answer that could not be read ({error}).").format(
                where=where, error=type(exc).__name__))
    err = error_body(exc.body)
    code = str(err.get("code") or err.get("type") or "")
    detail = one_line(redact_key(str(err.get("message") or ""), api_key))
    status = exc.status_code
    retry_after = retry_after_of(exc)  # servers send it with 429 and 503

    def failed(kind: FailureKind, plain: str, detailed: str = "", **fields: object) -> LLMCallError:
        """`detailed` (with the server's own {detail}) when the server said why, else `plain`."""
        text = (detailed if detail and detailed else plain).format(where=where, status=status, detail=detail, **fields)
        return LLMCallError(kind, text, status=status, retry_after=retry_after)

    if code in QUOTA_CODES:
        return failed(FailureKind.QUOTA, tr("The account at {where} has no quota or credit left (HTTP {status})."),
                      tr("The account at {where} has no quota or credit left (HTTP {status}): {detail}."))
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return failed(FailureKind.AUTH, tr(
            "The model endpoint at {where} rejected the API key (HTTP {status}); check the key in the settings."))
    if isinstance(exc, openai.RateLimitError):
        if retry_after is not None:
            return failed(FailureKind.RATE_LIMITED, tr(
                "The model endpoint at {where} is rate limiting requests (HTTP 429); retry after {seconds} s."),
                seconds=f"{retry_after:g}")
        return failed(FailureKind.RATE_LIMITED, tr(
            "The model endpoint at {where} is rate limiting requests (HTTP 429); try again later."))
    if isinstance(exc, openai.NotFoundError):
        return failed(FailureKind.NO_MODEL, tr(
            "The endpoint at {where} has no model named '{model}' (HTTP 404); check the model name and that the "
            "base URL ends in /v1."), model=model)
    if status >= 500 or status in (408, 409):
        return failed(FailureKind.SERVER, tr("The model endpoint at {where} failed with a server error (HTTP {status})."),
                      tr("The model endpoint at {where} failed with a server error (HTTP {status}): {detail}."))
    return failed(FailureKind.REFUSED, tr("The model endpoint at {where} refused the request (HTTP {status})."),
                  tr("The model endpoint at {where} refused the request (HTTP {status}): {detail}."))
