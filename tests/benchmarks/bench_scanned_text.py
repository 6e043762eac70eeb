"""Reading a whole scanned atlas: `detect` with text against a bare OCR pass over the same page
images, the wait for the page a person jumps to, memory over the book, and the character error
rate of the text the app stores.

Run on demand (not collected by pytest):
    python tests/benchmarks/bench_scanned_text.py [--pages 200] [--cer-pages 12]

The atlas (tests/scanned_atlas.py) has two columns of Chinese text and three to seven frames a page
with burned-in labels, scanned at 200 dpi. In one run:
1. bare: the OCR engine the app uses reads each page's image (decoded from the PDF, at its own
   resolution) once, in this process; the app: import, `auto` detection and fill_figure_text as
   `remud detect` does them (detection and OCR in page worker processes). The ratio of the two
   (wall time).
2. while the app's reading is at page 20, the person jumps to page 150, half a page's OCR into the
   page being read: the time until page 150's figures have their text, as a multiple of one page's
   bare OCR (the median).
3. resident memory when the 20th page and the last page are read.
4. character error rate of the stored captions and section headings against the truth, and the
   share of burned-in labels found, for each OCR engine installed (the first --cer-pages pages).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
import pymupdf  # noqa: E402
from PIL import Image  # noqa: E402

from engine.detect.run import detect_document  # noqa: E402
from engine.pdf.importer import import_pdf  # noqa: E402
from engine.store import Project, figures  # noqa: E402
from engine.text import ocr as ocr_module  # noqa: E402
from engine.text.pipeline import default_ocr, fill_figure_text  # noqa: E402
from tests.ocr_pages import edit_distance  # noqa: E402
from tests.scanned_atlas import GeneratedAtlas, make_atlas  # noqa: E402


def cpu_now() -> float:
    """CPU seconds of this process and of the children it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def squash(text: str) -> str:
    return "".join(ocr_module.fold_fullwidth(text).split())


def page_images(path: Path):
    with pymupdf.open(path) as doc:
        for page in doc:
            raw = doc.extract_image(page.get_images()[0][0])["image"]
            yield np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


def bare_pass(atlas: GeneratedAtlas, engine) -> tuple[float, float, list[float]]:
    per_page = []
    wall, cpu = time.perf_counter(), cpu_now()
    for image in page_images(atlas.path):
        t = time.perf_counter()
        engine.ocr_image(image)
        per_page.append(time.perf_counter() - t)
    return time.perf_counter() - wall, cpu_now() - cpu, per_page


def app_pass(atlas: GeneratedAtlas, folder: Path, page_ocr_s: float, jump_at: int, jump_to: int) -> dict:
    proc = psutil.Process()
    shown: list[int | None] = [None]
    marks: dict[str, float] = {}
    rss: dict[int, float] = {}
    read: list[int] = []

    def jump() -> None:
        marks["jump"] = time.perf_counter()
        shown[0] = jump_to

    def on_page(page: int) -> None:
        read.append(page)
        if len(read) == jump_at:  # the person jumps half a page's OCR into the next page
            threading.Timer(page_ocr_s / 2, jump).start()
        if page == jump_to and "jump" in marks:
            marks["ready"] = time.perf_counter()
        if len(read) in (jump_at, len(atlas.pages)):
            rss[len(read)] = proc.memory_info().rss / 2**20

    wall = time.perf_counter()
    with Project.create(folder / "Atlas.remud") as project:
        doc = import_pdf(project, atlas.path).document
        detect_document(project, doc.id, "auto")
        detected = time.perf_counter()
        fill_figure_text(project, doc.id, ocr=True, focus=lambda: shown[0], on_page=on_page)  # as the app: OCR in a worker
    end = time.perf_counter()
    return {"wall": end - wall, "detect": detected - wall,
            "wait": marks.get("ready", float("nan")) - marks.get("jump", float("nan")), "rss": rss}


def cer_of(atlas: GeneratedAtlas, folder: Path, engine, pages: int) -> dict[str, float]:
    with pymupdf.open(atlas.path) as doc:
        doc.select(list(range(pages)))
        part = folder / "part.pdf"
        doc.save(part)
    errors = {"caption": [0, 0], "section": [0, 0]}
    labels = [0, 0]
    with Project.create(folder / "Cer.remud") as project:
        doc_id = import_pdf(project, part).document.id
        detect_document(project, doc_id, "auto")
        fill_figure_text(project, doc_id, ocr=engine)
        stored = figures.list_figures(project, doc_id)
        for n, truth in enumerate(atlas.pages[:pages]):
            for rect, labs in zip(truth.frames, truth.labels):
                fig = max((f for f in stored if f.page == n), key=lambda f: f.rect.iou(rect), default=None)
                got = fig.text if fig is not None and fig.rect.iou(rect) > 0.5 else None
                for field, want in (("caption", truth.caption), ("section", truth.section)):
                    have = squash(getattr(got, field)) if got else ""
                    errors[field][0] += edit_distance(have, squash(want))
                    errors[field][1] += len(squash(want))
                for lab in labs:
                    labels[1] += 1
                    labels[0] += bool(got) and squash(lab) in squash(got.burned_text)
    return {"caption CER": errors["caption"][0] / errors["caption"][1],
            "section CER": errors["section"][0] / errors["section"][1],
            "labels found": labels[0] / labels[1]}


def engines() -> dict[str, object]:
    """The app's engine, and the older one when its package is installed."""
    out = {"app's engine": default_ocr()}
    older = getattr(ocr_module, "RapidOcrV4Engine", None)
    if older is not None:
        try:
            candidate = older()
            candidate.ocr_image(np.full((64, 64, 3), 255, np.uint8))
            out["rapidocr-onnxruntime 1.4.4 (PP-OCRv4)"] = candidate
        except Exception as exc:  # noqa: BLE001 - not installed: say so and go on
            print(f"(the older engine is not available: {exc})")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--cer-pages", type=int, default=12)
    args = ap.parse_args()
    jump_at, jump_to = min(20, max(1, args.pages // 4)), min(149, args.pages - 1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        atlas = make_atlas(folder / "atlas.pdf", pages=args.pages, seed=1)
        frames = sum(len(p.frames) for p in atlas.pages)
        print(f"generated a {args.pages}-page scanned atlas ({atlas.dpi} dpi, {frames} frames) "
              f"in {time.perf_counter() - t:.0f} s")
        available = engines()
        engine = available["app's engine"]
        b_wall, b_cpu, per_page = bare_pass(atlas, engine)
        page_s = statistics.median(per_page)
        print(f"bare OCR pass: {b_wall:.0f} s wall, {b_cpu:.0f} s CPU ({page_s:.2f} s a page, median)")
        app = app_pass(atlas, folder, page_s, jump_at, jump_to)
        print(f"app (import + auto detection + text): {app['wall']:.0f} s wall ({app['detect']:.0f} s finding figures)")
        print(f"(1) ratio to the bare pass: {app['wall'] / b_wall:.2f}x (wall time; the app's OCR runs in a page worker)")
        print(f"(2) jump to page {jump_to + 1} while reading page {jump_at + 1}: its text ready after "
              f"{app['wait']:.2f} s = {app['wait'] / page_s:.2f}x one page's OCR")
        print("(3) RSS after n pages read: " + ", ".join(f"{n}: {mb:.0f} MB" for n, mb in sorted(app["rss"].items())))
        print(f"(4) stored text against the truth, first {args.cer_pages} pages:")
        for i, (name, candidate) in enumerate(available.items()):
            sub = folder / f"cer-{i}"
            sub.mkdir()
            scores = cer_of(atlas, sub, candidate, args.cer_pages)
            print(f"    {name:40s} " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
