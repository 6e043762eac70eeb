"""The record editor (question, thinking, answer; options and correct letter for mcq),
saved as you type, and the figure panel beside it (the crop as exported, rendered in a
worker, with the figure's caption and context, or "text-only record").

Typing is saved EDIT_DELAY_MS after the last key through an undo command; consecutive
saves of one record merge into one undo step (remud_desktop.session.record_commands).
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.errors import NotFoundError
from engine.redaction import page_masks
from engine.store import documents, figures
from engine.store.models import Record, RecordKind
from remud_desktop.inspector.crop_render import Crop, CropRequest, render_crop
from remud_desktop.inspector.crop_view import CropView
from remud_desktop.qimages import raster_to_qimage
from remud_desktop.records.model import kind_name, status_name
from remud_desktop.synthesis.dialog import language_title
from remud_desktop.workers import Task, start

EDIT_DELAY_MS = 400
LETTERS = "ABCDEFGH"
TEXT_ONLY = QT_TRANSLATE_NOOP("FigurePanel", "text-only record")


def options_from_text(text: str) -> tuple[str, ...]:
    """One option per line; blank lines are dropped."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


class RecordEditor(QWidget):
    saved = Signal(int)  # record id: typing was saved (an undo command was pushed)

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.record: Record | None = None
        self._loading = False
        self.header = QLabel(self.tr("No record selected"))
        self.header.setWordWrap(True)
        self.question = QPlainTextEdit()
        self.thinking = QPlainTextEdit()
        self.answer = QPlainTextEdit()
        self.options = QPlainTextEdit()
        self.options.setPlaceholderText(self.tr("One option per line"))
        self.correct = QComboBox()
        self.correct.addItem("", "")
        for letter in LETTERS[:5]:
            self.correct.addItem(letter, letter)
        self.options_label, self.correct_label = QLabel(self.tr("Options")), QLabel(self.tr("Correct"))
        for edit in (self.question, self.answer):
            edit.setTabChangesFocus(True)
        self.thinking.setTabChangesFocus(True)
        self.options.setTabChangesFocus(True)

        form = QFormLayout()
        form.addRow(self.tr("Question"), self.question)
        form.addRow(self.tr("Thinking"), self.thinking)
        form.addRow(self.tr("Answer"), self.answer)
        form.addRow(self.options_label, self.options)
        form.addRow(self.correct_label, self.correct)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addLayout(form, 1)

        self._timer = QTimer(self, singleShot=True, interval=EDIT_DELAY_MS)
        self._timer.timeout.connect(self.flush)
        for edit in (self.question, self.thinking, self.answer, self.options):
            edit.textChanged.connect(self._edited)
        self.correct.currentIndexChanged.connect(self._edited)
        self.load(None)

    # -- showing ------------------------------------------------------------------------------
    def load(self, record: Record | None) -> None:
        """Show a record (None: nothing). Typing still pending for the previous one is saved first."""
        if self.record is not None and (record is None or record.id != self.record.id):
            self.flush()
        self.record = record
        self._loading = True
        try:
            for edit in self.fields():
                edit.setEnabled(record is not None)
            if record is None:
                self.header.setText(self.tr("No record selected"))
                for edit in (self.question, self.thinking, self.answer, self.options):
                    edit.setPlainText("")
                self.correct.setCurrentIndex(0)
                self._show_mcq(False)
                return
            parts = [self.tr("Record {id}").format(id=record.id), kind_name(record.kind), language_title(record.language),
                     status_name(record.status)]
            if record.score is not None:
                parts.append(self.tr("score {score}").format(score=f"{record.score:g}"))
            if record.flags:
                parts.append(self.tr("flags: {flags}").format(flags=", ".join(record.flags)))
            self.header.setText(" · ".join(parts))
            self._set_text(self.question, record.question)
            self._set_text(self.thinking, record.thinking)
            self._set_text(self.answer, record.answer)
            self._set_text(self.options, "\n".join(record.options))
            if self.correct.findData(record.correct) < 0:
                self.correct.addItem(record.correct, record.correct)
            self.correct.setCurrentIndex(self.correct.findData(record.correct))
            self._show_mcq(record.kind == RecordKind.MCQ)
        finally:
            self._loading = False

    def refresh(self, record: Record) -> None:
        """The shown record changed in the store (undo, a job): show it unless typing is pending."""
        if self.record is not None and record.id == self.record.id and not self._timer.isActive():
            self.load(record)

    def _set_text(self, edit: QPlainTextEdit, text: str) -> None:
        if edit.toPlainText() != text:  # keep the cursor when our own save comes back
            edit.setPlainText(text)

    def _show_mcq(self, on: bool) -> None:
        for w in (self.options, self.correct, self.options_label, self.correct_label):
            w.setVisible(on)

    def fields(self) -> list[QWidget]:
        return [self.question, self.thinking, self.answer, self.options, self.correct]

    def has_focus(self) -> bool:
        return any(w.hasFocus() for w in self.fields())

    # -- saving -------------------------------------------------------------------------------
    def _edited(self, *_) -> None:
        if not self._loading and self.record is not None:
            self._timer.start()

    def pending(self) -> bool:
        return self._timer.isActive()

    def values(self) -> dict:
        values = {"question": self.question.toPlainText(), "thinking": self.thinking.toPlainText(),
                  "answer": self.answer.toPlainText()}
        if self.record is not None and self.record.kind == RecordKind.MCQ:
            values["options"] = options_from_text(self.options.toPlainText())
            values["correct"] = self.correct.currentData() or ""
        return values

    def flush(self) -> None:
        """Save pending typing now (before switching records, closing, or in tests)."""
        self._timer.stop()
        if self.record is None or self.session.project is None:
            return
        rid = self.record.id
        try:
            pushed = self.session.edit_record(rid, **self.values())
        except NotFoundError:
            return
        if pushed:
            self.saved.emit(rid)


class FigurePanel(QWidget):
    """The record's figure: its crop (worker-rendered), size, caption and context."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.figure_id: int | None = None
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._tasks: set[Task] = set()
        self._generation = 0
        self._inflight: CropRequest | None = None
        self._want: CropRequest | None = None
        self._shown: Crop | None = None
        self.crop_view = CropView()
        self.size_label = QLabel("")
        self.caption = QPlainTextEdit(readOnly=True)
        self.context = QPlainTextEdit(readOnly=True)
        self.caption.setMaximumHeight(80)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.crop_view, 2)
        layout.addWidget(self.size_label)
        layout.addWidget(QLabel(self.tr("Caption")))
        layout.addWidget(self.caption)
        layout.addWidget(QLabel(self.tr("Context")))
        layout.addWidget(self.context, 1)
        self.show_record(None)

    def show_record(self, record: Record | None) -> None:
        fid = record.figure_id if record is not None else None
        if record is None:
            self._clear(self.tr("Select a record"), "")
            return
        if fid is None:
            text_only = QCoreApplication.translate("FigurePanel", TEXT_ONLY)
            self._clear(text_only, text_only)
            return
        project = self.session.project
        try:
            fig = figures.get_figure(project, fid)
            doc = documents.get_document(project, fig.doc_id)
        except NotFoundError:
            self._clear(self.tr("Figure {id} is no longer in the project").format(id=fid), "")
            return
        self.caption.setPlainText(fig.text.caption)
        self.context.setPlainText(fig.text.context)
        request = CropRequest(fig.id, project.source_path(doc.file), fig.page, fig.rect,
                              page_masks(project, fig.doc_id, fig.page), fig.image_xref)
        if fid != self.figure_id or self._shown is None or self._shown.request.key != request.key:
            self.figure_id = fid
            self._shown = None
            self.crop_view.show_message(self.tr("Rendering…"))
            self.size_label.setText(self.tr("Rendering…"))
        self._want = request
        if self._inflight is None:
            self._start()

    def _clear(self, message: str, size_text: str) -> None:
        self.figure_id, self._want, self._shown = None, None, None
        self.crop_view.show_message(message)
        self.size_label.setText(size_text)
        self.caption.setPlainText("")
        self.context.setPlainText("")

    def _start(self) -> None:
        request, self._want = self._want, None
        if request is None or (self._shown is not None and self._shown.request.key == request.key):
            return
        self._inflight = request
        task = Task((self._generation, request), lambda: render_crop(request))
        task.signals.done.connect(self._done)
        task.signals.failed.connect(self._failed)
        self._tasks.add(task)
        start(task, self.pool)

    def _finish(self, tag) -> None:
        self._tasks = {t for t in self._tasks if t.tag != tag}
        self._inflight = None

    def _done(self, tag, crop: Crop) -> None:
        self._finish(tag)
        if tag[0] == self._generation and crop.request.figure_id == self.figure_id:
            self._shown = crop
            self.crop_view.set_crop(raster_to_qimage(crop.raster), crop.covered)
            self.size_label.setText(crop.describe())
        self._start()

    def _failed(self, tag, message: str) -> None:
        self._finish(tag)
        if tag[0] == self._generation and tag[1].figure_id == self.figure_id:
            self.crop_view.show_message(message)
            self.size_label.setText("")
        self._start()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        self._generation += 1
        self._want = None
        self.pool.waitForDone(timeout_ms)
