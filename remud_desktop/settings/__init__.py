"""The Settings dialog and its pages (detection, synthesis, chat, appearance)."""

from remud_desktop.settings.dialog import SettingsDialog, SettingsPage

__all__ = ["SettingsDialog", "SettingsPage"]
