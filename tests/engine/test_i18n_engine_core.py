"""The engine's own sentences in the chosen language: card titles and descriptions, errors, and
what a page worker (engine.isolation) says, which it says in its caller's language."""

from __future__ import annotations

import signal

import pytest

from engine import i18n
from engine.detect import registry as detectors
from engine.errors import CancelledError
from engine.isolation import PageCrashed, PageProcess, StepAvoided, step
from engine.synth import registry as synthesizers
from engine.text.reading import ReadProgress
from tests.generators import make_book

LEFT_OUT = "{step} is left out on this page (it crashed there)."


@pytest.fixture
def restore_language():
    before = i18n.current_language()
    yield
    i18n.set_language(before)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return make_book(tmp_path_factory.mktemp("book") / "book.pdf", pages=3)


def nothing(state: dict) -> None:
    pass


def language(state: dict, pdf, page: int) -> str:
    return i18n.current_language()


def avoided(state: dict, pdf, page: int) -> str:
    try:
        step("OCR")  # the parent asked to leave it out: StepAvoided, with its sentence made here
    except StepAvoided as exc:
        return str(exc)
    return ""


def segv(state: dict, pdf, page: int) -> None:
    signal.raise_signal(signal.SIGSEGV)


def test_cards_come_translated(restore_language):
    i18n.set_language("en")
    english = detectors.load_cards()["scanned"]
    assert english.title == "Scanned page analysis"
    i18n.set_language("zh_CN")
    chinese = detectors.load_cards()["scanned"]
    assert chinese.name == "scanned" and chinese.factory == english.factory  # only what people read changes
    assert chinese.title == i18n.tr("Scanned page analysis") != english.title
    assert chinese.description == i18n.tr(english.description) != english.description
    assert synthesizers.load_cards()["local"].title != "Local OpenAI-compatible server"


def test_engine_errors_and_progress_come_translated(restore_language):
    i18n.set_language("zh_CN")
    assert str(CancelledError()) == i18n.tr("Cancelled.") != "Cancelled."
    assert ReadProgress(3, 10).sentence() == i18n.tr("Reading text {done}/{total}").format(done=3, total=10)
    assert "3/10" in ReadProgress(3, 10).sentence() and not ReadProgress(3, 10).sentence().startswith("Reading")
    i18n.set_language("en")
    assert str(CancelledError()) == "Cancelled."
    assert ReadProgress(3, 10, seconds_left=30).sentence() == "Reading text 3/10 · less than a minute left"


def test_a_page_worker_speaks_its_callers_language(book, restore_language):
    i18n.set_language("zh_CN")
    with PageProcess(book.path, nothing) as worker:
        assert worker.call(language, 0) == "zh_CN"
        reason = worker.call(avoided, 1, avoid=("OCR",))
        assert reason == i18n.tr(LEFT_OUT).format(step=i18n.tr("OCR")) != LEFT_OUT.format(step="OCR")
        with pytest.raises(PageCrashed) as crash:
            worker.call(segv, 2)
        assert crash.value.step == "" and str(crash.value).startswith("第 3 页")  # the step stays an id
    i18n.set_language("en")
    with PageProcess(book.path, nothing) as worker:  # a new worker: the language of now, not of the fork server
        assert worker.call(language, 0) == "en"
        assert worker.call(avoided, 1, avoid=("OCR",)) == LEFT_OUT.format(step="OCR")
