"""File → Hand out… and File → Merge project…: the dialogs, then what the window does after them (the
project opened again after a merge, the Merge report panel, going to a conflict's figure, record or page)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from engine.errors import NotFoundError
from engine.store import figures, records
from engine.store.handout import WrittenPart
from engine.store.merge import Conflict, MergeReport
from remud_desktop.team.handout_dialog import HandOutDialog
from remud_desktop.team.merge_dialog import MergeDialog
from remud_desktop.team.report_view import MergeReportView

ENTITIES = {"figure": QT_TRANSLATE_NOOP("TeamController", "figure"),
            "record": QT_TRANSLATE_NOOP("TeamController", "record"),
            "page": QT_TRANSLATE_NOOP("TeamController", "page"),
            "document": QT_TRANSLATE_NOOP("TeamController", "document")}


def entity_name(entity: str) -> str:
    """What a conflict is about (stored in English: "figure", "record", …) as shown."""
    return QCoreApplication.translate("TeamController", ENTITIES[entity]) if entity in ENTITIES else entity


class TeamController(QObject):
    status_message = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.report_view = MergeReportView()
        self.report_view.show_conflict.connect(self.show_conflict)
        self.last_dialog: HandOutDialog | MergeDialog | None = None  # for tests: the dialog shown last

    # -- hand out --------------------------------------------------------------------------------
    def hand_out(self) -> list[WrittenPart] | None:
        if self.session.project is None:
            QMessageBox.information(self.window, self.tr("Hand out"), self.tr("Open a project first."))
            return None
        dialog = HandOutDialog(self.session, self.window.runner, self.window)
        self.last_dialog = dialog
        dialog.exec()
        parts = dialog.parts
        dialog.deleteLater()
        if parts:
            out = parts[0].folder.parent
            text = self.tr("Handed out %n part(s) into {folder}.", "", len(parts)).format(folder=out)
            self.status_message.emit(text)
            names = "\n".join(self.tr("• {folder} for {assignee}").format(folder=p.folder.name, assignee=p.info.assignee)
                              if p.info.assignee else f"• {p.folder.name}" for p in parts)
            answer = QMessageBox.question(self.window, self.tr("Hand out"),
                                          self.tr("{done}\n\n{names}\n\nGive each annotator their folder; merge them "
                                                  "back with File → Merge project…\n\nOpen the folder?").format(
                                              done=text, names=names))
            if answer == QMessageBox.StandardButton.Yes:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(out)))
        return parts

    # -- merge -----------------------------------------------------------------------------------
    def merge(self, sources: list[Path] | None = None) -> list[MergeReport] | None:
        if self.session.project is None:
            QMessageBox.information(self.window, self.tr("Merge project"), self.tr("Open a project first."))
            return None
        dialog = MergeDialog(self.session, self.window.runner, self.window)
        for folder in sources or ():
            dialog.add_source(Path(folder))
        self.last_dialog = dialog
        dialog.exec()
        reports = dialog.reports
        dialog.deleteLater()
        if reports is not None:
            self.merged(reports)
        return reports

    def merged(self, reports: list[MergeReport]) -> None:
        """The project is opened again (rows came in under the views and the undo history), at the same
        page; the report opens in its panel."""
        if any(r.changed for r in reports):
            doc_id, page = self.session.doc_id, self.session.page
            if self.window.open_project(self.session.project.folder) and doc_id is not None:
                try:
                    self.session.go_to(doc_id, page)
                except NotFoundError:
                    pass
        self.report_view.set_reports(reports)
        dock = self.window.docks["merge"]
        dock.show()
        dock.raise_()
        self.window.resizeDocks([dock], [max(160, self.window.height() // 4)], Qt.Orientation.Vertical)
        conflicts = sum(len(r.conflicts) for r in reports)
        changed = [r.source_name for r in reports if r.changed]
        self.status_message.emit(
            self.tr("Merged {projects}; %n conflict(s) (see Merge report).", "", conflicts).format(
                projects=self.tr(", ").join(changed))
            if changed else self.tr("Nothing new to merge: the project is unchanged."))

    def show_conflict(self, c: Conflict) -> None:
        """Show where a conflict is: its figure selected on its page, its record in the Records panel, its page."""
        project = self.session.project
        if project is None:
            return
        try:
            if c.entity == "figure" and c.target_id:
                fig = figures.get_figure(project, c.target_id)
                self.session.go_to(fig.doc_id, fig.page)
                self.session.select([fig.id])
            elif c.entity == "record" and c.target_id:
                rec = records.get_record(project, c.target_id)
                if rec.figure_id:
                    fig = figures.get_figure(project, rec.figure_id)
                    self.session.go_to(fig.doc_id, fig.page)
                    self.session.select([fig.id])
                self._show_record(rec.id)
            elif c.doc_id is not None:
                self.session.go_to(c.doc_id, c.page or 0)
            else:
                self.status_message.emit(self.tr("That {entity} is no longer in the project.").format(
                    entity=entity_name(c.entity)))
        except NotFoundError as exc:
            self.status_message.emit(str(exc))

    def _show_record(self, record_id: int) -> None:
        dock = self.window.docks["records"]
        dock.show()
        dock.raise_()
        view = self.window.records_view
        if view.model.row_of(record_id) is not None:
            view.select_ids([record_id])
            return

        def loaded() -> None:
            view.loaded.disconnect(loaded)
            if view.model.row_of(record_id) is not None:
                view.select_ids([record_id])
            else:
                self.status_message.emit(self.tr("Record #{record} is hidden by the Records panel's filters.").format(
                    record=record_id))

        view.loaded.connect(loaded)
        view.reload()
