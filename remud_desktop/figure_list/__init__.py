"""The Figures dock: every figure of the current document, filtered, reviewed from the keyboard."""

from remud_desktop.figure_list.view import FigureList

__all__ = ["FigureList"]
