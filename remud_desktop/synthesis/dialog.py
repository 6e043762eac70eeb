"""The "Synthesize…" dialog: what to send (selected figures or the document's accepted
figures), kinds, languages, reasoning, synthesizer and batch mode; the item count and
estimated cost before anything is sent; Start creates the job (the caller runs it). A job
made in batch mode says so in its settings ("batch": true), so that whoever runs it
(SynthController.run) uses the provider's batch API, now and on every Resume."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from engine import settings
from engine.errors import RemudError
from engine.store.jobs import Job
from engine.synth.jobs import create_synth_job, preview_job
from engine.synth.registry import load_cards

KINDS = (("vqa", "Reasoning VQA"), ("mcq", "Multiple choice"), ("qa", "Conversation / QA"))
LANGUAGES = (("en", "English"), ("zh", "Chinese"))


@dataclass
class SynthRequest:
    kinds: list[str]
    languages: list[str]
    reasoning: bool = True
    card: str = "openai"
    figure_ids: list[int] = field(default_factory=list)
    doc_ids: list[int] = field(default_factory=list)
    batch: bool = False  # through the provider's batch API (half price, answers within 24 h)

    def create(self, project) -> tuple[Job, int, int]:
        """The job for this request, with the card's saved settings (never a key)."""
        return create_synth_job(
            project, kinds=self.kinds, languages=self.languages, reasoning=self.reasoning,
            synthesizer=self.card, params=settings.synthesizer_params(self.card),
            figure_ids=self.figure_ids, doc_ids=self.doc_ids, batch=self.batch)

    def remember(self) -> None:
        """Saved as the last-used choices ("Generate now" uses them)."""
        settings.set_synthesis_options(card=self.card, kinds=self.kinds, languages=self.languages,
                                       reasoning=self.reasoning)


def preview(project, request: SynthRequest) -> tuple[int, int, float | None]:
    """(items that would be sent, items skipped because they exist, estimated dollars or None)."""
    return preview_job(project, kinds=request.kinds, languages=request.languages, reasoning=request.reasoning,
                       synthesizer=request.card, params=settings.synthesizer_params(request.card),
                       figure_ids=request.figure_ids, doc_ids=request.doc_ids, batch=request.batch)


def last_request(figure_ids=(), doc_ids=()) -> SynthRequest:
    opts = settings.synthesis_options()
    return SynthRequest(kinds=list(opts["kinds"]), languages=list(opts["languages"]), reasoning=bool(opts["reasoning"]),
                        card=str(opts["card"]), figure_ids=list(figure_ids), doc_ids=list(doc_ids))


class SynthDialog(QDialog):
    def __init__(self, session, selected: list[int] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Synthesize")
        self.setMinimumWidth(460)
        self.session = session
        self.selected = list(selected or [])
        self.job: Job | None = None
        last = last_request()

        self.use_selected = QRadioButton(f"Selected figures ({len(self.selected)})")
        self.use_document = QRadioButton("Accepted figures of the current document")
        group = QButtonGroup(self)
        group.addButton(self.use_selected)
        group.addButton(self.use_document)
        self.use_selected.setEnabled(bool(self.selected))
        self.use_document.setEnabled(session.doc_id is not None)
        (self.use_selected if self.selected else self.use_document).setChecked(True)

        self.kinds = {k: QCheckBox(text) for k, text in KINDS}
        self.languages = {k: QCheckBox(text) for k, text in LANGUAGES}
        for boxes, chosen in ((self.kinds, last.kinds), (self.languages, last.languages)):
            for k, box in boxes.items():
                box.setChecked(k in chosen)
        self.reasoning = QCheckBox("Thinking trace (reasoning)")
        self.reasoning.setChecked(last.reasoning)
        self.card = QComboBox()
        for card in load_cards().values():
            self.card.addItem(card.title, card.name)
        self.card.setCurrentIndex(max(0, self.card.findData(last.card)))
        self.batch = QCheckBox("Use the provider's batch API (about half the price; answers within 24 h)")
        self.batch.setToolTip("The items are uploaded as one provider batch and collected when it ends; "
                              "Resume keeps polling the same batch, nothing is sent twice.")

        self.count = QLabel()
        self.cost = QLabel()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #cf222e;")

        form = QFormLayout()
        form.addRow("Figures", self._column(self.use_selected, self.use_document))
        form.addRow("Kinds", self._row(*self.kinds.values()))
        form.addRow("Languages", self._row(*self.languages.values()))
        form.addRow("", self.reasoning)
        form.addRow("Synthesizer", self.card)
        form.addRow("", self.batch)
        form.addRow("Items to send", self.count)
        form.addRow("Estimated cost", self.cost)
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.buttons)

        for box in (*self.kinds.values(), *self.languages.values(), self.reasoning, self.use_selected, self.use_document,
                    self.batch):
            box.toggled.connect(self.update_estimate)
        self.card.currentIndexChanged.connect(self.update_estimate)
        self.update_estimate()

    @staticmethod
    def _row(*widgets) -> QWidget:
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        for x in widgets:
            lay.addWidget(x)
        lay.addStretch(1)
        return w

    @staticmethod
    def _column(*widgets) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        for x in widgets:
            lay.addWidget(x)
        return w

    def request(self) -> SynthRequest:
        by_selection = self.use_selected.isChecked()
        return SynthRequest(
            kinds=[k for k, b in self.kinds.items() if b.isChecked()],
            languages=[k for k, b in self.languages.items() if b.isChecked()],
            reasoning=self.reasoning.isChecked(),
            card=str(self.card.currentData()),
            figure_ids=self.selected if by_selection else [],
            doc_ids=[] if by_selection or self.session.doc_id is None else [self.session.doc_id],
            batch=self.batch.isChecked(),
        )

    def update_estimate(self) -> None:
        """Item count and cost of what Start would send (engine estimate, nothing kept)."""
        request = self.request()
        self.items_to_send, self.estimated_cost = 0, None
        problem = ""
        if not request.kinds or not request.languages:
            problem = "Choose at least one kind and one language."
        elif not request.figure_ids and not request.doc_ids:
            problem = "Select figures on the page, or open a document."
        else:
            try:
                todo, skipped, cost = preview(self.session.project, request)
            except RemudError as exc:
                problem = str(exc)
            else:
                self.items_to_send, self.estimated_cost = todo, cost
                self.count.setText(f"{todo}" + (f" ({skipped} already made, skipped)" if skipped else ""))
                self.cost.setText(f"about ${cost:.4f}" + (" (batch price)" if request.batch else "")
                                  if cost is not None else "unknown (no price for this model in the pricing file)")
        if problem:
            self.count.setText("—")
            self.cost.setText("—")
        if not problem and self.items_to_send == 0:
            problem = "Nothing to send: every item already exists in the project."
        self.problem.setText(problem)
        self.start_button.setEnabled(not problem)

    def accept(self) -> None:
        request = self.request()
        try:
            self.job, _, _ = request.create(self.session.project)
            request.remember()
        except RemudError as exc:
            self.problem.setText(str(exc))
            return
        super().accept()
