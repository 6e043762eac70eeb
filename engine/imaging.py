"""Image helpers shared by rendering, detection and OCR.

OpenCV's wheel points Qt at its own plugins when imported; importing it through
here undoes that so the GUI keeps using PySide6's plugins.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

_QT_VARS = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR", "LD_LIBRARY_PATH")


@cache
def cv2():
    saved = {k: os.environ.get(k) for k in _QT_VARS}
    import cv2 as _cv2  # heavy: OpenCV (about 0.3 s); imported after saving the Qt variables it changes

    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    return _cv2


@dataclass(frozen=True)
class Raster:
    """Pixels in memory: RGB (n=3), RGBA (n=4) or gray (n=1), rows of `stride` bytes."""

    width: int
    height: int
    channels: int
    stride: int
    samples: bytes

    @classmethod
    def from_pixmap(cls, pix) -> Raster:
        return cls(pix.width, pix.height, pix.n, pix.stride, pix.samples)

    def to_numpy(self) -> np.ndarray:
        rows = np.frombuffer(self.samples, dtype=np.uint8).reshape(self.height, self.stride)
        arr = rows[:, : self.width * self.channels].reshape(self.height, self.width, self.channels)
        return arr[:, :, 0] if self.channels == 1 else arr

    def to_pil(self):
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[self.channels]
        return Image.frombuffer(mode, (self.width, self.height), self.samples, "raw", mode, self.stride, 1)

    def png_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.to_pil().save(buf, format="PNG")
        return buf.getvalue()
