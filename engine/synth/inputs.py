"""Building a SynthInput from what the project stores: a figure, or a text passage."""

from __future__ import annotations

from engine.pdf.crops import figure_raster
from engine.pdf.opener import DocumentCache
from engine.pdf.render import render_page
from engine.store import documents
from engine.store.figures import get_figure
from engine.store.models import Figure, RecordKind
from engine.store.project import Project
from engine.synth.base import SynthConfigError, SynthInput


def page_png(project: Project, doc_id: int, page: int, *, zoom: float = 1.0, cache: DocumentCache | None = None) -> bytes:
    """The whole page as PNG (zoom 1.0 = 72 DPI), for context beside the crop."""
    doc_row = documents.get_document(project, doc_id)
    path = project.source_path(doc_row.file)
    if cache is not None:
        return render_page(cache.get(path), page, zoom).png_bytes()
    from engine.pdf.opener import open_pdf

    pdf = open_pdf(path)
    try:
        return render_page(pdf, page, zoom).png_bytes()
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
    """The crop (masks applied), optionally the page image, and the figure's text."""
    fig = get_figure(project, figure) if isinstance(figure, int) else figure
    crop = figure_raster(project, fig, dpi=dpi, cache=cache).png_bytes()
    page_image = page_png(project, fig.doc_id, fig.page, zoom=page_zoom, cache=cache) if with_page else None
    return SynthInput(
        kind=RecordKind(kind),
        image=crop,
        page_image=page_image,
        caption=fig.text.caption,
        context=fig.text.context,
        burned_text=fig.text.burned_text,
        section=fig.text.section,
        reasoning=reasoning,
        language=language,
        figure_id=fig.id,
        doc_id=fig.doc_id,
        page=fig.page,
    )


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
        raise SynthConfigError("A visual question (vqa) needs a figure image; use qa or mcq for text passages.")
    if not passage.strip():
        raise SynthConfigError("A text-only request needs a passage of text.")
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
