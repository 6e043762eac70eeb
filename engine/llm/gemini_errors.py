"""The exceptions of the google-genai SDK (and its HTTP library) as LLMCallErrors.

Gemini answers HTTP 429 RESOURCE_EXHAUSTED both for per-minute rate limits and for a
used-up quota. A QuotaFailure whose quota id is per day, or a quota/billing message with
no hint of when to retry, is a QUOTA failure (stop); anything else is RATE_LIMITED with
retry_after from Retry-After or the RetryInfo retryDelay.
"""

from __future__ import annotations

import re
from typing import Any

from engine.llm.errors import FailureKind, LLMCallError
from engine.llm.redact import one_line, redact_key
from engine.llm.retry import retry_after_of

WHERE = "the Gemini API"
WHERE_AT_START = WHERE[0].upper() + WHERE[1:]  # a sentence start; keeps “Gemini API” as written
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
        return LLMCallError(FailureKind.TIMEOUT, f"{WHERE_AT_START} did not answer within {timeout:g} seconds.")
    if connects and isinstance(exc, connects):
        return LLMCallError(FailureKind.UNREACHABLE, f"Could not connect to {WHERE}; check the network and the base URL.")
    if not isinstance(exc, genai_errors.APIError):
        return LLMCallError(FailureKind.UNREADABLE,
                            f"{WHERE_AT_START} sent an answer that could not be read ({type(exc).__name__}).")
    code = int(exc.code or 0)
    status = str(exc.status or "")
    message = str(exc.message or "")
    detail = one_line(redact_key(message, api_key))
    suffix = f": {detail}" if detail else ""
    details = error_details(exc)
    reasons = {str(d.get("reason", "")) for d in details}

    def failed(kind: FailureKind, text: str, retry_after: float | None = None) -> LLMCallError:
        return LLMCallError(kind, text, status=code or None, retry_after=retry_after)

    if code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED") or "API_KEY_INVALID" in reasons or (
        code == 400 and "api key not valid" in message.lower()
    ):
        return failed(FailureKind.AUTH, f"{WHERE_AT_START} rejected the API key (HTTP {code}); check the key in the settings.")
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        retry_after = retry_after_of(exc)
        if retry_after is None:
            retry_after = retry_delay(details)
        daily = any("PerDay" in q for q in quota_ids(details))
        billing = any(w in message.lower() for w in ("quota", "billing"))
        if daily or (billing and retry_after is None):
            return failed(FailureKind.QUOTA, f"The Gemini quota of this key is used up (HTTP {code}){suffix}.")
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return failed(FailureKind.RATE_LIMITED, f"{WHERE_AT_START} is rate limiting requests (HTTP 429){wait}.", retry_after)
    if code == 404:
        return failed(FailureKind.NO_MODEL, f"{WHERE_AT_START} has no model named '{model}' (HTTP 404){suffix}.")
    if code >= 500 or code == 408:
        return failed(FailureKind.SERVER, f"{WHERE_AT_START} failed with a server error (HTTP {code}){suffix}.")
    return failed(FailureKind.REFUSED, f"{WHERE_AT_START} refused the request (HTTP {code}){suffix}.")
