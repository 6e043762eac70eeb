"""The model picker: the GGUF model and its mmproj (vision) file, remembered in the user's
settings; Load / Unload; the memory the model will need; loading progress and errors;
and the "offline" note (the chat path has no network code at all)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from engine import settings
from engine.chat.errors import ContextSizeError
from engine.chat.memory import GIB, check_context, estimate_memory
from engine.chat.modelfile import read_gguf_info
from engine.errors import RemudError
from remud_desktop.workers import Task, start

GGUF_FILTER = QT_TRANSLATE_NOOP("PathField", "GGUF files (*.gguf);;All files (*)")
OFFLINE_TEXT = QT_TRANSLATE_NOOP("ModelBar", "● Offline · runs on this computer")


def size_text(n_bytes: int) -> str:
    return f"{n_bytes / GIB:.1f} GiB" if n_bytes >= GIB // 2 else f"{n_bytes / (1 << 20):.0f} MiB"


def memory_text(model: str, mmproj: str, n_ctx: int, n_gpu_layers: int) -> str:
    """"Needs about 5.1 GiB of memory (model 4.4 GiB, context 640 MiB)", from the GGUF headers only;
    or why the model cannot use the context size set (then Load would refuse it too)."""
    if not model:
        return ""
    info = read_gguf_info(Path(model))
    try:
        check_context(info, n_ctx)
    except ContextSizeError as exc:
        return str(exc)
    proj = read_gguf_info(Path(mmproj), what="mmproj") if mmproj else None
    est = estimate_memory(info, proj, n_ctx=n_ctx, n_gpu_layers=n_gpu_layers)
    # runs in a worker thread: QCoreApplication.translate is safe there
    return QCoreApplication.translate("ModelBar", "Needs about {total} of memory (model {model}, context {context})").format(
        total=size_text(est.total_bytes), model=size_text(est.weights_bytes), context=size_text(est.kv_cache_bytes))


class PathField(QWidget):
    """A line edit with a Browse… button for a .gguf file."""

    def __init__(self, placeholder: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self.browse)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit, 1)
        lay.addWidget(browse)

    def path(self) -> str:
        return self.edit.text().strip()

    def set_path(self, path: str) -> None:
        self.edit.setText(path)

    def browse(self) -> None:
        start_dir = str(Path(self.path()).parent) if self.path() else ""
        name = QFileDialog.getOpenFileName(self, self.title, start_dir,
                                           QCoreApplication.translate("PathField", GGUF_FILTER))[0]
        if name:
            self.edit.setText(name)


class ModelBar(QFrame):
    load_requested = Signal(str, str)  # (model path, mmproj path or "")
    unload_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelBar")
        opts = settings.chat_options()
        self.model = PathField(self.tr("The model: a .gguf file, e.g. ReMUD-7B-Q4_K_M.gguf"),
                               self.tr("Choose the model (GGUF)"))
        self.mmproj = PathField(self.tr("Vision (optional): the mmproj .gguf that belongs to the model"),
                                self.tr("Choose the vision projector (mmproj GGUF)"))
        self.model.set_path(str(opts["model_path"] or ""))
        self.mmproj.set_path(str(opts["mmproj_path"] or ""))
        self.load = QPushButton(self.tr("Load"))
        self.load.setObjectName("loadButton")
        self.load.clicked.connect(lambda: self.load_requested.emit(self.model.path(), self.mmproj.path()))
        self.unload = QPushButton(self.tr("Unload"))
        self.unload.clicked.connect(self.unload_requested.emit)
        self.unload.setEnabled(False)
        self.state = QLabel(self.tr("No model loaded"))
        self.state.setObjectName("modelState")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.memory = QLabel()
        self.memory.setObjectName("memoryLabel")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(140)
        self.progress.hide()
        self.offline = QLabel(QCoreApplication.translate("ModelBar", OFFLINE_TEXT))
        self.offline.setObjectName("offlineLabel")
        self.offline.setToolTip(self.tr("Chat runs the model with llama.cpp on this computer. Nothing is sent anywhere: "
                                        "the chat code opens no network connection."))
        grid = QGridLayout(self)
        grid.setContentsMargins(12, 8, 12, 8)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        grid.addWidget(QLabel(self.tr("Model")), 0, 0)
        grid.addWidget(self.model, 0, 1)
        grid.addWidget(self.load, 0, 2)
        grid.addWidget(self.unload, 0, 3)
        grid.addWidget(QLabel(self.tr("Vision")), 1, 0)
        grid.addWidget(self.mmproj, 1, 1)
        grid.addWidget(self.offline, 1, 2, 1, 2, Qt.AlignmentFlag.AlignRight)
        status = QHBoxLayout()
        status.setContentsMargins(0, 0, 0, 0)
        status.addWidget(self.state, 1)
        status.addWidget(self.progress)
        status.addWidget(self.memory)
        grid.addLayout(status, 2, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        self._estimate_tag = 0
        self.model.edit.textChanged.connect(lambda: self.update_estimate())
        self.mmproj.edit.textChanged.connect(lambda: self.update_estimate())
        self._n_ctx, self._n_gpu_layers = int(opts["n_ctx"]), int(opts["n_gpu_layers"])
        self.setStyleSheet("#offlineLabel { color: #2e7d32; } #modelState[error=\"true\"] { color: #c62828; }"
                           " #memoryLabel { color: palette(dark); }")
        self.update_estimate()

    # -- the estimate (read from the GGUF header in the background) --------------------------------
    def update_estimate(self, n_ctx: int | None = None, n_gpu_layers: int | None = None) -> None:
        self._n_ctx = n_ctx or self._n_ctx
        self._n_gpu_layers = self._n_gpu_layers if n_gpu_layers is None else n_gpu_layers
        self._estimate_tag += 1
        args = (self.model.path(), self.mmproj.path(), self._n_ctx, self._n_gpu_layers)
        task = Task(self._estimate_tag, lambda: memory_text(*args))
        task.signals.done.connect(self._estimated)
        task.signals.failed.connect(lambda tag, _msg: self._estimated(tag, ""))
        self._task = start(task)

    def _estimated(self, tag: int, text: str) -> None:
        if tag == self._estimate_tag:
            self.memory.setText(text)

    # -- states --------------------------------------------------------------------------------------
    def _set_state(self, text: str, error: bool = False) -> None:
        self.state.setText(text)
        self.state.setProperty("error", error)
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)

    def loading(self) -> None:
        self._set_state(self.tr("Loading {name}…").format(name=Path(self.model.path()).name))
        self.progress.setValue(0)
        self.progress.show()
        self.load.setEnabled(False)
        self.unload.setEnabled(False)

    def set_progress(self, fraction: float) -> None:
        self.progress.setValue(round(max(0.0, min(1.0, fraction)) * 100))

    def loaded(self, model) -> None:
        text = (self.tr("Loaded {name} · with vision · {seconds} s") if model.has_vision
                else self.tr("Loaded {name} · text only (add the mmproj file to send images) · {seconds} s"))
        self._set_state(text.format(name=model.name, seconds=f"{model.seconds:.1f}"))
        self.progress.hide()
        self.load.setEnabled(True)
        self.load.setText(self.tr("Reload"))
        self.unload.setEnabled(True)

    def failed(self, message: str) -> None:
        self._set_state(message, error=True)
        self.progress.hide()
        self.load.setEnabled(True)
        self.load.setText(self.tr("Load"))
        self.unload.setEnabled(False)

    def unloaded(self) -> None:
        if self.load.isEnabled():  # not in the middle of a (re)load
            self._set_state(self.tr("No model loaded"))
            self.load.setText(self.tr("Load"))
            self.unload.setEnabled(False)

    def remember(self) -> None:
        """Keep the chosen paths for next time (and for `remud chat`)."""
        try:
            settings.set_chat_options(model_path=self.model.path(), mmproj_path=self.mmproj.path())
        except RemudError as exc:
            self.failed(str(exc))
