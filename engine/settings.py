"""User settings that the app and the `remud` command share (detector endpoints, ...).

A small JSON file in the user's config folder. Secrets never go here: API keys live in
the OS keyring (engine.secrets). Saving refuses anything that looks like a key.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir

from engine.errors import RemudError
from engine.i18n import LANGUAGES, SYSTEM, LanguageError, parse_choice, tr

APP_NAME = "ReMUD Desktop"
FILE_NAME = "settings.json"
ENV_DIR = "REMUD_CONFIG_DIR"  # overrides the folder (tests, portable installs)
DATA_ENV_DIR = "REMUD_DATA_DIR"  # overrides the data folder: the sample and the personal chat projects
SECRET_WORDS = ("secret", "password", "passwd", "apikey", "api_key", "credential")  # anywhere in a name
SECRET_PARTS = ("key", "token", "auth", "bearer")  # as a whole part of a name ("api_key", "access_token"; not "max_tokens")
SECRET_VALUES = (  # values shaped like provider API keys (OpenAI, Anthropic, Google)
    re.compile(r"^sk-[A-Za-z0-9_-]{16,}$"),
    re.compile(r"^AIza[0-9A-Za-z_-]{30,}$"),
)


class SettingsError(RemudError):
    pass


def settings_path() -> Path:
    folder = os.environ.get(ENV_DIR)
    if not folder:
        folder = user_config_dir(APP_NAME, appauthor=False)
    return Path(folder) / FILE_NAME


def data_dir() -> Path:
    """Where the app keeps its own projects (the sample, personal chats)."""
    folder = os.environ.get(DATA_ENV_DIR)
    if not folder:
        folder = user_data_dir(APP_NAME, appauthor=False)
    return Path(folder)


def load() -> dict[str, Any]:
    """All settings; an empty dict when there is no file or it cannot be read."""
    path = settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(data: dict[str, Any]) -> Path:
    """Write all settings atomically (temporary file, then rename)."""
    from engine.llm.urls import refuse_credentials  # cycle: engine.llm.urls imports looks_secret from here

    _refuse_secrets(data)
    refuse_credentials(data, SettingsError)
    try:
        text = json.dumps(data, indent=2, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise SettingsError(tr("Settings hold only text, numbers, true/false, lists and groups, not this ({reason}).").format(
            reason=exc)) from exc
    path = settings_path()
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise SettingsError(tr("Cannot save the settings to {path}: {reason}.").format(
            path=path, reason=exc.strerror or exc)) from exc
    return path


def _card_params(section: str, name: str) -> dict[str, Any]:
    """The saved overrides for card `name` of `section` ("detectors", "synthesizers"); empty if none."""
    params = load().get(section, {}).get(name, {})
    return dict(params) if isinstance(params, dict) else {}


def _set_card_params(section: str, name: str, params: dict[str, Any]) -> None:
    """Replace the saved overrides of one card of `section`; empty values are dropped."""
    data = load()
    cards = data.setdefault(section, {})
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    if clean:
        cards[name] = clean
    else:
        cards.pop(name, None)
    save(data)


def detector_params(name: str) -> dict[str, Any]:
    """The saved overrides for detector card `name` (empty if none)."""
    return _card_params("detectors", name)


def set_detector_params(name: str, params: dict[str, Any]) -> None:
    """Replace the saved overrides of one detector card; empty values are dropped."""
    _set_card_params("detectors", name, params)


def looks_secret(name: str) -> bool:
    """Whether a setting's name says it holds a secret ("api_key", "accessToken", "password")."""
    low = name.lower()
    parts = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())
    return any(word in low for word in SECRET_WORDS) or any(part in SECRET_PARTS for part in parts)


def _looks_like_key(value: str) -> bool:
    text = value.strip()
    return any(pattern.match(text) for pattern in SECRET_VALUES)


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The settings group `name` (the same dict, to update in place), or a new empty one if it is missing or broken."""
    group = data.get(name)
    return group if isinstance(group, dict) else {}


def _refuse_secrets(data: Any, where: str = "") -> None:
    """SettingsError when a name looks secret ("api_key") or a text value looks like an API key."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for k, v in items:
        name = f"{where}{k}"
        if (isinstance(data, dict) and looks_secret(str(k))) or (isinstance(v, str) and _looks_like_key(v)):
            raise SettingsError(
                tr("The setting “{name}” looks like a secret; keys are kept in the system keyring, never in files.").format(
                    name=name)
            )
        _refuse_secrets(v, f"{name}.")


# -- synthesis ---------------------------------------------------------------------------------
DEFAULT_CONCURRENCY = 8
SYNTHESIS_DEFAULTS: dict[str, Any] = {"card": "openai", "concurrency": DEFAULT_CONCURRENCY, "kinds": ["vqa"],
                                      "languages": ["en"], "reasoning": True}


def synthesizer_params(name: str) -> dict[str, Any]:
    """The saved overrides for synthesizer card `name` (model, base URL, ...; empty if none)."""
    return _card_params("synthesizers", name)


def set_synthesizer_params(name: str, params: dict[str, Any]) -> None:
    """Replace the saved overrides of one synthesizer card; empty values are dropped."""
    _set_card_params("synthesizers", name, params)


def synthesis_options() -> dict[str, Any]:
    """How jobs run and what the last job asked for: card, concurrency, kinds, languages, reasoning."""
    opts = load().get("synthesis", {})
    opts = dict(opts) if isinstance(opts, dict) else {}
    for name, default in SYNTHESIS_DEFAULTS.items():
        opts.setdefault(name, list(default) if isinstance(default, list) else default)
    return opts


def set_synthesis_options(**changes: Any) -> None:
    """Update some synthesis options (e.g. concurrency=4, kinds=["vqa", "mcq"])."""
    data = load()
    opts = _section(data, "synthesis")
    opts.update(changes)
    data["synthesis"] = opts
    save(data)


# -- chat ----------------------------------------------------------------------------------------
CHAT_DEFAULTS: dict[str, Any] = {
    "model_path": "",
    "mmproj_path": "",
    "n_ctx": 8192,
    "n_gpu_layers": 0,
    "n_threads": 0,  # 0: let llama.cpp choose
    "max_image_pixels": 1024 * 28 * 28,
    "system_prompt": "",
    "budget": {"use_min": True, "use_max": False, "min_thinking_tokens": 96, "max_thinking_tokens": 1024,
               "wait": "Wait,", "num_waits": 2, "answer_prefix": ""},
    "sampling": {"temperature": 0.6, "top_p": 0.7, "max_answer_tokens": 1024},
}


def chat_options() -> dict[str, Any]:
    """Chat model paths, loading settings and the default budget forcing and sampling."""
    return _chat_with_defaults(load().get("chat", {}))


def _chat_with_defaults(saved: Any) -> dict[str, Any]:
    saved = saved if isinstance(saved, dict) else {}
    opts = {**CHAT_DEFAULTS, **{k: v for k, v in saved.items() if k in CHAT_DEFAULTS}}
    for group in ("budget", "sampling"):
        part = saved.get(group) if isinstance(saved.get(group), dict) else {}
        opts[group] = {**CHAT_DEFAULTS[group], **{k: v for k, v in part.items() if k in CHAT_DEFAULTS[group]}}
    return opts


def set_chat_options(**changes: Any) -> None:
    """Update some chat options, e.g. model_path="…gguf" or budget={"min_thinking_tokens": 128}."""
    unknown = set(changes) - set(CHAT_DEFAULTS)
    if unknown:
        raise SettingsError(tr("Unknown chat settings: {names}.").format(names=", ".join(sorted(unknown))))
    data = load()
    opts = _section(data, "chat")
    for name, value in changes.items():
        if name in ("budget", "sampling") and isinstance(value, dict):
            value = {**(opts.get(name) or {}), **value}
        opts[name] = value
    _check_budget(_chat_with_defaults(opts)["budget"])
    data["chat"] = opts
    save(data)


def _check_budget(budget: dict[str, Any]) -> None:
    """SettingsError when the budget forcing settings contradict each other."""
    if budget["use_min"] and budget["use_max"] and budget["min_thinking_tokens"] > budget["max_thinking_tokens"]:
        raise SettingsError(tr("The minimum thinking length must not be larger than the maximum."))
    if budget["use_min"] and budget["num_waits"] > 0 and not str(budget["wait"]).strip():
        raise SettingsError(tr("Give a wait string (e.g. “Wait,”) or set the number of waits to 0."))


# -- appearance ----------------------------------------------------------------------------------
THEMES = ("system", "light", "dark")
APPEARANCE_DEFAULTS: dict[str, Any] = {"theme": "system", "language": "system"}


def appearance_options() -> dict[str, Any]:
    """How the app looks and speaks: {"theme": "system" | "light" | "dark", "language": "system" |
    a key of engine.i18n.LANGUAGES} ("system" follows the OS)."""

    saved = load().get("appearance", {})
    saved = saved if isinstance(saved, dict) else {}
    opts = {**APPEARANCE_DEFAULTS, **{k: v for k, v in saved.items() if k in APPEARANCE_DEFAULTS}}
    if opts["theme"] not in THEMES:
        opts["theme"] = APPEARANCE_DEFAULTS["theme"]
    if opts["language"] != SYSTEM and opts["language"] not in LANGUAGES:
        opts["language"] = SYSTEM
    return opts


def set_appearance_options(**changes: Any) -> None:
    """Update some appearance options, e.g. theme="dark"."""
    unknown = set(changes) - set(APPEARANCE_DEFAULTS)
    if unknown:
        raise SettingsError(tr("Unknown appearance settings: {names}.").format(names=", ".join(sorted(unknown))))
    theme = changes.get("theme")
    if theme is not None and theme not in THEMES:
        raise SettingsError(tr("The theme “{theme}” is not one of {choices}.").format(theme=theme, choices=", ".join(THEMES)))
    if changes.get("language") is not None:
        try:
            changes["language"] = parse_choice(str(changes["language"]))
        except LanguageError as exc:
            raise SettingsError(str(exc)) from exc
    data = load()
    opts = _section(data, "appearance")
    opts.update(changes)
    data["appearance"] = opts
    save(data)
