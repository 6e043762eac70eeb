"""The figure inspector: the selected box's crop as exported (live while it moves), its
status, label and text (stored as you type, each keystroke), re-reading its text, and
redaction masks. A box drawn, moved or resized shows its text as the session's TextFiller
reads it.

All edits go through the Session (undoable); crops and text reading run in workers and
their results are dropped when the user has moved on.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QThreadPool, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.errors import NotFoundError
from engine.geometry import Rect
from engine.redaction import page_masks
from engine.store import documents, figures
from engine.store.models import Figure, FigureStatus, FigureText
from engine.text.pipeline import default_ocr, figure_text_for
from remud_desktop.figure_list.model import status_name
from remud_desktop.inspector.crop_render import Crop, CropRequest, render_crop
from remud_desktop.inspector.crop_view import CropView
from remud_desktop.inspector.text_fields import TextFields
from remud_desktop.qimages import raster_to_qimage
from remud_desktop.workers import Task, start

PREVIEW_DELAY_MS = 60  # live crop while a box is dragged: at most one render per pause this long
FILLING_NOTE = QT_TRANSLATE_NOOP("FigureInspector", "Reading the text around this box…")  # shown as self.tr(FILLING_NOTE)


class TextRead(StrEnum):
    """What "read the text again" reads."""

    REREAD = "reread"  # caption, context, section and sub-label around the box
    OCR_BURNED = "ocr"  # the text burned into the crop (OCR)


class FigureInspector(QWidget):
    def __init__(self, session, parent: QWidget | None = None, *, ocr=None) -> None:
        """`ocr`: the OcrEngine for re-reading (default: rapidocr, made on first use)."""
        super().__init__(parent)
        self.session = session
        self.fig: Figure | None = None
        self._ocr = ocr
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)  # one crop and one text job at a time
        self._tasks: set[Task] = set()
        self._generation = 0  # bumped when the project changes: older results are dropped
        self._shown: Crop | None = None
        self._inflight: CropRequest | None = None
        self._want: CropRequest | None = None
        self._preview_rect: Rect | None = None
        self._text_job: tuple | None = None  # (kind, figure id, rect) being read
        self._preview_timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._render_preview)
        self._build()
        session.selection_changed.connect(self._selection_changed)
        session.figure_updated.connect(self._figure_updated)
        session.figures_changed.connect(self._figures_changed)
        session.rect_preview.connect(self._rect_preview)
        session.project_opened.connect(self._project_opened)
        session.about_to_close.connect(self.flush_edits)  # a label still being typed is saved
        session.filler.state_changed.connect(self._show_busy)
        self._selection_changed(list(session.selection))

    # -- layout -----------------------------------------------------------------------
    def _build(self) -> None:
        self.stack = QStackedWidget()
        self.hint = QLabel(self.tr("Select a box"))
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.stack.addWidget(self.hint)
        body = QWidget()
        scroll = QScrollArea()  # a short dock scrolls instead of squeezing widgets over each other
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.stack.addWidget(scroll)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(self.stack)

        self.info = QLabel()  # two fixed lines: a wrapped label would overflow its layout
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText(self.tr("label"))
        self.label_edit.editingFinished.connect(self._label_edited)
        self.status_buttons = QButtonGroup(self)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Label")))
        row.addWidget(self.label_edit, 1)
        for status, text in ((FigureStatus.ACCEPTED, self.tr("Accept")), (FigureStatus.REJECTED, self.tr("Reject")),
                             (FigureStatus.PROPOSED, self.tr("Proposed"))):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setObjectName(status.value)
            button.clicked.connect(lambda _=False, s=status: self._set_status(s))
            self.status_buttons.addButton(button)
            row.addWidget(button)

        self.crop_view = CropView()
        self.crop_view.masks_edited.connect(self._masks_edited)
        self.crop_view.mask_selected.connect(lambda i: self.remove_mask_button.setEnabled(i >= 0))
        self.size_label = QLabel()
        self.draw_button = QPushButton(self.tr("Draw mask"))
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip(
            self.tr("Drag rectangles over the crop to black out patient data (name, ID, date, hospital)"))
        self.draw_button.toggled.connect(self.crop_view.set_draw_mode)
        self.crop_view.draw_mode_changed.connect(self.draw_button.setChecked)
        self.remove_mask_button = QPushButton(self.tr("Remove mask"))
        self.remove_mask_button.setEnabled(False)
        self.remove_mask_button.clicked.connect(self.crop_view.remove_selected)
        self.clear_masks_button = QPushButton(self.tr("Clear masks"))
        self.clear_masks_button.clicked.connect(self.crop_view.clear_masks)
        masks_row = QHBoxLayout()
        for b in (self.draw_button, self.remove_mask_button, self.clear_masks_button):
            masks_row.addWidget(b)
        masks_row.addStretch(1)

        self.fields = TextFields()
        self.fields.text_edited.connect(self._text_edited)
        self.reread_button = QPushButton(self.tr("Re-read caption && context"))
        self.reread_button.clicked.connect(lambda: self.read_text(TextRead.REREAD))
        self.ocr_button = QPushButton(self.tr("OCR burned-in text"))
        self.ocr_button.clicked.connect(lambda: self.read_text(TextRead.OCR_BURNED))
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(80)
        self.busy.setVisible(False)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        read_row = QHBoxLayout()
        read_row.addWidget(self.reread_button)
        read_row.addWidget(self.ocr_button)
        read_row.addWidget(self.busy)
        read_row.addStretch(1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.info)
        top_layout.addLayout(row)
        top_layout.addWidget(self.crop_view, 1)
        top_layout.addWidget(self.size_label)
        top_layout.addLayout(masks_row)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.fields, 1)
        bottom_layout.addLayout(read_row)
        bottom_layout.addWidget(self.note)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        QVBoxLayout(body).addWidget(split)

    # -- following the session ----------------------------------------------------------
    def _project_opened(self) -> None:
        self._generation += 1
        self._inflight = self._want = None
        self._show(None, self.tr("Select a box"))

    def _selection_changed(self, ids: list) -> None:
        if len(ids) == 1 and self.session.project is not None:
            try:
                fig = figures.get_figure(self.session.project, ids[0])
            except NotFoundError:
                fig = None
            self._show(fig, self.tr("Select a box"))
        else:
            self._show(None, self.tr("Select a box") if not ids else
                       self.tr("%n boxes selected — select one box to inspect it", "", len(ids)))

    def _figure_updated(self, fid: int) -> None:
        if self.fig is None or fid != self.fig.id:
            return
        try:
            fig = figures.get_figure(self.session.project, fid)
        except NotFoundError:
            self._show(None, self.tr("The box was deleted"))
            return
        self._preview_rect = None
        self._refresh(fig)

    def _figures_changed(self, doc_id: int, page: int) -> None:
        if self.fig is not None and (self.fig.doc_id, self.fig.page) == (doc_id, page):
            self._figure_updated(self.fig.id)  # deleted, or restored by undo

    def _show(self, fig: Figure | None, hint: str) -> None:
        same = fig is not None and self.fig is not None and fig.id == self.fig.id
        if not same:
            self._preview_timer.stop()
            self._preview_rect = None
            self.note.clear()
            self.crop_view.set_draw_mode(False)
            self.crop_view.select_mask(-1)
            self.crop_view.show_message(self.tr("Rendering…"))
            self._shown = None
            self.fields.reset(fig.text if fig else None)
        self.fig = fig
        self._show_busy()
        if fig is None:
            self.hint.setText(hint)
            self.stack.setCurrentIndex(0)
            self._want = None
            return
        self.stack.setCurrentIndex(1)
        self._refresh(fig)

    def _refresh(self, fig: Figure) -> None:
        self.fig = fig
        doc = documents.get_document(self.session.project, fig.doc_id)
        self.info.setText(self.tr("<b>{label}</b> · page {page} · {status} · {detector} {score}<br>"
                                  "{document} · box {width} × {height} pt").format(
            label=fig.text.sublabel or fig.label, page=fig.page + 1, status=status_name(fig.status),
            detector=fig.detector, score=f"{fig.score:.2f}", document=doc.title,
            width=f"{fig.rect.width:.0f}", height=f"{fig.rect.height:.0f}"))
        self.info.setToolTip(self.tr("{document}, page {page}, figure {id}").format(
            document=doc.title, page=fig.page + 1, id=fig.id))
        if not self.label_edit.hasFocus() or not self.label_edit.isModified():
            self.label_edit.setText(fig.label)
        for button in self.status_buttons.buttons():
            button.setChecked(button.objectName() == fig.status.value)
        self.fields.set_text(fig.text)
        self.crop_view.set_masks(fig.redactions)
        self.clear_masks_button.setEnabled(bool(fig.redactions))
        self._request_crop(self._crop_request(fig, self._preview_rect or fig.rect))

    # -- crops --------------------------------------------------------------------------
    def _crop_request(self, fig: Figure, rect: Rect) -> CropRequest:
        doc = documents.get_document(self.session.project, fig.doc_id)
        masks = page_masks(self.session.project, fig.doc_id, fig.page)  # every mask of the page, as exported
        return CropRequest(fig.id, self.session.project.source_path(doc.file), fig.page, rect, masks, fig.image_xref)

    def _rect_preview(self, fid: int, rect) -> None:
        if self.fig is not None and fid == self.fig.id:
            self._preview_rect = rect
            if not self._preview_timer.isActive():
                self._preview_timer.start()  # a render per pause, not per mouse move

    def _render_preview(self) -> None:
        if self.fig is not None and self._preview_rect is not None:
            self._request_crop(self._crop_request(self.fig, self._preview_rect))

    def _request_crop(self, request: CropRequest) -> None:
        """Only one crop renders at a time; while it does, the newest request waits."""
        self._want = request
        if self._inflight is None:
            self._start_crop()

    def _start_crop(self) -> None:
        request, self._want = self._want, None
        if request is None or (self._shown is not None and self._shown.request.key == request.key):
            return
        self._inflight = request
        task = Task((self._generation, request), lambda: render_crop(request))
        task.signals.done.connect(self._crop_done)
        task.signals.failed.connect(self._crop_failed)
        self._run(task)

    def _crop_done(self, tag, crop: Crop) -> None:
        self._finished(tag)
        if tag[0] == self._generation and self.fig is not None and crop.request.figure_id == self.fig.id:
            self._shown = crop
            self.crop_view.set_crop(raster_to_qimage(crop.raster), crop.covered)
            self.size_label.setText(crop.describe())
        self._start_crop()

    def _crop_failed(self, tag, message: str) -> None:
        self._finished(tag)
        if tag[0] == self._generation and self.fig is not None and tag[1].figure_id == self.fig.id:
            self._shown = None
            self.crop_view.show_message(message)
            self.size_label.setText("")
        self._start_crop()

    def _finished(self, tag) -> None:
        self._tasks = {t for t in self._tasks if t.tag != tag}
        if isinstance(tag[1], CropRequest):
            self._inflight = None

    def _run(self, task: Task) -> None:
        self._tasks.add(task)
        start(task, self.pool)

    def flush_edits(self) -> None:
        """Save a label still being typed (call before closing the project); text is stored as typed."""
        if self.label_edit.isModified():
            self._label_edited()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Before the window closes: save pending typing and let running workers finish."""
        self.flush_edits()
        self._generation += 1  # whatever still arrives is dropped
        self.pool.waitForDone(timeout_ms)

    def shown_crop(self) -> Crop | None:
        """The crop on screen (its request says which rect it shows)."""
        return self._shown

    # -- edits ------------------------------------------------------------------------
    def _set_status(self, status: FigureStatus) -> None:
        if self.fig is not None and self.fig.status != status:
            self.session.set_status([self.fig.id], status)
        elif self.fig is not None:
            self._refresh(self.fig)  # clicking the current status keeps it checked

    def _label_edited(self) -> None:
        label = self.label_edit.text().strip()
        if self.fig is not None and label and label != self.fig.label:
            self.session.set_label(self.fig.id, label)
        self.label_edit.setModified(False)

    def _text_edited(self, field: str, value: str, burst: int) -> None:
        """Each keystroke is in the store before the next event is handled."""
        if self.fig is None or self.session.project is None:
            return
        try:
            self.session.edit_text(self.fig.id, field, value, burst=burst)
        except NotFoundError:
            pass  # the box was deleted while its text was being typed

    def _masks_edited(self, masks: list) -> None:
        if self.fig is not None:
            self.session.set_masks(self.fig.id, masks)

    # -- re-reading text ----------------------------------------------------------------
    def read_text(self, kind: TextRead) -> None:
        """Re-read caption & context (REREAD) or OCR the burned-in text (OCR_BURNED) of this
        box in a worker; the result is applied as one undoable edit."""
        if self.fig is None or self._text_job is not None:
            return
        if self._ocr is None:
            self._ocr = default_ocr()
        project, fid, ocr = self.session.project, self.fig.id, self._ocr

        def work() -> FigureText:
            handle = project.reopen()  # this thread's own connection
            try:
                return figure_text_for(handle, fid, ocr=ocr, read_crop=kind == TextRead.OCR_BURNED)
            finally:
                handle.close()

        self._text_job = (kind, fid, self.fig.rect)
        task = Task((self._generation, self._text_job), work)
        task.signals.done.connect(self._text_read)
        task.signals.failed.connect(self._text_failed)
        self._set_busy(True, self.tr(FILLING_NOTE) if kind == TextRead.REREAD else self.tr("Reading the crop (OCR)…"))
        self._run(task)

    def _text_read(self, tag, fresh: FigureText) -> None:
        self._finished(tag)
        self._text_job = None
        generation, (kind, fid, rect) = tag
        self._set_busy(False, "")
        if generation != self._generation or self.fig is None or self.fig.id != fid:
            return  # the user has moved on
        if self.fig.rect != rect:
            self.note.setText(self.tr("The box changed while its text was read: read it again."))
            return
        current = figures.get_figure(self.session.project, fid).text
        if kind == TextRead.REREAD:
            new = replace(current, caption=fresh.caption or current.caption, context=fresh.context or current.context,
                          section=fresh.section or current.section, sublabel=fresh.sublabel or current.sublabel)
            found = [n for n, v in ((self.tr("caption"), fresh.caption), (self.tr("context"), fresh.context),
                                    (self.tr("section"), fresh.section), (self.tr("sub-label"), fresh.sublabel)) if v]
            # Translators: the separator between the names of the fields found ("caption, context")
            separator = self.tr(", ")
            note = (self.tr("Found {fields}.").format(fields=separator.join(found)) if found
                    else self.tr("No caption or context found near this box."))
            title = self.tr("Re-read caption & context")
        else:
            new = replace(current, burned_text=fresh.burned_text)
            note = (self.tr("Burned-in text read.") if fresh.burned_text
                    else self.tr("No burned-in text found in this box."))
            title = self.tr("OCR burned-in text")
        if new != current:
            stack = self.session.undo_stack
            stack.beginMacro(title)  # its own undo step, never merged with typing
            self.session.set_text(fid, new)
            stack.endMacro()
        self.note.setText(note)

    def _text_failed(self, tag, message: str) -> None:
        self._finished(tag)
        self._text_job = None
        self._set_busy(False, "")
        if tag[0] == self._generation:
            self.note.setText(f'<span style="color:#c0392b">{message}</span>')

    def _set_busy(self, busy: bool, note: str) -> None:
        self.busy.setVisible(busy)
        self.reread_button.setEnabled(not busy)
        self.ocr_button.setEnabled(not busy)
        self.note.setText(note)

    def _show_busy(self) -> None:
        """The box's text is being read in the background (drawn, moved or resized): say so."""
        if self._text_job is not None:
            return  # a re-read shows its own state
        filling = self.fig is not None and self.session.filler.reading(self.fig.id)
        self.busy.setVisible(filling)
        if filling:
            self.note.setText(self.tr(FILLING_NOTE))
        elif self.note.text() == self.tr(FILLING_NOTE):
            self.note.clear()

    def is_busy(self) -> bool:
        return self._text_job is not None
