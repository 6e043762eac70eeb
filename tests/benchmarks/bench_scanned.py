"""Benchmark: ScannedDetector.detect against rendering the same page at 150 DPI.

Run on demand (not collected by pytest):  python tests/benchmarks/bench_scanned.py
Pages are image-only, 1000 x 1400 px (150 DPI scans of 480 x 672 pt pages). Both paths
are timed in the same run: a book pass (each distinct page rendered or detected once, as
when a book is processed) and, for reference, one page again and again, where MuPDF's
cache of the decoded scan makes the 150 DPI render a plain copy.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.detect.scanned import ScannedDetector
from tests.generators import make_scanned_test_pdf

WIDTH_PX, HEIGHT_PX = 1000, 1400
PAGE_W, PAGE_H = WIDTH_PX * 72 / 150, HEIGHT_PX * 72 / 150


def build_pages(folder: Path, count: int) -> Path:
    """`count` image-only pages, each a distinct 1000 x 1400 px JPEG (same layout, new noise)."""
    src = make_scanned_test_pdf(folder / "scan.pdf", "grid", seed=11)
    with pymupdf.open(src.path) as doc:
        raw = doc.extract_image(doc[0].get_images()[0][0])["image"]
    base = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB").resize((WIDTH_PX, HEIGHT_PX), Image.LANCZOS))
    rng = np.random.default_rng(0)
    out = pymupdf.open()
    for _ in range(count):
        noisy = np.clip(base + rng.normal(0, 2.0, base.shape[:2])[..., None], 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(noisy).save(buf, format="JPEG", quality=82)
        page = out.new_page(width=PAGE_W, height=PAGE_H)
        page.insert_image(page.rect, stream=buf.getvalue(), keep_proportion=False)
    path = folder / "bench_pages.pdf"
    out.save(path)
    return path


def per_page(path: Path, fn: Callable[[pymupdf.Page], object], rounds: int) -> float:
    """Median over rounds of seconds per page, each page handled once per fresh document."""
    results = []
    for _ in range(rounds):
        pymupdf.TOOLS.store_shrink(100)
        with pymupdf.open(path) as doc:
            t0 = time.perf_counter()
            for page in doc:
                fn(page)
            results.append((time.perf_counter() - t0) / doc.page_count)
    return statistics.median(results)


def same_page(page: pymupdf.Page, fn: Callable[[pymupdf.Page], object], repeats: int) -> float:
    """Median seconds per call on one page again and again (its decoded image stays cached)."""
    fn(page)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(page)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def report(name: str, t_render: float, t_detect: float) -> None:
    print(f"[{name}] render 150 dpi: {t_render * 1000:7.2f} ms/page   detect: {t_detect * 1000:7.2f} ms/page   "
          f"ratio detect/render: {t_detect / t_render:5.2f}   detect pages/s: {1 / t_detect:6.1f}")


def main(pages: int = 24, rounds: int = 5) -> None:
    detector = ScannedDetector()

    def render(page: pymupdf.Page) -> object:
        return page.get_pixmap(dpi=150)

    with tempfile.TemporaryDirectory() as tmp:
        path = build_pages(Path(tmp), pages)
        with pymupdf.open(path) as doc:
            found = detector.detect(doc[0])
        print(f"{pages} pages of {PAGE_W:.0f}x{PAGE_H:.0f} pt, one {WIDTH_PX}x{HEIGHT_PX} px JPEG each; "
              f"detector ({detector.dpi:g} dpi) finds {len(found)} frames per page")
        # interleave the two so that machine load drifts hit both alike
        renders, detects = [], []
        for _ in range(rounds):
            renders.append(per_page(path, render, 1))
            detects.append(per_page(path, detector.detect, 1))
        report("book pass, each page once", statistics.median(renders), statistics.median(detects))
        with pymupdf.open(path) as doc:
            report("same page repeated, warm cache", same_page(doc[0], render, 40),
                   same_page(doc[0], detector.detect, 40))


if __name__ == "__main__":
    main()
