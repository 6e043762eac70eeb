"""Which language the app and `remud` speak, and the engine's own messages in it.

The engine never imports Qt, so its sentences (errors, progress, card titles, the dataset
card) are translated with the standard library's gettext: one message id per sentence, with
named placeholders filled in after translation::

    raise DetectError(tr("Page {page} could not be read ({reason}).").format(page=n, reason=why))
    ntr("{n} figure", "{n} figures", count).format(n=count)

`N_("…")` marks a constant for extraction only; translate it with `tr()` where it is shown.
The catalogs are resources/i18n/engine_<lang>.po (compiled to .mo by scripts/i18n.py); the
GUI's Qt catalogs sit beside them. The language is chosen once per process: `--lang`, else the
choice in Settings → Appearance → Language, else the system's (LANGUAGE, LC_ALL, LC_MESSAGES,
LANG, then what the desktop says). Adding a language: one line in LANGUAGES, its .ts and .po
file, then `python scripts/i18n.py compile` (see docs/architecture.md).
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from engine.errors import RemudError
from engine.resources import resource

SOURCE_LANGUAGE = "en"
# code -> the language's name in itself (how Settings and `--lang` list it)
LANGUAGES: dict[str, str] = {
    "en": "English",
    "zh_CN": "简体中文",
}
SYSTEM = "system"  # the setting that follows the system's language
ENV_ORDER = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's own order

_translations: gettext.NullTranslations = gettext.NullTranslations()
_current = SOURCE_LANGUAGE


class LanguageError(RemudError):
    pass


def catalog_dir() -> Path:
    return resource("i18n")


def normalize(tag: str) -> str | None:
    """The language of LANGUAGES a locale name or tag means: "zh_CN.UTF-8", "zh-Hans-CN", "zh",
    "zh_TW" -> "zh_CN" (the one Chinese catalog); "en_US", "C", "POSIX" -> "en"; None when unknown."""
    tag = tag.strip()
    if not tag:
        return None
    base = re.split(r"[.@]", tag, maxsplit=1)[0].replace("-", "_")
    if base in ("C", "POSIX"):
        return SOURCE_LANGUAGE
    if base in LANGUAGES:
        return base
    lowered = {code.lower(): code for code in LANGUAGES}
    if base.lower() in lowered:
        return lowered[base.lower()]
    primary = base.split("_", 1)[0].lower()
    matches = [code for code in LANGUAGES if code.split("_", 1)[0].lower() == primary]
    return matches[0] if matches else None


def system_language(env: Mapping[str, str] | None = None, ui_languages: Sequence[str] = ()) -> str:
    """The system's language among LANGUAGES: the first of LANGUAGE (a colon list), LC_ALL,
    LC_MESSAGES and LANG that is set, else the desktop's UI languages (Qt's
    QLocale.system().uiLanguages(), which is what Windows and macOS say), else English."""
    env = os.environ if env is None else env
    for name in ENV_ORDER:
        value = env.get(name, "")
        if not value:
            continue
        for part in value.split(":"):
            found = normalize(part)
            if found:
                return found
        if name != "LANGUAGE":  # LANGUAGE may list only unknown languages; the locale still counts
            return SOURCE_LANGUAGE
    for tag in ui_languages:
        found = normalize(tag)
        if found:
            return found
    return SOURCE_LANGUAGE


def parse_choice(value: str) -> str:
    """A `--lang` or setting value: "system" or a language of LANGUAGES (any spelling
    normalize() knows). Raises LanguageError naming the choices."""
    if value.strip().lower() == SYSTEM:
        return SYSTEM
    found = normalize(value)
    if found is None:
        choices = ", ".join([SYSTEM, *LANGUAGES])
        raise LanguageError(tr("“{value}” is not a language the app speaks; choose one of {choices}.").format(
            value=value, choices=choices))
    return found


def chosen_language(flag: str | None = None, *, saved: str | None = None,
                    env: Mapping[str, str] | None = None, ui_languages: Sequence[str] = ()) -> str:
    """The language to speak: `flag` (--lang) if given, else the saved setting (Settings →
    Appearance → Language; read from the settings file when `saved` is None), else the system's."""
    if flag:
        choice = parse_choice(flag)
    else:
        if saved is None:
            from engine.settings import appearance_options  # engine.settings imports this module

            saved = str(appearance_options()["language"])
        choice = saved if saved == SYSTEM or saved in LANGUAGES else SYSTEM
    return system_language(env, ui_languages) if choice == SYSTEM else choice


def set_language(language: str) -> None:
    """Speak `language` (a key of LANGUAGES) from now on in this process. English needs no
    catalog; a missing or unreadable catalog leaves English (and says nothing: the GUI's own
    catalog check reports it)."""
    global _translations, _current
    if language not in LANGUAGES:
        raise LanguageError(f"Unknown language {language!r}.")
    translations: gettext.NullTranslations = gettext.NullTranslations()
    if language != SOURCE_LANGUAGE:
        try:
            with open(catalog_dir() / f"engine_{language}.mo", "rb") as fh:
                translations = gettext.GNUTranslations(fh)
        except OSError:
            pass
    _translations, _current = translations, language


def current_language() -> str:
    return _current


def tr(message: str) -> str:
    """`message` in the current language (itself when there is no translation)."""
    return _translations.gettext(message)


def ntr(singular: str, plural: str, n: int) -> str:
    """The form of `singular`/`plural` for the number n, in the current language."""
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark only"
    """Mark a constant for extraction; translate it with tr() where it is shown."""
    return message
