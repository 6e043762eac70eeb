"""Synthesizer cards (resources/synthesizers.toml) and building synthesizers from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.cards import Card, accepts, build
from engine.cards import load_cards as _load
from engine.i18n import tr
from engine.resources import resource
from engine.synth.base import SynthConfigError, Synthesizer

SynthesizerCard = Card


def load_cards(path: Path | str | None = None) -> dict[str, Card]:
    return _load(Path(path) if path else resource("synthesizers.toml"), "synthesizer", SynthConfigError,
                 remote_default=True)


def available(path: Path | str | None = None) -> list[Card]:
    return list(load_cards(path).values())


def create(name: str, cards: dict[str, Card] | None = None, **overrides: Any) -> Synthesizer:
    """A synthesizer built from its card, `overrides` replacing card params.

    The card's name becomes the synthesizer's name (records keep it), so two cards on
    one class ("openai" and "local") stay apart.
    """
    cards = cards if cards is not None else load_cards()
    card = cards.get(name)
    if card is None:
        raise SynthConfigError(tr("There is no synthesizer called “{name}”. Choose one of: {names}.").format(
            name=name, names=", ".join(cards)))
    params = {**card.params, **overrides}
    if accepts(card, "name"):
        params.setdefault("name", name)
    return build(card, params, "synthesizer", SynthConfigError)
