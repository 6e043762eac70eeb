"""The app's own icon (resources/icons), for the windows and the welcome screen."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from engine.resources import resource


def app_icon() -> QIcon:
    return QIcon(str(resource("icons", "remud.svg")))
