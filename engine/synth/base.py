"""The synthesizer protocol, its plain data, its typed errors and per-model prices.

A synthesizer turns one SynthInput (a figure crop and its page, or a text passage, plus
kind, language and reasoning) into draft records. Errors tell the job runner what to do:

- SynthAuthError, SynthQuotaError: stop the job, retrying cannot help;
- SynthRateLimitError (429, with `retry_after` seconds when the server said so) and
  SynthServerError (5xx, timeouts, connection failures): retry with backoff;
- SynthOutputError: the model answered, but not with usable records; `raw` keeps the
  answer for inspection (one repair attempt, then mark the item failed);
- SynthRequestError: the server refused the request itself (unknown model, bad setting).

Every message is one sentence a user understands, and never contains the API key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from engine.errors import RemudError
from engine.i18n import tr
from engine.llm.errors import FailureKind, LLMCallError
from engine.resources import resource
from engine.store.models import NewRecord, RecordKind

LANGUAGES = ("zh", "en")


# ----------------------------------------------------------------------------- errors


class SynthError(RemudError):
    """A synthesizer failed; str(error) is fit to show the user."""


class SynthConfigError(SynthError):
    """Wrong settings (no model, unknown language, an image kind without an image)."""


class SynthAuthError(SynthError):
    """The service rejected the API key or its permissions. Stop the job."""


class SynthQuotaError(SynthError):
    """The account's quota or credit is used up. Stop the job."""


class SynthRateLimitError(SynthError):
    """Too many requests (HTTP 429). Retry after `retry_after` seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SynthServerError(SynthError):
    """The service failed (5xx), timed out or could not be reached. Retryable."""


class SynthRequestError(SynthError):
    """The service refused the request itself (unknown model, unsupported input)."""


class SynthOutputError(SynthError):
    """The answer could not be turned into records; `raw` is the answer as received.

    The call was still paid for: tokens and cost are kept when the server reported them."""

    def __init__(
        self, message: str, raw: str = "", *, tokens_in: int = 0, tokens_out: int = 0, cost: float | None = None
    ) -> None:
        super().__init__(message)
        self.raw = raw
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out
        self.cost = cost

    def with_usage(self, tokens_in: int, tokens_out: int, cost: float | None) -> SynthOutputError:
        return SynthOutputError(str(self), self.raw, tokens_in=tokens_in, tokens_out=tokens_out, cost=cost)


def synth_error(error: LLMCallError) -> SynthError:
    """The SynthError a failed endpoint call stands for (the same sentence)."""
    message = str(error)
    if error.kind is FailureKind.AUTH:
        return SynthAuthError(message)
    if error.kind is FailureKind.QUOTA:
        return SynthQuotaError(message)
    if error.kind is FailureKind.RATE_LIMITED:
        return SynthRateLimitError(message, error.retry_after)
    if error.kind.retryable:
        return SynthServerError(message)
    if error.kind in (FailureKind.NO_MODEL, FailureKind.REFUSED):
        return SynthRequestError(message)
    return SynthError(message)



def call_limits(provider: str, temperature: Any, max_tokens: Any, timeout: Any,
                max_retries: Any) -> tuple[float, int, float, int]:
    """A `provider` synthesizer's (temperature, max_tokens, timeout, max_retries) as numbers, or the
    SynthConfigError that says which of them is wrong."""
    try:
        limits = float(temperature), int(max_tokens), float(timeout), int(max_retries)
    except (TypeError, ValueError):
        raise SynthConfigError(tr(
            "The {provider} synthesizer's temperature, max_tokens, timeout and max_retries must be numbers."
        ).format(provider=provider)) from None
    _, tokens, seconds, retries = limits
    if tokens <= 0 or seconds <= 0 or retries < 0:
        raise SynthConfigError(tr(
            "The {provider} synthesizer's max_tokens and timeout must be positive, max_retries not negative."
        ).format(provider=provider))
    return limits


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SynthInput:
    """What one synthesis call sees. `image` None means a text-only passage."""

    kind: RecordKind
    image: bytes | None = None  # the figure crop as PNG, masks applied
    page_image: bytes | None = None  # the whole page as PNG, for context
    caption: str = ""
    context: str = ""  # the text around the figure, or the passage for text-only QA
    burned_text: str = ""  # text burned into the ultrasound frame (OCR)
    section: str = ""
    reasoning: bool = True
    language: str = "en"
    figure_id: int | None = None
    doc_id: int | None = None
    page: int | None = None

    @property
    def has_image(self) -> bool:
        return bool(self.image)


@dataclass(frozen=True)
class SynthResult:
    records: list[NewRecord]
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float | None = None  # US dollars; None when pricing.toml has no price for the model
    raw: str = ""  # the model's answer as received
    dropped: list[str] = field(default_factory=list)  # why items of the answer were left out
    structured: bool = True  # False when the server refused JSON-schema output


@runtime_checkable
class Synthesizer(Protocol):
    name: str
    model: str

    def synthesize(self, inp: SynthInput) -> SynthResult: ...

    def test_connection(self) -> str: ...


# ----------------------------------------------------------------------------- pricing


@dataclass(frozen=True)
class Price:
    input: float  # US dollars per 1M input tokens
    output: float  # US dollars per 1M output tokens


@dataclass(frozen=True)
class Pricing:
    prices: dict[str, Price]
    batch_discount: float = 0.5  # batch APIs (OpenAI Batch, Gemini batch mode) cost this fraction

    def price(self, model: str) -> Price | None:
        """The price of `model`, else of the longest listed name it starts with
        (so "gpt-4o-2024-08-06" costs what "gpt-4o" costs), else None."""
        if model in self.prices:
            return self.prices[model]
        bare = model.split("/")[-1]  # "models/gemini-2.5-flash", "openai/gpt-4o"
        matches = [name for name in self.prices if bare.startswith(name) or model.startswith(name)]
        return self.prices[max(matches, key=len)] if matches else None

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None:
        price = self.price(model)
        if price is None:
            return None
        return (tokens_in * price.input + tokens_out * price.output) / 1_000_000

    def batch_cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None:
        """What the same tokens cost through a provider's batch API (`batch_discount` × cost)."""
        cost = self.cost(model, tokens_in, tokens_out)
        return None if cost is None else cost * self.batch_discount

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pricing:
        prices = {}
        for name, entry in dict(data.get("models", {})).items():
            try:
                prices[str(name)] = Price(float(entry.get("input", 0.0)), float(entry.get("output", 0.0)))
            except (AttributeError, TypeError, ValueError):
                raise SynthConfigError(tr("The price of '{name}' in pricing.toml must be numbers (input, output).").format(
                    name=name)) from None
        try:
            discount = float(data.get("batch_discount", 0.5))
        except (TypeError, ValueError):
            raise SynthConfigError(tr("batch_discount in pricing.toml must be a number (0.5 = half price).")) from None
        if not 0.0 <= discount <= 1.0:
            raise SynthConfigError(tr("batch_discount in pricing.toml must be between 0 and 1 (0.5 = half price)."))
        return cls(prices, discount)


def load_pricing(path: Path | str | None = None) -> Pricing:
    """Prices from resources/pricing.toml, or from `path` (a user-edited copy)."""
    path = Path(path) if path else resource("pricing.toml")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise SynthConfigError(tr("The price list {path} could not be read ({error}).").format(
            path=path, error=exc.strerror)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise SynthConfigError(tr("The price list {path} is not valid TOML ({error}).").format(path=path, error=exc)) from exc
    return Pricing.from_dict(data)
