"""Importing PDFs (files or folders) in the background, asking for passwords as needed.

The worker opens its own Project handle and calls engine.pdf.importer for each file;
one bad file is reported and the others still come in. Files that need a password come
back to the GUI thread, which asks for it and runs them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from engine.errors import CancelledError, PasswordRequiredError, RemudError, WrongPasswordError
from engine.filenames import readable
from engine.pdf.importer import ImportResult, expand_paths, import_pdf
from engine.store import Project
from remud_desktop.workers import Job, JobContext, JobRunner


@dataclass
class ImportOutcome:
    results: list[ImportResult] = field(default_factory=list)
    cancelled: bool = False
    found: int = 0  # PDFs found in the given paths


def run_import(folder: Path, paths: Sequence[Path], passwords: dict[Path, str], ctx: JobContext) -> ImportOutcome:
    """The worker side: imports each file with its own project handle."""
    outcome = ImportOutcome()
    files = expand_paths(paths)
    outcome.found = len(files)
    with Project.open(folder) as project:
        for n, path in enumerate(files):
            if ctx.cancelled():
                outcome.cancelled = True
                break
            ctx.progress(n, len(files), QCoreApplication.translate("ImportController", "{name} ({n} of {count})").format(
                name=readable(Path(path).name), n=n + 1, count=len(files)))
            try:
                result = import_pdf(project, path, password=passwords.get(Path(path)), cancel=ctx.cancelled)
            except CancelledError:
                outcome.cancelled = True
                break
            except RemudError as exc:
                result = ImportResult(Path(path), error=exc)
            except OSError as exc:  # unreadable file, vanished between listing and reading
                result = ImportResult(Path(path), error=RemudError(QCoreApplication.translate(
                    "ImportController", "cannot be read ({reason}).").format(reason=exc.strerror or exc)))
            outcome.results.append(result)
            ctx.emit(result)
        ctx.progress(len(files), len(files), QCoreApplication.translate("ImportController", "done"))
    return outcome


class ImportController(QObject):
    """Runs imports, asks for passwords, reports what happened."""

    imported = Signal(object)  # ImportResult of a newly added document
    finished = Signal(list)  # all ImportResults of one import (over all password rounds)
    status_message = Signal(str)

    def __init__(self, session, runner: JobRunner, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.session = session
        self.runner = runner
        self.parent_widget = parent_widget
        self._collected: list[ImportResult] = []
        self._cancelled = False
        self.job: Job | None = None

    def import_paths(self, paths: Sequence[str | Path]) -> Job | None:
        if self.session.project is None:
            QMessageBox.information(self.parent_widget, self.tr("Import PDFs"), self.tr("Open or create a project first."))
            return None
        self._collected, self._cancelled = [], False
        return self._start([Path(p) for p in paths], {})

    def _start(self, paths: list[Path], passwords: dict[Path, str]) -> Job:
        folder = self.session.project.folder
        job = Job(self.tr("Importing PDFs"), lambda ctx: run_import(folder, paths, passwords, ctx))
        job.signals.item.connect(lambda r: self._one_done(folder, r))
        job.signals.done.connect(lambda outcome: self._round_done(folder, outcome))
        job.signals.failed.connect(self._failed)
        self.job = job
        return self.runner.start(job)

    def _one_done(self, folder: Path, result: ImportResult) -> None:
        if result.document is not None and not result.already_present and self._same_project(folder):
            self.session.notify_documents_added()
            self.imported.emit(result)

    def _same_project(self, folder: Path) -> bool:
        return self.session.project is not None and self.session.project.folder == folder

    def _round_done(self, folder: Path, outcome: ImportOutcome) -> None:
        self._cancelled |= outcome.cancelled
        locked = [r for r in outcome.results if isinstance(r.error, (PasswordRequiredError, WrongPasswordError))]
        self._collected += [r for r in outcome.results if r not in locked]
        if not outcome.found and not outcome.cancelled:
            self._collected.append(ImportResult(Path(self.tr("(nothing)")),
                                               error=RemudError(self.tr("no PDF files were found there."))))
        passwords: dict[Path, str] = {}
        if not outcome.cancelled and self._same_project(folder):
            for r in locked:
                password = self.ask_password(r)
                if password:
                    passwords[r.path] = password
                else:
                    self._collected.append(ImportResult(r.path, error=RemudError(self.tr("skipped: no password was given."))))
        if passwords:
            self._start(list(passwords), passwords)  # another round for the locked files
        else:
            self._report()

    def ask_password(self, result: ImportResult) -> str | None:
        name = result.name
        if isinstance(result.error, WrongPasswordError):
            prompt = self.tr("That password was wrong for {name}. Try again:").format(name=name)
        else:
            prompt = self.tr("{name} is protected by a password. Enter it to import the file:").format(name=name)
        text, ok = QInputDialog.getText(self.parent_widget, self.tr("Password needed"), prompt,
                                        QLineEdit.EchoMode.Password)
        return text if ok and text else None

    def _failed(self, message: str) -> None:
        QMessageBox.warning(self.parent_widget, self.tr("Import PDFs"), message)
        self._report()

    def _report(self) -> None:
        results, self._collected = self._collected, []
        self.job = None
        added = [r for r in results if r.document is not None and not r.already_present]
        problems = [r for r in results if r.error is not None or r.already_present]
        lines = [r.message for r in results]
        if self._cancelled:
            lines.append(self.tr("Import cancelled; %n file(s) had come in.", "", len(added)))
        if problems or self._cancelled:
            box = QMessageBox.warning if any(r.error for r in results) else QMessageBox.information
            box(self.parent_widget, self.tr("Import PDFs"), "\n".join(lines))
        elif added:
            pages = sum(r.document.page_count for r in added)
            self.status_message.emit(self.tr("Imported %n PDF(s) ({pages} pages).", "", len(added)).format(pages=pages))
        self.finished.emit(results)


def pdf_paths_from_urls(urls) -> list[Path]:
    """Local files and folders from dropped URLs (folders are searched for PDFs later)."""
    out = []
    for url in urls:
        if url.isLocalFile():
            p = Path(url.toLocalFile())
            if p.suffix.lower() == ".pdf" or p.is_dir():
                out.append(p)
    return out
