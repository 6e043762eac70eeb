"""Detector cards (resources/detectors.toml) and building detectors from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import settings
from engine.cards import Card, build
from engine.cards import load_cards as _load
from engine.detect.base import Detector
from engine.errors import DetectorError, UnknownDetectorError
from engine.i18n import tr
from engine.resources import resource

DetectorCard = Card


def load_cards(path: Path | None = None) -> dict[str, Card]:
    return _load(path or resource("detectors.toml"), "detector", DetectorError)


def available() -> list[Card]:
    return list(load_cards().values())


def create(name: str, cards: dict[str, Card] | None = None, **overrides: Any) -> Detector:
    """A detector built from its card, with `overrides` replacing card params.

    With the shipped cards (no `cards` given), the user's saved settings for the card
    (engine.settings, written by the app's Settings dialog) sit between the two.
    """
    saved: dict[str, Any] = {}
    if cards is None:
        saved = settings.detector_params(name)
    cards = cards or load_cards()
    card = cards.get(name)
    if card is None:
        raise UnknownDetectorError(tr("There is no detector called “{name}”. Choose one of: {choices}.").format(
            name=name, choices=", ".join(cards)))
    return build(card, {**card.params, **saved, **overrides}, "detector", DetectorError)
