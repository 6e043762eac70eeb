"""File → Hand out…: split the open project into parts, one project folder per annotator, with the
choices `remud split` has (equal page ranges, whole documents, pages chosen per part; assignees'
names). The parts are planned as the choices change (what each part gets is shown in the table)
and written in a worker; the dialog closes when they are all there."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.errors import RemudError
from engine.store import Project, documents
from engine.store.handout import PartSpec, WrittenPart, page_ranges
from engine.team import plan_parts, split_project
from remud_desktop.team.job_footer import JobFooter
from remud_desktop.workers import Job, JobContext, JobRunner

MODES = (("pages", QT_TRANSLATE_NOOP("HandOutDialog", "Page ranges of about equal length")),
         ("documents", QT_TRANSLATE_NOOP("HandOutDialog", "Whole documents")),
         ("chosen", QT_TRANSLATE_NOOP("HandOutDialog", "Pages I choose for each part")))
MAX_PARTS = 50


def default_out(folder: Path) -> Path:
    """<project folder's parent>/<project name> parts."""
    return folder.parent / f"{folder.name.removesuffix('.remud')} parts"


def split_in_worker(folder: Path, out: Path, choices: dict, ctx: JobContext) -> list[WrittenPart]:
    with Project.open(folder) as project:
        return split_project(project, out, **choices, progress=lambda d, t, text: ctx.progress(d, t, text),
                             cancel=ctx.cancelled)


class HandOutDialog(QDialog):
    """Choose how to split, see the parts, write them."""

    COLUMNS = (QT_TRANSLATE_NOOP("HandOutDialog", "Assignee"), QT_TRANSLATE_NOOP("HandOutDialog", "Pages"),
               QT_TRANSLATE_NOOP("HandOutDialog", "Folder"))

    def __init__(self, session, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Hand out parts of the project"))
        self.setObjectName("handOutDialog")
        self.session = session
        self.runner = runner
        self.folder: Path = session.project.folder
        self.job: Job | None = None
        self.parts: list[WrittenPart] | None = None
        self.plan: list[PartSpec] = []
        self._filling = False

        self.mode = QComboBox()
        for key, text in MODES:
            self.mode.addItem(QCoreApplication.translate("HandOutDialog", text), key)
        self.count = QSpinBox()
        self.count.setRange(1, MAX_PARTS)
        self.count.setValue(3)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([QCoreApplication.translate("HandOutDialog", c) for c in self.COLUMNS])
        self.table.verticalHeader().setVisible(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(0, 140)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)

        parts = QGroupBox(self.tr("Parts"))
        form = QFormLayout(parts)
        form.addRow(self.tr("Split by"), self.mode)
        form.addRow(self.tr("Number of parts"), self.count)
        form.addRow(self.table)
        form.addRow(self.hint)

        self.output = QLineEdit(str(default_out(self.folder)))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self.choose_output)
        self.browse = browse
        out_box = QGroupBox(self.tr("Write the parts into"))
        out_lay = QHBoxLayout(out_box)
        out_lay.addWidget(self.output, 1)
        out_lay.addWidget(browse)

        self.footer = JobFooter(self.tr("Hand out"), self)
        self.problem, self.start_button = self.footer.problem, self.footer.start_button
        self.footer.buttons.accepted.connect(self.start)
        self.footer.buttons.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        intro = QLabel(self.tr("Each part is a project folder of its own, for one annotator: it carries the documents "
                               "of its pages with everything done on them so far. Work on the pages a part is given "
                               "wins when the parts are merged back (File → Merge project…)."))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        lay.addWidget(parts, 1)
        lay.addWidget(out_box)
        lay.addWidget(self.footer)
        self.resize(760, 520)

        self.mode.currentIndexChanged.connect(self.replan)
        self.count.valueChanged.connect(self.replan)
        self.table.itemChanged.connect(self._edited)
        self.output.textChanged.connect(self._update_buttons)
        self.replan()

    # -- choices ---------------------------------------------------------------------------------
    def mode_key(self) -> str:
        return str(self.mode.currentData())

    def assignees(self) -> list[str]:
        names = [self._text(r, 0) for r in range(self.table.rowCount())]
        return names if any(names) else []

    def part_specs(self) -> list[str]:
        return [self._text(r, 1) for r in range(self.table.rowCount())]

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item else ""

    def choices(self) -> dict:
        """What split_project is called with (the same choices as `remud split`)."""
        names = self.assignees()
        if self.mode_key() == "chosen":
            return {"parts": self.part_specs(), "assignees": names}
        return {"into": self.count.value(), "by": self.mode_key(), "assignees": names}

    def set_assignees(self, names: list[str]) -> None:
        self.count.setValue(len(names))
        for row, name in enumerate(names):
            self.table.item(row, 0).setText(name)

    def set_parts(self, specs: list[str]) -> None:
        self.mode.setCurrentIndex([k for k, _ in MODES].index("chosen"))
        self.count.setValue(len(specs))
        for row, spec in enumerate(specs):
            self.table.item(row, 1).setText(spec)

    # -- plan ------------------------------------------------------------------------------------
    def _rows(self, n: int) -> None:
        self._filling = True
        try:
            old = self.table.rowCount()
            self.table.setRowCount(n)
            for row in range(old, n):
                for column in range(len(self.COLUMNS)):
                    self.table.setItem(row, column, QTableWidgetItem(""))
            chosen = self.mode_key() == "chosen"
            for row in range(n):
                pages = self.table.item(row, 1)
                flags = pages.flags() | Qt.ItemFlag.ItemIsEditable if chosen else pages.flags() & ~Qt.ItemFlag.ItemIsEditable
                pages.setFlags(flags)
                folder = self.table.item(row, 2)
                folder.setFlags(folder.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if chosen and not old:
                    pages.setText("")
        finally:
            self._filling = False

    def _edited(self, item: QTableWidgetItem) -> None:
        if not self._filling and item.column() in (0, 1):
            self.replan()

    def replan(self) -> None:
        """Plan the parts for the choices as they are (a quick read of the documents) and show them."""
        chosen = self.mode_key() == "chosen"
        self._rows(self.count.value())
        self.hint.setText(self.tr("One line per part: the documents and pages it gets, e.g. “Liver:1-40; Kidney” (a "
                                  "document by its title, file name or id; pages 1-based, all when left out). Pages no "
                                  "part gets stay here only.") if chosen
                          else self.tr("Names are optional; a part is then called by its number."))
        self.plan = []
        problem = ""
        if chosen and not all(self.part_specs()):
            problem = self.tr("Say which pages each part gets.")
        else:
            try:
                self.plan = plan_parts(self.session.project, **self.choices())
            except RemudError as exc:
                problem = str(exc)
        self._filling = True
        try:
            docs = {d.id: d.title for d in documents.list_documents(self.session.project)}
            for row in range(self.table.rowCount()):
                spec = self.plan[row] if row < len(self.plan) else None
                self.table.item(row, 2).setText(spec.folder_name if spec else "")
                if spec is not None and not chosen:
                    self.table.item(row, 1).setText("; ".join(
                        self.tr("{document} p. {pages}").format(document=docs.get(d, d), pages=page_ranges(pages))
                        for d, pages in sorted(spec.pages.items())))
                elif not chosen:
                    self.table.item(row, 1).setText("")
        finally:
            self._filling = False
        self._say(problem)
        self._update_buttons()

    # -- output ----------------------------------------------------------------------------------
    def out_dir(self) -> Path | None:
        text = self.output.text().strip()
        return Path(text).expanduser() if text else None

    def choose_output(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Write the parts into"), str(self.folder.parent))
        if folder:
            self.output.setText(folder)

    def _update_buttons(self) -> None:
        self.start_button.setEnabled(self.job is None and bool(self.plan) and self.out_dir() is not None)

    def _say(self, text: str) -> None:
        self.footer.say(text)

    # -- run -------------------------------------------------------------------------------------
    def start(self) -> Job | None:
        out = self.out_dir()
        if self.job is not None or not self.plan or out is None:
            return None
        choices, folder = self.choices(), self.folder
        job = Job(self.tr("Handing out %n part(s)", "", len(self.plan)), lambda ctx: split_in_worker(folder, out, choices, ctx))
        job.signals.progress.connect(self._progress)
        job.signals.done.connect(self._done)
        job.signals.failed.connect(self._failed)
        job.signals.finished.connect(self._ended)
        self.job = job
        self._set_running(True)
        self._say("")
        return self.runner.start(job)

    def _set_running(self, running: bool) -> None:
        for w in (self.mode, self.count, self.table, self.output, self.browse):
            w.setEnabled(not running)
        self.footer.set_running(running, self.tr("Starting…"))
        self._update_buttons()

    def _progress(self, done: int, total: int, text: str) -> None:
        self.footer.show_progress(done, total, self.tr("Writing {part}").format(part=text) if text != "done"
                                  else self.tr("Recording the parts"))

    def _done(self, parts: list[WrittenPart]) -> None:
        self.parts = parts

    def _failed(self, message: str) -> None:
        self._say(message)

    def _ended(self) -> None:
        self.job = None
        self._set_running(False)
        if self.parts is not None:
            self.accept()

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()  # the parts written so far are removed; the dialog closes once it has stopped
            self.footer.stage.setText(self.tr("Cancelling…"))
            return
        super().reject()
