"""The main window and what only it has: actions and menus, status bar, job bar, shortcuts sheet."""

from remud_desktop.window.main_window import MainWindow

__all__ = ["MainWindow"]
