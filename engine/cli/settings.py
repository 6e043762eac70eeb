"""`remud settings`: everything the Settings dialog holds, readable (and the plain values
changeable) from the command line.

    remud settings                      a readable table
    remud settings --json               the same as JSON
    remud settings set chat.n_ctx=4096 synthesizers.openai.model=gpt-4.1-mini

API keys are never printed: per keyring entry only "set in keyring", "from environment
(VAR)" or "not set". Keys cannot be set here either (the settings file refuses them);
the app's Settings dialog puts them in the system keyring.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
from dataclasses import asdict
from typing import Any

from engine import settings
from engine.cards import Card
from engine.cli.common import add_command
from engine.detect import registry as detectors
from engine.i18n import N_, ntr, tr
from engine.key_status import all_key_statuses
from engine.pdf.resolution import check_dpi
from engine.resources import resource
from engine.settings import SettingsError
from engine.synth import registry as synthesizers
from engine.synth.base import load_pricing

SECTIONS = ("appearance", "chat", "synthesis", "synthesizers", "detectors")
SECTION_TITLES = {"appearance": N_("Appearance"), "chat": N_("Chat"), "synthesis": N_("Synthesis"),
                  "synthesizers": N_("Synthesizers"), "detectors": N_("Detectors")}
PRICE_UNIT = N_("USD per 1M tokens")  # the JSON's "unit"; translated where shown


def add_settings_parser(sub, common: argparse.ArgumentParser) -> None:
    text = tr("show the app's settings (API keys only as set / not set), or change them with `set KEY=VALUE`")
    sp = add_command(sub, common, "settings", cmd_settings, text, project=False)
    sp.add_argument("action", nargs="?", choices=("show", "set"), default="show")
    sp.add_argument("assignments", nargs="*", metavar="KEY=VALUE",
                    help=tr("with `set`: e.g. chat.model_path=/models/remud.gguf, chat.budget.use_max=true, "
                            "synthesis.concurrency=4, appearance.theme=dark, appearance.language=zh_CN (an empty value "
                            "resets it to its default)"))


# -- reading -----------------------------------------------------------------------------
def snapshot() -> dict[str, Any]:
    """All settings as the app and the CLI see them (saved values over the shipped defaults)."""
    pricing_file = resource("pricing.toml")
    pricing = load_pricing(pricing_file)
    saved = settings.load()  # once, not once per card

    def overrides(section: str, name: str) -> dict[str, Any]:
        group = saved.get(section)
        params = group.get(name) if isinstance(group, dict) else None
        return dict(params) if isinstance(params, dict) else {}

    detector_overrides = {name: overrides("detectors", name) for name in detectors.load_cards()}
    return {
        "file": str(settings.settings_path()),
        "api_keys": {s.name: {"used_for": s.title, "kind": s.kind, "status": s.describe()} for s in all_key_statuses()},
        "appearance": settings.appearance_options(),
        "chat": settings.chat_options(),
        "synthesis": settings.synthesis_options(),
        "synthesizers": {name: {**card.params, **overrides("synthesizers", name)}
                         for name, card in synthesizers.load_cards().items()},
        "detectors": {name: {**card.params, **detector_overrides[name]}
                      for name, card in detectors.load_cards().items() if card.params or detector_overrides[name]},
        "pricing": {"file": str(pricing_file), "batch_discount": pricing.batch_discount, "unit": PRICE_UNIT,
                    "models": {name: asdict(price) for name, price in pricing.prices.items()}},
    }


def flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """{"chat": {"budget": {"wait": "Wait,"}}} -> [("chat.budget.wait", "Wait,")]."""
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            rows.extend(flatten(value, f"{prefix}{key}."))
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if value == "" or value != value.strip() else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def render_text(snap: dict[str, Any]) -> str:
    lines = [tr("Settings file: {path}").format(path=snap["file"]), "",
             tr("API keys (kept in the system keyring; never shown)")]
    width = max((len(n) for n in snap["api_keys"]), default=0)
    for name, info in snap["api_keys"].items():
        lines.append(f"  {name:<{width}}  {info['status']:<34}  {info['used_for']}")
    for section in SECTIONS:
        rows = flatten(snap[section], f"{section}.")
        width = max(len(k) for k, _ in rows)
        lines += ["", tr(SECTION_TITLES[section])] + [f"  {k:<{width}}  {_shown(v)}" for k, v in rows]
    pricing = snap["pricing"]
    lines += ["", tr("Prices ({unit}; batch jobs cost ×{discount}) from {path}").format(
        unit=tr(pricing["unit"]), discount=f"{pricing['batch_discount']:g}", path=pricing["file"])]
    width = max((len(n) for n in pricing["models"]), default=0)
    # Translators: column heads of the price table (model name, input and output price)
    model, inp, outp = tr("model"), tr("input"), tr("output")
    lines.append(f"  {model:<{width}}  {inp:>8}  {outp:>8}")
    for name, price in pricing["models"].items():
        lines.append(f"  {name:<{width}}  {price['input']:>8.2f}  {price['output']:>8.2f}")
    return "\n".join(lines)


# -- writing -----------------------------------------------------------------------------
def _coerce(key: str, raw: str, default: Any) -> Any:
    """`raw` in the type of `default` (bool, int, float, str); JSON or text when unknown."""
    if isinstance(default, bool):
        low = raw.strip().lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise SettingsError(tr("{key} is true or false, not “{value}”.").format(key=key, value=raw))
    if isinstance(default, (int, float)):
        try:
            return int(raw) if isinstance(default, int) else float(raw)
        except ValueError:
            sentence = (tr("{key} needs a whole number, not “{value}”.") if isinstance(default, int)
                        else tr("{key} needs a number, not “{value}”."))
            raise SettingsError(sentence.format(key=key, value=raw)) from None
    if isinstance(default, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _unknown(key: str, choices) -> SettingsError:
    return SettingsError(tr("There is no setting “{key}”; known here: {choices}.").format(
        key=key, choices=", ".join(sorted(choices))))


def _card_settings(card: Card) -> list[str] | None:
    """The parameter names the card's class takes (None when it takes any), as engine.cards.build checks them."""
    module_name, _, class_name = card.factory.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise SettingsError(tr("The card “{name}” cannot be loaded ({reason}); its settings cannot be checked.").format(
            name=card.name, reason=exc)) from exc
    accepted = inspect.signature(cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return None
    return [n for n, p in accepted.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]


def _set_card_param(key: str, parts: list[str], raw: str, cards: dict[str, Card], saved_of, save_to) -> None:
    if len(parts) != 3:
        raise SettingsError(tr("Use {section}.<name>.<setting>=value (e.g. {section}.{card}.model=…).").format(
            section=parts[0], card=next(iter(cards))))
    _, name, param = parts
    if name not in cards:
        raise _unknown(f"{parts[0]}.{name}", [f"{parts[0]}.{n}" for n in cards])
    if settings.looks_secret(param):
        raise SettingsError(tr("The setting “{key}” looks like a secret; keys are kept in the system keyring, never in "
                               "files.").format(key=key))
    accepted = _card_settings(cards[name])
    if accepted is not None and param not in accepted:
        shown = [n for n in accepted if not settings.looks_secret(n)]  # keys go to the keyring, not here
        raise SettingsError(tr("The card “{name}” has no setting “{setting}”; its settings are: {settings}.").format(
            name=name, setting=param, settings=", ".join(shown)))
    params = saved_of(name)
    if raw.strip() == "":
        params.pop(param, None)  # back to the card's default
    else:
        params[param] = _coerce(key, raw, cards[name].params.get(param, params.get(param)))
        if param == "dpi":
            params[param] = check_dpi(params[param], key, SettingsError)
    save_to(name, params)


def set_value(key: str, raw: str) -> None:
    """Change one plain setting named by its dotted key (the names `remud settings` shows)."""
    parts = key.strip().split(".")
    section = parts[0]
    reset = raw.strip() == ""  # an empty value puts the setting back to its default

    def value_of(default: Any) -> Any:
        return default if reset else _coerce(key, raw, default)

    if section == "appearance":
        if len(parts) != 2 or parts[1] not in settings.APPEARANCE_DEFAULTS:
            raise _unknown(key, [f"appearance.{name}" for name in settings.APPEARANCE_DEFAULTS])
        value = value_of(settings.APPEARANCE_DEFAULTS[parts[1]]).strip()
        settings.set_appearance_options(**{parts[1]: value.lower() if parts[1] == "theme" else value})
    elif section == "chat":
        defaults = settings.CHAT_DEFAULTS
        if len(parts) == 2 and parts[1] in defaults and not isinstance(defaults[parts[1]], dict):
            value = value_of(defaults[parts[1]])
            if parts[1] == "n_ctx":
                from engine.chat.memory import MAX_CTX, MIN_CTX  # deferred: engine.chat adds about 20 ms to every start

                if not MIN_CTX <= value <= MAX_CTX:
                    raise SettingsError(tr("chat.n_ctx must be from {min} to {max} tokens (e.g. 8192), not {value}.")
                                        .format(min=MIN_CTX, max=MAX_CTX, value=value))
            settings.set_chat_options(**{parts[1]: value})
        elif len(parts) == 3 and isinstance(defaults.get(parts[1]), dict) and parts[2] in defaults[parts[1]]:
            settings.set_chat_options(**{parts[1]: {parts[2]: value_of(defaults[parts[1]][parts[2]])}})
        else:
            raise _unknown(key, [k for k, v in flatten(defaults, "chat.")])
    elif section == "synthesis":
        scalars = {k: v for k, v in settings.SYNTHESIS_DEFAULTS.items() if not isinstance(v, list)}
        if len(parts) != 2 or parts[1] not in scalars:
            raise _unknown(key, [f"synthesis.{k}" for k in scalars])
        value = value_of(scalars[parts[1]])
        if parts[1] == "concurrency" and value < 1:
            raise SettingsError(tr("synthesis.concurrency must be 1 or more."))
        if parts[1] == "card":
            cards = synthesizers.load_cards()
            if value not in cards:
                raise SettingsError(tr("There is no synthesizer “{name}”; choose one of: {choices}.").format(
                    name=value, choices=", ".join(cards)))
        settings.set_synthesis_options(**{parts[1]: value})
    elif section == "synthesizers":
        _set_card_param(key, parts, raw, synthesizers.load_cards(), settings.synthesizer_params,
                        settings.set_synthesizer_params)
    elif section == "detectors":
        _set_card_param(key, parts, raw, detectors.load_cards(), settings.detector_params,
                        settings.set_detector_params)
    else:
        raise _unknown(key, [f"{s}.…" for s in SECTIONS])


def cmd_settings(args) -> int:
    if args.action == "set":
        if not args.assignments:
            raise SettingsError(tr("Say what to change, e.g. remud settings set chat.n_ctx=4096."))
        pairs = []
        for item in args.assignments:
            key, sep, raw = item.partition("=")
            if not sep:
                raise SettingsError(tr("“{item}” is not KEY=VALUE (e.g. chat.n_ctx=4096).").format(item=item))
            pairs.append((key, raw))
        for key, raw in pairs:
            set_value(key, raw)
        if not args.json:
            print(ntr("Saved {n} setting to {path}", "Saved {n} settings to {path}", len(pairs)).format(
                n=len(pairs), path=settings.settings_path()))
            return 0
    snap = snapshot()
    if args.json:
        print(json.dumps(snap, ensure_ascii=False, indent=2))
    else:
        print(render_text(snap))
    return 0
