"""The "Export dataset…" dialog: choose the records and how they are split and written,
see the counts per kind × language × split (recomputed in a worker a moment after each
change), then Export writes the folder in a worker with progress and a Cancel that leaves
nothing behind. Errors stay in the dialog, in one sentence."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.export import (
    ExportOptions,
    ExportPlan,
    ExportResult,
    export_dataset,
    plan_export,
)
from engine.export.target import replace_refusal
from engine.store import Project, documents, records
from remud_desktop.export.options_form import ExportOptionsForm, language_name
from remud_desktop.synthesis.dialog import KINDS, kind_title
from remud_desktop.theme import ERROR_STYLE
from remud_desktop.workers import Job, JobContext, JobRunner, Task, start

STAGES = {"select": QT_TRANSLATE_NOOP("ExportDialog", "Selecting records"),
          "images": QT_TRANSLATE_NOOP("ExportDialog", "Writing images"),
          "write": QT_TRANSLATE_NOOP("ExportDialog", "Writing files")}
SPLITS = ("train", "validation", "test")
PREVIEW_DELAY_MS = 300
WARNING_STYLE = "color: #9a6700;"


def stage_name(stage: str) -> str:
    """An export stage (the engine's key) as shown."""
    return QCoreApplication.translate("ExportDialog", STAGES[stage]) if stage in STAGES else stage


def default_output(project_folder: Path, today: date | None = None) -> Path:
    """<project folder's parent>/<project name> export <date>."""
    name = project_folder.stem if project_folder.suffix.lower() == ".remud" else project_folder.name
    return project_folder.parent / f"{name} export {(today or date.today()).isoformat()}"


def project_languages(folder: Path) -> list[str]:
    """The languages the project's records are written in (worker side: its own connection)."""
    with Project.open(folder) as project:
        return records.record_languages(project)


@dataclass(frozen=True)
class OutputCheck:
    """What Export would do with the chosen folder."""

    note: str = ""  # one sentence under the folder, or ""
    blocked: bool = False  # Export stays disabled
    replace: bool = False  # Export asks, then replaces an earlier export


def check_output(out: Path) -> OutputCheck:
    """A new or empty folder is written; an earlier ReMUD export (its manifest.json says so) with
    nothing added to it is replaced after asking; a file or any other folder is never touched."""
    try:
        if not out.exists():
            return OutputCheck()
        if not out.is_dir():
            return OutputCheck(QCoreApplication.translate(
                "ExportDialog", "{path} is a file: choose a folder name for the export.").format(path=out), blocked=True)
        if not any(out.iterdir()):
            return OutputCheck()
        problem = replace_refusal(out)
    except OSError as exc:
        return OutputCheck(QCoreApplication.translate(
            "ExportDialog", "{path} cannot be read ({reason}): choose another folder.").format(
            path=out, reason=exc.strerror), blocked=True)
    if problem:
        return OutputCheck(problem, blocked=True)
    return OutputCheck(QCoreApplication.translate(
        "ExportDialog", "This folder holds an earlier ReMUD export: Export will ask before replacing it."), replace=True)


def plan_in_worker(folder: Path, options: ExportOptions, cancel) -> ExportPlan:
    with Project.open(folder) as project:
        return plan_export(project, options, cancel=cancel)


def export_in_worker(folder: Path, options: ExportOptions, out_dir: Path, overwrite: bool,
                     ctx: JobContext) -> ExportResult:
    with Project.open(folder) as project:
        return export_dataset(project, options, out_dir, overwrite=overwrite,
                              progress=lambda stage, done, total: ctx.progress(done, total, stage),
                              cancel=ctx.cancelled)


class PreviewTable(QTableWidget):
    """Records per kind × language (rows) and split (columns), with a bold total row."""

    HEADERS = (QT_TRANSLATE_NOOP("PreviewTable", "Kind"), QT_TRANSLATE_NOOP("PreviewTable", "Language"),
               QT_TRANSLATE_NOOP("PreviewTable", "Train"), QT_TRANSLATE_NOOP("PreviewTable", "Validation"),
               QT_TRANSLATE_NOOP("PreviewTable", "Test"), QT_TRANSLATE_NOOP("PreviewTable", "Total"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels([QCoreApplication.translate("PreviewTable", h) for h in self.HEADERS])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)

    def show_plan(self, plan: ExportPlan) -> None:
        order = {k: i for i, (k, _) in enumerate(KINDS)}
        groups = sorted({(kind, lang) for kind, lang, _ in plan.counts},
                        key=lambda g: (order.get(g[0], len(order)), g[0], g[1]))
        self.setRowCount(len(groups) + 1)
        totals = dict.fromkeys(SPLITS, 0)
        for r, (kind, lang) in enumerate(groups):
            counts = [plan.counts.get((kind, lang, split), 0) for split in SPLITS]
            for split, n in zip(SPLITS, counts):
                totals[split] += n
            self._fill(r, kind_title(kind), language_name(lang), counts)
        self._fill(len(groups), self.tr("All"), "", [totals[s] for s in SPLITS], bold=True)

    def _fill(self, r: int, kind: str, language: str, counts: list[int], bold: bool = False) -> None:
        cells = [kind, language, *(str(n) for n in counts), str(sum(counts))]
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c >= 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if bold:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.setItem(r, c, item)

    def cell(self, r: int, c: int) -> str:
        item = self.item(r, c)
        return item.text() if item is not None else ""


def summary_text(plan: ExportPlan, unit: str) -> str:
    per_split = " / ".join(str(plan.documents.get(s, 0)) for s in SPLITS)
    totals = QCoreApplication.translate(
        "ExportDialog", "{records} records in {conversations} conversations · {images} images").format(
        records=plan.records, conversations=plan.conversations, images=plan.images)
    if unit == "document":
        splits = QCoreApplication.translate("ExportDialog", "Documents per split (train / validation / test): {counts}")
    else:
        splits = QCoreApplication.translate("ExportDialog", "Pages per split (train / validation / test): {counts}")
    lines = [totals, splits.format(counts=per_split)]
    if plan.dropped_duplicates or plan.dropped_contaminated or plan.dropped_image_leaks:
        if plan.dropped_image_leaks:
            dropped = QCoreApplication.translate(
                "ExportDialog", "Dropped: {duplicates} near-duplicates, {overlaps} that overlap the test file, "
                "{leaks} whose image is in the test split")
        else:
            dropped = QCoreApplication.translate(
                "ExportDialog", "Dropped: {duplicates} near-duplicates, {overlaps} that overlap the test file")
        lines.append(dropped.format(duplicates=plan.dropped_duplicates, overlaps=plan.dropped_contaminated,
                                    leaks=plan.dropped_image_leaks))
    return "\n".join(lines)


class ExportDialog(QDialog):
    preview_ready = Signal(object)  # the ExportPlan now shown
    preview_failed = Signal(str)
    export_finished = Signal(object)  # the ExportResult, or None when it failed or was cancelled

    def __init__(self, session, runner: JobRunner | None = None, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export dataset"))
        self.setMinimumSize(900, 620)
        self.resize(1060, 680)
        self.session = session
        self.folder: Path = session.project.folder
        self.runner = runner or JobRunner(self)
        self.settings = settings if settings is not None else QSettings()
        self.plan: ExportPlan | None = None
        self.export_result: ExportResult | None = None
        self.job: Job | None = None
        self.output_check = OutputCheck()
        self._generation = 0
        self._preview_error = ""
        self._close_when_done = False
        self._tasks: dict[object, Task] = {}  # tag -> running Task, kept alive until its answer is in
        self._closed = threading.Event()  # set on closing: workers stop, their late answers are dropped

        self.form = ExportOptionsForm(self)
        self.form.restore(self.settings)
        self.form.set_documents(documents.list_documents(session.project))

        self.table = PreviewTable()
        self.table.setMinimumHeight(170)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(WARNING_STYLE)
        self.updating = QLabel()
        self.updating.setEnabled(False)
        preview = QGroupBox(self.tr("Preview"))
        preview_lay = QVBoxLayout(preview)
        preview_lay.addWidget(self.table, 1)
        preview_lay.addWidget(self.summary)
        preview_lay.addWidget(self.warnings)
        preview_lay.addWidget(self.updating)

        self.output = QLineEdit(str(default_output(self.folder)))
        self.output_browse = QPushButton(self.tr("Browse…"))
        self.output_browse.clicked.connect(self.choose_output)
        self.output_note = QLabel()
        self.output_note.setWordWrap(True)
        output = QGroupBox(self.tr("Export to"))
        output_lay = QGridLayout(output)
        output_lay.addWidget(self.output, 0, 0)
        output_lay.addWidget(self.output_browse, 0, 1)
        output_lay.addWidget(self.output_note, 1, 0, 1, 2)

        self.stage = QLabel()
        self.stage.setMinimumWidth(240)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel export"))
        self.cancel_button.setToolTip(self.tr("Stop the export; nothing is left behind"))
        self.cancel_button.clicked.connect(self.cancel_export)
        self.progress_row = QWidget()
        progress_lay = QHBoxLayout(self.progress_row)
        progress_lay.setContentsMargins(0, 0, 0, 0)
        progress_lay.addWidget(self.stage)
        progress_lay.addWidget(self.progress, 1)
        progress_lay.addWidget(self.cancel_button)
        self.progress_row.hide()

        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(self.tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)

        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.form.records_group, 1)
        left.addWidget(self.form.splits_group)
        left.addWidget(output)
        right = QVBoxLayout()
        right.addWidget(self.form.options_group)
        right.addWidget(preview, 1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(columns, 1)
        lay.addWidget(self.progress_row)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)

        self._debounce = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._debounce.timeout.connect(self._start_preview)
        self._output_debounce = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._output_debounce.timeout.connect(self._check_output)
        self.form.plan_changed.connect(self.schedule_preview)
        self.form.writer_changed.connect(self._show_problem)
        self.output.textChanged.connect(self._output_edited)
        self._check_output()
        self._find_languages()
        self.schedule_preview()

    # -- what the project holds --------------------------------------------------------------
    def _find_languages(self) -> None:
        folder = self.folder
        task = Task("languages", lambda: project_languages(folder))
        task.signals.done.connect(self._languages_found)
        task.signals.failed.connect(self._languages_failed)
        self._run(task)

    def _run(self, task: Task) -> None:
        """In the shared pool, so closing the dialog never waits for a worker."""
        self._tasks[task.tag] = task
        start(task)

    def _languages_found(self, tag: str, codes: list[str]) -> None:
        self._tasks.pop(tag, None)
        if not self._closed.is_set():
            self.form.set_languages(codes)

    def _languages_failed(self, tag: str, message: str) -> None:
        self._tasks.pop(tag, None)
        if not self._closed.is_set():
            self._say(message)

    # -- preview -------------------------------------------------------------------------------
    def busy(self) -> bool:
        """Whether a preview waits for the edits to pause, or a worker of the dialog (the project's
        languages, a count, a dropped count not yet returned) still runs."""
        return self._debounce.isActive() or bool(self._tasks)

    def schedule_preview(self) -> None:
        """A change that can move the counts: older previews are dropped, a new one starts
        once the edits pause."""
        self._generation += 1
        self._preview_error = ""
        if self.form.plan_problem():
            self._debounce.stop()
            self.updating.setText("")
        else:
            self.updating.setText(self.tr("Counting…"))
            self._debounce.start()
        self._show_problem()

    def _show_problem(self) -> None:
        """What the settings lack, else why the last preview failed; and whether Export can run."""
        self._say(self.form.problem() or self._preview_error)
        self._update_buttons()

    def _start_preview(self) -> None:
        generation = self._generation
        options = self.form.options()
        folder, stop = self.folder, self._closed

        def stale() -> bool:
            return generation != self._generation or stop.is_set()

        task = Task(generation, lambda: plan_in_worker(folder, options, stale))
        task.signals.done.connect(self._preview_done)
        task.signals.failed.connect(self._preview_failed)
        self._run(task)

    def _preview_done(self, generation: int, plan: ExportPlan) -> None:
        self._tasks.pop(generation, None)
        if generation != self._generation:
            return  # the user changed something since, or closed the dialog
        self.plan = plan
        self.table.show_plan(plan)
        self.summary.setText(summary_text(plan, self.form.options().splits.unit))
        warnings = list(plan.warnings)
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))
        self.updating.setText("")
        self.preview_ready.emit(plan)

    def _preview_failed(self, generation: int, message: str) -> None:
        self._tasks.pop(generation, None)
        if generation != self._generation:
            return
        self.plan = None
        self.table.setRowCount(0)
        self.summary.clear()
        self.warnings.hide()
        self.updating.setText("")
        self._preview_error = message
        self._show_problem()
        self.preview_failed.emit(message)

    def _say(self, text: str, error: bool = True) -> None:
        """One sentence under the settings: red for a problem, plain for news."""
        self.problem.setStyleSheet(ERROR_STYLE if error else "")
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    # -- output folder -----------------------------------------------------------------------------
    def out_dir(self) -> Path | None:
        text = self.output.text().strip()
        return Path(text).expanduser() if text else None

    def choose_output(self) -> None:
        current = self.out_dir() or default_output(self.folder)
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export to — choose a name and place"), str(current), "",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.output.setText(path)

    def _output_edited(self) -> None:
        """The folder is looked at on disk once typing pauses, not on every keystroke."""
        self._output_debounce.start()
        self._update_buttons()

    def _check_output(self) -> OutputCheck:
        self._output_debounce.stop()
        out = self.out_dir()
        self.output_check = check_output(out) if out is not None else OutputCheck()
        note = self.output_check.note
        self.output_note.setText(note)
        self.output_note.setStyleSheet(ERROR_STYLE if self.output_check.blocked else WARNING_STYLE)
        self.output_note.setVisible(bool(note))
        self._update_buttons()
        return self.output_check

    def _update_buttons(self) -> None:
        ready = self.out_dir() is not None and not self.output_check.blocked and not self.form.problem()
        self.export_button.setEnabled(self.job is None and ready)

    # -- export ----------------------------------------------------------------------------------
    def start_export(self) -> Job | None:
        """Export in the background; the dialog closes when the folder is written."""
        if self.job is not None:
            return None
        problem = self.form.problem()
        out = self.out_dir()
        if problem or out is None:
            self._say(problem or self.tr("Choose the folder to export to."))
            return None
        target = self._check_output()  # the folder as it is now, not as it was when typed
        if target.blocked:
            return None
        if target.replace:
            answer = QMessageBox.question(self, self.tr("Export dataset"),
                                          self.tr("{path} holds an earlier ReMUD export. Replace it with this export?")
                                          .format(path=out))
            if answer != QMessageBox.StandardButton.Yes:
                return None
        options, folder = self.form.options(), self.folder
        self._say("")
        job = Job(self.tr("Exporting to {name}").format(name=out.name), lambda ctx: export_in_worker(folder, options, out, target.replace, ctx))
        job.signals.progress.connect(self._progress)
        job.signals.done.connect(self._exported)
        job.signals.failed.connect(lambda message: self._export_failed(job, message))
        job.signals.finished.connect(self._export_ended)
        self.job = job
        self._set_running(True)
        return self.runner.start(job)

    def cancel_export(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.stage.setText(self.tr("Cancelling…"))
            self.cancel_button.setEnabled(False)

    def _set_running(self, running: bool) -> None:
        self.form.set_enabled(not running)
        self.output.setEnabled(not running)
        self.output_browse.setEnabled(not running)
        self.progress_row.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.progress.setRange(0, 0)
        self.stage.setText(self.tr("Starting…"))
        self._update_buttons()

    def _progress(self, done: int, total: int, stage: str) -> None:
        if self.job is None or self.job.cancelled:
            return
        self.stage.setText(f"{stage_name(stage)}  {done} / {total}" if total else stage_name(stage))
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(min(done, total))

    def _exported(self, result: ExportResult) -> None:
        self.export_result = result

    def _export_failed(self, job: Job, message: str) -> None:
        if job.cancelled:
            self._say(self.tr("Export cancelled; nothing was written."), error=False)
        else:
            self._say(message)

    def _export_ended(self) -> None:
        self.job = None
        self._set_running(False)
        self._check_output()
        self.export_finished.emit(self.export_result)
        if self._close_when_done:
            self.reject()
        elif self.export_result is not None:
            self.accept()

    # -- closing ---------------------------------------------------------------------------------
    def reject(self) -> None:
        if self.job is not None:  # Close or Esc while exporting: cancel, close once it has stopped
            self._close_when_done = True
            self.cancel_export()
            return
        super().reject()

    def done(self, code: int) -> None:
        """Closes at once: a running preview stops at its next check and its answer is dropped."""
        self.form.save(self.settings)
        self._debounce.stop()
        self._output_debounce.stop()
        self._closed.set()
        self._generation += 1
        super().done(code)
