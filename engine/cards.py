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
from engine.i18n import N_, tr
from engine.llm.urls import refuse_credentials

# what the registries call their cards in messages (`what`); translated where shown
KINDS = (N_("detector"), N_("synthesizer"))


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    description: str
    factory: str  # "module:Class"
    params: dict[str, Any] = field(default_factory=dict)
    remote: bool = False


def load_cards(path: Path, what: str, error: type[RemudError], *, remote_default: bool = False) -> dict[str, Card]:
    """The cards of one TOML file; `what` names them in messages ("detector"). Titles and
    descriptions come in the current language (engine.i18n; scripts/i18n.py extracts them)."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise error(tr("The {what} list {path} could not be read ({reason}).").format(
            what=tr(what), path=path, reason=exc.strerror)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(tr("The {what} list {path} is not valid TOML ({reason}).").format(
            what=tr(what), path=path, reason=exc)) from exc
    cards = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or "factory" not in entry:
            raise error(tr("The {what} card “{name}” has no factory.").format(what=tr(what), name=name))
        title, description = str(entry.get("title", name)), str(entry.get("description", ""))
        cards[name] = Card(
            name=name,
            title=tr(title) if title else title,
            description=tr(description) if description else description,
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
        raise error(tr("The {what} “{name}” cannot be loaded ({reason}).").format(
            what=tr(what), name=card.name, reason=exc)) from exc
    refuse_credentials(params, error)  # a base URL with a key in it
    accepted = inspect.signature(cls).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(params) - set(accepted))
        if unknown:
            raise error(tr("The {what} “{name}” has no setting {unknown}; its settings are: {settings}.").format(
                what=tr(what), name=card.name, unknown=", ".join(unknown), settings=", ".join(accepted)))
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise error(tr("Wrong settings for the {what} “{name}”: {reason}.").format(
            what=tr(what), name=card.name, reason=exc)) from exc


def accepts(card: Card, parameter: str) -> bool:
    """Whether the card's class takes `parameter` (False if it cannot be loaded: build says why)."""
    module_name, _, class_name = card.factory.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        return False
    return parameter in inspect.signature(cls).parameters
