"""The chat model's own thread: loading, unloading and generating, one request at a time.

A llama.cpp context is not thread-safe, so the model is created, used and closed in ONE
dedicated thread. The GUI queues requests to it; everything comes back through signals.
Stream events are coalesced here so the GUI repaints at most ~30 times a second, and
Stop sets a flag that the engine's `cancel` callable reads between tokens, so the
backend itself stops computing. Each generation carries a request id: the GUI drops
what belongs to a request it has moved away from.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QThread, Signal

from engine.chat import (
    BudgetSettings,
    ChatEngine,
    ModelSettings,
    Sampling,
    StreamEvent,
    conversation,
)
from engine.chat.errors import ChatError
from engine.chat.types import StreamKind
from engine.errors import CancelledError, RemudError
from engine.store.project import Project

REPAINT_INTERVAL_S = 1 / 30
SHUTDOWN_WAIT_MS = 30_000  # a decode stops within milliseconds of Stop; a model load cannot be interrupted
STOPPED_EMPTY = QT_TRANSLATE_NOOP("ChatWorker", "Stopped before the model wrote anything.")
STREAMING_SWITCH_INTERVAL_S = 0.001  # how often the GIL changes hands while the model streams (Python's default: 5 ms)

log = logging.getLogger(__name__)


class Request(StrEnum):
    """What the model thread is asked to do, in the order asked."""

    LOAD = "load"
    UNLOAD = "unload"
    GENERATE = "generate"
    QUIT = "quit"  # end the thread (after closing the model)


class ModelNotLoadedError(ChatError):
    """A question was sent before any model was loaded."""


@dataclass(frozen=True)
class StreamDelta:
    """What streamed in since the last delta (text to append) and the counts now."""

    request: int
    thinking: str
    answer: str
    thinking_tokens: int
    answer_tokens: int
    waits: int
    cut: bool


@dataclass(frozen=True)
class GenerationOptions:
    budget: BudgetSettings = field(default_factory=BudgetSettings)
    sampling: Sampling = field(default_factory=Sampling)
    system_prompt: str = ""


@dataclass(frozen=True)
class GenerationRequest:
    """ask (text, image), regenerate the last answer, or edit message `message_id` and resend."""

    request: int
    folder: Path  # the project folder that holds the conversation
    session_id: int
    action: str  # "ask" | "regenerate" | "edit"
    options: GenerationOptions = field(default_factory=GenerationOptions)
    text: str = ""
    image: Path | None = None
    message_id: int | None = None


@dataclass(frozen=True)
class LoadedModel:
    settings: ModelSettings
    has_vision: bool
    seconds: float

    @property
    def name(self) -> str:
        return self.settings.model_path.name


class Coalescer:
    """Collects stream events; hands one StreamDelta on at most every `interval` seconds."""

    def __init__(self, request: int, emit: Callable[[StreamDelta], None], interval: float = REPAINT_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.request, self._emit, self.interval, self._clock = request, emit, interval, clock
        self._thinking: list[str] = []
        self._answer: list[str] = []
        self._last: StreamEvent | None = None
        self._cut = False
        self._pending = False
        self._sent_at = float("-inf")

    def add(self, event: StreamEvent) -> None:
        if event.kind == StreamKind.ANSWER:
            self._answer.append(event.text)
        elif event.kind == StreamKind.CUT:  # its text is the injected end-of-thinking tag: a flag, not thinking to show
            self._cut = True
        else:  # thinking, or an inserted wait string (part of the thinking)
            self._thinking.append(event.text)
        self._last = event
        self._pending = True
        if self._clock() - self._sent_at >= self.interval:
            self.flush()

    def flush(self) -> None:
        if not self._pending or self._last is None:
            return
        e = self._last
        delta = StreamDelta(self.request, "".join(self._thinking), "".join(self._answer), e.thinking_tokens,
                            e.answer_tokens, e.waits, self._cut)
        self._thinking.clear()
        self._answer.clear()
        self._pending = False
        self._sent_at = self._clock()
        self._emit(delta)


class ChatWorker(QObject):
    """The GUI's handle on the model thread. Methods are called from the GUI thread."""

    load_progress = Signal(float)  # 0..1
    loaded = Signal(object)  # LoadedModel
    load_failed = Signal(str)  # a sentence to show
    unloaded = Signal()
    generation_started = Signal(int)  # request id
    delta = Signal(object)  # StreamDelta
    answered = Signal(int, object)  # (request id, the stored assistant ChatMessage)
    generation_failed = Signal(int, str)  # (request id, a sentence to show): nothing was stored
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, repaint_interval: float = REPAINT_INTERVAL_S) -> None:
        super().__init__(parent)
        self.repaint_interval = repaint_interval
        self._requests: queue.Queue[tuple[Request, object]] = queue.Queue()
        self._stop = threading.Event()
        self._thread: _ModelThread | None = _ModelThread(self)  # None once handed off at shutdown
        self._next_id = 0
        self.model: LoadedModel | None = None  # set in the GUI thread when `loaded` arrives
        self.loaded.connect(self._set_model)
        self.unloaded.connect(lambda: self._set_model(None))

    def _put(self, kind: Request, payload) -> None:
        if self._thread is None:
            raise RuntimeError("the chat worker was shut down")
        if not self._thread.isRunning():  # started on first use: a window that never chats has no model thread
            self._thread.start()
        self._requests.put((kind, payload))

    def _set_model(self, model: LoadedModel | None) -> None:
        self.model = model

    # -- requests (GUI thread) --------------------------------------------------------------
    def load(self, settings: ModelSettings) -> None:
        self._put(Request.LOAD, settings)

    def unload(self) -> None:
        self._put(Request.UNLOAD, None)

    def new_request_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def generate(self, request: GenerationRequest) -> None:
        self._stop.clear()
        self._put(Request.GENERATE, request)

    def stop(self) -> None:
        """Stop the running generation: the engine sees it at the next token."""
        self._stop.set()

    def shutdown(self, timeout_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Stop the running generation, drop queued requests, close the model and end the thread.

        True when the thread has ended. Otherwise (a long model load, say) it is logged and the
        thread is handed to the application, so the QThread is not destroyed with this worker
        while it still runs; it deletes itself when it ends. It is never terminated: that
        could leave the llama.cpp context half-freed."""
        thread = self._thread
        if thread is None or not thread.isRunning():
            return True
        self._stop.set()
        while True:  # requests not started yet are dropped, so "quit" comes next
            try:
                self._requests.get_nowait()
            except queue.Empty:
                break
        self._requests.put((Request.QUIT, None))
        if thread.wait(timeout_ms):
            return True
        log.warning("The chat model thread did not end within %d ms; it is left to finish on its own.", timeout_ms)
        thread.setParent(QCoreApplication.instance())
        thread.finished.connect(thread.deleteLater)
        self._thread = None
        return False


class _ModelThread(QThread):
    """Owns the ChatEngine. Runs queued requests in order until told to quit."""

    def __init__(self, worker: ChatWorker) -> None:
        super().__init__(worker)
        self.setObjectName("remud-chat-model")
        self.w = worker
        self.engine: ChatEngine | None = None
        self.loaded: LoadedModel | None = None

    def run(self) -> None:
        handlers = {Request.LOAD: self._load, Request.UNLOAD: self._unload, Request.GENERATE: self._generate}
        try:
            while True:
                kind, payload = self.w._requests.get()
                if kind == Request.QUIT:
                    return
                self.w.busy_changed.emit(True)
                try:
                    handlers[kind](payload)
                finally:
                    self.w.busy_changed.emit(False)
        finally:
            self._close()

    def _close(self) -> None:
        if self.engine is not None:
            self.engine.close()
        self.engine, self.loaded = None, None

    def _load(self, settings: ModelSettings) -> None:
        self._close()
        self.w.unloaded.emit()
        started = time.monotonic()
        try:
            engine = ChatEngine(settings, progress=self.w.load_progress.emit)
        except RemudError as exc:
            self.w.load_failed.emit(str(exc))
            return
        except Exception as exc:  # a bug or a llama.cpp surprise: say so, keep the app alive
            traceback.print_exc()
            self.w.load_failed.emit(QCoreApplication.translate("ChatWorker", "The model could not be loaded: {reason}")
                                   .format(reason=exc))
            return
        self.engine = engine
        self.loaded = LoadedModel(settings, engine.has_vision, time.monotonic() - started)
        self.w.loaded.emit(self.loaded)

    def _unload(self, _payload) -> None:
        self._close()
        self.w.unloaded.emit()

    def _generate(self, req: GenerationRequest) -> None:
        self.w.generation_started.emit(req.request)
        coalescer = Coalescer(req.request, self.w.delta.emit, self.w.repaint_interval)
        previous = sys.getswitchinterval()
        # the token loop is Python between llama.cpp calls: hand the GIL over often, so the GUI thread
        # never waits the default 5 ms per switch while it paints the stream (measured: stalls 53-85 -> ~31 ms)
        sys.setswitchinterval(min(previous, STREAMING_SWITCH_INTERVAL_S))
        try:
            message = self._answer(req, coalescer.add)
        except CancelledError as exc:  # stopped before any answer text: the engine stored nothing
            coalescer.flush()
            self.w.generation_failed.emit(req.request, str(exc) or QCoreApplication.translate("ChatWorker", STOPPED_EMPTY))
        except RemudError as exc:
            coalescer.flush()
            self.w.generation_failed.emit(req.request, str(exc))
        except Exception as exc:  # a bug: say so, keep the app alive
            traceback.print_exc()
            self.w.generation_failed.emit(req.request, QCoreApplication.translate(
                "ChatWorker", "Unexpected error: {kind}: {message}").format(kind=type(exc).__name__, message=exc))
        else:
            coalescer.flush()
            self.w.answered.emit(req.request, message)
        finally:
            sys.setswitchinterval(previous)

    def _answer(self, req: GenerationRequest, on_event):
        if self.engine is None or self.loaded is None:
            raise ModelNotLoadedError(QCoreApplication.translate(
                "ChatWorker", "No model is loaded: choose a GGUF file above and press Load."))
        o = req.options
        kw = {"model": self.loaded.name, "budget": o.budget, "sampling": o.sampling,
              "system_prompt": o.system_prompt, "on_event": on_event, "cancel": self.w._stop.is_set}
        project = Project.open(req.folder)  # one connection per thread: this one lives here
        try:
            if req.action == "ask":
                return conversation.ask(project, req.session_id, self.engine, req.text, image=req.image, **kw)
            if req.action == "regenerate":
                return conversation.regenerate(project, req.session_id, self.engine, **kw)
            return conversation.edit_and_resend(project, req.message_id, req.text, self.engine, **kw)
        finally:
            project.close()

