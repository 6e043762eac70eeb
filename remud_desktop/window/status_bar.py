"""The status bar: zoom, page, counts for the document, and background-job progress.

Counts are read again after every change of figures or page flags (gathered for a moment:
detection changes many pages quickly), and whenever the page moves to another document or
another project; paging within the document only rewrites the page label.

While a message is up the page and count labels are hidden explicitly: QStatusBar hides them
itself, but shows them again under the message when it lays itself out anew (the job bar
growing taller does that), and the two texts were drawn over each other."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from engine.store import documents, figures
from remud_desktop.window.job_bar import JobBar
from remud_desktop.workers import JobRunner


def counts_text(project, doc_id: int) -> str:
    by = figures.count_by_status(project, doc_id)
    reviewed, total = documents.review_progress(project, doc_id)
    return QCoreApplication.translate(
        "StatusBar", "{proposed} proposed · {accepted} accepted · {rejected} rejected · {reviewed}/{total} pages reviewed"
    ).format(proposed=by["proposed"], accepted=by["accepted"], rejected=by["rejected"], reviewed=reviewed, total=total)


class StatusBar(QStatusBar):
    def __init__(self, session, runner: JobRunner, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.zoom = QLabel()
        self.zoom.setObjectName("zoomLabel")
        self.zoom.setMinimumWidth(48)
        self.page = QLabel()
        self.page.setObjectName("pageLabel")
        self.page.setContentsMargins(4, 0, 14, 0)
        self.counts = QLabel()
        self.counts.setObjectName("countsLabel")
        self.job_bar = JobBar(runner)
        self.state = QLabel()  # "Read-only" while the project cannot be changed; the reason on hover
        self.state.setObjectName("projectStateLabel")
        self.state.setStyleSheet("QLabel { font-weight: bold; color: #b3541e; padding: 0 8px; }")
        self.state.hide()
        self._counted: tuple[object, int] | None = None  # (project, doc_id) the counts are for
        self.addWidget(self.page)
        self.addWidget(self.counts)
        self.addPermanentWidget(self.state)  # permanent: a passing message must not hide it
        self.addPermanentWidget(self.job_bar)
        self.addPermanentWidget(self.zoom)
        self.messageChanged.connect(self._message_changed)
        self._recount = QTimer(self, singleShot=True, interval=150)  # detection changes many pages quickly
        self._recount.timeout.connect(self.refresh)
        session.project_opened.connect(self.refresh)
        session.fault.connect(lambda *_: self._show_state(self.session.project))  # damage found while working
        session.documents_changed.connect(self.refresh)
        session.page_changed.connect(self._page_changed)
        session.pages_changed.connect(lambda _doc: self._recount.start())
        session.figures_changed.connect(lambda *_: self._recount.start())

    def _page_changed(self, doc_id: int, page: int) -> None:
        """Paging is hot: only the page label changes, unless the document (or the project) did.
        Another project's document can have the same id: the project counts as part of it."""
        if (self.session.project, doc_id) != self._counted:
            self.refresh()
        else:
            self.page.setText(self.tr("page {page} / {count}").format(page=page + 1, count=self.session.page_count()))

    def _message_changed(self, text: str) -> None:
        for label in (self.page, self.counts):
            label.setVisible(not text)

    def set_zoom(self, factor: float) -> None:
        self.zoom.setText(f"{factor * 100:.0f}%")

    def _show_state(self, project) -> None:
        reason = project.read_only if project is not None else ""
        self.state.setText(self.tr("Damaged — read-only") if project is not None and project.damaged
                           else self.tr("Read-only"))
        self.state.setToolTip(reason)
        self.state.setVisible(bool(reason))

    def refresh(self) -> None:
        project, doc_id = self.session.project, self.session.doc_id
        self._show_state(project)
        self._counted = None
        if project is None or doc_id is None:
            self.page.setText(self.tr("No project open") if project is None else self.tr("No document"))
            self.counts.setText("")
            return
        try:
            doc = documents.get_document(project, doc_id)
        except Exception:  # the document was just removed
            self.page.setText(self.tr("No document"))
            self.counts.setText("")
            return
        self.page.setText(self.tr("page {page} / {count}").format(page=self.session.page + 1, count=doc.page_count))
        self.page.setToolTip(doc.title)
        self.counts.setText(counts_text(project, doc_id))
        self._counted = (project, doc_id)
