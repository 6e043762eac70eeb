"""Page renders in worker threads. Each result carries what it belongs to (project
generation, document, page, zoom bucket); a request nobody wants any more by the time a
worker picks it up is skipped without rendering."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from engine.pdf.opener import DocumentCache
from engine.pdf.render import render_page
from remud_desktop.canvas.render_cache import CacheKey, bucket_scale
from remud_desktop.qimages import raster_to_qimage
from remud_desktop.workers import Task

_worker_docs = DocumentCache()  # thread-local inside: each worker thread keeps its own open PDFs

PRIORITY_CURRENT, PRIORITY_PREFETCH = 10, 0


@dataclass(frozen=True)
class RenderTag:
    generation: int
    doc_key: str  # the PDF's path: unique across projects
    doc_id: int
    page: int
    bucket: int

    @property
    def key(self) -> CacheKey:
        return (self.doc_key, self.page, self.bucket)


class PageRenderer(QObject):
    rendered = Signal(object, object)  # (RenderTag, QImage)
    failed = Signal(object, str)  # (RenderTag, message)

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, threads))
        self.pool.setExpiryTimeout(-1)  # threads live on, and so do their open documents
        self._tasks: dict[RenderTag, Task] = {}
        self._wanted: frozenset[CacheKey] = frozenset()
        self.requests = 0  # renders asked of the workers, for tests and benchmarks
        self.renders = 0  # renders the workers actually made

    def want(self, keys) -> None:
        """Only these keys are still worth rendering; queued work for others is skipped."""
        self._wanted = frozenset(keys)  # swapped whole: workers read it without a lock

    def pending(self, key: CacheKey) -> bool:
        return any(t.key == key for t in self._tasks)

    def request(self, tag: RenderTag, path: Path | str, priority: int = PRIORITY_CURRENT) -> bool:
        if tag in self._tasks:
            return False
        self._wanted = self._wanted | {tag.key}
        task = Task(tag, lambda: self._render(tag, str(path)))
        task.path, task.priority = str(path), priority
        task.signals.done.connect(self._done)
        task.signals.failed.connect(self._failed)
        self._tasks[tag] = task
        self.requests += 1
        self.pool.start(task, priority)
        return True

    def _render(self, tag: RenderTag, path: str) -> QImage | None:
        if tag.key not in self._wanted:
            return None  # the user has moved on before this started
        raster = render_page(_worker_docs.get(path), tag.page, bucket_scale(tag.bucket))
        self.renders += 1
        return raster_to_qimage(raster)

    def _done(self, tag: RenderTag, image) -> None:
        task = self._tasks.pop(tag, None)
        if image is not None:
            self.rendered.emit(tag, image)
        elif tag.key in self._wanted and task is not None:
            # skipped as unwanted, but wanted again since (the user came back): ask anew
            self.request(tag, task.path, task.priority)

    def _failed(self, tag: RenderTag, message: str) -> None:
        self._tasks.pop(tag, None)
        self.failed.emit(tag, message)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the workers are idle (tests, benchmarks and shutdown only)."""
        return self.pool.waitForDone(msecs)

    def shutdown(self) -> None:
        self._wanted = frozenset()
        self.pool.waitForDone(10000)


__all__ = ["PRIORITY_CURRENT", "PRIORITY_PREFETCH", "PageRenderer", "RenderTag"]
