"""File → Merge project…: bring parts handed out (or any other project) back into the open one,
with the choices `remud merge` has: the project folders to merge, in order. The parts this project
handed out are listed already (ticked when their folder is there). The merge runs in a worker, each
source in one transaction after a backup copy; the report then opens in the Merge report panel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.errors import RemudError
from engine.store import Project
from engine.store.handout import given, project_id
from engine.store.merge import MergeReport, read_source
from engine.team import merge_sources
from remud_desktop.team.job_footer import JobFooter
from remud_desktop.workers import Job, JobContext, JobRunner

PATH_ROLE = Qt.ItemDataRole.UserRole


def merge_in_worker(folder: Path, sources: list[Path], ctx: JobContext) -> list[MergeReport]:
    with Project.open(folder) as project:
        return merge_sources(project, sources, progress=lambda d, t, text: ctx.progress(d, t, text),
                             cancel=ctx.cancelled)


def describe(folder: Path, own_uid: str) -> str:
    """One line about a project to merge: whose part it is, which pages, or that it is another project."""
    try:
        _uid, info = read_source(folder)
    except RemudError as exc:
        return QCoreApplication.translate("MergeDialog", "{name} — cannot be merged: {reason}").format(
            name=folder.name, reason=exc)
    if info is None:
        return QCoreApplication.translate("MergeDialog", "{name} — another project ({folder})").format(
            name=folder.name, folder=folder.parent)
    pages = "; ".join(QCoreApplication.translate("HandOutDialog", "{document} p. {pages}").format(
        document=d.title, pages=d.pages) for d in info.documents)
    if info.parent_uid == own_uid:
        text = (QCoreApplication.translate("MergeDialog", "{assignee}: {name} — a part of this project ({pages})")
                if info.assignee else QCoreApplication.translate("MergeDialog", "{name} — a part of this project ({pages})"))
    else:
        text = (QCoreApplication.translate("MergeDialog", "{assignee}: {name} — a part of another project ({pages})")
                if info.assignee else
                QCoreApplication.translate("MergeDialog", "{name} — a part of another project ({pages})"))
    return text.format(assignee=info.assignee, name=folder.name, pages=pages)


class MergeDialog(QDialog):
    def __init__(self, session, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Merge projects into this one"))
        self.setObjectName("mergeDialog")
        self.session = session
        self.runner = runner
        self.folder: Path = session.project.folder
        self.own_uid = project_id(session.project)
        self.job: Job | None = None
        self.reports: list[MergeReport] | None = None

        self.sources = QListWidget()
        self.sources.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sources.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)  # the order they are merged in
        add = QPushButton(self.tr("Add project folder…"))
        add.clicked.connect(self.choose_source)
        remove = QPushButton(self.tr("Remove"))
        remove.clicked.connect(self.remove_selected)
        self.add_button, self.remove_button = add, remove
        side = QVBoxLayout()
        side.addWidget(add)
        side.addWidget(remove)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.sources, 1)
        row.addLayout(side)

        note = QLabel(self.tr("Ticked projects are merged in this order (drag to change it). Before each, a backup "
                              "copy of this project is made; each is merged whole or not at all. Where both sides "
                              "changed the same field, the work on the page's assigned part wins, else the later edit; "
                              "the other version stays in the edit log and is listed in the report."))
        note.setWordWrap(True)
        note.setEnabled(False)
        self.footer = JobFooter(self.tr("Merge"), self)
        self.problem, self.start_button = self.footer.problem, self.footer.start_button
        self.footer.buttons.accepted.connect(self.start)
        self.footer.buttons.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(self.tr("Merge into {name}:").format(name=self.folder.name)))
        lay.addLayout(row, 1)
        lay.addWidget(note)
        lay.addWidget(self.footer)
        self.resize(720, 420)
        self.sources.itemChanged.connect(lambda _item: self._update_buttons())
        for info in given(session.project):
            self.add_source(Path(info.path), checked=Path(info.path).is_dir())
        self._update_buttons()

    # -- sources ---------------------------------------------------------------------------------
    def add_source(self, folder: Path, *, checked: bool = True) -> QListWidgetItem | None:
        folder = folder.expanduser()
        if any(self.sources.item(i).data(PATH_ROLE) == str(folder) for i in range(self.sources.count())):
            return None
        exists = folder.is_dir()
        item = QListWidgetItem(describe(folder, self.own_uid) if exists
                               else self.tr("{name} — not there ({folder})").format(name=folder.name, folder=folder))
        item.setData(PATH_ROLE, str(folder))
        item.setToolTip(str(folder))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked and exists else Qt.CheckState.Unchecked)
        self.sources.addItem(item)
        self._update_buttons()
        return item

    def choose_source(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("A project to merge into this one"), str(self.folder.parent))
        if folder:
            self.add_source(Path(folder))

    def remove_selected(self) -> None:
        for item in self.sources.selectedItems():
            self.sources.takeItem(self.sources.row(item))
        self._update_buttons()

    def chosen(self) -> list[Path]:
        return [Path(self.sources.item(i).data(PATH_ROLE)) for i in range(self.sources.count())
                if self.sources.item(i).checkState() == Qt.CheckState.Checked]

    def _update_buttons(self) -> None:
        self.start_button.setEnabled(self.job is None and bool(self.chosen()))

    def _say(self, text: str) -> None:
        self.footer.say(text)

    # -- run -------------------------------------------------------------------------------------
    def start(self) -> Job | None:
        sources = self.chosen()
        if self.job is not None or not sources:
            return None
        folder = self.folder
        job = Job(self.tr("Merging %n project(s)", "", len(sources)),
                  lambda ctx: merge_in_worker(folder, sources, ctx))
        job.signals.progress.connect(self._progress)
        job.signals.done.connect(self._done)
        job.signals.failed.connect(self._say)
        job.signals.finished.connect(self._ended)
        self.job = job
        self._set_running(True)
        self._say("")
        return self.runner.start(job)

    def _set_running(self, running: bool) -> None:
        for w in (self.sources, self.add_button, self.remove_button):
            w.setEnabled(not running)
        self.footer.set_running(running, self.tr("Copying and backing up…"))
        self._update_buttons()

    def _progress(self, done: int, total: int, text: str) -> None:
        self.footer.show_progress(done, total, text)

    def _done(self, reports: list[MergeReport]) -> None:
        self.reports = reports

    def _ended(self) -> None:
        self.job = None
        self._set_running(False)
        if self.reports is not None:
            self.accept()

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()  # the source being merged is rolled back; the dialog closes once it has stopped
            self.footer.stage.setText(self.tr("Cancelling…"))
            return
        super().reject()
