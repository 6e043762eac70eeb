"""Detector cards (resources/detectors.toml) and building detectors from them."""

from __future__ import annotations

import importlib
import inspect
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.detect.base import Detector
from engine.errors import DetectorError, UnknownDetectorError
from engine.resources import resource


@dataclass(frozen=True)
class DetectorCard:
    name: str
    title: str
    description: str
    factory: str
    params: dict[str, Any] = field(default_factory=dict)
    remote: bool = False


def load_cards(path: Path | None = None) -> dict[str, DetectorCard]:
    path = path or resource("detectors.toml")
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return {
        name: DetectorCard(
            name=name,
            title=entry.get("title", name),
            description=entry.get("description", ""),
            factory=entry["factory"],
            params=dict(entry.get("params", {})),
            remote=bool(entry.get("remote", False)),
        )
        for name, entry in data.items()
    }


def available() -> list[DetectorCard]:
    return list(load_cards().values())


def create(name: str, cards: dict[str, DetectorCard] | None = None, **overrides: Any) -> Detector:
    """A detector built from its card, with `overrides` replacing card params.

    With the shipped cards (no `cards` given), the user's saved settings for the card
    (engine.settings, written by the app's Settings dialog) sit between the two.
    """
    saved: dict[str, Any] = {}
    if cards is None:
        from engine import settings

        saved = settings.detector_params(name)
    cards = cards or load_cards()
    card = cards.get(name)
    if card is None:
        raise UnknownDetectorError(f"There is no detector called “{name}”. Choose one of: {', '.join(cards)}.")
    module_name, _, class_name = card.factory.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise DetectorError(f"The detector “{name}” cannot be loaded ({exc}).") from exc
    params = {**card.params, **saved, **overrides}
    accepted = inspect.signature(cls).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise DetectorError(
                f"The detector “{name}” has no setting {', '.join(unknown)}; its settings are: {', '.join(accepted)}."
            )
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise DetectorError(f"Wrong settings for the detector “{name}”: {exc}.") from exc
