"""A native crash on one page never takes a run down: page work in a worker process (engine.isolation),
detection and OCR through it, failed pages recorded, reported and left out until retried, and the CLI."""

from __future__ import annotations

import json
import signal

import pytest

from engine.cli import main
from engine.detect.run import LEFT_OUT, detect_document, iter_detect
from engine.errors import CancelledError
from engine.isolation import PageCrashed, PageProcess, describe_exit
from engine.pdf.importer import import_pdf
from engine.store import Project, figures, page_failures
from engine.store.models import NewFigure
from engine.text.isolated_ocr import IsolatedOcr
from engine.text.pipeline import fill_figure_text
from tests.crash_detector import CrashDetector, CrashingHintDetector, crashing_ocr_on_page_2, install_crashy_card
from tests.generators import make_book, make_scanned_test_pdf


def nothing(state: dict) -> None:
    state["calls"] = 0


def count(state: dict, pdf, page: int) -> tuple[int, int]:
    state["calls"] += 1
    return page, state["calls"]


def segv(state: dict, pdf, page: int) -> None:
    signal.raise_signal(signal.SIGSEGV)


def spin(state: dict, pdf, page: int) -> None:
    while True:
        pass


def refuse(state: dict, pdf, page: int) -> None:
    raise ValueError(f"page {page} is odd")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return make_book(tmp_path_factory.mktemp("book") / "book.pdf", pages=6)


def test_a_crash_costs_the_page_and_the_next_call_gets_a_fresh_worker(book):
    with PageProcess(book.path, nothing) as worker:
        assert worker.call(count, 0) == (0, 1) and worker.call(count, 1) == (1, 2)  # state kept between pages
        with pytest.raises(PageCrashed) as crash:
            worker.call(segv, 3)
        assert crash.value.page == 3 and crash.value.code == -signal.SIGSEGV
        assert str(crash.value).startswith("Page 4: the work on it crashed (signal 11")
        assert worker.call(count, 4) == (4, 1) and worker.starts == 2  # a new worker, fresh state
        with pytest.raises(ValueError, match="page 5 is odd"):  # a Python error is the task's own
            worker.call(refuse, 5)
        assert worker.call(count, 5) == (5, 2)  # and costs no worker


def test_work_handed_ahead_is_lost_with_a_crash_and_the_crash_is_blamed_on_its_own_page(book):
    with PageProcess(book.path, nothing) as worker:
        worker.submit(segv, 2)
        worker.submit(count, 3)
        with pytest.raises(PageCrashed) as crash:
            worker.collect()
        assert crash.value.page == 2 and worker.pending == []
        worker.submit(count, 3)
        assert worker.collect() == (3, 1)
        worker.submit(segv, 4)
        worker._proc.join(60)  # the worker is dead before the next page is handed out: still page 5's crash
        worker.submit(count, 5)
        with pytest.raises(PageCrashed) as crash:
            worker.collect()
        assert crash.value.page == 4 and worker.pending == []


def test_cancel_stops_the_worker_mid_page(book):
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 2  # the task is under way by then, and never ends by itself

    with PageProcess(book.path, nothing) as worker:
        with pytest.raises(CancelledError):
            worker.call(spin, 0, cancel=cancel)
        assert worker.call(count, 1) == (1, 1)


def test_exit_descriptions():
    assert describe_exit(-11) == "signal 11: segmentation fault"
    assert describe_exit(-6).startswith("signal 6: abort")
    assert describe_exit(3) == "exit code 3"


def test_detection_goes_on_past_crashing_pages_and_leaves_them_out_until_retried(project, book):
    doc = import_pdf(project, book.path).document
    report = detect_document(project, doc.id, CrashDetector(crash_on=[1, 3], how="abort"))
    assert report.pages_done == 4 and [f["page"] for f in report.failed_pages] == [2, 4]
    assert "Page 2: the crash test crashed (signal 6: abort" in report.failed_pages[0]["reason"]
    stored = {f.page for f in figures.list_figures(project, doc.id)}
    pictures = {t.page for t in book.truth if t.kind == "embedded"}  # what the embedded detector finds
    assert stored and stored == pictures - {1, 3}
    assert set(page_failures.failed(project, doc.id, page_failures.DETECT)) == {1, 3}

    again = list(iter_detect(project, doc.id, CrashDetector(crash_on=[]), force=True))
    assert [r.page for r in again if r.error] == [1, 3] and all(LEFT_OUT in r.error for r in again if r.error)
    retried = detect_document(project, doc.id, CrashDetector(crash_on=[]), force=True, retry_failed=True)
    assert retried.failed_pages == [] and page_failures.failed(project, doc.id) == {}
    assert {f.page for f in figures.list_figures(project, doc.id)} == pictures


def test_a_crash_in_an_optional_step_falls_back_to_the_page_without_it(project, book):
    doc = import_pdf(project, book.path).document
    results = {r.page: r for r in iter_detect(project, doc.id, CrashingHintDetector(crash_on=[1]))}
    assert all(not r.error for r in results.values())
    with_boxes = {p: r for p, r in results.items() if r.boxes}
    assert 1 in with_boxes and not any(b.extra["hinted"] for b in with_boxes[1].boxes)
    assert all(b.extra["hinted"] for p, r in with_boxes.items() if p != 1 for b in r.boxes)


def test_ocr_crashing_on_a_page_fails_that_page_s_text_only(project, tmp_path):
    pdf = make_scanned_test_pdf(tmp_path / "scans.pdf", ["single", "single", "single"], seed=3)
    doc = import_pdf(project, pdf.path).document
    figures.add_figures(project, [NewFigure(doc.id, t.page, t.rect) for t in pdf.truth])
    told: list[str] = []
    ocr = IsolatedOcr(pdf.path, setup=crashing_ocr_on_page_2)
    try:
        fill_figure_text(project, doc.id, ocr=ocr, on_failed=told.append)
    finally:
        ocr.close()
    assert len(told) == 1 and told[0].startswith("Page 2: OCR crashed (signal 11")
    sections = {f.page: f.text.section for f in figures.list_figures(project, doc.id)}
    assert sections[0] == "1-1 肾脏 Kidney" and sections[2] == "3-1 肾脏 Kidney"
    assert set(page_failures.failed(project, doc.id, page_failures.TEXT)) == {1}


@pytest.fixture
def crashy_cards(tmp_path, monkeypatch):
    install_crashy_card(tmp_path / "resources", monkeypatch)


def test_cli_reports_each_failed_page_and_exits_non_zero(crashy_cards, book, tmp_path, capsys):
    folder = tmp_path / "Book.remud"
    assert main(["new", str(folder)]) == 0 and main(["import", str(folder), str(book.path)]) == 0
    capsys.readouterr()
    assert main(["detect", str(folder), "-d", "crashy", "--no-text"]) == 1
    out, err = capsys.readouterr()
    assert err.count("warning:") == 1 and "Page 2: the crash test crashed (signal 11" in err
    assert "1 page failed: 2" in out
    assert main(["detect", str(folder), "-d", "crashy", "--no-text", "--json"]) == 1  # left out, still failed
    report = json.loads(capsys.readouterr().out)
    assert [f["page"] for f in report[0]["failed_pages"]] == [2] and LEFT_OUT in report[0]["failed_pages"][0]["reason"]
    with Project.open(folder) as p:
        assert set(page_failures.failed(p, 1)) == {1}
