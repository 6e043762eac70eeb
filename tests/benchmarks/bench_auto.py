"""`auto` detection over a 300-page generated book: pages/s, and memory that stays flat.

Baseline: rendering every page of the same book at 150 DPI, in the same run.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psutil
import pymupdf

from engine.detect.run import iter_detect
from engine.pdf.importer import import_pdf
from engine.store import Project
from tests.generators import make_book

PAGES = 300


def main() -> None:
    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        book = make_book(Path(tmp) / "book.pdf", pages=PAGES)
        print(f"generated a {PAGES}-page book in {time.perf_counter() - t:.1f} s")

        pdf = pymupdf.open(str(book.path))
        t = time.perf_counter()
        for page in pdf:
            page.get_pixmap(dpi=150)
        render = time.perf_counter() - t
        pdf.close()

        project = Project.create(Path(tmp) / "bench.remud")
        t = time.perf_counter()
        doc = import_pdf(project, book.path).document
        t_import = time.perf_counter() - t

        rss = []
        t = time.perf_counter()
        for n, _result in enumerate(iter_detect(project, doc.id, "auto"), 1):
            if n % 50 == 0:
                rss.append((n, proc.memory_info().rss / 2**20))
        detect = time.perf_counter() - t
        # the cost of running each page in a worker process (a native crash costs that page only):
        # the same detection in this process, and isolated again, interleaved; best of two each
        times: dict[bool, float] = {True: detect, False: float("inf")}
        for _ in range(2):
            for isolate in (False, True):
                t = time.perf_counter()
                for _result in iter_detect(project, doc.id, "auto", force=True, isolate=isolate):
                    pass
                times[isolate] = min(times[isolate], time.perf_counter() - t)
        project.close()

    print(f"import: {t_import:.2f} s ({PAGES / t_import:.0f} pages/s)")
    print(f"baseline render at 150 DPI: {PAGES / render:.1f} pages/s")
    print(f"auto detection (stored): {PAGES / detect:.1f} pages/s = {detect / render:.2f}× the 150-DPI render time")
    print(f"isolation: {PAGES / times[True]:.1f} pages/s in a worker process, {PAGES / times[False]:.1f} pages/s "
          f"in this one: {times[True] / times[False]:.2f}× (target ≤ 1.1×)")
    print("RSS after n pages: " + ", ".join(f"{n}: {mb:.0f} MB" for n, mb in rss))
    growth = rss[-1][1] - rss[0][1]
    print(f"memory growth from page {rss[0][0]} to {rss[-1][0]}: {growth:+.0f} MB (flat means ≈ 0)")


if __name__ == "__main__":
    main()
