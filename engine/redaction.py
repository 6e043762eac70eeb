"""What redaction masks cover: the one place that decides it for everything leaving the machine.

A mask is a rect in PDF points drawn on a figure (`Figure.redactions`), over patient data
burned into a frame (names, IDs, dates). It binds the whole page it lies on, whichever
figure holds it:

- pixels: every image of the page that leaves the app is black under every mask of the
  page: figure crops (synthesis, the judge, exports), the page image sent beside a crop,
  and the page a remote detector (a qwen-vl endpoint) sees;
- text: a text-layer word, or a line read by OCR (the project's stored OCR results), whose
  box lies mostly (MOSTLY) under the page's masks is covered. Covered text is cut out of
  every text of the document as it leaves (caption, context, burned-in text, section,
  text passages, page text, record text sent to the judge or exported), wherever it
  stands in them, so text read before the mask was drawn is dropped too. A covered text
  of one or two characters (a lone letter) is dropped where it is a line of its own, not
  cut out of sentences.

Work on this computer sees the page as it is: the canvas, local detectors, OCR, the
inspector's text fields, the source PDF in the project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pymupdf

from engine.geometry import Rect
from engine.imaging import Raster
from engine.pdf.opener import DocumentCache, open_pdf
from engine.pdf.render import apply_masks, render_page
from engine.store import documents, figures, ocr_cache
from engine.store.models import Record
from engine.store.project import Project

MOSTLY = 0.5  # a text box at least this much under the masks is covered
MIN_CUT = 3  # covered texts this long (spaces aside) are also cut out of running text
_LATIN = "A-Za-z0-9"


def page_masks(project: Project, doc_id: int, page: int) -> tuple[Rect, ...]:
    """Every mask on one page, whichever figure holds it."""
    return figures.masks_by_page(project, doc_id, page).get(page, ())


def masked_page(pdf: pymupdf.Document, index: int, masks: Sequence[Rect], zoom: float = 1.0) -> Raster:
    """The whole page at `zoom` (1.0 = 72 DPI), black under `masks`."""
    r = pdf.load_page(index).rect
    return apply_masks(render_page(pdf, index, zoom), Rect(r.x0, r.y0, r.x1, r.y1), masks)


def is_covered(box: Rect, masks: Sequence[Rect]) -> bool:
    """Whether `box` lies mostly under `masks`."""
    if box.area <= 0:
        return any(m.contains_point(*box.center) for m in masks)
    return sum(box.intersect(m).area for m in masks) >= MOSTLY * box.area


def covered_texts(page: pymupdf.Page, masks: Sequence[Rect], ocr_lines: Iterable[tuple[Rect, str]]) -> set[str]:
    """What `masks` cover on `page`: each run of covered text-layer words on one line, and
    each covered OCR line ((rect, text) in PDF points)."""
    if not masks:
        return set()
    out = {text for rect, text in ocr_lines if is_covered(rect, masks)}
    rot = page.rotation_matrix if page.rotation else None  # words come unrotated; masks are in page.rect space
    run: list[str] = []
    line_of_run = None
    for x0, y0, x1, y1, word, block, line, _n in page.get_text("words"):
        box = pymupdf.Rect(x0, y0, x1, y1) * rot if rot is not None else pymupdf.Rect(x0, y0, x1, y1)
        covered = is_covered(Rect(box.x0, box.y0, box.x1, box.y1), masks)
        if run and (not covered or (block, line) != line_of_run):
            out.add(" ".join(run))
            run = []
        if covered:
            run.append(word)
            line_of_run = (block, line)
    if run:
        out.add(" ".join(run))
    return out


def _pattern(piece: str) -> str:
    """`piece` as a regex: any whitespace between its words, never inside a Latin word or number."""
    body = r"\s*".join(re.escape(word) for word in piece.split())
    if re.match(f"[{_LATIN}]", piece[0]):
        body = f"(?<![{_LATIN}])" + body
    if re.match(f"[{_LATIN}]", piece[-1]):
        body += f"(?![{_LATIN}])"
    return body


class TextFilter:
    """Cuts covered texts out of strings: `TextFilter(covered)(text)`. Empty: passes all."""

    def __init__(self, covered: Iterable[str] = ()) -> None:
        self.covered = frozenset(" ".join(t.split()) for t in covered) - {""}
        cut = sorted((t for t in self.covered if len(t.replace(" ", "")) >= MIN_CUT), key=len, reverse=True)
        self._cut = re.compile("|".join(map(_pattern, cut)), re.IGNORECASE) if cut else None

    def __bool__(self) -> bool:
        return bool(self.covered)

    def __call__(self, text: str) -> str:
        if not self.covered or not text:
            return text
        kept = []
        for line in text.split("\n"):
            if " ".join(line.split()) in self.covered:
                continue
            cut = self._cut.sub("", line) if self._cut else line
            if cut != line:
                cut = " ".join(cut.split())
                if not cut:
                    continue
            kept.append(cut)
        return "\n".join(kept)


def text_filter(project: Project, doc_id: int | None, *, cache: DocumentCache | None = None) -> TextFilter:
    """What the masks of a document cover, ready to cut out of any text of that document.
    Raises PdfError when the document has masks and its PDF cannot be read (nothing is
    sent unfiltered)."""
    if doc_id is None:
        return TextFilter()
    masks = figures.masks_by_page(project, doc_id)
    if not masks:
        return TextFilter()
    path = project.source_path(documents.get_document(project, doc_id).file)
    pdf = cache.get(path) if cache is not None else open_pdf(path)
    try:
        covered: set[str] = set()
        for index, on_page in masks.items():
            lines = [(Rect(*d["rect"]), d["text"]) for d in ocr_cache.page_lines(project, doc_id, index)]
            covered |= covered_texts(pdf.load_page(index), on_page, lines)
    finally:
        if cache is None:
            pdf.close()
    return TextFilter(covered)


def redact_record(rec: Record, scrub: TextFilter) -> Record:
    """The record with covered text cut out of its question, thinking, answer and options."""
    if not scrub:
        return rec
    return replace(rec, question=scrub(rec.question), thinking=scrub(rec.thinking), answer=scrub(rec.answer),
                   options=tuple(scrub(o) for o in rec.options))
