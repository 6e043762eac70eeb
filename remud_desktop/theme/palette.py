"""Light and dark: `apply_theme(app, "system" | "light" | "dark")`.

"system" follows the OS colour scheme (QStyleHints.colorScheme, Qt 6.5+) and follows it
when it changes. "light" and "dark" ask Qt for that scheme (QStyleHints.setColorScheme,
Qt 6.8+); where the platform does not honour the request (older Qt, platforms without
a dark style), the Fusion style with a matching palette gives the same result.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from engine.settings import THEMES

STATE_NAME = "remudThemeState"
ERROR_STYLE = "color: #cf222e;"  # a problem said in a dialog (red, legible on both themes)

# Status words in lists (the figure list), at least 4.5:1 against the light and the dark base colour.
STATUS_TEXT_LIGHT = {"proposed": QColor("#a35f00"), "accepted": QColor("#1d7a43"), "rejected": QColor("#b3261e"),
                     "draft": QColor("#a35f00")}
STATUS_TEXT_DARK = {"proposed": QColor("#f0b44c"), "accepted": QColor("#5fd38d"), "rejected": QColor("#ff8a80"),
                    "draft": QColor("#f0b44c")}


def is_dark(palette: QPalette) -> bool:
    """A palette is dark when its window colour is darker than its text."""
    return palette.color(QPalette.ColorRole.Window).lightness() < palette.color(QPalette.ColorRole.WindowText).lightness()


def status_text_color(status: str, palette: QPalette | None = None) -> QColor | None:
    """The colour for a status word ("proposed", "accepted", "rejected", "draft") in a list, readable
    on `palette` (default: the application's) whether it is light or dark."""
    palette = palette if palette is not None else QApplication.palette()
    return (STATUS_TEXT_DARK if is_dark(palette) else STATUS_TEXT_LIGHT).get(str(status))


def light_palette() -> QPalette:
    return QStyleFactory.create("Fusion").standardPalette()


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(0x2b, 0x2d, 0x31), QColor(0x36, 0x39, 0x3e), QColor(0xe6, 0xe6, 0xe6)
    accent = QColor(0x4c, 0x8d, 0xf6)
    R = QPalette.ColorRole
    for role, color in ((R.Window, window), (R.WindowText, text), (R.Base, base), (R.AlternateBase, QColor(0x3c, 0x3f, 0x44)),
                        (R.ToolTipBase, QColor(0x3a, 0x3d, 0x42)), (R.ToolTipText, text), (R.Text, text),
                        (R.Button, QColor(0x3a, 0x3d, 0x42)), (R.ButtonText, text), (R.BrightText, QColor(0xff, 0x6b, 0x6b)),
                        (R.Light, QColor(0x4a, 0x4d, 0x52)), (R.Midlight, QColor(0x3d, 0x40, 0x45)),
                        (R.Mid, QColor(0x80, 0x84, 0x8a)), (R.Dark, QColor(0x18, 0x19, 0x1b)), (R.Shadow, QColor(0, 0, 0)),
                        (R.Highlight, accent), (R.HighlightedText, QColor(0xff, 0xff, 0xff)),
                        (R.Link, QColor(0x7a, 0xaa, 0xff)), (R.LinkVisited, QColor(0xb3, 0x8b, 0xf5)),
                        (R.PlaceholderText, QColor(0x8b, 0x8f, 0x95))):
        p.setColor(role, color)
    disabled = QColor(0x7a, 0x7d, 0x82)
    for role in (R.WindowText, R.Text, R.ButtonText, R.HighlightedText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(QPalette.ColorGroup.Disabled, R.Highlight, QColor(0x4a, 0x4d, 0x52))
    return p


class _ThemeState(QObject):
    """Kept on the application: the theme asked for and the look the platform started with."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName(STATE_NAME)
        self.app = app
        self.theme = "system"
        self.platform_style = app.style().name()
        app.styleHints().colorSchemeChanged.connect(self._scheme_changed)

    def _scheme_changed(self, _scheme) -> None:
        if self.theme == "system":
            self.apply()

    def _platform_look(self) -> None:
        if self.app.style().name().lower() != self.platform_style.lower():
            self.app.setStyle(self.platform_style)
        self.app.setPalette(QPalette())  # an empty palette: every colour from the platform again

    def _fusion(self, dark: bool) -> None:
        if self.app.style().name().lower() != "fusion":
            self.app.setStyle("Fusion")
        self.app.setPalette(dark_palette() if dark else light_palette())

    def apply(self) -> None:
        hints = self.app.styleHints()
        if self.theme == "system":
            if hasattr(hints, "unsetColorScheme"):
                hints.unsetColorScheme()
            self._platform_look()
            scheme = hints.colorScheme()
            if scheme != Qt.ColorScheme.Unknown and is_dark(self.app.palette()) != (scheme == Qt.ColorScheme.Dark):
                self._fusion(scheme == Qt.ColorScheme.Dark)  # the platform style cannot draw its own scheme
            return
        dark = self.theme == "dark"
        self._platform_look()
        if hasattr(hints, "setColorScheme"):
            hints.setColorScheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
        if is_dark(self.app.palette()) != dark:
            self._fusion(dark)


def apply_theme(app: QApplication, theme: str) -> bool:
    """Use `theme` ("system", "light" or "dark"; anything else means "system") from now on,
    for every window. Returns True when the app is now dark."""
    state = app.findChild(_ThemeState, STATE_NAME) or _ThemeState(app)
    state.theme = theme.strip().lower() if theme.strip().lower() in THEMES else "system"
    state.apply()
    return is_dark(app.palette())

