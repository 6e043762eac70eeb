"""Synthesizer cards (resources/synthesizers.toml) and building synthesizers from them."""

from __future__ import annotations

import importlib
import inspect
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.resources import resource
from engine.synth.base import SynthConfigError, Synthesizer


@dataclass(frozen=True)
class SynthesizerCard:
    name: str
    title: str
    description: str
    factory: str
    params: dict[str, Any] = field(default_factory=dict)
    remote: bool = True


def load_cards(path: Path | str | None = None) -> dict[str, SynthesizerCard]:
    path = Path(path) if path else resource("synthesizers.toml")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise SynthConfigError(f"The synthesizer list {path} could not be read ({exc.strerror}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SynthConfigError(f"The synthesizer list {path} is not valid TOML ({exc}).") from exc
    cards = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or "factory" not in entry:
            raise SynthConfigError(f"The synthesizer card '{name}' has no factory.")
        cards[name] = SynthesizerCard(
            name=name,
            title=str(entry.get("title", name)),
            description=str(entry.get("description", "")),
            factory=str(entry["factory"]),
            params=dict(entry.get("params", {})),
            remote=bool(entry.get("remote", True)),
        )
    return cards


def available(path: Path | str | None = None) -> list[SynthesizerCard]:
    return list(load_cards(path).values())


def create(name: str, cards: dict[str, SynthesizerCard] | None = None, **overrides: Any) -> Synthesizer:
    """A synthesizer built from its card, `overrides` replacing card params.

    The card's name becomes the synthesizer's name (records keep it), so two cards on
    one class ("openai" and "local") stay apart.
    """
    cards = cards if cards is not None else load_cards()
    card = cards.get(name)
    if card is None:
        raise SynthConfigError(f"There is no synthesizer called '{name}'. Choose one of: {', '.join(cards)}.")
    module_name, _, class_name = card.factory.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise SynthConfigError(f"The synthesizer '{name}' cannot be loaded ({exc}).") from exc
    params = {**card.params, **overrides}
    accepted = inspect.signature(cls).parameters
    if "name" in accepted:
        params.setdefault("name", name)
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise SynthConfigError(
                f"The synthesizer '{name}' has no setting {', '.join(unknown)}; its settings are: {', '.join(accepted)}."
            )
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise SynthConfigError(f"Wrong settings for the synthesizer '{name}': {exc}.") from exc
