"""OCR in a page worker process (engine.isolation): onnxruntime crashing on a page costs that page,
and the OCR engine lives in the worker only (one per process: engine.text.pipeline.default_ocr)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pymupdf

from engine.geometry import Rect
from engine.isolation import PageProcess, step
from engine.text.ocr import OcrItem, TextLine


class IsolatedOcr:
    """The app's OCR engine (engine.text.ocr.shared_ocr) for the pages of one PDF, run in a worker process."""

    def __init__(self, pdf_path: str | Path, setup: Callable[[dict], None] | None = None) -> None:
        """`setup(state)` puts the engine under state["ocr"] in the worker (default: the app's own)."""
        self.process = PageProcess(pdf_path, setup or _setup, name="remud-ocr-page")
        from engine.text.pipeline import default_ocr  # (the pipeline uses this module)

        engine = default_ocr()  # its models load on first use: only in the worker
        self.cache_name = getattr(engine, "cache_name", "") or type(engine).__name__

    def ocr_image(self, image: np.ndarray) -> list[OcrItem]:
        return self.process.call(_read_image, -1, image)

    def ocr_page(self, page: pymupdf.Page, dpi: int = 200, clip: Rect | None = None) -> list[TextLine]:
        return self.process.call(_read_page, page.number, dpi, clip)

    def close(self) -> None:
        self.process.close()


def _setup(state: dict) -> None:
    from engine.text.pipeline import default_ocr

    state["ocr"] = default_ocr()


def _read_page(state: dict, pdf: pymupdf.Document, index: int, dpi: int, clip: Rect | None) -> list[TextLine]:
    step("OCR")
    return state["ocr"].ocr_page(pdf[index], dpi=dpi, clip=clip)


def _read_image(state: dict, pdf: pymupdf.Document, index: int, image: np.ndarray) -> list[OcrItem]:
    step("OCR")
    return state["ocr"].ocr_image(image)
