"""The Export dataset dialog and its options form."""

from remud_desktop.export.dialog import ExportDialog

__all__ = ["ExportDialog"]
