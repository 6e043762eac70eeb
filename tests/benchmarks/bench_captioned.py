"""`captioned` over a generated 300-page paper-like document: pages/s, the ratio to a bare pass
of the three PyMuPDF calls the detector needs, and memory that stays flat.

Baseline, same pages, same run: `page.get_drawings()` + `page.get_image_info()` +
`page.get_text("dict")`. Each pass is timed three times, interleaved, and the best counts
(CPU time of this process, so other programs on the machine disturb it less; wall time too).
RSS is read every 50 pages of one more detection pass.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psutil  # noqa: E402
import pymupdf  # noqa: E402

from engine.detect.auto import AutoDetector  # noqa: E402
from engine.detect.captioned import CaptionedDetector  # noqa: E402
from tests.born_digital_pages import make_paper  # noqa: E402

PAGES = 300


def bare(doc: pymupdf.Document) -> None:
    for page in doc.pages():
        page.get_drawings()
        page.get_image_info()
        page.get_text("dict")


def timed(fn, doc: pymupdf.Document) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one pass."""
    c, w = time.process_time(), time.perf_counter()
    fn(doc)
    return time.process_time() - c, time.perf_counter() - w


def main() -> None:
    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paper = make_paper(Path(tmp) / "paper.pdf", pages=PAGES)
        print(f"generated a {PAGES}-page paper-like document in {time.perf_counter() - t:.1f} s "
              f"({sum(len(p.figures) for p in paper.pages)} figures)")
        doc = pymupdf.open(str(paper.path))
        detector = CaptionedDetector()
        auto = AutoDetector(born_digital=("captioned",))

        def detect(d: pymupdf.Document) -> None:
            for page in d.pages():
                detector.detect(page)

        def detect_auto(d: pymupdf.Document) -> None:
            for page in d.pages():
                auto.detect(page)

        best = {"bare": (1e9, 1e9), "captioned": (1e9, 1e9), "auto": (1e9, 1e9)}
        for _ in range(3):
            for name, fn in (("bare", bare), ("captioned", detect), ("auto", detect_auto)):
                cpu, wall = timed(fn, doc)
                best[name] = (min(best[name][0], cpu), min(best[name][1], wall))

        rss = []
        for n, page in enumerate(doc.pages(), 1):
            detector.detect(page)
            if n % 50 == 0:
                rss.append((n, proc.memory_info().rss / 2**20))
        doc.close()

    b_cpu, b_wall = best["bare"]
    for name in ("bare", "captioned", "auto"):
        cpu, wall = best[name]
        print(f"{name:10s} {PAGES / cpu:7.1f} pages/s (CPU {1000 * cpu / PAGES:.2f} ms/page, wall "
              f"{1000 * wall / PAGES:.2f} ms/page)   ratio to bare: CPU {cpu / b_cpu:.2f}×, wall {wall / b_wall:.2f}×")
    print("RSS after n pages: " + ", ".join(f"{n}: {mb:.0f} MB" for n, mb in rss))
    print(f"memory growth from page {rss[0][0]} to {rss[-1][0]}: {rss[-1][1] - rss[0][1]:+.1f} MB (flat means ≈ 0)")


if __name__ == "__main__":
    main()
