"""The document library dock (documents, page thumbnails) and importing PDFs into it."""

from remud_desktop.library.import_controller import ImportController
from remud_desktop.library.panel import LibraryPanel
from remud_desktop.library.thumbnails import ThumbnailView

__all__ = ["ImportController", "LibraryPanel", "ThumbnailView"]
