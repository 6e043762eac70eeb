"""Filling in each figure's caption, context, section, sub-label and burned-in text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict

import numpy as np
import pymupdf

from engine.errors import CancelledError
from engine.geometry import Rect
from engine.pdf.opener import open_pdf
from engine.redaction import TextFilter, text_filter
from engine.store import documents, figures, ocr_cache
from engine.store.models import FigureStatus, FigureText
from engine.store.project import Project
from engine.text.captions import associate_document
from engine.text.ocr import OcrEngine, OcrItem, RapidOcrEngine, TextLine


class CachedOcr:
    """An OcrEngine that keeps every page it reads in the project, so each is read once.

    `on_read` is called before each real OCR (not for cached pages): progress and cancel.
    """

    def __init__(self, project: Project, doc_id: int, engine: OcrEngine, on_read: Callable[[int], None] = lambda p: None):
        self.project, self.doc_id, self.engine, self.on_read = project, doc_id, engine, on_read
        self.name = type(engine).__name__

    def ocr_image(self, image: np.ndarray) -> list[OcrItem]:
        return self.engine.ocr_image(image)

    def ocr_page(self, page: pymupdf.Page, dpi: int = 200, clip: Rect | None = None) -> list[TextLine]:
        cached = ocr_cache.get(self.project, self.doc_id, page.number, clip, dpi, self.name)
        if cached is not None:
            return [TextLine(Rect(*d["rect"]), d["text"], d["score"], "ocr", d["size"]) for d in cached]
        self.on_read(page.number)
        lines = self.engine.ocr_page(page, dpi=dpi, clip=clip)
        ocr_cache.put(self.project, self.doc_id, page.number, clip, dpi, self.name, [
            {"rect": ln.rect.as_tuple(), "text": ln.text, "score": ln.score, "size": ln.size} for ln in lines
        ])
        return lines


def default_ocr() -> OcrEngine:
    return RapidOcrEngine()


def fill_figure_text(
    project: Project,
    doc_id: int,
    pages: Iterable[int] | None = None,
    *,
    ocr: OcrEngine | None | bool = True,
    progress: Callable[[str], None] | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> int:
    """Associate text with the figures of `pages` (default: all), reading the whole
    document in order (sections and explanations span pages). Image-only pages are read
    by OCR once and cached. Text a person edited is never replaced. Returns how many
    figures got new text."""
    figs = [f for f in figures.list_figures(project, doc_id) if f.status != FigureStatus.REJECTED]
    wanted = None if pages is None else set(pages)
    if not any(wanted is None or f.page in wanted for f in figs):
        return 0
    engine: OcrEngine | None = None
    if ocr is True:
        ocr = default_ocr()
    if ocr:
        def on_read(page_no: int) -> None:
            if cancel():
                raise CancelledError("Reading text was cancelled; pages read so far are kept.")
            if progress:
                progress(f"Reading page {page_no + 1} (OCR)…")
        engine = CachedOcr(project, doc_id, ocr, on_read)

    by_page: dict[int, list] = defaultdict(list)
    for f in figs:
        by_page[f.page].append(f)
    rects = {page: [f.rect for f in fs] for page, fs in by_page.items()}
    doc_row = documents.get_document(project, doc_id)
    pdf = open_pdf(project.source_path(doc_row.file))
    try:
        found = associate_document(pdf, rects, engine)
    finally:
        pdf.close()

    user_edited = figures.text_edited_by_user(project, [f.id for f in figs])
    scrub = text_filter(project, doc_id)
    changed = 0
    for page, fs in by_page.items():
        if wanted is not None and page not in wanted:
            continue
        for i, fig in enumerate(fs):
            if fig.id in user_edited:
                continue
            t = found.get((page, i))
            if t is None:
                continue
            new = scrubbed(FigureText(
                caption=t.caption or fig.text.caption,  # a detector's own caption (qwen-vl) is the fallback
                context=t.context, section=t.section, sublabel=t.sublabel, burned_text=t.burned_text,
            ), scrub)
            if new != fig.text:
                figures.set_text(project, fig.id, new, by_user=False)
                changed += 1
    return changed


class _OneFigureOcr(CachedOcr):
    """OCR for re-reading one figure: whole pages within `reach` of its page (None: any
    page) and, if `read_crop`, the figure's own area are read (and cached); anything else
    only comes from the project's cache, so re-reading one box never OCRs a whole book."""

    def __init__(self, project: Project, fig, engine: OcrEngine, reach: int | None, read_crop: bool,
                 on_read: Callable[[int], None]):
        super().__init__(project, fig.doc_id, engine, on_read)
        self.fig, self.reach, self.read_crop = fig, reach, read_crop

    def _may_read(self, page_no: int, clip: Rect | None) -> bool:
        if clip is None:
            return self.reach is None or abs(page_no - self.fig.page) <= self.reach
        return self.read_crop and page_no == self.fig.page and clip == self.fig.rect

    def ocr_page(self, page: pymupdf.Page, dpi: int = 200, clip: Rect | None = None) -> list[TextLine]:
        if self._may_read(page.number, clip):
            lines = super().ocr_page(page, dpi, clip)
        else:
            cached = ocr_cache.get(self.project, self.doc_id, page.number, clip, dpi, self.name) or []
            lines = [TextLine(Rect(*d["rect"]), d["text"], d["score"], "ocr", d["size"]) for d in cached]
        return lines


def figure_text_for(
    project: Project,
    figure_id: int,
    *,
    ocr: OcrEngine | None = None,
    read_crop: bool = True,
    reach: int | None = 1,
    cancel: Callable[[], bool] = lambda: False,
) -> FigureText:
    """Fresh caption, context, section, sub-label and burned-in text for one figure, read
    from the whole document in order (as `fill_figure_text` does) with the document's
    other figures in place. Nothing is stored (OCR results go to the OCR cache only).

    Without `ocr` only the text layer is read. With it, image-only pages within `reach`
    pages of the figure are read by OCR, and, if `read_crop`, the figure's own area when
    it has no text-layer words; other OCR comes from the cache or is left out. What the
    document's redaction masks cover is left out (engine.redaction)."""
    fig = figures.get_figure(project, figure_id)
    others = [f for f in figures.list_figures(project, fig.doc_id) if f.status != FigureStatus.REJECTED or f.id == fig.id]
    rects: dict[int, list[Rect]] = defaultdict(list)
    index = 0
    for f in others:
        if f.id == fig.id:
            index = len(rects[f.page])
        rects[f.page].append(f.rect)

    def on_read(page_no: int) -> None:
        if cancel():
            raise CancelledError("Reading text was cancelled.")

    engine = _OneFigureOcr(project, fig, ocr, reach, read_crop, on_read) if ocr is not None else None
    doc_row = documents.get_document(project, fig.doc_id)
    pdf = open_pdf(project.source_path(doc_row.file))
    try:
        found = associate_document(pdf, dict(rects), engine).get((fig.page, index))
    finally:
        pdf.close()
    if found is None:
        return FigureText()
    return scrubbed(FigureText(caption=found.caption, context=found.context, burned_text=found.burned_text,
                               section=found.section, sublabel=found.sublabel), text_filter(project, fig.doc_id))


def scrubbed(text: FigureText, scrub: TextFilter) -> FigureText:
    """`text` without what redaction masks cover (names, IDs): it never comes back by reading again."""
    return FigureText(**{name: scrub(value) for name, value in asdict(text).items()})
