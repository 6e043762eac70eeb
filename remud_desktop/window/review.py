"""Reviewing auto-proposed boxes at speed, from the window's keys: Shift+Enter accepts every
proposal on show on the page (one undo step), N / Shift+N go to the next / previous page
that still has proposals on show (wrapping), T and H show or hide box tags and rejected boxes.

"On show" follows the BoxVisibility the canvas and the figure list share: proposals under the
score threshold are left alone, and the status bar says how many."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject

from engine.store import figures
from engine.store.models import FigureStatus


class ReviewTexts(QObject):
    """The sentences with a count (plural forms need a QObject's tr); not to be subclassed."""

    def accept_step(self, n: int) -> str:
        return self.tr("Accept %n proposed box(es)", "", n)

    def accepted(self, n: int, below: int) -> str:
        if below:
            return self.tr("Accepted %n proposed box(es) ({below} under the score threshold left as proposed).",
                           "", n).format(below=below)
        return self.tr("Accepted %n proposed box(es).", "", n)


def _say(window, text: str) -> None:
    window.statusBar().showMessage(text, 6000)


def accept_page_proposals(window) -> int:
    """Accept the proposed boxes on show on the current page, as one undo step; how many."""
    s, canvas = window.session, window.canvas
    if s.project is None or s.doc_id is None:
        return 0
    ids = canvas.shown_proposals()
    below = sum(1 for f in s.current_figures() if canvas.visibility.below_threshold(f) and f.id not in ids)
    if not ids:
        _say(window, QCoreApplication.translate(
            "Review", "No proposed boxes on this page ({below} under the score threshold left as proposed).").format(
                below=below) if below else QCoreApplication.translate("Review", "No proposed boxes on this page."))
        return 0
    n = len(ids)
    texts = ReviewTexts()
    with s.one_step(texts.accept_step(n)):
        s.set_status(ids, FigureStatus.ACCEPTED)
    _say(window, texts.accepted(n, below))
    return n


def pages_with_proposals(window) -> list[int]:
    """The pages of the current document with proposals on show (above the threshold)."""
    s, visibility = window.session, window.canvas.visibility
    if s.project is None or s.doc_id is None:
        return []
    props = figures.list_figures(s.project, s.doc_id, status=FigureStatus.PROPOSED)
    return sorted({f.page for f in props if not visibility.hides(f)})


def go_to_proposals(window, step: int) -> int | None:
    """The next (step 1) or previous (-1) page with proposals on show, wrapping; the page gone to."""
    s = window.session
    if s.project is None or s.doc_id is None:
        return None
    pages = pages_with_proposals(window)
    if not pages:
        threshold = window.canvas.visibility.score_threshold
        _say(window, QCoreApplication.translate(
            "Review", "No proposals left in this document at or above the score threshold {threshold}.").format(
                threshold=f"{threshold:.2f}") if threshold > 0
            else QCoreApplication.translate("Review", "No proposals left in this document."))
        return None
    after = [p for p in pages if p > s.page] if step > 0 else [p for p in reversed(pages) if p < s.page]
    page = after[0] if after else pages[0] if step > 0 else pages[-1]
    if page == s.page:
        _say(window, QCoreApplication.translate("Review", "This is the only page with proposals left."))
        return page
    s.go_to(s.doc_id, page)
    return page
