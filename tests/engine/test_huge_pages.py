"""A page MuPDF cannot draw at the asked resolution (14,400 pt square, one scanned image over
all of it) and an embedded image too large to decode whole: every render stays within the
pixel budget, and where something still fails, only that page or item fails, with a sentence.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from engine.cli import main
from engine.detect.run import detect_document
from engine.detect.scanned import ScannedDetector
from engine.geometry import Rect
from engine.pdf import resolution
from engine.pdf.importer import import_pdf
from engine.pdf.render import extract_native, figure_image, render_clip, render_page
from engine.pdf.resolution import MAX_RENDER_PIXELS
from engine.store import jobs as store
from engine.store.figures import add_figures, list_figures
from engine.store.models import FigureStatus, NewFigure
from engine.store.project import Project
from engine.store.records import list_records
from engine.synth.jobs import create_synth_job, retry_failed, run_job
from engine.text.ocr import render_rgb
from tests.engine.test_synth_jobs import KEY, MODEL, answer
from tests.servers.openai_compat import OpenAICompatServer

HUGE = 14400.0  # the largest page side PDF readers accept
BIG_BOX = Rect(1000, 1000, 13000, 13000)  # a figure on the huge page that is not its image: rendered
BUDGET = MAX_RENDER_PIXELS * 1.01  # rounding of the pixel sides


def frame_pixmap(width: int = 64, height: int = 64) -> pymupdf.Pixmap:
    """Light paper with one dark, ultrasound-like frame in the middle."""
    arr = np.full((height, width, 3), 235, np.uint8)
    arr[height // 4: 3 * height // 4, width // 5: 4 * width // 5] = 25
    return pymupdf.Pixmap(pymupdf.csRGB, width, height, arr.tobytes(), False)


def huge_pdf(path: Path) -> Path:
    """Page 1: A4 with a frame image; page 2: 14,400 pt square, the same image stretched over all of it."""
    doc = pymupdf.open()
    doc.new_page(width=595, height=842).insert_image(pymupdf.Rect(100, 100, 400, 350), pixmap=frame_pixmap())
    big = doc.new_page(width=HUGE, height=HUGE)
    big.insert_image(big.rect, pixmap=frame_pixmap())
    doc.save(path)
    doc.close()
    return path


@pytest.fixture(scope="module")
def pdf_path(tmp_path_factory) -> Path:
    return huge_pdf(tmp_path_factory.mktemp("huge") / "poster.pdf")


@pytest.fixture
def no_cap(monkeypatch):
    """Renders as before the pixel budget: at whatever resolution was asked (set
    resolution.MAX_RENDER_PIXELS back to MAX_RENDER_PIXELS to have the budget again)."""
    monkeypatch.setattr(resolution, "MAX_RENDER_PIXELS", 10**12)


def test_the_huge_page_really_is_too_large_for_mupdf_at_the_default_resolution(pdf_path):
    with pymupdf.open(pdf_path) as doc, pytest.raises(pymupdf.mupdf.FzErrorLimit, match="Overly large image"):
        doc[1].get_pixmap(dpi=200, clip=pymupdf.Rect(*BIG_BOX.as_tuple()))


def test_every_render_of_the_huge_page_fits_the_budget(pdf_path):
    with pymupdf.open(pdf_path) as doc:
        crop = render_clip(doc, 1, BIG_BOX, dpi=200)  # a crop (figure_image renders this box)
        assert 0.9 * MAX_RENDER_PIXELS < crop.width * crop.height <= BUDGET
        assert abs(crop.width / crop.height - 1) < 0.01  # the same aspect, at a lower resolution
        page = render_page(doc, 1, 1.0)  # the page image sent beside a crop, the canvas, thumbnails
        assert page.width * page.height <= BUDGET
        image, area = render_rgb(doc[1], 200)  # OCR of the whole page
        assert image.shape[0] * image.shape[1] <= BUDGET and area == Rect(0, 0, HUGE, HUGE)
        small = render_clip(doc, 0, Rect(90, 90, 420, 380), dpi=200)  # an ordinary page keeps its resolution
        assert (small.width, small.height) == (917, 806)


def test_an_embedded_image_too_large_to_decode_whole_is_rendered_within_the_budget(tmp_path):
    width, height = 8000, 6000  # 48 million pixels
    gray = np.full((height, width), 200, np.uint8)
    gray[1000:5000, 1000:7000] = 20
    doc = pymupdf.open()
    page = doc.new_page(width=800, height=600)
    page.insert_image(page.rect, pixmap=pymupdf.Pixmap(pymupdf.csGRAY, width, height, gray.tobytes(), False))
    doc.save(tmp_path / "big-image.pdf")
    with pymupdf.open(tmp_path / "big-image.pdf") as pdf:
        box = Rect(0, 0, 800, 600)
        assert extract_native(pdf, 0, box) is None  # not decoded at its own 48 Mpx
        crop = figure_image(pdf, 0, box, dpi=720)  # 800 pt at 720 dpi: the image's own 8000 px, asked for
        assert crop.width * crop.height <= BUDGET and crop.width > 7000


def test_scanned_detection_and_crop_export_work_on_the_huge_page(pdf_path, tmp_path, capsys):
    folder = tmp_path / "Poster.remud"
    assert main(["new", str(folder)]) == 0
    assert main(["import", str(folder), str(pdf_path)]) == 0
    capsys.readouterr()
    assert main(["detect", str(folder), "-d", "scanned", "--no-ocr", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report[0]["pages_done"] == 2 and report[0]["pages_failed"] == []
    with Project.open(folder) as p:
        found = {f.page: f for f in list_figures(p, 1)}
    assert set(found) == {0, 1}  # the frame on the huge page too
    assert found[1].rect.iou(Rect(HUGE / 5, HUGE / 4, 4 * HUGE / 5, 3 * HUGE / 4)) > 0.8
    assert main(["figures", str(folder), "--export", str(tmp_path / "crops"), "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert len(written) == 2 and all(Path(w).stat().st_size > 0 for w in written)


def test_a_page_that_still_cannot_be_drawn_fails_alone_with_a_sentence(pdf_path, project, no_cap):
    doc = import_pdf(project, pdf_path).document
    report = detect_document(project, doc.id, ScannedDetector(dpi=200), isolate=False)  # no_cap patches this process
    assert report.pages_done == 1 and report.figures == 1
    assert report.pages_failed == ["Page 2 could not be analysed and was left as it was "
                                   "(FzErrorLimit: code=5: Overly large image)."]


# ----------------------------------------------------------------------------- synthesis


@pytest.fixture
def server():
    with OpenAICompatServer(api_key=KEY, default=answer) as s:
        yield s


@pytest.fixture
def poster(tmp_path, pdf_path, monkeypatch):
    """A project with three accepted figures: two on the A4 page, one on the huge page (item order: that one first)."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with Project.create(tmp_path / "Poster.remud") as p:
        doc = import_pdf(p, pdf_path).document
        add_figures(p, [NewFigure(doc.id, 1, BIG_BOX, status=FigureStatus.ACCEPTED),
                        NewFigure(doc.id, 0, Rect(100, 100, 400, 350), status=FigureStatus.ACCEPTED),
                        NewFigure(doc.id, 0, Rect(90, 90, 420, 380), status=FigureStatus.ACCEPTED)])
        yield p


def test_an_item_that_cannot_be_prepared_fails_and_the_job_goes_on(poster, server, no_cap, monkeypatch):
    # without the pixel budget MuPDF refuses the crop on the huge page, in the worker thread
    job, created, _ = create_synth_job(poster, doc_ids=[1], kinds=["vqa"],
                                       params={"model": MODEL, "base_url": server.base_url})
    assert created == 3
    report = run_job(poster.folder, job.id, concurrency=1)
    assert report.state == "finished" and report.stored == 2 and report.failed == 1
    assert report.message == "1 of 3 items failed; see why in the failures, then retry them."
    st = store.job_status(poster, job.id)
    assert (st.counts["done"], st.counts["failed"], st.counts["pending"]) == (2, 1, 0)
    assert st.failures[0].error == ("The figure or text of this item could not be prepared (FzErrorLimit: code=5: "
                                    "Overly large image); correct the figure, then retry the item.")
    assert len(server.chat_requests) == 2 and len(list_records(poster)) == 2
    # running again does not stop on it: nothing left to send, the job stays finished
    again = run_job(poster.folder, job.id, concurrency=1)
    assert again.state == "finished" and again.requests == 0
    # retrying it fails it again, at once, without stalling
    assert retry_failed(poster, job.id) == 1
    assert run_job(poster.folder, job.id, concurrency=1).state == "finished"
    # with the pixel budget (the app as shipped) the huge page is sent at a lower resolution
    monkeypatch.setattr(resolution, "MAX_RENDER_PIXELS", MAX_RENDER_PIXELS)
    assert retry_failed(poster, job.id) == 1
    final = run_job(poster.folder, job.id, concurrency=1)
    assert final.state == "done" and final.stored == 1 and len(list_records(poster)) == 3


def test_cli_exits_non_zero_with_the_counts_when_items_failed(poster, server, no_cap, monkeypatch, capsys):
    folder = str(poster.folder)
    code = main(["synth", "run", folder, "--doc", "1", "--kinds", "vqa", "--param", f"model={MODEL}",
                 "--param", f"base_url={server.base_url}", "--concurrency", "1", "--json"])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert code == 3
    assert (data["done"], data["failed"], data["total"], data["failed_now"]) == (2, 1, 3, 1)
    retry = shlex.join(["remud", "synth", "retry", folder, str(data["id"])])
    assert err.strip().endswith(f"1 of 3 items failed; run `{retry}` to try them again.")
    code = main(["synth", "retry", folder, str(data["id"]), "--json"])  # still without the budget: fails again
    assert code == 3 and json.loads(capsys.readouterr().out)["failed"] == 1
    monkeypatch.setattr(resolution, "MAX_RENDER_PIXELS", MAX_RENDER_PIXELS)
    code = main(["synth", "retry", folder, str(data["id"]), "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["failed"] == 0 and "failed" not in err
