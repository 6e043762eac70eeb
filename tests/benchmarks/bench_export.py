"""Export: 20k records with 10k figure crops, cold (crops rendered) and warm (crops cached).

Prints records/s of each export, the ratio of the warm export to a bare shutil.copy of the
same crop files into a fresh folder (the baseline, measured in the same run), and the peak
memory of a warm export of 5k vs 20k records (each in a fresh process: peak RSS and the
tracemalloc peak of Python allocations) to show it is flat in the record count.

    .venv/bin/python tests/benchmarks/bench_export.py [--figures 10000] [--records 20000] [--pages 8]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
import psutil
import pymupdf

from engine.export import ExportOptions, Selection, SplitSettings, export_dataset
from engine.export.images import CACHE_DIR, CropCache, write_crops
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.samplegen import ultrasound_frame
from engine.store import Project, figures, records
from engine.store.models import FigureStatus, NewFigure, NewRecord, RecordKind, RecordStatus

WORDS = ["liver", "kidney", "spleen", "cyst", "lesion", "echo", "anechoic", "hypoechoic", "hyperechoic", "margin", "wall", "flow", "doppler", "vessel", "portal", "vein", "artery", "duct", "stone", "polyp", "capsule", "cortex", "medulla", "pelvis", "calyx", "ureter", "bladder", "thyroid", "nodule", "shadow", "enhancement", "septum", "fluid", "mass", "solid", "border", "lobe", "segment", "hilum", "fat", "gland", "tissue", "texture", "contour"]
GRID = 34  # boxes per row and column on a page: 34 x 34 = 1156 distinct boxes per page
OPTIONS = ExportOptions(splits=SplitSettings(validation=0.05, test=0.10))


def make_pdf(path: Path, pages: int) -> Path:
    """Pages that are one ultrasound-like picture each (figures are boxes on them)."""
    rng = np.random.default_rng(0)
    doc = pymupdf.open()
    for _ in range(pages):
        page = doc.new_page(width=595, height=842)
        frame = ultrasound_frame(600, 850, rng)
        rgb = frame if frame.ndim == 3 else np.dstack([frame] * 3)
        pix = pymupdf.Pixmap(pymupdf.csRGB, rgb.shape[1], rgb.shape[0], np.ascontiguousarray(rgb).tobytes(), False)
        page.insert_image(page.rect, pixmap=pix)
    doc.save(str(path), garbage=1, deflate=True)
    return path


def build(folder: Path, n_figures: int, n_records: int, pages: int) -> None:
    """Figures and records go in through the store API."""
    rng = random.Random(0)
    with Project.create(folder) as p:
        doc = import_pdf(p, make_pdf(folder.parent / "bench.pdf", pages)).document
        w, h = 560 / GRID, 800 / GRID
        boxes = [NewFigure(doc.id, (i // GRID**2) % pages, Rect(15 + (i % GRID) * w, 20 + (i // GRID % GRID) * h,
                                                                15 + (i % GRID + 1) * w + 20, 20 + (i // GRID % GRID + 1) * h + 15),
                           status=FigureStatus.ACCEPTED) for i in range(n_figures)]
        fig_ids = figures.add_figures(p, boxes)
        pages_of = {f: b.page for f, b in zip(fig_ids, boxes)}

        def text(n: int) -> str:
            return " ".join(rng.choice(WORDS) for _ in range(n))

        def rec(i: int):
            fid = fig_ids[i % len(fig_ids)]
            if i % 2:
                return NewRecord(kind=RecordKind.MCQ, question=text(12) + "?", answer="B", correct="B",
                                 options=tuple(text(3) for _ in range(4)), figure_id=fid, doc_id=doc.id,
                                 page=pages_of[fid], status=RecordStatus.ACCEPTED, score=float(i % 4),
                                 reasoning=True, thinking=text(60), language="zh" if i % 3 == 0 else "en")
            return NewRecord(kind=RecordKind.VQA, question=text(12) + "?", answer=text(25), figure_id=fid,
                             doc_id=doc.id, page=pages_of[fid], status=RecordStatus.ACCEPTED, score=float(i % 4),
                             reasoning=True, thinking=text(60))

        for start in range(0, n_records, 5000):
            records.add_records(p, (rec(i) for i in range(start, min(n_records, start + 5000))))


def timed_export(folder: Path, out: Path, options: ExportOptions = OPTIONS):
    with Project.open(folder) as p:
        t = time.perf_counter()
        result = export_dataset(p, options, out)
        return result, time.perf_counter() - t


def child(folder: str, out: str, min_score: float | None) -> None:
    """One warm export in this fresh process; prints its peak memory as JSON (RSS sampled every 5 ms
    by a thread, minus the RSS just before the export; then the tracemalloc peak in a second run)."""
    options = ExportOptions(selection=Selection(min_score=min_score), splits=OPTIONS.splits)
    proc = psutil.Process()
    timed_export(Path(folder), Path(out + "-warmup"), options)  # imports and first-use allocations
    before = proc.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], proc.memory_info().rss)

    sampler = threading.Thread(target=sample)
    sampler.start()
    result, seconds = timed_export(Path(folder), Path(out), options)
    done.set()
    sampler.join()
    tracemalloc.start()
    timed_export(Path(folder), Path(out + "-traced"), options)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"records": result.plan.records, "seconds": seconds, "tracemalloc_peak_mb": traced / 2**20,
                      "rss_before_mb": before / 2**20, "rss_growth_mb": (peak[0] - before) / 2**20}))


def pool_check(folder: Path, tmp: Path, n: int) -> None:
    """Cold rendering of n crops in-process vs in a pool of 2 processes (fresh cache each time)."""
    times = {}
    with Project.open(folder) as p:
        ids = [f.id for f in figures.list_figures(p)][:n]
        for workers in (1, 2):
            shutil.rmtree(p.cache_dir / CACHE_DIR, ignore_errors=True)
            t = time.perf_counter()
            write_crops(p, ids, tmp / f"pool-{workers}", CropCache(p, None), workers=workers, pool_min=1)
            times[workers] = time.perf_counter() - t
    print(f"cold crops, {len(ids)} figures: in-process {times[1]:.2f} s ({len(ids) / times[1]:.0f}/s), "
          f"pool of 2 processes {times[2]:.2f} s ({len(ids) / times[2]:.0f}/s): speed-up {times[1] / times[2]:.2f}x")


def measure_memory(folder: Path, tmp: Path, min_score: float | None, tag: str) -> dict:
    cmd = [sys.executable, __file__, "--child", str(folder), str(tmp / f"mem-{tag}"),
           "" if min_score is None else str(min_score)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--figures", type=int, default=10_000)
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--pages", type=int, default=9)
    ap.add_argument("--pool-check", type=int, default=1000, help="crops for the pool vs in-process comparison (0: skip)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], float(args.child[2]) if args.child[2] else None)
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "bench.remud"
        t = time.perf_counter()
        build(folder, args.figures, args.records, args.pages)
        print(f"project: {args.figures} figures, {args.records} records on {args.pages} pages "
              f"(built in {time.perf_counter() - t:.1f} s)")

        cold, cold_s = timed_export(folder, tmp / "cold")
        print(f"cold export: {cold_s:.2f} s, {cold.plan.records / cold_s:,.0f} records/s, "
              f"{cold.manifest['crops_rendered']} crops rendered ({cold.manifest['crops_rendered'] / cold_s:,.0f}/s)")
        warm, warm_s = timed_export(folder, tmp / "warm")
        print(f"warm export: {warm_s:.2f} s, {warm.plan.records / warm_s:,.0f} records/s, "
              f"{warm.manifest['crops_rendered']} crops rendered")

        crops = sorted((folder / "cache" / CACHE_DIR).iterdir())
        target = tmp / "bare-copy"
        target.mkdir()
        t = time.perf_counter()
        for src in crops:
            shutil.copy(src, target / src.name)
        bare_s = time.perf_counter() - t
        print(f"baseline: shutil.copy of the {len(crops)} crop files: {bare_s:.2f} s")
        print(f"ratio warm export / bare copy: {warm_s / bare_s:.2f}x; cold export / bare copy: {cold_s / bare_s:.1f}x")

        if args.pool_check:
            pool_check(folder, tmp, args.pool_check)

        quarter = measure_memory(folder, tmp, 3.0, "quarter")  # scores are i % 4: a quarter of the records
        full = measure_memory(folder, tmp, None, "full")
        for m in (quarter, full):
            print(f"memory, warm export of {m['records']:>6} records: RSS grows {m['rss_growth_mb']:.1f} MB "
                  f"over {m['rss_before_mb']:.0f} MB; tracemalloc peak {m['tracemalloc_peak_mb']:.1f} MB")
        per_record = (full["tracemalloc_peak_mb"] - quarter["tracemalloc_peak_mb"]) * 2**20 / (
            full["records"] - quarter["records"])
        peaks = [m["rss_before_mb"] + m["rss_growth_mb"] for m in (quarter, full)]
        print(f"ratio {full['records']} / {quarter['records']} records: peak RSS {peaks[1]:.0f} / {peaks[0]:.0f} MB = "
              f"{peaks[1] / peaks[0]:.2f}x, tracemalloc peak {full['tracemalloc_peak_mb'] / quarter['tracemalloc_peak_mb']:.2f}x "
              f"({per_record:.0f} bytes per extra record: LSH band keys, id arrays, the crop table)")


if __name__ == "__main__":
    main()
