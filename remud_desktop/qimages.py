"""Engine rasters (pixels from PyMuPDF) as Qt images."""

from __future__ import annotations

from PySide6.QtGui import QImage

from engine.imaging import Raster

FORMATS = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888, 4: QImage.Format.Format_RGBA8888}


def raster_to_qimage(raster: Raster) -> QImage:
    """A QImage that owns a copy of the raster's pixels (safe to build in any thread)."""
    view = QImage(raster.samples, raster.width, raster.height, raster.stride, FORMATS[raster.channels])
    return view.copy()
