"""Synthesis: turning figures and passages into (image, question, thinking, answer) records.

    from engine.synth import SynthInput, create
    synth = create("openai", model="gpt-4o-mini")
    result = synth.synthesize(SynthInput(kind=RecordKind.VQA, image=png, caption=..., language="en"))
    result.records  # NewRecord drafts with synthesizer, model and prompt_version filled

Implementations live in openai_synth and gemini_synth and are imported only when used.
"""

from engine.synth.base import (
    Price,
    Pricing,
    SynthAuthError,
    SynthConfigError,
    SynthError,
    Synthesizer,
    SynthInput,
    SynthOutputError,
    SynthQuotaError,
    SynthRateLimitError,
    SynthRequestError,
    SynthResult,
    SynthServerError,
    load_pricing,
)
from engine.synth.registry import SynthesizerCard, available, create, load_cards

__all__ = [
    "Price",
    "Pricing",
    "SynthAuthError",
    "SynthConfigError",
    "SynthError",
    "SynthInput",
    "SynthOutputError",
    "SynthQuotaError",
    "SynthRateLimitError",
    "SynthRequestError",
    "SynthResult",
    "SynthServerError",
    "Synthesizer",
    "SynthesizerCard",
    "available",
    "create",
    "load_cards",
    "load_pricing",
]
