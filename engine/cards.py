"""Cards: the TOML files in resources/ that list detectors or synthesizers, and building
one from its card. A new detector or synthesizer is one module plus one card."""

from __future__ import annotations

import importlib
import inspect
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import RemudError
from engine.llm.urls import refuse_credentials


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    description: str
    factory: str  # "module:Class"
    params: dict[str, Any] = field(default_factory=dict)
    remote: bool = False


def load_cards(path: Path, what: str, error: type[RemudError], *, remote_default: bool = False) -> dict[str, Card]:
    """The cards of one TOML file; `what` names them in messages ("detector")."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise error(f"The {what} list {path} could not be read ({exc.strerror}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"The {what} list {path} is not valid TOML ({exc}).") from exc
    cards = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or "factory" not in entry:
            raise error(f"The {what} card “{name}” has no factory.")
        cards[name] = Card(
            name=name,
            title=str(entry.get("title", name)),
            description=str(entry.get("description", "")),
            factory=str(entry["factory"]),
            params=dict(entry.get("params", {})),
            remote=bool(entry.get("remote", remote_default)),
        )
    return cards


def build(card: Card, params: dict[str, Any], what: str, error: type[RemudError]) -> Any:
    """Construct the card's class with `params`, checking their names first."""
    module_name, _, class_name = card.factory.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise error(f"The {what} “{card.name}” cannot be loaded ({exc}).") from exc
    refuse_credentials(params, error)  # a base URL with a key in it
    accepted = inspect.signature(cls).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise error(
                f"The {what} “{card.name}” has no setting {', '.join(unknown)}; its settings are: {', '.join(accepted)}."
            )
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise error(f"Wrong settings for the {what} “{card.name}”: {exc}.") from exc


def accepts(card: Card, parameter: str) -> bool:
    """Whether the card's class takes `parameter` (False if it cannot be loaded: build says why)."""
    module_name, _, class_name = card.factory.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        return False
    return parameter in inspect.signature(cls).parameters
