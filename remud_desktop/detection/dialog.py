"""The Detect dialog: which pages (current / selected / whole document) and which detector.

`qwen-vl-local` (the Chat model run offline) is offered only when a model and its vision projector are
set in Chat settings; when it is chosen the dialog says what the run will load, how much memory that
takes next to the Chat tab's own copy, and whether the Chat tab is writing an answer meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from engine.chat.memory import GIB
from engine.detect import qwen_vl_local, registry
from engine.errors import RemudError
from remud_desktop.card_text import description_html


class DetectScope(StrEnum):
    """Which pages a detection run covers."""

    PAGE = "page"  # the current page
    SELECTED = "selected"  # the pages selected in the thumbnails
    DOCUMENT = "document"  # the whole document


@dataclass(frozen=True)
class DetectRequest:
    scope: DetectScope
    detector: str
    retry_failed: bool = False  # try again the pages where detection or OCR crashed before


def detector_choices() -> list[tuple[str, str]]:
    """(name, title) of every registered detector card, `auto` first; `qwen-vl-local` only when a model is set
    in Chat settings."""
    cards = [c for c in registry.available() if c.name != qwen_vl_local.NAME or qwen_vl_local.offered()]
    cards.sort(key=lambda c: c.name != "auto")
    return [(c.name, QCoreApplication.translate("DetectDialog", "{title} ({name}) — needs an endpoint").format(
        title=c.title, name=c.name) if c.remote else f"{c.title} ({c.name})") for c in cards]


def join_sentences(sentences: list[str]) -> str:
    """Sentences one after the other: a space after an English one, none after a Chinese full stop."""
    text = ""
    for sentence in sentences:
        text += sentence if not text or text.endswith("。") else " " + sentence
    return text


class DetectDialog(QDialog):
    def __init__(self, *, page: int, page_count: int, selected: list[int], detector: str = "auto",
                 chat_model: str = "", chat_answering: bool = False, failed_pages: int = 0,
                 parent: QWidget | None = None) -> None:
        """`chat_model`: the model file the Chat tab has loaded ("" none); `chat_answering`: it is writing an
        answer now; `failed_pages`: pages of the document where detection or OCR crashed in an earlier run."""
        super().__init__(parent)
        self.chat_model, self.chat_answering = chat_model, chat_answering
        self.setWindowTitle(self.tr("Detect figures"))
        self.setMinimumWidth(460)
        self.scope_buttons = QButtonGroup(self)
        texts = {
            DetectScope.PAGE: self.tr("Current page ({page})").format(page=page + 1),
            DetectScope.SELECTED: self.tr("Selected pages ({count})").format(count=len(selected)) if len(selected) > 1
            else self.tr("Selected pages (select thumbnails first)"),
            DetectScope.DOCUMENT: self.tr("Whole document (%n page(s))", "", page_count),
        }
        self.scopes = list(DetectScope)  # button id -> scope
        scope_box = QVBoxLayout()
        for n, scope in enumerate(self.scopes):
            button = QRadioButton(texts[scope])
            button.setEnabled(scope != DetectScope.SELECTED or len(selected) > 1)
            self.scope_buttons.addButton(button, n)
            scope_box.addWidget(button)
        default = DetectScope.DOCUMENT if len(selected) <= 1 else DetectScope.SELECTED
        self.scope_buttons.button(self.scopes.index(default)).setChecked(True)
        self.detectors = QComboBox()
        self.descriptions = {c.name: description_html(c.description) for c in registry.available()}
        for name, title in detector_choices():
            self.detectors.addItem(title, name)
        i = self.detectors.findData(detector)
        self.detectors.setCurrentIndex(max(i, 0))
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(mid);")
        self.local_note = QLabel()  # what qwen-vl-local will load, next to the Chat tab's copy
        self.local_note.setWordWrap(True)
        self.local_note.setVisible(False)
        self.detectors.currentIndexChanged.connect(self._describe)
        self._describe()
        note = QLabel(self.tr("Pages you corrected by hand are left alone; you will be asked about them at the end."))
        note.setWordWrap(True)
        self.retry_failed = QCheckBox(self.tr("Try again the %n page(s) where detection or reading text crashed "
                                              "before (marked ! in the thumbnails)", "", failed_pages))
        self.retry_failed.setToolTip(self.tr("Left unchecked, those pages are left out, so one bad page cannot stop "
                                             "every run."))
        self.retry_failed.setVisible(failed_pages > 0)
        form = QFormLayout()
        form.addRow(self.tr("Pages"), scope_box)
        form.addRow(self.tr("Detector"), self.detectors)
        form.addRow("", self.description)
        form.addRow("", self.local_note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Detect"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(self.retry_failed)
        lay.addWidget(buttons)

    def _describe(self) -> None:
        name = self.detectors.currentData()
        self.description.setText(self.descriptions.get(name, ""))
        local = name == qwen_vl_local.NAME
        self.local_note.setText(self._local_note() if local else "")
        self.local_note.setVisible(local)

    def _local_note(self) -> str:
        try:
            plan = qwen_vl_local.run_memory()
        except RemudError as exc:
            return str(exc)
        sentences = [self.tr("The run loads its own copy of {model} (about {needed} GiB; {free} GiB of memory is free "
                             "now) and releases it when it ends.").format(
            model=plan.model.name, needed=f"{plan.needed / GIB:.1f}", free=f"{plan.free / GIB:.1f}")]
        if self.chat_model and Path(self.chat_model) == plan.model:
            sentences.append(self.tr("The Chat tab holds this model too: both copies must fit in memory, or the run "
                                     "is refused."))
        if self.chat_answering:
            sentences.append(self.tr("The Chat tab is writing an answer now: it goes on, and both are slower while "
                                     "they share the computer."))
        if not plan.fits:
            sentences.append(self.tr("Not enough memory is free: unload the model in the Chat tab or close other "
                                     "programs first."))
        return join_sentences(sentences)

    def request(self) -> DetectRequest:
        return DetectRequest(self.scopes[self.scope_buttons.checkedId()], self.detectors.currentData(),
                             self.retry_failed.isChecked())
