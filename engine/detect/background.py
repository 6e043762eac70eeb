"""Detection (and reading captions) in a child process, streamed back page by page.

PyMuPDF and the detectors hold Python's GIL while they work, so detection in a thread of
the app's own process takes turns with the window's event loop. In a child process it
does not. The child opens its own Project handle; each stored page comes back as a
PageResult through a pipe; cancelling is an Event the child checks between pages. Then
the text of the detected pages is read (engine.text.pipeline.fill_figure_text): the page
the person is on first (a shared number the parent keeps up to date from `focus`), each
page's figures as soon as their text is stored, with how far the reading is.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from engine.detect.run import iter_detect
from engine.errors import CancelledError, DetectorError, RemudError
from engine.i18n import current_language, set_language, tr
from engine.store import Project
from engine.text.pipeline import fill_figure_text

POLL_S = 0.05
CANCEL_GRACE_S = 2.0  # then the child is stopped: each stored page is its own transaction


class Message(StrEnum):
    """What the child sends through the pipe, as (Message, value)."""

    RESULT = "result"          # a PageResult: one page detected and stored
    TEXT_PROGRESS = "text_progress"  # an engine.text.reading.ReadProgress: how far reading page text is
    TEXT_PAGE = "text_page"    # a page index: the text of its figures was stored
    TEXT_FAILED = "text_failed"  # a sentence: OCR crashed on a page (the run goes on)
    TEXT_ERROR = "text_error"  # reading captions failed (the detection stands)
    DONE = "done"              # the child finished
    ERROR = "error"            # the exception that stopped the child


def _child(folder: str, doc_id: int, pages: Sequence[int] | None, detector: str, force: bool, fill_text: bool,
           retry_failed: bool, language: str, conn, stop, focus) -> None:
    set_language(language)  # the caller's (maybe chosen by --lang): sentences come back in it
    try:
        with Project.open(folder) as project:
            done = []
            for result in iter_detect(project, doc_id, detector, pages, force=force, cancel=stop.is_set,
                                      retry_failed=retry_failed):
                conn.send((Message.RESULT, result))
                if not result.skipped and result.figure_ids:
                    done.append(result.page)
            if fill_text and done:
                try:
                    fill_figure_text(project, doc_id, sorted(set(done)), cancel=stop.is_set,
                                     focus=lambda: focus.value if focus.value >= 0 else None,
                                     on_progress=lambda state: conn.send((Message.TEXT_PROGRESS, state)),
                                     on_page=lambda page: conn.send((Message.TEXT_PAGE, page)),
                                     on_failed=lambda sentence: conn.send((Message.TEXT_FAILED, sentence)),
                                     retry_failed=retry_failed)
                except RemudError as exc:
                    if isinstance(exc, CancelledError):
                        raise
                    conn.send((Message.TEXT_ERROR, str(exc)))
        conn.send((Message.DONE, None))
    except RemudError as exc:
        conn.send((Message.ERROR, exc))
    except BaseException as exc:  # a bug: report it, readable, with the traceback on stderr
        traceback.print_exc()
        conn.send((Message.ERROR, DetectorError(tr("Unexpected error in detection: {error}").format(
            error=f"{type(exc).__name__}: {exc}"))))
    finally:
        conn.close()


def detect_in_subprocess(
    folder: str | Path,
    doc_id: int,
    detector: str,
    pages: Sequence[int] | None = None,
    *,
    force: bool = False,
    fill_text: bool = False,
    cancel: Callable[[], bool] = lambda: False,
    focus: Callable[[], int | None] = lambda: None,
    retry_failed: bool = False,
) -> Iterator[tuple[Message, Any]]:
    """Yields (Message.RESULT, PageResult) per page, then, while reading text, (Message.TEXT_PROGRESS,
    ReadProgress), (Message.TEXT_PAGE, page index) per page whose figures got their text,
    (Message.TEXT_FAILED, sentence) per page whose OCR crashed, and (Message.TEXT_ERROR, message) if
    reading failed. Pages that crashed before are left out unless `retry_failed`. `focus` says
    which page the person is on (asked every POLL_S). Raises what the child raised (CancelledError
    when cancelled, a DetectorError when the detector failed)."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    shared_focus = ctx.Value("i", -1, lock=False)  # one int written here, read there: no lock needed
    pages = None if pages is None else list(pages)
    proc = ctx.Process(target=_child, args=(str(folder), doc_id, pages, detector, force, fill_text, retry_failed,
                                            current_language(), sender, stop, shared_focus),
                       daemon=False, name="remud-detect")  # not a daemon: it starts page workers (engine.isolation)
    proc.start()
    sender.close()
    cancelled_at = None
    try:
        while True:
            page = focus()
            shared_focus.value = -1 if page is None else page
            if cancel() and cancelled_at is None:
                stop.set()
                cancelled_at = time.monotonic()
            if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                proc.terminate()  # a slow request (a remote model) would otherwise hold Cancel up
                raise CancelledError(tr("Detection cancelled; pages done so far are kept."))
            if not receiver.poll(POLL_S):
                if not proc.is_alive() and not receiver.poll(0):
                    raise DetectorError(tr("The detection process ended unexpectedly (exit code {code}).").format(
                        code=proc.exitcode))
                continue
            try:
                kind, value = receiver.recv()
            except EOFError:
                raise DetectorError(tr("The detection process ended unexpectedly (exit code {code}).").format(
                    code=proc.exitcode)) from None
            if kind == Message.DONE:
                return
            if kind == Message.ERROR:
                raise value
            yield kind, value
    finally:
        stop.set()
        receiver.close()
        proc.join(CANCEL_GRACE_S)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
