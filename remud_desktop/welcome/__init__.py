"""The welcome screen shown while no project is open."""

from remud_desktop.welcome.screen import WelcomeScreen

__all__ = ["WelcomeScreen"]
