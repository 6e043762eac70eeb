"""A failed call to a model endpoint, and what kind of failure it was.

The kind tells the caller what to do: stop (a wrong key, no quota), wait and retry (rate
limits, server failures, timeouts, lost connections) or report the request (unknown model,
a setting the server refuses). Callers raise their own typed errors from it (SynthError,
EndpointError, EvalBackendError); str(error) is one sentence without the key.
"""

from __future__ import annotations

from enum import StrEnum

from engine.errors import RemudError


class FailureKind(StrEnum):
    TIMEOUT = "timeout"  # the endpoint did not answer in time
    UNREACHABLE = "unreachable"  # nothing answered at the address
    UNREADABLE = "unreadable"  # an answer the SDK could not read
    AUTH = "auth"  # the key was refused, or there is none
    QUOTA = "quota"  # the account's quota or credit is used up
    RATE_LIMITED = "rate_limited"  # HTTP 429: too many requests for now
    NO_MODEL = "no_model"  # the endpoint does not know the model (HTTP 404)
    SERVER = "server"  # the server failed (5xx, 408, 409)
    REFUSED = "refused"  # the server refused the request itself (4xx)

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later."""
        return self in (FailureKind.TIMEOUT, FailureKind.UNREACHABLE, FailureKind.RATE_LIMITED, FailureKind.SERVER)


class LLMCallError(RemudError):
    """A call to a model endpoint failed; str(error) is one key-free sentence.

    `status` is the HTTP status when the server answered; `retry_after` the seconds the
    server asked to wait, when it said."""

    def __init__(self, kind: FailureKind, message: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
