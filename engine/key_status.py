"""Which API keys are set, and where (the OS keyring or an environment variable), without
ever returning a key. The welcome screen's checklist and `remud settings` both use it.

The keys belong to the remote cards: each synthesizer or detector module reads its key
from the keyring entry named by its module's NAME ("openai", "gemini", "qwen-vl").
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
from dataclasses import dataclass
from enum import StrEnum

from engine.cards import Card
from engine.detect import registry as detectors
from engine.i18n import tr
from engine.secrets import get_secret
from engine.synth import registry as synthesizers

# The environment variables each keyring entry falls back to (as the modules read them).
ENV_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "qwen-vl": ("OPENAI_API_KEY",),
}



class KeySource(StrEnum):
    """Where a key comes from."""

    KEYRING = "keyring"
    ENVIRONMENT = "environment"
    NOT_SET = "not set"


KEYRING, ENVIRONMENT, NOT_SET = KeySource.KEYRING, KeySource.ENVIRONMENT, KeySource.NOT_SET


class KeyKind(StrEnum):
    """What a key is used for."""

    SYNTHESIS = "synthesis"
    DETECTION = "detection"


@dataclass(frozen=True)
class KeyStatus:
    name: str  # the keyring entry
    title: str  # who uses it, for people
    kind: KeyKind | None  # None: a key asked about by name only
    source: KeySource
    variable: str = ""  # the environment variable it came from, when source is ENVIRONMENT

    @property
    def is_set(self) -> bool:
        return self.source != NOT_SET

    def describe(self) -> str:
        """"set in keyring", "from environment (GEMINI_API_KEY)" or "not set"."""
        if self.source == KEYRING:
            return tr("set in keyring")
        if self.source == ENVIRONMENT:
            return tr("from environment ({variable})").format(variable=self.variable)
        return tr("not set")


def key_name(card: Card) -> str:
    """The keyring entry the card's class reads its key from: its module's NAME, read from
    the source when there is one (importing the provider SDKs takes seconds)."""
    module_name = card.factory.split(":")[0]
    spec = importlib.util.find_spec(module_name)
    if spec is not None and spec.origin and spec.origin.endswith(".py"):
        try:
            tree = ast.parse(open(spec.origin, encoding="utf-8").read())
        except (OSError, SyntaxError):
            tree = None
        for node in tree.body if tree else []:
            if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "NAME" for t in node.targets)
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                return node.value.value
    module = importlib.import_module(module_name)
    return str(getattr(module, "NAME", card.name))


def env_vars(name: str) -> tuple[str, ...]:
    return ENV_VARS.get(name, (name.upper().replace("-", "_") + "_API_KEY",))


def key_status(name: str, title: str, kind: KeyKind | None = None) -> KeyStatus:
    """Where the key `name` comes from; keyring calls can be slow, so call it off the GUI thread."""
    if get_secret(name):
        return KeyStatus(name, title, kind, KEYRING)
    for var in env_vars(name):
        if os.environ.get(var):
            return KeyStatus(name, title, kind, ENVIRONMENT, var)
    return KeyStatus(name, title, kind, NOT_SET)


# Keyring entries whose synthesizers need no key for a custom base URL: they send "EMPTY",
# what local OpenAI-compatible servers expect (engine.llm.openai_chat).
KEYLESS_WITH_BASE_URL = frozenset({"openai"})


def synthesizer_key(card_name: str, params: dict | None = None, cards: dict[str, Card] | None = None) -> KeyStatus | None:
    """Where the key the synthesizer card `card_name` needs comes from (NOT_SET: it has none, and
    a job would stop at its first request); None when it needs no key: a local card, or an
    OpenAI-compatible one sent to a custom base URL. `params` are the user's overrides of the
    card's parameters. Keyring calls can be slow: call it off the GUI thread."""
    cards = cards if cards is not None else synthesizers.load_cards()
    card = cards.get(card_name)
    if card is None or not card.remote:
        return None
    name = key_name(card)
    if name in KEYLESS_WITH_BASE_URL and {**card.params, **(params or {})}.get("base_url"):
        return None
    return key_status(name, card.title, KeyKind.SYNTHESIS)


def all_key_statuses() -> list[KeyStatus]:
    """One entry per keyring name used by a remote synthesizer or detector card."""
    seen: dict[str, KeyStatus] = {}
    for kind, cards in ((KeyKind.SYNTHESIS, synthesizers.load_cards()), (KeyKind.DETECTION, detectors.load_cards())):
        for card in cards.values():
            if not card.remote:
                continue
            name = key_name(card)
            if name not in seen:
                seen[name] = key_status(name, card.title, kind)
    return list(seen.values())


def synthesis_key_set(statuses: list[KeyStatus]) -> bool:
    """True when at least one synthesis provider has a key."""
    return any(s.is_set for s in statuses if s.kind == KeyKind.SYNTHESIS)
