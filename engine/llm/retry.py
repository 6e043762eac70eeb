"""When to call a model endpoint again: the server's Retry-After, else exponential backoff."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from retry-after-ms / Retry-After (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    ms = lowered.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def retry_after_of(exc: Any) -> float | None:
    """Seconds to wait from the headers of the HTTP response an SDK exception carries."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return parse_retry_after(dict(headers)) if headers else None


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: base·2^(n-1), capped, times a factor in [1-jitter, 1].
    A server's Retry-After wins when it gave one (capped at `max_retry_after`)."""

    base: float = 1.0
    cap: float = 60.0
    jitter: float = 0.5
    max_retry_after: float = 300.0

    def delay(self, retry: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        raw = min(self.cap, self.base * (2 ** max(retry - 1, 0)))
        factor = 1.0 - self.jitter * (rng or random).random()
        return raw * factor
