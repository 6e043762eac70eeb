"""A detector that dies as native code does on chosen pages (a segmentation fault or an abort), and
finds the embedded pictures everywhere else; and one whose optional layout step crashes. Importable by
the page worker processes that run them (engine.isolation)."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pymupdf

from engine.detect.base import Box
from engine.detect.embedded import EmbeddedDetector
from engine.isolation import StepAvoided, step
from engine.resources import resources_dir


def die(how: str) -> None:
    if how == "abort":
        os.abort()
    os.kill(os.getpid(), signal.SIGSEGV)


class CrashDetector(EmbeddedDetector):
    name = "crashy"

    def __init__(self, crash_on: list[int] | None = None, how: str = "segv", **params) -> None:
        super().__init__(**params)
        self.crash_on, self.how = list(crash_on or []), how

    def detect(self, page: pymupdf.Page) -> list[Box]:
        if page.number in self.crash_on:
            step("the crash test")
            die(self.how)
        return super().detect(page)


class CrashingHintDetector(EmbeddedDetector):
    """Asks an optional native step for a hint (as `captioned` asks the layout model); the step crashes
    on chosen pages. Without the hint the page is still detected."""

    name = "crashy-hint"

    def __init__(self, crash_on: list[int] | None = None, **params) -> None:
        super().__init__(**params)
        self.crash_on = list(crash_on or [])

    def detect(self, page: pymupdf.Page) -> list[Box]:
        hinted = True
        try:
            step("the layout model")
            if page.number in self.crash_on:
                die("segv")
        except StepAvoided:
            hinted = False
        return [Box(b.rect, b.label, b.score, b.source, b.caption, {**b.extra, "hinted": hinted})
                for b in super().detect(page)]


class CrashingOcr:
    """OCR that dies on chosen pages and reads one line elsewhere (for engine.text.isolated_ocr)."""

    def __init__(self, crash_on: list[int]) -> None:
        self.crash_on = crash_on

    def ocr_image(self, image):
        return []

    def ocr_page(self, page, dpi=200, clip=None):
        from engine.geometry import Rect
        from engine.text.ocr import TextLine

        if page.number in self.crash_on:
            die("segv")
        return [TextLine(Rect(60, 60, 300, 76), f"{page.number + 1}-1 肾脏 Kidney", 0.95, "ocr", 14)]


def crashing_ocr_on_page_2(state: dict) -> None:
    state["ocr"] = CrashingOcr([1])


def install_crashy_card(folder: Path, monkeypatch, crash_on: tuple[int, ...] = (1,)) -> None:
    """Shipped resources plus a `crashy` detector card (crashes on the 0-based pages `crash_on`), used
    through $REMUD_RESOURCES by this process and the ones it starts."""
    shutil.copytree(resources_dir(), folder)
    with open(folder / "detectors.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[crashy]\ntitle = "Crashes on some pages"\nfactory = "tests.crash_detector:CrashDetector"\n'
                 f"[crashy.params]\ncrash_on = {list(crash_on)}\n")
    monkeypatch.setenv("REMUD_RESOURCES", str(folder))
