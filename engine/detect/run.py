"""Running a detector over pages of a document and storing what it finds."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.detect import registry
from engine.detect.base import Box, Detector, close_detector, detect_page
from engine.errors import CancelledError, RemudError
from engine.pdf.opener import open_pdf
from engine.redaction import page_masks
from engine.store import documents, figures
from engine.store.models import Figure, FigureText, NewFigure
from engine.store.project import Project


@dataclass(frozen=True)
class PageResult:
    doc_id: int
    page: int
    figure_ids: tuple[int, ...]
    skipped: bool  # a person corrected this page; nothing was changed
    boxes: tuple[Box, ...] = ()
    replaced: tuple[Figure, ...] = ()  # the earlier proposals this result removed (for undo)
    error: str = ""  # the page could not be analysed (why, one sentence); nothing was changed


@dataclass
class DetectionReport:
    detector: str
    pages_done: int = 0
    pages_skipped: list[int] = field(default_factory=list)
    pages_failed: list[str] = field(default_factory=list)  # one sentence per page that could not be analysed
    figures: int = 0
    cancelled: bool = False


def to_new_figure(box: Box, doc_id: int, page: int, detector: str) -> NewFigure:
    return NewFigure(
        doc_id=doc_id,
        page=page,
        rect=box.rect,
        label=box.label,
        detector=box.source or detector,
        score=float(box.score),
        text=FigureText(caption=box.caption),
        image_xref=int(box.extra.get("xref", 0)),
    )


def iter_detect(
    project: Project,
    doc_id: int,
    detector: Detector | str,
    pages: Iterable[int] | None = None,
    *,
    force: bool = False,
    params: dict[str, Any] | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> Iterator[PageResult]:
    """Detect page by page, storing each page's result as soon as it is ready. A detector named here is
    built for this run and closed after it (a loaded model is released), cancelled or not."""
    created = isinstance(detector, str)
    if isinstance(detector, str):
        detector = registry.create(detector, **(params or {}))
    doc_row = documents.get_document(project, doc_id)
    indices = list(range(doc_row.page_count)) if pages is None else list(pages)
    pdf = open_pdf(project.source_path(doc_row.file))
    try:
        for index in indices:
            if cancel():
                raise CancelledError("Detection cancelled; pages done so far are kept.")
            if not force and documents.get_page(project, doc_id, index).corrected:
                yield PageResult(doc_id, index, (), True)
                continue
            page = pdf.load_page(index)
            try:
                boxes = detect_page(detector, page, page_masks(project, doc_id, index), cancel)
            except RemudError:  # the detector's own, deliberate stop (an endpoint down, a bad setting)
                raise
            except Exception as exc:  # noqa: BLE001 - a page MuPDF cannot draw, or a bug: this page only
                yield PageResult(doc_id, index, (), False,
                                 error=f"Page {index + 1} could not be analysed and was left as it was "
                                       f"({type(exc).__name__}: {exc}).")
                continue
            finally:
                del page
            news = [to_new_figure(b, doc_id, index, detector.name) for b in boxes]
            done = figures.replace_detected(project, doc_id, index, news, detector.name, force=force)
            if done is None:  # corrected meanwhile (by the GUI, while we were detecting)
                yield PageResult(doc_id, index, (), True)
            else:
                yield PageResult(doc_id, index, tuple(done.new_ids), False, tuple(boxes), tuple(done.replaced))
    finally:
        pdf.close()
        if created:
            close_detector(detector)


def detect_document(
    project: Project,
    doc_id: int,
    detector: Detector | str,
    pages: Iterable[int] | None = None,
    *,
    force: bool = False,
    params: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> DetectionReport:
    project.refuse_writes()
    name = detector if isinstance(detector, str) else detector.name
    report = DetectionReport(name)
    doc_row = documents.get_document(project, doc_id)
    indices = list(range(doc_row.page_count)) if pages is None else list(pages)
    try:
        for n, result in enumerate(
            iter_detect(project, doc_id, detector, indices, force=force, params=params, cancel=cancel), 1
        ):
            if result.skipped:
                report.pages_skipped.append(result.page)
            elif result.error:
                report.pages_failed.append(result.error)
            else:
                report.pages_done += 1
                report.figures += len(result.figure_ids)
            if progress:
                progress(n, len(indices))
    except CancelledError:
        report.cancelled = True
    return report
