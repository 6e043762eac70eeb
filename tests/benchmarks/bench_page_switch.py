"""Page switch on the canvas: cold (nothing cached, a worker renders) vs warm (from the
render cache), and memory after paging through a 500-page book (bounded by the cache)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from engine.pdf.importer import import_pdf
from engine.store import Project
from remud_desktop.canvas import PageCanvas, RenderCache
from remud_desktop.session import Session
from tests.benchmarks._timing import median, percentile
from tests.generators import make_book

MB = 1024 * 1024


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / MB


def wait_ready(canvas, timeout_s: float = 60.0) -> None:
    """Run the event loop until the current page's sharp render is on screen."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    canvas.page_shown.connect(loop.quit)
    try:
        while not canvas.page_ready():
            if time.monotonic() > deadline:
                raise TimeoutError("the page never rendered")
            QTimer.singleShot(100, loop.quit)  # look again now and then, whatever happens
            loop.exec()
    finally:
        canvas.page_shown.disconnect(loop.quit)


def settle(canvas, app) -> None:
    """Let prefetches finish, so a measurement has the workers to itself."""
    canvas.renderer.wait()
    app.processEvents()


def switch(session, canvas, doc_id: int, page: int) -> float:
    t = time.perf_counter()
    session.go_to(doc_id, page)
    wait_ready(canvas)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--cache-mb", type=int, default=256)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        book = make_book(Path(tmp) / "book.pdf", pages=args.pages)
        folder = Path(tmp) / "Book.remud"
        with Project.create(folder) as p:
            doc_id = import_pdf(p, book.path).document.id
        print(f"made and imported a {args.pages}-page book in {time.perf_counter() - t:.1f} s")

        session = Session()
        session.open_project(folder)
        cache = RenderCache(args.cache_mb * MB)
        canvas = PageCanvas(session, cache=cache)
        canvas.resize(900, 1000)
        canvas.show()
        app.processEvents()
        canvas.fit_page()
        session.go_to(doc_id, 0)
        wait_ready(canvas)
        print(f"view 900×1000 offscreen, zoom {canvas.zoom:.2f} × dpr {canvas.devicePixelRatioF():.1f}, "
              f"render bucket {canvas.displayed[2]}, cache limit {args.cache_mb} MB")

        step = max(1, args.pages // args.samples)
        sample = [min(args.pages - 1, 3 + i * step) for i in range(args.samples)]

        cold = []
        for page in sample:  # nothing cached: the worker renders while the user waits
            settle(canvas, app)
            cache.clear()
            cold.append(switch(session, canvas, doc_id, page))
        settle(canvas, app)

        for page in sample:  # visit each once (with its neighbours prefetched) to fill the cache
            switch(session, canvas, doc_id, page)
            settle(canvas, app)
        cache.reset_counters()
        warm = []
        for page in sample:  # all in the cache now: shown at once, no worker
            warm.append(switch(session, canvas, doc_id, page))
            settle(canvas, app)
        warm_hits = cache.stats().hits

        nxt = []
        for page in sample[:-1]:  # the way a person reads: next page, which was prefetched
            session.go_to(doc_id, page)
            wait_ready(canvas)
            settle(canvas, app)
            nxt.append(switch(session, canvas, doc_id, page + 1))

        print(f"{'page switch':<28}{'median':>10}{'p95':>10}")
        for name, xs in (("cold (worker render)", cold), ("warm (cached)", warm), ("next page (prefetched)", nxt)):
            print(f"{name:<28}{median(xs) * 1e3:>8.2f} ms{percentile(xs, 95) * 1e3:>8.2f} ms")
        print(f"warm switches served from the cache: {warm_hits} of {len(warm)}")
        print(f"cold / warm median ratio: {median(cold) / median(warm):.0f}×   "
              f"cold / next-page ratio: {median(cold) / median(nxt):.0f}×")

        settle(canvas, app)
        cache.clear()
        cache.reset_counters()
        session.go_to(doc_id, 0)
        wait_ready(canvas)
        settle(canvas, app)
        before = rss_mb()
        t = time.perf_counter()
        peak = before
        for page in range(args.pages):  # page through the whole book, one page after the other
            session.go_to(doc_id, page)
            wait_ready(canvas)
            if page % 25 == 0:
                app.processEvents()
                peak = max(peak, rss_mb())
        settle(canvas, app)
        after = rss_mb()
        peak = max(peak, after)
        s = cache.stats()
        print(f"paged through {args.pages} pages in {time.perf_counter() - t:.1f} s "
              f"(hits {s.hits}, misses {s.misses}, evictions {s.evictions})")
        print(f"RSS before {before:.0f} MB, after {after:.0f} MB, peak {peak:.0f} MB: "
              f"growth {after - before:+.0f} MB (cache limit {s.limit_bytes / MB:.0f} MB)")
        print(f"render cache holds {s.bytes_used / MB:.1f} MB in {s.entries} renders, "
              f"limit {s.limit_bytes / MB:.0f} MB ({'within' if s.bytes_used <= s.limit_bytes else 'OVER'} the limit)")
        canvas.shutdown()
        session.close_project()
        canvas.deleteLater()  # widgets go before the application object does
        app.processEvents()


if __name__ == "__main__":
    main()
