"""Writing figure crops to image files (masks applied, native pixels where possible)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from engine.errors import CancelledError
from engine.geometry import Rect
from engine.i18n import ntr
from engine.pdf.opener import DocumentCache, open_pdf
from engine.pdf.render import figure_image
from engine.redaction import page_masks
from engine.store import documents
from engine.store.models import Figure
from engine.store.project import Project


def crop_filename(fig: Figure) -> str:
    return f"doc{fig.doc_id}-p{fig.page + 1:04d}-fig{fig.id}.png"


def figure_raster(project: Project, fig: Figure, *, dpi: float = 200, cache: DocumentCache | None = None,
                  masks: Sequence[Rect] | None = None):
    """The figure's crop, black under every mask of its page (`masks`, when the caller has
    them already); pass a `cache` when making many (it keeps the PDFs open)."""
    doc_row = documents.get_document(project, fig.doc_id)
    masks = page_masks(project, fig.doc_id, fig.page) if masks is None else masks
    if cache is not None:
        pdf = cache.get(project.source_path(doc_row.file))
        return figure_image(pdf, fig.page, fig.rect, dpi=dpi, masks=masks, xref=fig.image_xref)
    pdf = open_pdf(project.source_path(doc_row.file))
    try:
        return figure_image(pdf, fig.page, fig.rect, dpi=dpi, masks=masks, xref=fig.image_xref)
    finally:
        pdf.close()


def export_crops(
    project: Project,
    figs: Sequence[Figure],
    folder: str | Path,
    *,
    dpi: float = 200,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cache = DocumentCache()
    written: list[Path] = []
    try:
        for n, fig in enumerate(figs, 1):
            if cancel():
                raise CancelledError(ntr("Export cancelled after {n} crop.", "Export cancelled after {n} crops.",
                                         len(written)).format(n=len(written)))
            target = folder / crop_filename(fig)
            tmp = target.with_suffix(".part")
            tmp.write_bytes(figure_raster(project, fig, dpi=dpi, cache=cache).png_bytes())
            os.replace(tmp, target)
            written.append(target)
            if progress:
                progress(n, len(figs))
    finally:
        cache.close_all()
    return written
