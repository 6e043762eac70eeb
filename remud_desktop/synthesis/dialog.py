"""The "Synthesize…" dialog: what to send (selected figures or the document's accepted
figures), kinds, languages, reasoning, synthesizer and batch mode; the item count and
estimated cost before anything is sent; Start creates the job (the caller runs it). A job
made in batch mode says so in its settings ("batch": true), so that whoever runs it
(SynthController.run) uses the provider's batch API, now and on every Resume.

Start stays disabled, with the reason under the form, while nothing could be sent: no
accepted figures (how many are proposed, and how to accept them), every item made already,
or no API key for the chosen provider. The key is looked up (keyring, then environment, as
the runner will) off the GUI thread when the dialog opens, when the provider changes and
when Settings, opened from the dialog's "Open Settings…" button, closes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from engine import settings
from engine.errors import RemudError
from engine.key_status import KeyStatus, env_vars, synthesizer_key
from engine.store.jobs import Job
from engine.synth.jobs import NothingToSend, NothingToSendError, create_synth_job, preview_job
from engine.synth.registry import load_cards
from remud_desktop.theme import ERROR_STYLE
from remud_desktop.workers import Task, start

# (key, English title): shown through kind_title() / language_title(), which translate them
KINDS = (("vqa", QT_TRANSLATE_NOOP("SynthDialog", "Reasoning VQA")),
         ("mcq", QT_TRANSLATE_NOOP("SynthDialog", "Multiple choice")),
         ("qa", QT_TRANSLATE_NOOP("SynthDialog", "Conversation / QA")))
LANGUAGES = (("en", QT_TRANSLATE_NOOP("SynthDialog", "English")), ("zh", QT_TRANSLATE_NOOP("SynthDialog", "Chinese")))
# job and item states as stored (JobState, ItemState): shown through state_name()
STATES = {
    "pending": QT_TRANSLATE_NOOP("SynthStates", "pending"),
    "running": QT_TRANSLATE_NOOP("SynthStates", "running"),
    "paused": QT_TRANSLATE_NOOP("SynthStates", "paused"),
    "done": QT_TRANSLATE_NOOP("SynthStates", "done"),
    "finished": QT_TRANSLATE_NOOP("SynthStates", "finished"),
    "stopped": QT_TRANSLATE_NOOP("SynthStates", "stopped"),
    "cancelled": QT_TRANSLATE_NOOP("SynthStates", "cancelled"),
    "failed": QT_TRANSLATE_NOOP("SynthStates", "failed"),
}


def kind_title(key: str) -> str:
    """A record kind's name in the current language ("vqa" -> "Reasoning VQA"); an unknown key as it is."""
    title = dict(KINDS).get(key)
    return QCoreApplication.translate("SynthDialog", title) if title else key


def language_title(code: str) -> str:
    """A record language's name in the current language ("zh" -> "Chinese"); an unknown code as it is."""
    title = dict(LANGUAGES).get(code)
    return QCoreApplication.translate("SynthDialog", title) if title else code


def state_name(state: str) -> str:
    """A job's or item's state (stored in English) as shown."""
    value = str(state)
    return QCoreApplication.translate("SynthStates", STATES[value]) if value in STATES else value


def accept_keys() -> str:
    return QCoreApplication.translate(
        "SynthDialog", "select their boxes on the page (Ctrl+A selects every box of the page) or their rows in the "
        "Figures list, and press Enter")


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


def nothing_to_send(exc: NothingToSendError, by_selection: bool) -> str:
    """Why Start has nothing to send, and what to do about it, for people at the window."""
    if exc.reason == NothingToSend.ALL_EXIST:
        return QCoreApplication.translate(
            "SynthDialog", "Nothing to send: all {count} item(s) already exist in the project (synthesized, or waiting "
            "in an earlier job: run that one from the Synthesis jobs panel). Choose another kind or language "
            "to make more.").format(count=exc.skipped)
    if exc.reason == NothingToSend.NONE_ACCEPTED:
        if exc.proposed and exc.rejected:
            counts = QCoreApplication.translate("SynthDialog", "{proposed} proposed, {rejected} rejected")
        elif exc.proposed:
            counts = QCoreApplication.translate("SynthDialog", "{proposed} proposed")
        else:
            counts = QCoreApplication.translate("SynthDialog", "{rejected} rejected")
        counts = counts.format(proposed=exc.proposed, rejected=exc.rejected)
        which = (QCoreApplication.translate("SynthDialog", "the proposed ones") if exc.proposed
                 else QCoreApplication.translate("SynthDialog", "figures"))
        if by_selection:
            text = QCoreApplication.translate(
                "SynthDialog", "Nothing to send: none of the selected figures is accepted ({counts}); only "
                "accepted figures are synthesized. To accept {which}, {how}; then Synthesize again.")
        else:
            text = QCoreApplication.translate(
                "SynthDialog", "Nothing to send: this document has no accepted figures ({counts}); only accepted "
                "figures are synthesized. To accept {which}, {how}; then Synthesize again.")
        return text.format(counts=counts, which=which, how=accept_keys())
    if by_selection:
        text = QCoreApplication.translate(
            "SynthDialog", "Nothing to send: the selection holds no figures yet. Find them with Detect → Detect… "
            "(or draw boxes with W), accept them ({how}), then Synthesize again.")
    else:
        text = QCoreApplication.translate(
            "SynthDialog", "Nothing to send: this document has no figures yet. Find them with Detect → Detect… "
            "(or draw boxes with W), accept them ({how}), then Synthesize again.")
    return text.format(how=accept_keys())


def missing_key(status: KeyStatus) -> str:
    """Start needs a key the provider does not have."""
    variables = QCoreApplication.translate("SynthDialog", " or ").join(env_vars(status.name))
    return QCoreApplication.translate(
        "SynthDialog", "No API key for {provider}: nothing can be sent without one. Save it in Settings → Synthesis "
        "(it goes to the system keyring), or set {variables}, or choose another synthesizer.").format(
        provider=status.title, variables=variables)


class SynthDialog(QDialog):
    """`open_settings(page, synthesizer)` shows the Settings dialog at `page` with that
    synthesizer's card and returns when it closes (the window's show_settings); by default
    the dialog opens its own."""

    def __init__(self, session, selected: list[int] | None = None, parent: QWidget | None = None,
                 open_settings: Callable[[str, str], object] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Synthesize"))
        self.setMinimumWidth(460)
        self.session = session
        self.selected = list(selected or [])
        self.job: Job | None = None
        last = last_request()

        self.use_selected = QRadioButton(self.tr("Selected figures ({count})").format(count=len(self.selected)))
        self.use_document = QRadioButton(self.tr("Accepted figures of the current document"))
        group = QButtonGroup(self)
        group.addButton(self.use_selected)
        group.addButton(self.use_document)
        self.use_selected.setEnabled(bool(self.selected))
        self.use_document.setEnabled(session.doc_id is not None)
        (self.use_selected if self.selected else self.use_document).setChecked(True)

        self.kinds = {k: QCheckBox(kind_title(k)) for k, _ in KINDS}
        self.languages = {k: QCheckBox(language_title(k)) for k, _ in LANGUAGES}
        for boxes, chosen in ((self.kinds, last.kinds), (self.languages, last.languages)):
            for k, box in boxes.items():
                box.setChecked(k in chosen)
        self.reasoning = QCheckBox(self.tr("Thinking trace (reasoning)"))
        self.reasoning.setChecked(last.reasoning)
        self.card = QComboBox()
        for card in load_cards().values():
            self.card.addItem(card.title, card.name)
        self.card.setCurrentIndex(max(0, self.card.findData(last.card)))
        self.batch = QCheckBox(self.tr("Use the provider's batch API (about half the price; answers within 24 h)"))
        self.batch.setToolTip(self.tr("The items are uploaded as one provider batch and collected when it ends; "
                                      "Resume keeps polling the same batch, nothing is sent twice."))

        self.count = QLabel()
        self.cost = QLabel()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.settings_button = QPushButton(self.tr("Open Settings…"))
        self.settings_button.setToolTip(self.tr("Settings → Synthesis: the provider's API key, model and base URL"))
        self.settings_button.clicked.connect(self.open_settings)
        self.settings_button.hide()
        self._open_settings = open_settings or self._settings_dialog
        self.key: KeyStatus | None = None  # the chosen provider's key; None: it needs none
        self.key_checked = False  # the lookup for the current provider has answered
        self._key_check: Task | None = None
        self._key_error = ""  # the lookup itself failed (a broken keyring backend)
        self._key_generation = 0
        self._closed = False

        form = QFormLayout()
        form.addRow(self.tr("Figures"), self._column(self.use_selected, self.use_document))
        form.addRow(self.tr("Kinds"), self._row(*self.kinds.values()))
        form.addRow(self.tr("Languages"), self._row(*self.languages.values()))
        form.addRow("", self.reasoning)
        form.addRow(self.tr("Synthesizer"), self.card)
        form.addRow("", self.batch)
        form.addRow(self.tr("Items to send"), self.count)
        form.addRow(self.tr("Estimated cost"), self.cost)
        form.addRow(self.problem)
        form.addRow("", self.settings_button)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton(self.tr("Start"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.buttons)

        for box in (*self.kinds.values(), *self.languages.values(), self.reasoning, self.use_selected, self.use_document,
                    self.batch):
            box.toggled.connect(self.update_estimate)
        self.card.currentIndexChanged.connect(self.check_key)
        self.check_key()

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

    # -- the key ----------------------------------------------------------------------------------
    def check_key(self) -> None:
        """Look up the chosen provider's key off the GUI thread (keyrings can be slow); Start
        waits for the answer."""
        card = str(self.card.currentData())
        params = settings.synthesizer_params(card)
        self._key_generation += 1
        self.key, self.key_checked, self._key_error = None, False, ""
        task = Task(self._key_generation, lambda: synthesizer_key(card, params))
        task.signals.done.connect(self._key_found)
        task.signals.failed.connect(self._key_failed)
        self._key_check = start(task)
        self.update_estimate()

    def _key_found(self, generation: int, status: KeyStatus | None) -> None:
        if self._closed or generation != self._key_generation:
            return  # a provider chosen before, or the dialog has gone
        self.key, self.key_checked = status, True
        self.update_estimate()

    def _key_failed(self, generation: int, message: str) -> None:
        if self._closed or generation != self._key_generation:
            return
        self.key, self.key_checked, self._key_error = None, True, message
        self.update_estimate()

    def open_settings(self) -> None:
        """Settings at the Synthesis page with the chosen provider; the key (and, for a changed
        model or base URL, the estimate) is checked again when it closes."""
        self._open_settings("synthesis", str(self.card.currentData()))
        self.check_key()

    def _settings_dialog(self, page: str, synthesizer: str) -> None:
        from remud_desktop.settings import SettingsDialog  # the Settings dialog loads every page: only when asked

        dialog = SettingsDialog(self)
        dialog.show_page(page)
        dialog.synthesis.card.setCurrentIndex(max(0, dialog.synthesis.card.findData(synthesizer)))
        dialog.exec()
        dialog.deleteLater()

    # -- what Start would do --------------------------------------------------------------------
    def update_estimate(self) -> None:
        """Item count and cost of what Start would send (engine estimate, nothing kept); Start
        is enabled only when something would be sent and the provider has its key."""
        request = self.request()
        self.items_to_send, self.estimated_cost = 0, None
        problem, waiting, needs_settings = "", "", False
        count, cost_text = "—", "—"
        if not request.kinds or not request.languages:
            problem = self.tr("Choose at least one kind and one language.")
        elif not request.figure_ids and not request.doc_ids:
            problem = self.tr("Select figures on the page, or open a document.")
        else:
            try:
                todo, skipped, cost = preview(self.session.project, request)
            except NothingToSendError as exc:
                problem = nothing_to_send(exc, bool(request.figure_ids))
                if exc.skipped:
                    count = self.tr("0 ({skipped} already made)").format(skipped=exc.skipped)
            except RemudError as exc:
                problem = str(exc)
            else:
                self.items_to_send, self.estimated_cost = todo, cost
                count = (self.tr("{todo} ({skipped} already made, skipped)").format(todo=todo, skipped=skipped)
                         if skipped else f"{todo}")
                if cost is None:
                    cost_text = self.tr("unknown (no price for this model in the pricing file)")
                else:
                    cost_text = (self.tr("about {cost} (batch price)") if request.batch
                                 else self.tr("about {cost}")).format(cost=f"${cost:.4f}")
        if problem:
            pass
        elif not self.key_checked:
            waiting = self.tr("Checking the API key…")
        elif self._key_error:
            problem = self.tr("The API key could not be looked up: {message}").format(message=self._key_error)
        elif self.key is not None and not self.key.is_set:
            problem, needs_settings = missing_key(self.key), True
        self.count.setText(count)
        self.cost.setText(cost_text)
        self.problem.setStyleSheet("" if waiting else ERROR_STYLE)
        self.problem.setText(problem or waiting)
        self.settings_button.setVisible(needs_settings)
        self.start_button.setEnabled(not problem and not waiting)

    def accept(self) -> None:
        if not self.start_button.isEnabled():  # Start is only enabled when something can be sent
            return
        request = self.request()
        try:
            self.job, _, _ = request.create(self.session.project)
            request.remember()
        except RemudError as exc:
            self.problem.setText(str(exc))
            return
        super().accept()

    def done(self, result: int) -> None:
        self._closed = True  # a key lookup answering after this is dropped
        super().done(result)
