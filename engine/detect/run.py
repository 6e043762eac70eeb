"""Running a detector over pages of a document and storing what it finds."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pymupdf

from engine.detect import registry
from engine.detect.base import Box, Detector, close_detector, detect_page
from engine.errors import CancelledError, RemudError
from engine.geometry import Rect
from engine.i18n import N_, tr
from engine.isolation import PageCrashed, PageProcess, StepAvoided
from engine.pdf.opener import open_pdf
from engine.redaction import page_masks
from engine.store import documents, figures, page_failures
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
    failed_pages: list[dict[str, Any]] = field(default_factory=list)  # {"page": 1-based, "reason": sentence}
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
    isolate: bool = True,
    retry_failed: bool = False,
) -> Iterator[PageResult]:
    """Detect page by page, storing each page's result as soon as it is ready. A detector named here is
    built for this run and closed after it (a loaded model is released), cancelled or not.

    With `isolate` (and a detector that can be sent to another process) each page is detected in a
    child process (engine.isolation): a native crash on a page fails that page, recorded with its
    reason, and the run goes on; a crash in an optional step (the layout model, which `captioned` only
    asks for a hint) is tried once more without that step. Pages that failed in an earlier run are
    left out (reported again as failed) unless `retry_failed`."""
    created = isinstance(detector, str)
    if isinstance(detector, str):
        detector = registry.create(detector, **(params or {}))
    doc_row = documents.get_document(project, doc_id)
    indices = list(range(doc_row.page_count)) if pages is None else list(pages)
    path = project.source_path(doc_row.file)
    failed_before = {} if retry_failed else page_failures.failed(project, doc_id, page_failures.DETECT)
    worker = PageProcess(path, _setup_detector, detector, name="remud-detect-page") \
        if isolate and _can_send(detector) else None

    def left_alone(index: int) -> PageResult | None:
        """The result of a page that is not detected in this run (corrected, or failed before)."""
        if not force and documents.get_page(project, doc_id, index).corrected:
            return PageResult(doc_id, index, (), True)
        if index in failed_before:
            return PageResult(doc_id, index, (), False, error=f"{failed_before[index]} {tr(LEFT_OUT)}")
        return None

    def submit_next(after: int) -> int | None:
        """Start the next page to detect in the worker, so it works while this page is stored."""
        assert worker is not None
        for index in indices[after + 1:]:
            if left_alone(index) is None:
                worker.submit(_detect_task, index, page_masks(project, doc_id, index))
                return index
        return None

    ahead: int | None = None  # the page the worker was given before its turn
    pdf = None if worker is not None else open_pdf(path)
    try:
        for position, index in enumerate(indices):
            if cancel():
                raise CancelledError(tr("Detection cancelled; pages done so far are kept."))
            alone = left_alone(index)
            if alone is not None:
                if worker is not None and ahead == index:  # corrected since it was handed out
                    _discard(worker, cancel)
                    ahead = None
                yield alone
                continue
            masks = page_masks(project, doc_id, index)
            try:
                if worker is not None:
                    if ahead != index:
                        worker.submit(_detect_task, index, masks)
                    ahead = submit_next(position)
                    boxes = _collect(worker, index, masks, cancel)
                    if not worker.pending:  # a crash took the page given ahead with it
                        ahead = None
                else:
                    assert pdf is not None
                    page = pdf.load_page(index)
                    try:
                        boxes = detect_page(detector, page, masks, cancel)
                    finally:
                        del page
            except PageCrashed as crash:
                ahead = None
                # Translators: {crash} is a sentence such as "Page 2: the layout model crashed (signal 11: …)."
                sentence = tr("{crash} Other detectors may still work on it.").format(crash=crash) if crash.step \
                    else str(crash)
                page_failures.record(project, doc_id, index, page_failures.DETECT, sentence)
                yield PageResult(doc_id, index, (), False, error=sentence)
                continue
            except RemudError:  # the detector's own, deliberate stop (an endpoint down, a bad setting)
                raise
            except Exception as exc:  # noqa: BLE001 - a page MuPDF cannot draw, or a bug: this page only
                yield PageResult(doc_id, index, (), False,
                                 error=tr("Page {page} could not be analysed and was left as it was ({error}).").format(
                                     page=index + 1, error=f"{type(exc).__name__}: {exc}"))
                continue
            if retry_failed:
                page_failures.clear(project, doc_id, index, page_failures.DETECT)
            news = [to_new_figure(b, doc_id, index, detector.name) for b in boxes]
            done = figures.replace_detected(project, doc_id, index, news, detector.name, force=force)
            if done is None:  # corrected meanwhile (by the GUI, while we were detecting)
                yield PageResult(doc_id, index, (), True)
            else:
                yield PageResult(doc_id, index, tuple(done.new_ids), False, tuple(boxes), tuple(done.replaced))
    finally:
        if pdf is not None:
            pdf.close()
        if worker is not None:
            worker.close()
        if created:
            close_detector(detector)


LEFT_OUT = N_("It was left out of this run; detect again with “retry failed pages” (remud detect --retry-failed) "
              "to try it.")  # shown with tr()
OPTIONAL_STEPS = ("the layout model",)  # asked for a hint only: without it the page is still detected


def _discard(worker: PageProcess, cancel: Callable[[], bool]) -> None:
    """Take the result of a page that is no longer wanted off the worker."""
    try:
        worker.collect(cancel)
    except CancelledError:
        raise
    except Exception:  # noqa: BLE001 - whatever became of it, it is not stored
        pass


def _can_send(detector: Detector) -> bool:
    try:
        pickle.dumps(detector)
    except Exception:  # noqa: BLE001 - a detector that cannot be sent (a test double) runs here
        return False
    return True


def _setup_detector(state: dict, detector: Detector) -> None:
    state["detector"] = detector
    state["close"] = lambda: close_detector(detector)


def _detect_task(state: dict, pdf: pymupdf.Document, index: int, masks: Sequence[Rect]) -> list[Box]:
    page = pdf.load_page(index)
    try:
        return detect_page(state["detector"], page, masks)
    finally:
        del page


def _collect(worker: PageProcess, index: int, masks: Sequence[Rect], cancel: Callable[[], bool]) -> list[Box]:
    """The boxes of the page the worker has on first; after a crash in an optional step, the page once
    more without that step."""
    try:
        return worker.collect(cancel)
    except PageCrashed as crash:
        if crash.step not in OPTIONAL_STEPS:
            raise
        try:
            return worker.call(_detect_task, index, masks, avoid=(crash.step,), cancel=cancel)
        except StepAvoided:  # the step is the detector itself (`layout`): the page has failed
            raise crash from None



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
    isolate: bool = True,
    retry_failed: bool = False,
) -> DetectionReport:
    project.refuse_writes()
    name = detector if isinstance(detector, str) else detector.name
    report = DetectionReport(name)
    doc_row = documents.get_document(project, doc_id)
    indices = list(range(doc_row.page_count)) if pages is None else list(pages)
    try:
        for n, result in enumerate(
            iter_detect(project, doc_id, detector, indices, force=force, params=params, cancel=cancel,
                        isolate=isolate, retry_failed=retry_failed), 1
        ):
            if result.skipped:
                report.pages_skipped.append(result.page)
            elif result.error:
                report.pages_failed.append(result.error)
                report.failed_pages.append({"page": result.page + 1, "reason": result.error})
            else:
                report.pages_done += 1
                report.figures += len(result.figure_ids)
            if progress:
                progress(n, len(indices))
    except CancelledError:
        report.cancelled = True
    return report
