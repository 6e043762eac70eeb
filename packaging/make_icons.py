"""Render the app icon (resources/icons/remud.svg) to the PNG sizes, the Windows .ico and the
macOS .icns: `python packaging/make_icons.py`. The outputs are committed; run this again after
changing the SVG.

PNGs: resources/icons/remud-<size>.png for 16 ... 512 px (Linux icon themes, the window icon
where SVG is not available). packaging/remud.ico (Windows) and packaging/remud.icns (macOS)
are built from those PNGs with Pillow.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "remud.svg"
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render_png(svg: Path, size: int) -> bytes:
    """The SVG rendered by Qt's SVG renderer onto a transparent size x size image, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG file Qt can draw.")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def make_icons(svg: Path = SVG, icons: Path = ICONS, packaging: Path = ROOT / "packaging") -> list[Path]:
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # QImage text/painting needs one
    written = []
    for size in SIZES:
        path = icons / f"remud-{size}.png"
        path.write_bytes(render_png(svg, size))
        written.append(path)
    # Each size of the .ico and .icns is rendered from the SVG, not scaled down from one bitmap.
    images = {size: Image.open(io.BytesIO(render_png(svg, size))).convert("RGBA")
              for size in sorted(set(ICO_SIZES) | set(ICNS_SIZES))}
    ico = packaging / "remud.ico"
    images[256].save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                     append_images=[images[s] for s in ICO_SIZES if s != 256])
    icns = packaging / "remud.icns"
    images[1024].save(icns, format="ICNS", append_images=[images[s] for s in ICNS_SIZES if s != 1024])
    del app
    return written + [ico, icns]


if __name__ == "__main__":
    for path in make_icons():
        print(path.relative_to(ROOT), path.stat().st_size, "bytes")
