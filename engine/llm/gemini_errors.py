"""The exceptions of the google-genai SDK (and its HTTP library) as LLMCallErrors.

Gemini answers HTTP 429 RESOURCE_EXHAUSTED both for per-minute rate limits and for a
used-up quota. A QuotaFailure whose quota id is per day, or a quota/billing message with
no hint of when to retry, is a QUOTA failure (stop); anything else is RATE_LIMITED with
retry_after from Retry-After or the RetryInfo retryDelay.
"""

from __future__ import annotations

import re
from typing import Any

from engine.i18n import tr
from engine.llm.errors import FailureKind, LLMCallError
from engine.llm.redact import one_line, redact_key
from engine.llm.retry import retry_after_of

RETRY_DELAY = re.compile(r"^\s*([0-9.]+)\s*s\s*$")


def transport_errors() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(timeout classes, connection classes) of the HTTP libraries google-genai may use."""
    timeouts: list[type] = []
    connects: list[type] = []
    for module_name in ("httpx2", "httpx"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        timeouts.append(module.TimeoutException)
        connects.append(module.TransportError)
    return tuple(timeouts), tuple(connects)


def error_details(exc: Any) -> list[dict]:
    """The "details" entries (google.rpc types) of an APIError's body."""
    body = getattr(exc, "details", None)
    if isinstance(body, dict):
        body = body.get("error", body)
        items = body.get("details") if isinstance(body, dict) else None
        return [d for d in items or [] if isinstance(d, dict)]
    return []


def retry_delay(details: list[dict]) -> float | None:
    """Seconds from a RetryInfo detail's retryDelay ("12s"), else None."""
    for d in details:
        if str(d.get("@type", "")).endswith("RetryInfo"):
            m = RETRY_DELAY.match(str(d.get("retryDelay", "")))
            if m:
                return float(m.group(1))
    return None


def quota_ids(details: list[dict]) -> list[str]:
    """The quota ids of QuotaFailure details ("GenerateRequestsPerDayPerProjectPerModel")."""
    return [
        str(v.get("quotaId", ""))
        for d in details
        if str(d.get("@type", "")).endswith("QuotaFailure")
        for v in d.get("violations", []) or []
        if isinstance(v, dict)
    ]


def gemini_call_error(exc: Exception, *, model: str, api_key: str | None, timeout: float) -> LLMCallError:
    """A typed, one-sentence, key-free error for an exception from google-genai."""
    from google.genai import errors as genai_errors  # heavy: google-genai (about half a second)

    timeouts, connects = transport_errors()
    if timeouts and isinstance(exc, timeouts):
        return LLMCallError(FailureKind.TIMEOUT, tr("The Gemini API did not answer within {seconds} seconds.").format(
            seconds=f"{timeout:g}"))
    if connects and isinstance(exc, connects):
        return LLMCallError(FailureKind.UNREACHABLE,
                            tr("Could not connect to the Gemini API; check the network and the base URL."))
    if not isinstance(exc, genai_errors.APIError):
        return LLMCallError(FailureKind.UNREADABLE,
                            tr("The Gemini API sent an answer that could not be read ({error}).").format(
                                error=type(exc).__name__))
    code = int(exc.code or 0)
    status = str(exc.status or "")
    message = str(exc.message or "")
    detail = one_line(redact_key(message, api_key))
    details = error_details(exc)
    reasons = {str(d.get("reason", "")) for d in details}

    def failed(kind: FailureKind, plain: str, detailed: str = "", retry_after: float | None = None,
               **fields: object) -> LLMCallError:
        """`detailed` (with the server's own {detail}) when the server said why, else `plain`."""
        text = (detailed if detail and detailed else plain).format(code=code, detail=detail, **fields)
        return LLMCallError(kind, text, status=code or None, retry_after=retry_after)

    if code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED") or "API_KEY_INVALID" in reasons or (
        code == 400 and "api key not valid" in message.lower()
    ):
        return failed(FailureKind.AUTH,
                      tr("The Gemini API rejected the API key (HTTP {code}); check the key in the settings."))
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        retry_after = retry_after_of(exc)
        if retry_after is None:
            retry_after = retry_delay(details)
        daily = any("PerDay" in q for q in quota_ids(details))
        billing = any(w in message.lower() for w in ("quota", "billing"))
        if daily or (billing and retry_after is None):
            return failed(FailureKind.QUOTA, tr("The Gemini quota of this key is used up (HTTP {code})."),
                          tr("The Gemini quota of this key is used up (HTTP {code}): {detail}."))
        if retry_after is not None:
            return failed(FailureKind.RATE_LIMITED,
                          tr("The Gemini API is rate limiting requests (HTTP 429); retry after {seconds} s."),
                          retry_after=retry_after, seconds=f"{retry_after:g}")
        return failed(FailureKind.RATE_LIMITED, tr("The Gemini API is rate limiting requests (HTTP 429)."))
    if code == 404:
        return failed(FailureKind.NO_MODEL, tr("The Gemini API has no model named '{model}' (HTTP 404)."),
                      tr("The Gemini API has no model named '{model}' (HTTP 404): {detail}."), model=model)
    if code >= 500 or code == 408:
        return failed(FailureKind.SERVER, tr("The Gemini API failed with a server error (HTTP {code})."),
                      tr("The Gemini API failed with a server error (HTTP {code}): {detail}."))
    return failed(FailureKind.REFUSED, tr("The Gemini API refused the request (HTTP {code})."),
                  tr("The Gemini API refused the request (HTTP {code}): {detail}."))
