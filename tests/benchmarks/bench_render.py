"""Page render at screen zoom through the app's path vs a bare page.get_pixmap (target ≤ 1.2×)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pymupdf
from PySide6.QtWidgets import QApplication

from engine.pdf.opener import DocumentCache
from engine.pdf.render import render_page
from engine.samplegen import make_sample_pdf
from remud_desktop.canvas import raster_to_qimage
from tests.benchmarks._timing import best_of

SCREEN_ZOOM = 1.5  # ~108 DPI: an A4 page fills a 1260 px tall view


def main() -> None:
    QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        path = make_sample_pdf(Path(tmp) / "sample.pdf").path
        bare_doc = pymupdf.open(str(path))
        cache = DocumentCache()
        print(f"{'page':<6}{'bare get_pixmap':>18}{'engine render':>16}{'ratio':>8}{'+QImage':>10}{'ratio':>8}")
        worst = 0.0
        for index in range(bare_doc.page_count):
            mat = pymupdf.Matrix(SCREEN_ZOOM, SCREEN_ZOOM)
            bare = best_of(lambda index=index, mat=mat: bare_doc.load_page(index).get_pixmap(matrix=mat, alpha=False))
            engine = best_of(lambda index=index: render_page(cache.get(path), index, SCREEN_ZOOM))
            gui = best_of(lambda index=index: raster_to_qimage(render_page(cache.get(path), index, SCREEN_ZOOM)))
            worst = max(worst, gui / bare)
            print(f"{index + 1:<6}{bare * 1e3:>15.1f} ms{engine * 1e3:>13.1f} ms{engine / bare:>7.2f}×"
                  f"{gui * 1e3:>7.1f} ms{gui / bare:>7.2f}×")
        print(f"worst ratio (engine render + QImage vs bare get_pixmap): {worst:.2f}×  (target ≤ 1.20×)")


if __name__ == "__main__":
    main()
