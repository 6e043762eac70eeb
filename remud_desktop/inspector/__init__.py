"""The figure inspector dock: crop as exported, masks, status, label and text of one box."""

from remud_desktop.inspector.crop_view import CropView
from remud_desktop.inspector.figure_inspector import FigureInspector
from remud_desktop.inspector.text_fields import TextFields

__all__ = ["CropView", "FigureInspector", "TextFields"]
