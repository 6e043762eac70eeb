"""Requests-per-minute and tokens-per-minute limits as token buckets, and token estimates.

Each bucket refills continuously at limit/60 per second and holds at most `burst_s`
seconds' worth (at least one request, or one request's tokens), so a job never bursts a
whole minute's quota at once. Tokens are estimated before a call and corrected after it
(`correct`), which may leave the token bucket below zero: later calls then wait longer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class _Bucket:
    def __init__(self, per_minute: float, burst_s: float, clock: Callable[[], float]) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(self.rate * burst_s, 1.0)
        self.level = self.capacity
        self.clock = clock
        self.stamp = clock()

    def refill(self) -> None:
        t = self.clock()
        self.level = min(self.capacity, self.level + (t - self.stamp) * self.rate)
        self.stamp = t

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` (capped at the capacity) is available; 0 if now."""
        need = min(amount, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate


class RateLimiter:
    """Thread-safe RPM/TPM limiter. `None` limits are unlimited."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None, *, burst_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self.requests = _Bucket(rpm, burst_s, clock) if rpm else None
        self.tokens = _Bucket(tpm, burst_s, clock) if tpm else None

    def reserve(self, tokens: float) -> float:
        """Takes one request and `tokens` now and returns 0, or returns the seconds to wait
        before asking again (taking nothing)."""
        with self._lock:
            waits = []
            for bucket, amount in ((self.requests, 1.0), (self.tokens, tokens)):
                if bucket is not None:
                    bucket.refill()
                    waits.append(bucket.wait_for(amount))
            wait = max(waits, default=0.0)
            if wait > 0:
                return wait
            if self.requests is not None:
                self.requests.level -= 1.0
            if self.tokens is not None:
                self.tokens.level -= tokens
            return 0.0

    def acquire(self, tokens: float, wait: Callable[[float], bool]) -> bool:
        """Blocks until allowed. `wait(seconds)` sleeps and returns True to abort
        (a stop or cancel); then acquire returns False having taken nothing."""
        while True:
            delay = self.reserve(tokens)
            if delay <= 0:
                return True
            if wait(min(delay, 0.25)):
                return False

    def correct(self, delta_tokens: float) -> None:
        """The call used `delta_tokens` more (or fewer, if negative) than estimated."""
        if self.tokens is not None and delta_tokens:
            with self._lock:
                self.tokens.refill()
                self.tokens.level = min(self.tokens.capacity, self.tokens.level - delta_tokens)


def estimate_tokens(text: str, images: int = 0, *, per_image: int = 800, output: int = 600) -> int:
    """A rough token count for a request before it is sent (about 4 characters a token for
    Latin text, about 1 per CJK character), plus its images and the expected answer."""
    cjk = sum(1 for ch in text if "\u3000" <= ch <= "\u9fff")
    return int((len(text) - cjk) / 4 + cjk) + images * per_image + output
