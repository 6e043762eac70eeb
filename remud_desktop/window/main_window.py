"""The main window: library and thumbnails on the left, the page in the centre, the
figure list and inspector on the right, jobs and counts in the status bar."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QUndoView,
    QWidget,
)

from engine import settings as user_settings
from engine.errors import RemudError
from engine.sample import ensure_sample_project
from engine.settings import data_dir
from engine.store import documents, page_failures
from remud_desktop.canvas import PageCanvas
from remud_desktop.canvas.visibility import BoxVisibility
from remud_desktop.chat import ChatTab
from remud_desktop.chat.figure_image import figure_png
from remud_desktop.detection import DetectDialog, DetectionController, DetectScope
from remud_desktop.export import ExportDialog
from remud_desktop.figure_list import FigureList
from remud_desktop.file_drop import FileDropTarget
from remud_desktop.inspector import FigureInspector
from remud_desktop.library import ImportController, LibraryPanel
from remud_desktop.library.import_controller import pdf_paths_from_urls
from remud_desktop.records import RecordsView
from remud_desktop.session import Session
from remud_desktop.settings import SettingsDialog
from remud_desktop.synthesis import JobsPanel, SynthController, SynthDialog
from remud_desktop.synthesis.dialog import last_request
from remud_desktop.team import TeamController
from remud_desktop.welcome import WelcomeScreen
from remud_desktop.welcome.screen import RECENT_KEY, recent_projects
from remud_desktop.window.actions import build_actions, build_menus, build_toolbar
from remud_desktop.window.shortcuts import ShortcutsDialog
from remud_desktop.window.status_bar import StatusBar
from remud_desktop.workers import Job, JobRunner, Task, start

MAX_RECENT = 8
MAX_POSITIONS = 50


def default_sample_folder() -> Path:
    """Where the sample project is made on first use (the user's data folder)."""
    return data_dir() / "Sample atlas.remud"


class MainWindow(FileDropTarget, QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.session = Session(self)
        self.runner = JobRunner(self)
        self.setWindowTitle("ReMUD Desktop")
        self._size_to_screen()
        self.setAcceptDrops(True)
        self._shortcuts = None
        self.setDockNestingEnabled(True)

        self.visibility = BoxVisibility(self.session, self.settings, self)  # shared by the page and the figure list
        self.canvas = PageCanvas(self.session, self, visibility=self.visibility)
        self.canvas.setMinimumWidth(320)  # restored dock sizes must never squeeze the page away
        self.chat = ChatTab(self.session, self)
        # the Chat tab is wide; it must not make the Annotate tab (and so the window's minimum) wide too
        self.chat.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.central_tabs = QTabWidget()
        self.central_tabs.setObjectName("centralTabs")
        self.central_tabs.setDocumentMode(True)
        self.central_tabs.addTab(self.canvas, self.tr("Annotate"))
        self.central_tabs.addTab(self.chat, self.tr("Chat"))
        self.sample_job: Job | None = None  # the job making the sample project (open_sample_project), while it runs
        # shown instead of the page while no project is open
        self.welcome = WelcomeScreen(self.settings, default_sample_folder())
        self.central_stack = QStackedWidget()
        self.central_stack.addWidget(self.central_tabs)
        self.central_stack.addWidget(self.welcome)
        self.setCentralWidget(self.central_stack)
        self._docks_hidden_for_welcome: list[QDockWidget] = []
        self._docks_hidden_for_chat: list[QDockWidget] = []
        self.library = LibraryPanel(self.session)
        self.figure_list = FigureList(self.session, visibility=self.visibility)
        self.inspector = FigureInspector(self.session)
        self.records_view = RecordsView(self.session)
        self.undo_view = QUndoView(self.session.undo_stack)
        self.undo_view.setEmptyLabel(self.tr("Project opened"))
        self.docks = {
            "library": self._dock(self.tr("Library"), "library", self.library, Qt.DockWidgetArea.LeftDockWidgetArea),
            "figures": self._dock(self.tr("Figures"), "figures", self.figure_list, Qt.DockWidgetArea.RightDockWidgetArea),
            "inspector": self._dock(self.tr("Inspector"), "inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea),
            "history": self._dock(self.tr("Undo history"), "history", self.undo_view, Qt.DockWidgetArea.RightDockWidgetArea),
            "records": self._dock(self.tr("Records"), "records", self.records_view, Qt.DockWidgetArea.BottomDockWidgetArea),
        }
        self.synth = SynthController(self.session, self.runner, self)
        self.jobs_panel = JobsPanel(self.session, self.runner, controller=self.synth)
        self.docks["jobs"] = self._dock(self.tr("Synthesis jobs"), "jobs", self.jobs_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["records"], self.docks["jobs"])
        self.docks["jobs"].hide()  # Synthesize → Synthesize… shows it
        self.docks["records"].hide()  # review of synthesized records: View → Records
        self.team = TeamController(self)  # File → Hand out… / Merge project…, and the Merge report panel
        self.docks["merge"] = self._dock(self.tr("Merge report"), "merge", self.team.report_view,
                                         Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["records"], self.docks["merge"])
        self.docks["merge"].hide()  # shown by a merge
        self.splitDockWidget(self.docks["figures"], self.docks["inspector"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["inspector"], self.docks["history"])
        self.docks["inspector"].raise_()
        self.resizeDocks([self.docks["library"], self.docks["figures"]], [290, 450], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["figures"], self.docks["inspector"]], [240, 600], Qt.Orientation.Vertical)

        self.status = StatusBar(self.session, self.runner, self)
        self.setStatusBar(self.status)
        self.job_bar = self.status.job_bar
        self.imports = ImportController(self.session, self.runner, self)
        self.detection = DetectionController(self.session, self.runner, self)
        self.actions_ = build_actions(self)
        build_menus(self, self.actions_)
        self.toolbar = build_toolbar(self, self.actions_)
        for dock in self.docks.values():
            self.actions_.docks_menu.addAction(dock.toggleViewAction())
        self.detector = str(self.settings.value("detector", "auto"))

        self.canvas.zoom_changed.connect(self.status.set_zoom)
        self.canvas.draw_mode_changed.connect(self.actions_["draw"].setChecked)
        self.canvas.render_failed.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.session.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.session.fault.connect(self.show_fault)
        self._faults_shown: set[str] = set()
        self.chat.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.central_tabs.currentChanged.connect(self._central_tab_changed)
        self.library.import_requested.connect(self.import_dialog)
        self.welcome.open_sample_requested.connect(self.open_sample_project)
        self.welcome.new_project_requested.connect(self.new_project_dialog)
        self.welcome.open_project_requested.connect(self.open_project_dialog)
        self.welcome.open_recent_requested.connect(self.open_project)
        self.welcome.settings_requested.connect(self.show_settings)
        self.welcome.open_chat_requested.connect(self.show_chat)
        self.welcome.chat_model_changed.connect(self._reload_chat_settings)
        for controller in (self.imports, self.detection, self.synth, self.team):
            controller.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.imports.imported.connect(self._imported)
        self.session.page_changed.connect(self._remember_page)
        self.session.project_opened.connect(self._project_changed)
        self._project_changed()
        self.restoreGeometry(self.settings.value("window/geometry", b""))
        self.restoreState(self.settings.value("window/state", b""))
        self.session.project_opened.connect(self._update_welcome)  # after restoreState: it shows docks
        self._update_welcome()

    def _size_to_screen(self) -> None:
        """1440x900 where it fits; otherwise most of the screen (laptops, 1366x768)."""
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is None or screen.width() < 400:
            self.resize(1440, 900)
            return
        self.resize(min(1440, int(screen.width() * 0.92)), min(900, int(screen.height() * 0.9)))

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # -- projects ---------------------------------------------------------------------------
    def open_project(self, folder: str | Path, *, create: bool = False) -> bool:
        """Open (or create) a project; a readable message and False if that fails."""
        try:
            if create:
                self.session.create_project(folder)
            else:
                self.session.open_project(folder)
        except RemudError as exc:
            QMessageBox.warning(self, "ReMUD Desktop", str(exc))
            return False
        if self.session.project.damaged:
            QMessageBox.warning(self, self.tr("Damaged project"), self.session.project.read_only)
        elif self.session.project.read_only:
            QMessageBox.information(self, self.tr("Read-only project"), self.session.project.read_only)
        folder = str(self.session.project.folder)
        self.settings.setValue("lastProject", folder)
        recent = [folder] + [p for p in self.recent_projects() if p != folder]
        self.settings.setValue(RECENT_KEY, recent[:MAX_RECENT])
        self._restore_position()
        return True

    def close_project(self) -> None:
        if self.session.project is not None:
            self.detection.cancel()
            self.session.close_project()

    def recent_projects(self) -> list[str]:
        return recent_projects(self.settings)

    def fill_recent_menu(self) -> None:
        menu = self.actions_.recent_menu
        menu.clear()
        for folder in self.recent_projects():
            menu.addAction(folder, lambda f=folder: self.open_project(f))
        if menu.isEmpty():
            menu.addAction(self.tr("(none yet)")).setEnabled(False)

    def new_project_dialog(self) -> None:
        folder = QFileDialog.getSaveFileName(self, self.tr("New project — choose a name and place"),
                                             self.tr("Untitled.remud"))[0]
        if folder:
            self.open_project(folder, create=True)

    def open_sample_project(self, folder: Path | None = None, then: Callable[[], None] | None = None) -> Job | None:
        """Make the sample project in a worker (first start only), then open it; `then` runs after
        either. One at a time: while a job is making it (self.sample_job), another request is
        ignored and returns None, and the welcome screen's sample buttons wait."""
        if self.sample_job is not None:
            return None
        folder = folder or default_sample_folder()
        job = Job(self.tr("Preparing the sample project (first start only)"), lambda ctx: ensure_sample_project(folder))

        def ended() -> None:
            self.sample_job = None
            self.welcome.set_sample_busy(False)

        def opened(path) -> None:
            self.statusBar().clearMessage()
            self.open_project(path)
            if then:
                then()

        def failed(message: str) -> None:
            self.statusBar().clearMessage()
            QMessageBox.warning(self, "ReMUD Desktop",
                                self.tr("The sample project could not be made: {reason}").format(reason=message))
            if then:
                then()

        job.signals.finished.connect(ended)  # always, after done or failed
        job.signals.done.connect(opened)
        job.signals.failed.connect(failed)
        self.statusBar().showMessage(self.tr("Preparing the sample project…"))
        self.sample_job = job
        self.welcome.set_sample_busy(True)
        return self.runner.start(job)

    def _update_welcome(self) -> None:
        """No project: the welcome screen (it checks the setup when shown), without the docks;
        a project: the page, and the docks as they were (on the Chat tab they wait for Annotate).
        The Chat tab can be on show with no project too (show_chat): its docks stay parked."""
        if self.session.project is None:
            if self.central_stack.currentWidget() is not self.welcome:
                self._docks_hidden_for_welcome += self._park_docks()
                self.central_stack.setCurrentWidget(self.welcome)
        elif self.central_stack.currentWidget() is self.welcome or self._docks_hidden_for_welcome:
            self.central_stack.setCurrentWidget(self.central_tabs)
            if self.central_tabs.currentWidget() is self.chat:
                self._docks_hidden_for_chat += self._docks_hidden_for_welcome
            else:
                self._unpark_docks(self._docks_hidden_for_welcome)
            self._docks_hidden_for_welcome = []
        self._sync_page_zoom()

    def _park_docks(self) -> list[QDockWidget]:
        """Hide the visible docks (for the welcome screen or the Chat tab); returns them for _unpark_docks."""
        parked = [d for d in self.docks.values() if not d.isHidden()]
        for dock in parked:
            dock.hide()
        # Qt leaves the tab bar of tabified docks on screen when they are hidden one by one
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            bar.hide()
        return parked

    def _unpark_docks(self, parked: list[QDockWidget]) -> None:
        for dock in parked:
            dock.show()

    def _sync_page_zoom(self) -> None:
        """The zoom figure in the status bar belongs to the page: shown only when the page is."""
        tabs_shown = self.central_stack.currentWidget() is self.central_tabs
        self.status.zoom.setVisible(tabs_shown and self.central_tabs.currentWidget() is self.canvas)

    def open_project_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a project folder"))
        if folder:
            self.open_project(folder)

    def show_fault(self, what: str, why: str) -> None:
        """An edit the store refused: a dialog the first time each reason comes up in this project,
        the status bar after that (a read-only project refuses every edit the same way)."""
        # Translators: what could not be saved, then why (two sentences)
        text = self.tr("{what} {why}").format(what=what, why=why)
        self.statusBar().showMessage(text, 15000)
        if why not in self._faults_shown:
            self._faults_shown.add(why)
            QMessageBox.warning(self, self.tr("Not saved"), text)

    def _project_changed(self) -> None:
        project = self.session.project
        self._faults_shown.clear()
        if project is None:
            self.setWindowTitle("ReMUD Desktop")
        elif not project.read_only:
            self.setWindowTitle(self.tr("{project} — ReMUD Desktop").format(project=project.folder.name))
        elif project.damaged:
            self.setWindowTitle(self.tr("{project} (damaged, read-only) — ReMUD Desktop").format(project=project.folder.name))
        else:
            self.setWindowTitle(self.tr("{project} (read-only) — ReMUD Desktop").format(project=project.folder.name))
        for name in ("close", "import", "detect_page", "detect_selected", "detect_document", "detect_dialog",
                     "prev", "next", "reviewed_next", "next_unreviewed", "next_proposals", "prev_proposals",
                     "accept_proposals", "synthesize", "generate_now", "export", "handout", "merge",
                     "draw", "zoom_in", "zoom_out", "fit_page", "fit_width", "send_to_chat"):
            self.actions_[name].setEnabled(project is not None)

    # -- last position (per project, in QSettings) ------------------------------------------
    def _positions(self) -> dict:
        try:
            value = json.loads(str(self.settings.value("positions", "{}")))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _remember_page(self, doc_id: int, page: int) -> None:
        if self.session.project is None:
            return
        positions = self._positions()
        key = str(self.session.project.folder)
        positions.pop(key, None)
        positions[key] = [doc_id, page]
        self.settings.setValue("positions", json.dumps(dict(list(positions.items())[-MAX_POSITIONS:])))

    def _restore_position(self) -> None:
        project = self.session.project
        docs = documents.list_documents(project)
        if not docs:
            return
        doc_id, page = self._positions().get(str(project.folder), [docs[0].id, 0])
        if doc_id not in {d.id for d in docs}:
            doc_id, page = docs[0].id, 0
        self.session.go_to(doc_id, page)

    def _imported(self, result) -> None:
        if self.session.doc_id is None and result.document is not None:
            self.session.go_to(result.document.id, 0)

    # -- importing ----------------------------------------------------------------------------
    def import_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Import PDFs"), "",
                                                self.tr("PDF files (*.pdf *.PDF);;All files (*)"))
        if files:
            self.imports.import_paths(files)

    def wanted_files(self, urls) -> list[Path]:
        return pdf_paths_from_urls(urls)

    def files_dropped(self, paths: list[Path]) -> None:
        self.imports.import_paths(paths)

    # -- going through pages ------------------------------------------------------------------
    def mark_reviewed_and_next(self) -> None:
        s = self.session
        if s.project is None or s.doc_id is None:
            return
        s.set_reviewed(s.doc_id, s.page, True)
        if s.page + 1 < s.page_count():
            s.step(1)
        else:
            self.statusBar().showMessage(self.tr("Last page reviewed."), 5000)

    def next_unreviewed(self) -> None:
        s = self.session
        if s.project is None or s.doc_id is None:
            return
        page = documents.next_unreviewed_page(s.project, s.doc_id, s.page)
        if page is None:
            page = documents.next_unreviewed_page(s.project, s.doc_id, -1)  # wrap around
        if page is None:
            self.statusBar().showMessage(self.tr("Every page of this document is reviewed."), 5000)
        elif page == s.page:
            self.statusBar().showMessage(self.tr("This is the only page not reviewed yet."), 5000)
        else:
            s.go_to(s.doc_id, page)

    def set_draw_mode(self, on: bool) -> None:
        self.canvas.set_draw_mode(on)

    # -- detection ----------------------------------------------------------------------------
    def detect(self, scope: DetectScope, detector: str | None = None, *, retry_failed: bool = False) -> Job | None:
        s = self.session
        if s.project is None or s.doc_id is None:
            QMessageBox.information(self, self.tr("Detect figures"), self.tr("Open a document first."))
            return None
        detector = detector or self.detector
        if scope == DetectScope.PAGE:
            pages = [s.page]
        elif scope == DetectScope.SELECTED:
            pages = self.library.thumbnails.selected_pages() or [s.page]
        else:
            pages = None
        return self.detection.detect(s.doc_id, pages, detector, retry_failed=retry_failed)

    def detect_dialog(self):
        s = self.session
        if s.project is None or s.doc_id is None:
            QMessageBox.information(self, self.tr("Detect figures"), self.tr("Open a document first."))
            return None
        chat_model = self.chat.worker.model
        dialog = DetectDialog(page=s.page, page_count=s.page_count(),
                              selected=self.library.thumbnails.selected_pages(), detector=self.detector,
                              chat_model=str(chat_model.settings.model_path) if chat_model else "",
                              chat_answering=self.chat.generating(),
                              failed_pages=len(page_failures.failed(s.project, s.doc_id)), parent=self)
        if dialog.exec() != dialog.DialogCode.Accepted:
            return None
        request = dialog.request()
        self.detector = request.detector
        self.settings.setValue("detector", request.detector)
        return self.detect(request.scope, request.detector, retry_failed=request.retry_failed)

    # -- synthesis ----------------------------------------------------------------------------
    def _start_synth_job(self, job) -> None:
        self.show_jobs_panel()
        self.jobs_panel.refresh()
        self.jobs_panel.select_job(job.id)
        self.synth.run(job.id)

    def show_jobs_panel(self) -> None:
        """The Synthesis jobs dock in front, never more than a third of the window's height when it opens."""
        dock = self.docks["jobs"]
        was_hidden = dock.isHidden()
        dock.show()
        dock.raise_()
        # the panel's own size hint is small; a layout restored from the last session may not be
        if was_hidden and dock.height() > self.height() // 3:
            self.resizeDocks([dock], [self.height() // 4], Qt.Orientation.Vertical)

    def synthesize_dialog(self):
        """The Synthesize dialog (count and estimated cost first); Start creates and runs the job."""
        if self.session.project is None:
            QMessageBox.information(self, self.tr("Synthesize"), self.tr("Open a project first."))
            return None
        dialog = SynthDialog(self.session, list(self.session.selection), self,
                             open_settings=lambda page, card: self.show_settings(page, synthesizer=card))
        accepted = dialog.exec() == dialog.DialogCode.Accepted
        job = dialog.job if accepted else None
        dialog.deleteLater()
        if job is not None:
            self._start_synth_job(job)
        return job

    def generate_now(self):
        """A job for the selected figure(s) with the last-used kinds and languages, run at once."""
        ids = list(self.session.selection)
        if self.session.project is None or not ids:
            QMessageBox.information(self, self.tr("Generate now"), self.tr("Select one or more figures on the page first."))
            return None
        # made once the provider's key is found, and only when something is new (the status bar says so)
        return self.synth.create_and_run(last_request(figure_ids=ids), self._start_synth_job,
                                         lambda text: QMessageBox.warning(self, self.tr("Generate now"), text))

    # -- export -------------------------------------------------------------------------------
    def export_dialog(self):
        """The Export dialog (counts per split first); on success, where it went and "Open folder"."""
        if self.session.project is None:
            QMessageBox.information(self, self.tr("Export dataset"), self.tr("Open a project first."))
            return None
        dialog = ExportDialog(self.session, self.runner, self.settings, self)
        result = dialog.export_result if dialog.exec() == dialog.DialogCode.Accepted else None
        dialog.deleteLater()
        if result is not None:
            text = self.tr("Exported %n record(s) to {folder}.", "", result.plan.records).format(folder=result.folder)
            self.statusBar().showMessage(text, 15000)
            question = self.tr("{exported}\n\nOpen the folder?").format(exported=text)
            if QMessageBox.question(self, self.tr("Export dataset"), question) == QMessageBox.StandardButton.Yes:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(result.folder)))
        return result

    # -- chat -----------------------------------------------------------------------------------
    def _central_tab_changed(self, _index: int) -> None:
        """The annotation docks make way for the Chat tab and come back after it; with no project
        open, leaving Chat goes back to the welcome screen (and the docks stay parked for it)."""
        if self.central_tabs.currentWidget() is self.chat:
            self._docks_hidden_for_chat += self._park_docks()
        elif self.session.project is None:
            self._docks_hidden_for_welcome += self._docks_hidden_for_chat
            self._docks_hidden_for_chat = []
            self.central_stack.setCurrentWidget(self.welcome)
        else:
            self._unpark_docks(self._docks_hidden_for_chat)
            self._docks_hidden_for_chat = []
        self._sync_page_zoom()

    def show_chat(self) -> None:
        """The Chat tab, also from the welcome screen: with no project it keeps the personal chats."""
        self.central_tabs.setCurrentWidget(self.chat)
        if self.central_stack.currentWidget() is self.welcome:
            self.central_stack.setCurrentWidget(self.central_tabs)
            self._sync_page_zoom()

    def _reload_chat_settings(self) -> None:
        """The Chat tab shows the chat settings just saved elsewhere (and must not save its old values over them)."""
        opts = user_settings.chat_options()
        self.chat.controls.load_saved()
        self.chat.model_bar.model.set_path(str(opts["model_path"] or ""))
        self.chat.model_bar.mmproj.set_path(str(opts["mmproj_path"] or ""))

    def send_figure_to_chat(self, figure_id: int | None = None):
        """Attach the figure's crop (the selected one by default) to the chat composer and show Chat."""
        if figure_id is None and self.session.selection:
            figure_id = self.session.selection[0]
        if self.session.project is None or figure_id is None:
            QMessageBox.information(self, self.tr("Send figure to chat"), self.tr("Select a figure on the page first."))
            return None
        self.show_chat()
        folder = self.session.project.folder
        task = Task(figure_id, lambda: figure_png(folder, figure_id))
        task.signals.done.connect(lambda fid, path: self.chat.attach_image(path, self.tr("Figure {id}").format(id=fid)))
        task.signals.failed.connect(lambda _fid, text: self.chat.show_notice(text))
        self._figure_task = start(task)
        return task

    # -- dialogs --------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        if self._shortcuts is not None:
            self._shortcuts.deleteLater()
        self._shortcuts = ShortcutsDialog(self.actions_.all.values(), self)
        self._shortcuts.show()

    def show_settings(self, page: str | bool = False, synthesizer: str = "") -> None:
        """The Settings dialog, at `page` ("synthesis", "chat"...) when given (menu actions pass a bool),
        with the card of `synthesizer` on the Synthesis page when given."""
        dialog = SettingsDialog(self)
        if isinstance(page, str) and page:
            dialog.show_page(page)
        if synthesizer:
            dialog.synthesis.card.setCurrentIndex(max(0, dialog.synthesis.card.findData(synthesizer)))
        accepted = dialog.exec() == dialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            self._reload_chat_settings()
        self.welcome.settings_changed()

    def show_about(self) -> None:
        QMessageBox.about(self, self.tr("About ReMUD Desktop"),
                          self.tr("ReMUD Desktop turns ultrasound books into reasoning training data.\n"
                                  "Every edit is saved the moment it happens."))

    # -- closing ----------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        self.central_tabs.setCurrentWidget(self.canvas)  # the docks come back before their state is saved
        for dock in self._docks_hidden_for_welcome:
            dock.show()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()
        self.synth.cancel_all()
        self.runner.cancel_all()
        self.chat.shutdown()
        self.canvas.shutdown()
        self.records_view.shutdown()
        self.runner.wait(10000)
        self.library.thumbnails.thumbs.wait(5000)
        self.session.close_project()
        super().closeEvent(event)
