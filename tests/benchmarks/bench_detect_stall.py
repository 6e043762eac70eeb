"""Longest event-loop stall in the main window while `auto` detects 50 pages in the background.

A QTimer ticks every 5 ms in the GUI thread; the longest gap between two ticks is the
longest time the window could not react. Printed next to a baseline measured in the same
run with the same window and the same key presses, but no detection. Target: < 50 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_detect_stall.py [--pages 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.pdf.importer import import_pdf
from engine.store import Project
from remud_desktop.window.main_window import MainWindow
from tests.desktop.gui_helpers import StallMeter
from tests.generators import make_book

TARGET_MS = 50.0


def wait_until(condition, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def spin(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def measure(window, seconds: float | None, detect: bool, keys_ms: int = 40) -> tuple[float, float, int]:
    """(max stall s, elapsed s, key presses handled) for one detection run or an idle period."""
    session = window.session
    session.go_to(1, 0)
    window.canvas.setFocus()
    presses = []

    def press() -> None:
        QTest.keyClick(window.canvas, Qt.Key.Key_D if session.page < 40 else Qt.Key.Key_A)
        presses.append(session.page)

    keys = QTimer(interval=keys_ms)
    keys.timeout.connect(press)
    meter = StallMeter(5).start()
    if keys_ms:
        keys.start()
    start = time.perf_counter()
    if detect:
        job = window.detection.detect(1, None, "auto", force=True)
        assert job is not None
        wait_until(lambda: window.detection.job is None and not window.runner.busy())
    else:
        spin(seconds)
    elapsed = time.perf_counter() - start
    keys.stop()
    return meter.stop(), elapsed, len(presses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keys-ms", type=int, default=40, help="press D/A this often during the run (0: never)")
    parser.add_argument("--with-text", action="store_true", help="also read captions (OCR of scanned pages)")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["REMUD_CONFIG_DIR"] = str(tmp / "config")
        book = make_book(tmp / "book.pdf", pages=args.pages)
        with Project.create(tmp / "Book.remud") as p:
            import_pdf(p, book.path)

        window = MainWindow(QSettings(str(tmp / "q.ini"), QSettings.Format.IniFormat))
        window.resize(1440, 900)
        window.show()
        window.open_project(tmp / "Book.remud")
        window.detection.fill_text = args.with_text
        spin(1.0)  # first renders, thumbnails

        print(f"Event-loop stall, main window, background `auto` detection of {args.pages} pages"
              f" ({'with' if args.with_text else 'without'} captions), {args.rounds} rounds,"
              f" {f'a page key every {args.keys_ms} ms' if args.keys_ms else 'no key presses'}")
        for n in range(args.rounds):
            stall, elapsed, presses = measure(window, None, detect=True, keys_ms=args.keys_ms)
            base, _, base_presses = measure(window, elapsed, detect=False, keys_ms=args.keys_ms)
            ratio = stall / base if base else float("inf")
            verdict = "ok" if stall * 1000 < TARGET_MS else "OVER TARGET"
            print(f"  round {n + 1}: detection {elapsed:5.2f} s, longest stall {stall * 1000:6.1f} ms"
                  f" ({presses} key presses) | baseline, no detection: {base * 1000:6.1f} ms"
                  f" ({base_presses} presses) | ratio {ratio:4.1f}x | target < {TARGET_MS:.0f} ms: {verdict}")
        window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
