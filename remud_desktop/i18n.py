"""The app's language: Qt's translators for the GUI, engine.i18n for the engine's sentences.

Widgets translate with `self.tr("…")` (plural forms: `self.tr("%n figure(s)", "", n)`), code
outside a QObject with `QCoreApplication.translate("Context", "…")`; placeholders are named and
filled after translation (`.format(page=…)`). The catalogs are resources/i18n/gui_<lang>.qm (ours;
English has one for its plural forms) and Qt's own qtbase_<lang>.qm for Qt's dialogs and buttons.
The language is chosen once, at start: a change in Settings takes effect on restart.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from engine import i18n

_installed: list[QTranslator] = []


def language_for_start(flag: str | None = None) -> str:
    """--lang, else Settings → Appearance → Language, else the system's (environment, then what the
    desktop says: Windows and macOS set no LANG)."""
    return i18n.chosen_language(flag, ui_languages=QLocale.system().uiLanguages())


def install(app: QCoreApplication, language: str) -> list[str]:
    """Speak `language` in the GUI and the engine from now on (translators replaced, not stacked).
    Returns the catalogs that should be there but could not be loaded (empty when all is well)."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    i18n.set_language(language)
    QLocale.setDefault(QLocale(language))  # numbers and dates in the language's own way
    missing = []
    ours = QTranslator(app)
    if ours.load(str(i18n.catalog_dir() / f"gui_{language}.qm")):
        _installed.append(ours)
    else:
        missing.append(f"gui_{language}.qm")
    if language != i18n.SOURCE_LANGUAGE:
        qt = QTranslator(app)
        if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            _installed.append(qt)  # Qt's own buttons (OK, Cancel) and file dialogs; absent in some builds
    for translator in _installed:
        app.installTranslator(translator)
    return missing
