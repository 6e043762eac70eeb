"""Building a SynthInput from what the project stores: a figure, or a text passage.

Everything here leaves the machine: images are black under every mask of their page and
covered text is cut out (engine.redaction).
"""

from __future__ import annotations

from engine.errors import RemudError
from engine.i18n import tr
from engine.pdf.crops import figure_raster
from engine.pdf.opener import DocumentCache, open_pdf
from engine.redaction import masked_page, page_masks, text_filter
from engine.store import documents
from engine.store.figures import get_figure
from engine.store.jobs import JobItem
from engine.store.models import Figure, RecordKind
from engine.store.project import Project
from engine.synth.base import SynthConfigError, SynthInput


def page_png(project: Project, doc_id: int, page: int, *, zoom: float = 1.0, cache: DocumentCache | None = None) -> bytes:
    """The whole page as PNG (zoom 1.0 = 72 DPI), black under its masks, for context beside the crop."""
    doc_row = documents.get_document(project, doc_id)
    path = project.source_path(doc_row.file)
    masks = page_masks(project, doc_id, page)
    if cache is not None:
        return masked_page(cache.get(path), page, masks, zoom).png_bytes()

    pdf = open_pdf(path)
    try:
        return masked_page(pdf, page, masks, zoom).png_bytes()
    finally:
        pdf.close()


def figure_input(
    project: Project,
    figure: Figure | int,
    kind: RecordKind | str,
    *,
    language: str = "en",
    reasoning: bool = True,
    with_page: bool = True,
    dpi: float = 200,
    page_zoom: float = 1.0,
    cache: DocumentCache | None = None,
) -> SynthInput:
    """The crop, optionally the page image (both black under the page's masks), and the
    figure's text without what the document's masks cover."""
    fig = get_figure(project, figure) if isinstance(figure, int) else figure
    crop = figure_raster(project, fig, dpi=dpi, cache=cache).png_bytes()
    page_image = page_png(project, fig.doc_id, fig.page, zoom=page_zoom, cache=cache) if with_page else None
    scrub = text_filter(project, fig.doc_id, cache=cache)
    return SynthInput(
        kind=RecordKind(kind),
        image=crop,
        page_image=page_image,
        caption=scrub(fig.text.caption),
        context=scrub(fig.text.context),
        burned_text=scrub(fig.text.burned_text),
        section=scrub(fig.text.section),
        reasoning=reasoning,
        language=language,
        figure_id=fig.id,
        doc_id=fig.doc_id,
        page=fig.page,
    )


def preparation_error(exc: Exception) -> str:
    """The sentence kept on an item whose input could not be made (a deleted figure, a
    missing PDF, a page MuPDF cannot draw): the item fails, the job goes on."""
    if isinstance(exc, RemudError):
        return str(exc)
    detail = f"{type(exc).__name__}: {exc}".rstrip(": ")
    return tr("The figure or text of this item could not be prepared ({detail}); correct the figure, then retry "
              "the item.").format(detail=detail)


def item_input(project: Project, item: JobItem, *, with_page: bool = True, cache: DocumentCache | None = None
               ) -> SynthInput:
    """The input of one synthesis job item: its figure, or its passage without what the
    document's masks cover."""
    if item.figure_id is not None:
        return figure_input(project, item.figure_id, item.kind, language=item.language, reasoning=item.reasoning,
                            with_page=with_page, cache=cache)
    passage = text_filter(project, item.doc_id, cache=cache)(item.passage)
    return text_input(passage, item.kind, language=item.language, reasoning=item.reasoning, doc_id=item.doc_id,
                      page=item.page)


def text_input(
    passage: str,
    kind: RecordKind | str,
    *,
    language: str = "en",
    reasoning: bool = True,
    doc_id: int | None = None,
    page: int | None = None,
    section: str = "",
) -> SynthInput:
    """A text-only request (qa or mcq) about a passage of a document."""
    kind = RecordKind(kind)
    if kind is RecordKind.VQA:
        raise SynthConfigError(tr("A visual question (vqa) needs a figure image; use qa or mcq for text passages."))
    if not passage.strip():
        raise SynthConfigError(tr("A text-only request needs a passage of text."))
    return SynthInput(kind=kind, context=passage, section=section, reasoning=reasoning, language=language,
                      doc_id=doc_id, page=page)


def page_passages(project: Project, doc_id: int, *, min_chars: int = 200) -> list[tuple[int, str]]:
    """(page index, text) of each page of a document with at least `min_chars` of text."""
    out = []
    for pg in documents.list_pages(project, doc_id):
        text = documents.get_page(project, doc_id, pg.index, with_text=True).text.strip()
        if len(text) >= min_chars:
            out.append((pg.index, text))
    return out
