"""The Chat tab: conversations on the left, the model bar, the messages and the composer
in the middle, the thinking budget and sampling controls on the right.

Conversations are kept in the open project's store; with no project open, in a personal
chat project (`Chats.remud` in the user's data folder, or in $REMUD_DATA_DIR), created the
first time the tab is used. Questions go through engine.chat.conversation, the same code
the `remud chat` command uses, in the model's own thread (remud_desktop.chat.worker).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import settings
from engine.chat import ModelSettings, conversation
from engine.chat.errors import NoVisionError
from engine.errors import RemudError
from engine.store import chats
from engine.store.project import DB_NAME, Project
from remud_desktop.chat.active_request import ActiveRequest, Unanswered
from remud_desktop.chat.composer import Composer
from remud_desktop.chat.controls import ChatControls
from remud_desktop.chat.conversation_list import ConversationList, ExportFormat
from remud_desktop.chat.message_view import MessageView
from remud_desktop.chat.model_bar import ModelBar
from remud_desktop.chat.worker import (
    ChatWorker,
    GenerationOptions,
    GenerationRequest,
    StreamDelta,
)

PERSONAL_NAME = "Chats.remud"


def personal_chat_folder() -> Path:
    return settings.data_dir() / PERSONAL_NAME


def open_personal_project() -> Project:
    folder = personal_chat_folder()
    return Project.open(folder) if (folder / DB_NAME).is_file() else Project.create(folder)


class ChatTab(QWidget):
    message = Signal(str)  # for the status bar

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatTab")
        self.session = session
        self.project: Project | None = None  # where conversations are kept now
        self._personal: Project | None = None  # opened by this tab, closed by it
        self.session_id: int | None = None
        self._active: ActiveRequest | None = None  # the running generation
        self._unanswered: dict[tuple[Path, int], Unanswered] = {}  # questions to give back when shown again
        self.worker = ChatWorker(self)
        self.conversations = ConversationList()
        self.model_bar = ModelBar()
        self.view = MessageView()
        self.composer = Composer()
        self.controls = ChatControls()
        self.notice = QLabel()
        self.notice.setObjectName("chatNotice")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close_notice = QToolButton()
        close_notice.setText("✕")
        close_notice.setAutoRaise(True)
        close_notice.setToolTip(self.tr("Close this message"))
        close_notice.clicked.connect(lambda: self.show_notice(""))
        self._notice_row = QWidget()
        self._notice_row.setObjectName("chatNoticeRow")
        row = QHBoxLayout(self._notice_row)
        row.setContentsMargins(12, 4, 8, 4)
        row.addWidget(self.notice, 1)
        row.addWidget(close_notice)
        self._notice_row.hide()

        middle = QWidget()
        col = QVBoxLayout(middle)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(self.model_bar)
        col.addWidget(self.view, 1)
        col.addWidget(self._notice_row)
        col.addWidget(self.composer)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("chatSplitter")
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(self.controls)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([240, 800, 300])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.splitter)
        self.setStyleSheet("#chatNoticeRow { background: #fdecea; } #chatNotice { color: #8a1c1c; }"
                           " #modelBar, #composer { background: palette(window); }")

        self.model_bar.load_requested.connect(self.load_model)
        self.model_bar.unload_requested.connect(self.worker.unload)
        self.worker.load_progress.connect(self.model_bar.set_progress)
        self.worker.loaded.connect(self._loaded)
        self.worker.load_failed.connect(self.model_bar.failed)
        self.worker.unloaded.connect(self.model_bar.unloaded)
        self.worker.delta.connect(self._delta)
        self.worker.answered.connect(self._answered)
        self.worker.generation_failed.connect(self._generation_failed)
        self.conversations.selected.connect(self.show_conversation)
        self.conversations.export_requested.connect(self.export_dialog)
        self.composer.send_requested.connect(self.send)
        self.composer.resend_requested.connect(self.edit_and_resend)
        self.composer.stop_requested.connect(self.stop)
        self.composer.attach_failed.connect(self.show_notice)
        self.view.regenerate_requested.connect(self.regenerate)
        self.view.edit_requested.connect(self.composer.edit_message)
        self.controls.save_failed.connect(self.show_notice)
        self.controls.changed.connect(lambda: self.model_bar.update_estimate(self.controls.fields.n_ctx.value(),
                                                                             self.controls.fields.n_gpu_layers.value()))
        self.session.project_opened.connect(self._project_changed)

    # -- where conversations live -------------------------------------------------------------------
    def ensure_project(self) -> Project | None:
        """The project conversations go to; the personal one is opened (or created) on first use."""
        if self.project is None:
            self._project_changed(force=True)
        return self.project

    def _project_changed(self, force: bool = False) -> None:
        if self.project is None and not force:
            return  # the tab was never used: do not create the personal project yet
        if self.session.project is not None and not self.session.project.read_only:
            project = self.session.project
            where = self.tr("In the project {name}").format(name=project.folder.name)
        else:  # no project, or one that cannot keep them (read-only)
            if self._personal is None:
                try:
                    self._personal = open_personal_project()
                except RemudError as exc:
                    self.show_notice(str(exc))
                    return
            project = self._personal
            where = (self.tr("Personal chats ({file}): no project is open") if self.session.project is None
                     else self.tr("Personal chats ({file}): the project is read-only")).format(file=PERSONAL_NAME)
        self.project = project
        self.session_id = None
        self.conversations.set_project(project, where)
        # shown here even when the list kept the same id selected: an id says nothing across projects
        self.show_conversation(self.conversations.current_id())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.ensure_project()

    # -- the model ---------------------------------------------------------------------------------------
    def load_model(self, model: str, mmproj: str) -> None:
        if not model:
            self.model_bar.failed(self.tr("Choose the model's .gguf file first (Browse…)."))
            return
        self.model_bar.remember()
        self.controls.flush()
        opts = settings.chat_options()
        model_settings = ModelSettings(Path(model), Path(mmproj) if mmproj else None, n_ctx=int(opts["n_ctx"]),
                                       n_gpu_layers=int(opts["n_gpu_layers"]), n_threads=int(opts["n_threads"]) or None,
                                       max_image_pixels=int(opts["max_image_pixels"]))
        self.model_bar.loading()
        self.worker.load(model_settings)

    def _loaded(self, model) -> None:
        self.model_bar.loaded(model)
        self.show_notice("")
        self.message.emit(self.tr("Chat model loaded: {name}").format(name=model.name))

    # -- conversations ----------------------------------------------------------------------------------
    def show_conversation(self, session_id: int | None) -> None:
        if session_id != self.session_id:  # an edit belongs to its conversation; shown again, it stays
            self.composer.leave_edit()
        self.session_id = session_id
        if session_id is None or self.project is None:
            self.view.clear()
            self.view.set_placeholder(self.tr("Load a model, then ask a question. Attach an ultrasound image with "
                                              "“Attach image…” or by dropping it on the box below."))
            return
        if self._showing_active():  # its answer is still being written
            self._paint_active()
        else:
            messages = chats.list_messages(self.project, session_id)
            self.view.show_messages(messages, self.project.folder, self.controls.max_thinking())
        back = self._unanswered.pop((self.project.folder, session_id), None)
        if back is not None:
            self.composer.give_back(back.text, back.image, back.message_id)

    def _showing_active(self) -> bool:
        """Whether the conversation on screen is the one whose answer is being written."""
        return (self._active is not None and self.project is not None
                and self._active.belongs_to(self.project.folder, self.session_id))

    def _paint_active(self) -> None:
        """The stored messages it answers, the pending question, and what streamed in so far."""
        a = self._active
        messages = [m for m in chats.list_messages(self.project, a.session_id)
                    if a.shown_below is None or m.id < a.shown_below]
        self.view.show_messages(messages, self.project.folder, a.max_tokens)
        if a.question:
            self.view.add_pending_question(a.question, a.image)
        self.view.begin_stream(a.max_tokens)
        so_far = a.so_far()
        if so_far is not None:
            self.view.apply_delta(so_far)

    def new_conversation(self) -> int | None:
        if self.ensure_project() is None:
            return None
        return self.conversations.create()

    def export_to(self, session_id: int, target: str | Path) -> Path:
        return conversation.write_export(self.project, session_id, target)

    def export_dialog(self, session_id: int, fmt: str) -> None:
        """`fmt`: an ExportFormat (it comes through a Qt signal as its plain value)."""
        fmt = ExportFormat(fmt)
        title = chats.get_session(self.project, session_id).title or "conversation"
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip() or "conversation"
        flt = "Markdown (*.md)" if fmt == ExportFormat.MARKDOWN else "JSON (*.json)"
        name = QFileDialog.getSaveFileName(self, self.tr("Export the conversation"), f"{safe}.{fmt}", flt)[0]
        if not name:
            return
        try:
            path = self.export_to(session_id, Path(name).with_suffix(f".{fmt}"))
        except OSError as exc:
            self.show_notice(self.tr("Cannot write {name}: {reason}.").format(name=name, reason=exc.strerror or exc))
            return
        self.message.emit(self.tr("Conversation exported to {path}").format(path=path))

    # -- asking -------------------------------------------------------------------------------------------
    def generating(self) -> bool:
        return self._active is not None

    def _options(self) -> GenerationOptions | None:
        try:
            return GenerationOptions(self.controls.budget(), self.controls.sampling(),
                                     self.controls.fields.system_prompt.toPlainText())
        except RemudError as exc:
            self.show_notice(str(exc))
            return None

    def _can_generate(self, image: Path | None = None) -> bool:
        if self.generating():
            self.show_notice(self.tr("An answer is still being written: wait for it or press Stop."))
            return False
        if self.worker.model is None:
            self.show_notice(self.tr("No model is loaded: choose a GGUF file above and press Load."))
            return False
        if image is not None and not self.worker.model.has_vision:
            self.show_notice(str(NoVisionError()))
            return False
        return self.ensure_project() is not None

    def _start(self, action: str, *, text: str = "", image: Path | None = None, message_id: int | None = None,
               shown_image: Path | None = None, shown_below: int | None = None) -> bool:
        """Queue a generation and show it; nothing on screen changes when the settings are refused."""
        options = self._options()
        if options is None:
            return False
        request_id = self.worker.new_request_id()
        self._active = ActiveRequest(request_id, self.project.folder, self.session_id, action, question=text,
                                     image=shown_image or image, message_id=message_id, shown_below=shown_below,
                                     max_tokens=self.controls.max_thinking())
        self.show_notice("")
        self.composer.set_generating(True)
        self._paint_active()
        self.worker.generate(GenerationRequest(request_id, self.project.folder, self.session_id, action, options,
                                               text=text, image=image, message_id=message_id))
        return True

    def send(self, text: str, image: Path | None = None) -> bool:
        """Ask `text` (with an image) in the current conversation (a new one if none is selected)."""
        if not text.strip() or not self._can_generate(image):
            return False
        if self.session_id is None and self.new_conversation() is None:
            return False
        if not self._start("ask", text=text, image=image):
            return False
        self.composer.clear_after_send()
        return True

    def regenerate(self) -> bool:
        if self.session_id is None or not self._can_generate():
            return False
        messages = chats.list_messages(self.project, self.session_id)
        last_user = next((m for m in reversed(messages) if m.role == "user"), None)
        if last_user is None:
            self.show_notice(self.tr("There is no question to answer again in this conversation."))
            return False
        return self._start("regenerate", shown_below=last_user.id + 1)  # the old answer stays stored until then

    def edit_and_resend(self, message_id: int, text: str) -> bool:
        if not text.strip() or self.session_id is None or not self._can_generate():
            return False
        edited = next((m for m in chats.list_messages(self.project, self.session_id) if m.id == message_id), None)
        image = chats.image_file(self.project, edited.image_path) if edited and edited.image_path else None
        if not self._start("edit", text=text, message_id=message_id, shown_image=image, shown_below=message_id):
            return False
        self.composer.clear_after_send()
        return True

    def stop(self) -> None:
        if self.generating():
            self.worker.stop()
            self.message.emit(self.tr("Stopping the answer…"))

    # -- what comes back ------------------------------------------------------------------------------------
    def _delta(self, delta: StreamDelta) -> None:
        a = self._active
        if a is None or delta.request != a.request:
            return
        a.add(delta)  # kept even while another conversation is shown: painted again on coming back
        if self._showing_active():
            self.view.apply_delta(delta)

    def _finish(self, request_id: int) -> tuple[ActiveRequest, bool] | None:
        """End the request; returns it and whether its conversation is on screen (None: not ours)."""
        a = self._active
        if a is None or a.request != request_id:
            return None
        showing = self._showing_active()
        self._active = None
        if showing:
            self.view.end_stream()
        self.composer.set_generating(False)
        return a, showing

    def _answered(self, request_id: int, message) -> None:
        finished = self._finish(request_id)
        if finished is None:
            return
        active, showing = finished
        if showing:
            self.show_conversation(active.session_id)  # what is shown is what was stored
        self.conversations.refresh()  # the title and order change with a new message
        if message.stats.get("stopped"):
            self.message.emit(self.tr("Stopped: the answer so far is kept."))

    def _generation_failed(self, request_id: int, text: str) -> None:
        """Nothing was stored: the sentence is shown and the question goes back to its composer."""
        finished = self._finish(request_id)
        if finished is None:
            return
        active, showing = finished
        if active.question:
            self._unanswered[(active.folder, active.session_id)] = Unanswered(
                active.question, active.image if active.action == "ask" else None,
                active.message_id if active.action == "edit" else None)
        if showing:
            self.show_conversation(active.session_id)  # the stored conversation, the question back in the box
        self.show_notice(text)

    # -- from the annotation view ------------------------------------------------------------------------------
    def attach_image(self, path: str | Path, label: str = "") -> bool:
        return self.composer.set_image(path, label)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self._notice_row.setVisible(bool(text))

    # -- closing ---------------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.controls.flush()
        self.worker.shutdown()
        if self._personal is not None:
            self._personal.close()
            self._personal = None
