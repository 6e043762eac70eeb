"""The Settings dialog and its pages (detection, synthesis, chat, appearance)."""

from remud_desktop.settings.dialog import SettingsDialog

__all__ = ["SettingsDialog"]
