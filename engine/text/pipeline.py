"""Filling in each figure's caption, context, section, sub-label and burned-in text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict

import numpy as np
import pymupdf

from engine.errors import CancelledError
from engine.geometry import Rect
from engine.i18n import tr
from engine.isolation import PageCrashed
from engine.pdf.opener import open_pdf
from engine.redaction import TextFilter, text_filter
from engine.store import documents, figures, ocr_cache, page_failures, page_text
from engine.store.models import Figure, FigureStatus, FigureText
from engine.store.project import Project
from engine.text.captions import FoundText, associate_document
from engine.text.isolated_ocr import IsolatedOcr
from engine.text.lines import needs_ocr, scan_dpi, text_layer_lines
from engine.text.ocr import OcrEngine, OcrItem, TextLine, shared_ocr
from engine.text.reading import PageQueue, ReadProgress, Stopwatch


class CachedOcr:
    """An OcrEngine that keeps every page it reads in the project, so each is read once.

    `on_read` is called before each real OCR (not for cached pages): progress and cancel.
    """

    def __init__(self, project: Project, doc_id: int, engine: OcrEngine, on_read: Callable[[int], None] = lambda p: None):
        self.project, self.doc_id, self.engine, self.on_read = project, doc_id, engine, on_read
        self.name = getattr(engine, "cache_name", "") or type(engine).__name__  # results of another engine are not reused

    def ocr_image(self, image: np.ndarray) -> list[OcrItem]:
        return self.engine.ocr_image(image)

    def ocr_page(self, page: pymupdf.Page, dpi: int = 200, clip: Rect | None = None) -> list[TextLine]:
        cached = ocr_cache.get(self.project, self.doc_id, page.number, clip, dpi, self.name)
        if cached is not None:
            return _lines(cached)
        self.on_read(page.number)
        lines = self.engine.ocr_page(page, dpi=dpi, clip=clip)
        ocr_cache.put(self.project, self.doc_id, page.number, clip, dpi, self.name, [
            {"rect": ln.rect.as_tuple(), "text": ln.text, "score": ln.score, "size": ln.size} for ln in lines
        ])
        return lines


def default_ocr() -> OcrEngine:
    return shared_ocr()


def fill_figure_text(
    project: Project,
    doc_id: int,
    pages: Iterable[int] | None = None,
    *,
    ocr: OcrEngine | None | bool = True,
    progress: Callable[[str], None] | None = None,
    cancel: Callable[[], bool] = lambda: False,
    focus: Callable[[], int | None] | None = None,
    on_progress: Callable[[ReadProgress], None] | None = None,
    on_page: Callable[[int], None] | None = None,
    on_failed: Callable[[str], None] | None = None,
    retry_failed: bool = False,
) -> int:
    """Associate text with the figures of `pages` (default: all). Text a person edited is never
    replaced. Returns how many figures got new text.

    Image-only pages are read by OCR once (and cached in the project), one page at a time: the
    page `focus()` names and the one after it first, the rest in reading order. After each page
    its figures get their text at once (from the pages around it; `on_page(page)` says so), and
    at the end the whole document is read in order once more from what is now cached (sections
    and explanations span pages), which settles every figure. `on_progress` hears how far the
    reading is, `progress` the same as a sentence. `cancel` is asked before each page: the run
    stops within one page (raising CancelledError), keeping the pages read so far. A later run
    skips pages whose text was read with the same boxes and whose OCR is cached.

    The app's own OCR engine (`ocr=True`) runs in a worker process (engine.isolation): if it crashes
    on a page, that page's text is left unread, the page is recorded as failed (`on_failed` hears the
    sentence) and the run goes on; later runs leave it out unless `retry_failed`."""
    figs = [f for f in figures.list_figures(project, doc_id) if f.status != FigureStatus.REJECTED]
    wanted = None if pages is None else set(pages)
    if not any(wanted is None or f.page in wanted for f in figs):
        return 0
    by_page: dict[int, list[Figure]] = defaultdict(list)
    for f in figs:
        by_page[f.page].append(f)
    targets = sorted(p for p in by_page if wanted is None or p in wanted)
    keys = {p: page_text.boxes_key(by_page[p]) for p in targets}
    doc_row = documents.get_document(project, doc_id)
    path = project.source_path(doc_row.file)
    isolated = IsolatedOcr(path) if ocr is True else None
    if ocr is True:
        ocr = isolated

    def check_cancel(_page: int) -> None:
        if cancel():
            raise CancelledError(tr("Reading text was cancelled; pages read so far are kept."))

    reader = _PageReader(project, doc_id, ocr, check_cancel, retry_failed, on_failed) if ocr else None
    pdf = open_pdf(path)
    try:
        unread = reader.unread_pages(pdf, wanted) if reader is not None else []
        read_before = page_text.read_keys(project, doc_id)
        if not unread and all(read_before.get(p) == keys[p] for p in targets):
            return 0  # nothing changed since the text was last read
        user_edited = figures.text_edited_by_user(project, [f.id for f in figs])
        store = _Store(project, doc_id, by_page, user_edited, text_filter(project, doc_id))
        rects = {page: [f.rect for f in fs] for page, fs in by_page.items()}

        def report(state: ReadProgress) -> None:
            if on_progress:
                on_progress(state)
            if progress:
                progress(state.sentence())

        total = len(unread)
        if reader is not None and unread:
            queue, clock = PageQueue(unread, focus), Stopwatch()
            report(ReadProgress(0, total))
            while (page_no := queue.pop()) is not None:
                check_cancel(page_no)

                def read_one(page_no: int = page_no) -> None:
                    reader.read_page(pdf[page_no])
                    if page_no in keys:  # its figures get their text now, from the pages around it
                        window = range(page_no - 1, page_no + 2)
                        found = associate_document(pdf, rects, reader, pages=window)
                        store.apply(found, [page_no])

                clock.time(read_one)
                if page_no in keys and on_page:
                    on_page(page_no)
                report(ReadProgress(total - len(queue), total, page_no, clock.left(len(queue))))
        report(ReadProgress(total, total, closing=True))
        found = associate_document(pdf, rects, reader)  # the whole document, in order, from the cache
    finally:
        pdf.close()
        if isolated is not None:
            isolated.close()
    store.apply(found, targets)
    page_text.mark_read(project, doc_id, keys)
    return len(store.changed)


class _PageReader(CachedOcr):
    """OCR for fill_figure_text: whole pages only through `read_page` (in the order it chooses);
    asked for a page by the association, it answers from the cache (a page not read yet has no
    lines). A figure's own area is read when asked, and cached, unless its page is still to be read
    (the page pass will find its labels)."""

    def __init__(self, project: Project, doc_id: int, engine: OcrEngine, on_read: Callable[[int], None],
                 retry_failed: bool, on_failed: Callable[[str], None] | None) -> None:
        super().__init__(project, doc_id, engine, on_read)
        self.pending: set[int] = set()
        self.retry_failed, self.on_failed = retry_failed, on_failed
        self.failed = set() if retry_failed else set(page_failures.failed(project, doc_id, page_failures.TEXT))

    def unread_pages(self, pdf: pymupdf.Document, wanted: set[int] | None) -> list[int]:
        """Pages that need OCR and are not in the cache: of the whole document, or of `wanted` and the
        page before each (whose headings and paragraphs lead into it)."""
        scope = range(pdf.page_count) if wanted is None else sorted({q for p in wanted for q in (p - 1, p)
                                                                      if 0 <= q < pdf.page_count})
        done = ocr_cache.pages_read(self.project, self.doc_id, self.name)
        out = []
        for pno in scope:
            page = pdf[pno]
            if pno not in self.failed and (pno, scan_dpi(page)) not in done and needs_ocr(page, text_layer_lines(page)):
                out.append(pno)
        self.pending = set(out)
        return out

    def read_page(self, page: pymupdf.Page) -> list[TextLine]:
        lines = self._read(page, scan_dpi(page), None)
        self.pending.discard(page.number)
        return lines

    def ocr_page(self, page: pymupdf.Page, dpi: int = 200, clip: Rect | None = None) -> list[TextLine]:
        if clip is not None:
            return [] if page.number in self.pending or page.number in self.failed else self._read(page, dpi, clip)
        return _lines(ocr_cache.get(self.project, self.doc_id, page.number, None, dpi, self.name) or [])

    def _read(self, page: pymupdf.Page, dpi: int, clip: Rect | None) -> list[TextLine]:
        """Read (or take from the cache); a crash of the OCR engine fails the page, not the run."""
        try:
            lines = super().ocr_page(page, dpi, clip)
        except PageCrashed as crash:
            # Translators: {crash} is a sentence such as "Page 4: OCR crashed (signal 11: segmentation fault)."
            sentence = tr("{crash} The text of its figures could not be read.").format(crash=crash)
            page_failures.record(self.project, self.doc_id, page.number, page_failures.TEXT, sentence)
            self.failed.add(page.number)
            if self.on_failed:
                self.on_failed(sentence)
            return []
        if self.retry_failed and clip is None:
            page_failures.clear(self.project, self.doc_id, page.number, page_failures.TEXT)
        return lines


class _Store:
    """Writes what the association found into the figures of some pages, as it comes."""

    def __init__(self, project: Project, doc_id: int, by_page: dict[int, list[Figure]], user_edited: set[int],
                 scrub: TextFilter) -> None:
        self.project, self.doc_id, self.by_page = project, doc_id, by_page
        self.user_edited, self.scrub = user_edited, scrub
        self.current = {f.id: f.text for fs in by_page.values() for f in fs}
        self.changed: set[int] = set()

    def apply(self, found: dict[tuple[int, int], FoundText], pages: Iterable[int]) -> None:
        for page in pages:
            for i, fig in enumerate(self.by_page.get(page, [])):
                t = found.get((page, i))
                if fig.id in self.user_edited or t is None:
                    continue
                new = scrubbed(FigureText(
                    caption=t.caption or fig.text.caption,  # a detector's own caption (qwen-vl) is the fallback
                    context=t.context, section=t.section, sublabel=t.sublabel, burned_text=t.burned_text,
                ), self.scrub)
                if new != self.current[fig.id]:
                    figures.set_text(self.project, fig.id, new, by_user=False)
                    self.current[fig.id] = new
                    self.changed.add(fig.id)


def _lines(cached: list[dict]) -> list[TextLine]:
    return [TextLine(Rect(*d["rect"]), d["text"], d["score"], "ocr", d["size"]) for d in cached]


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
            lines = _lines(ocr_cache.get(self.project, self.doc_id, page.number, clip, dpi, self.name) or [])
        return lines


def figure_text_for(
    project: Project,
    figure_id: int,
    *,
    ocr: OcrEngine | None = None,
    read_crop: bool = True,
    reach: int | None = 1,
    cancel: Callable[[], bool] = lambda: False,
    pages: Iterable[int] | None = None,
) -> FigureText:
    """Fresh caption, context, section, sub-label and burned-in text for one figure, read
    from the whole document in order (as `fill_figure_text` does) with the document's
    other figures in place. Nothing is stored (OCR results go to the OCR cache only).

    Without `ocr` only the text layer is read. With it, image-only pages within `reach`
    pages of the figure are read by OCR, and, if `read_crop`, the figure's own area when
    it has no text-layer words; other OCR comes from the cache or is left out. What the
    document's redaction masks cover is left out (engine.redaction). `pages`: read only these
    (a quick answer: sections and references from farther pages are not seen)."""
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
            raise CancelledError(tr("Reading text was cancelled."))

    engine = _OneFigureOcr(project, fig, ocr, reach, read_crop, on_read) if ocr is not None else None
    doc_row = documents.get_document(project, fig.doc_id)
    pdf = open_pdf(project.source_path(doc_row.file))
    try:
        found = associate_document(pdf, dict(rects), engine, pages=pages).get((fig.page, index))
    finally:
        pdf.close()
    if found is None:
        return FigureText()
    return scrubbed(FigureText(caption=found.caption, context=found.context, burned_text=found.burned_text,
                               section=found.section, sublabel=found.sublabel), text_filter(project, fig.doc_id))


def scrubbed(text: FigureText, scrub: TextFilter) -> FigureText:
    """`text` without what redaction masks cover (names, IDs): it never comes back by reading again."""
    return FigureText(**{name: scrub(value) for name, value in asdict(text).items()})
