"""Benchmark: the OCR recognisers side by side, character error rate and time per page.

Run on demand (not collected by pytest):  python tests/benchmarks/bench_ocr_engines.py [--pages N]
Old: rapidocr-onnxruntime 1.4.4 (PP-OCRv4, `RapidOcrV4Engine`, what the app used before).
New: rapidocr 3.10 (PP-OCRv6 small, `RapidOcrEngine`, what the app uses now).
Either one may be missing: it is named and the other is still measured. To compare with the
old one, install it without its dependencies (they would add opencv-python beside
opencv-python-headless, and the two break each other's cv2):
    pip install --no-deps rapidocr-onnxruntime==1.4.4

Pages (tests/ocr_pages.py) carry known text: Chinese sentences of ultrasound terms (zh),
English sentences (en), lines mixing both (mixed), and white labels burned into B-mode
frames (labels). Each is scanned at 150, 200 and 300 dpi (tint, noise, turned 0.5-1.5
degrees, JPEG quality 75) and read the way the app reads a scanned page: rendered at the
scan's own resolution (engine.text.lines.scan_dpi), one `ocr_image` call. Both engines read the same images in the same run, page by
page in turn. CER = edit distance / characters of truth, whitespace removed, full-width
forms folded; "en sp" keeps one space between words, so it also counts words run together
or split. Time per page (render + read, models loaded beforehand), median: wall ms, and CPU
ms of this process (all onnxruntime threads), which other programs on the machine disturb less.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.errors import OcrError  # noqa: E402
from engine.text.ocr import RapidOcrEngine, RapidOcrV4Engine  # noqa: E402
from tests.ocr_pages import CATEGORIES, errors, make_scan_page, make_scan_pages, read_fragments  # noqa: E402

DPIS = (150, 200, 300)
ENGINES = [  # label, module that must import, pip name, class
    ("old", "rapidocr_onnxruntime", "rapidocr-onnxruntime", RapidOcrV4Engine),
    ("new", "rapidocr", "rapidocr", RapidOcrEngine),
]


def available(threads: int | None) -> dict[str, object]:
    engines = {}
    for label, module, pip_name, cls in ENGINES:
        if importlib.util.find_spec(module) is None:
            print(f"{label}: {pip_name} is not installed; not measured")
            continue
        engine = cls(threads=threads)
        t = time.perf_counter()
        try:
            read_fragments(engine, make_scan_page("en", 150, 99).page)  # loads the models
        except OcrError as exc:
            print(f"{label}: {pip_name} does not work here ({exc}); not measured")
            continue
        version = importlib.metadata.version(pip_name)
        print(f"{label}: {pip_name} {version} ({cls.version}), models loaded + first page in "
              f"{time.perf_counter() - t:.1f} s")
        engines[label] = engine
    return engines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=2, help="pages per category and scan dpi (default 2)")
    ap.add_argument("--threads", type=int, default=None, help="onnxruntime threads per engine (default: all)")
    args = ap.parse_args()

    engines = available(args.threads)
    if not engines:
        print("no OCR engine installed: pip install rapidocr==3.10.* onnxruntime")
        return
    t = time.perf_counter()
    pages = make_scan_pages(CATEGORIES, DPIS, per=args.pages)
    print(f"{len(pages)} scanned pages ({args.pages} per category and dpi) made in {time.perf_counter() - t:.1f} s")

    err: dict[tuple, list[int]] = {}  # (engine, dpi, category) -> [edits, chars]
    times: dict[tuple, list[float]] = {}  # (engine, dpi) -> wall seconds per page
    cpu: dict[tuple, list[float]] = {}  # (engine, dpi) -> CPU seconds per page
    for sp in pages:
        for label, engine in engines.items():
            t, c = time.perf_counter(), time.process_time()
            read = read_fragments(engine, sp.page)
            times.setdefault((label, sp.dpi), []).append(time.perf_counter() - t)
            cpu.setdefault((label, sp.dpi), []).append(time.process_time() - c)
            for key, spaces in (((label, sp.dpi, sp.category), False), ((label, sp.dpi, sp.category + " sp"), True)):
                d, n = errors(read, sp.truth, spaces)
                acc = err.setdefault(key, [0, 0])
                acc[0] += d
                acc[1] += n

    def cer(label: str, dpis: tuple[int, ...], cats: tuple[str, ...]) -> str:
        d = sum(err.get((label, dpi, c), [0, 0])[0] for dpi in dpis for c in cats)
        n = sum(err.get((label, dpi, c), [0, 0])[1] for dpi in dpis for c in cats)
        return f"{100 * d / n:6.2f}%" if n else "      -"

    cols = (*CATEGORIES, "en sp")
    print()
    def ms(samples: dict[tuple, list[float]], label: str, dpis: tuple[int, ...]) -> float:
        return 1000 * statistics.median([s for dpi in dpis for s in samples[(label, dpi)]])

    print("scan dpi  engine " + "".join(f"{c:>8s}" for c in (*cols, "all")) + "   wall ms/page  CPU ms/page")
    for dpis in [(dpi,) for dpi in DPIS] + [DPIS]:
        for label in engines:
            row = "".join(f" {cer(label, dpis, (c,))}" for c in cols)
            name = str(dpis[0]) if len(dpis) == 1 else "all"
            print(f"{name:>8s}  {label:6s} {row} {cer(label, dpis, CATEGORIES)}   "
                  f"{ms(times, label, dpis):12.0f} {ms(cpu, label, dpis):12.0f}")
    if len(engines) == 2:
        print(f"\ntime per page new / old: wall {ms(times, 'new', DPIS) / ms(times, 'old', DPIS):.2f}x, "
              f"CPU {ms(cpu, 'new', DPIS) / ms(cpu, 'old', DPIS):.2f}x")


if __name__ == "__main__":
    main()
