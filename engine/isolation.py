"""Native work on one page at a time in a child process: a crash costs that page, not the run.

PyMuPDF (rendering, its layout model), onnxruntime (OCR) and llama.cpp are native code, and on some
real pages they crash the process outright (a segmentation fault, an abort) — no Python exception,
no message. `PageProcess` runs such work in a child process that keeps its state from page to page
(the open PDF, a built detector, a loaded OCR engine). When the child dies on a page, the call raises
`PageCrashed`, naming the page, the step that was running (code about to run native work says so
with `step("the layout model")`) and the signal; the next call starts a fresh child. Work stored
before the crash stays stored: the caller stores each page as it comes back.

The child is started from a fork server on Linux (a clean process that imported the engine once,
so a new child is ready in milliseconds) and spawned elsewhere and in the frozen app.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import CancelledError, RemudError
from engine.i18n import N_, current_language, set_language, tr

POLL_S = 0.05
_PRELOAD = ["pymupdf", "numpy", "engine.detect.registry", "engine.text.pipeline"]

# in the child: where step() reports to, and the steps the parent asked to leave out on this page
_conn: Any = None
_avoid: frozenset[str] = frozenset()

# The steps the engine names (`step(...)`), for the catalog: a step's name stays an id (the parent
# compares it and asks to leave it out); messages show it translated.
# (the last is the app's: remud_desktop/session/text_fill.py)
STEP_NAMES = (N_("the layout model"), N_("OCR"), N_("starting"), N_("reading the text around the box"))


class PageCrashed(RemudError):
    """The child process died on a page."""

    def __init__(self, page: int, step: str, code: int | None) -> None:
        self.page, self.step, self.code = page, step, code
        what = tr(step) if step else tr("the work on it")
        # Translators: {step} is what was running ("the layout model", "OCR"); {exit} says how it ended
        super().__init__(tr("Page {page}: {step} crashed ({exit}).").format(page=page + 1, step=what,
                                                                          exit=describe_exit(code)))


class StepAvoided(RemudError):
    """Raised by `step()` in the child for a step the parent asked to leave out on this page."""


def describe_exit(code: int | None) -> str:
    """'signal 11: segmentation fault' for a child killed by a signal, else its exit code."""
    if code is not None and code < 0:
        try:
            name = signal.strsignal(-code) or signal.Signals(-code).name
        except (ValueError, AttributeError):
            name = ""
        if name:
            return tr("signal {number}: {name}").format(number=-code, name=name.lower())
        return tr("signal {number}").format(number=-code)
    return tr("exit code {code}").format(code=code)


def step(name: str) -> None:
    """Say that native work `name` starts now ("the layout model", "OCR"). In a PageProcess child the
    parent hears it (a crash is then blamed on it) and may have asked to leave it out on this page
    (StepAvoided is raised); anywhere else nothing happens."""
    if _conn is None:
        return
    if name in _avoid:
        raise StepAvoided(tr("{step} is left out on this page (it crashed there).").format(step=tr(name)))
    _conn.send(("step", name))


def _context() -> Any:
    """A fork server where there is one, except in the frozen app (whose executable is not a Python
    that can run the fork server's command line): there, spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods() and not getattr(sys, "frozen", False):
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def _resolve(ref: str) -> Callable[..., Any]:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def _ref(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def _serve(pdf_path: str, setup_ref: str, setup_args: bytes, environ: dict[str, str], language: str, conn) -> None:
    global _conn, _avoid
    from engine.pdf.opener import open_pdf

    os.environ.clear()  # the fork server's environment is the one it started with: take the caller's of now
    os.environ.update(environ)
    set_language(language)  # the caller's (chosen at its start, maybe by --lang): errors come back in it
    _die_with_parent()
    _conn = conn
    pdf = open_pdf(pdf_path)
    state: dict[str, Any] = {}
    try:
        _resolve(setup_ref)(state, *pickle.loads(setup_args))
        conn.send(("ready", None))
        while True:
            message = conn.recv()
            if message is None:
                break
            ref, page, args, avoid = message
            _avoid = frozenset(avoid)
            try:
                result = _resolve(ref)(state, pdf, page, *args)
            except BaseException as exc:  # noqa: BLE001 - every error goes back to the parent, readable
                if not isinstance(exc, RemudError):
                    traceback.print_exc()
                conn.send(("error", _picklable(exc)))
            else:
                conn.send(("ok", result))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        close = state.get("close")
        if callable(close):
            close()
        pdf.close()


def _die_with_parent() -> None:
    """On Linux, be killed when the process that started this one ends (the fork server, which ends as
    soon as the caller does), so a killed app leaves no worker running on."""
    if sys.platform != "linux":
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.dumps(exc)
        return exc
    except Exception:  # noqa: BLE001 - an exception that cannot cross the pipe goes as its sentence
        return RuntimeError(f"{type(exc).__name__}: {exc}")


class PageProcess:
    """A child process for native page work on one PDF (see the module's docstring).

    `setup(state, *setup_args)` runs in each new child (state is a dict the tasks share; a callable
    under "close" is called when the child ends). `call(task, page, *args)` runs
    `task(state, pdf, page, *args)` there; task and setup are module-level functions, their
    arguments and results picklable.
    """

    def __init__(self, pdf_path: str | Path, setup: Callable[..., None], *setup_args: Any,
                 name: str = "remud-page-work") -> None:
        self.pdf_path, self.name = str(pdf_path), name
        self.setup_ref, self.setup_args = _ref(setup), pickle.dumps(setup_args)
        self.starts = 0  # children started (the first, and one after each crash)
        self._pending: deque[int] = deque()
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Any = None

    def __enter__(self) -> PageProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        ctx = _context()
        receiver, sender = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=_serve, args=(self.pdf_path, self.setup_ref, self.setup_args, dict(os.environ),
                                                 current_language(), sender),
                           daemon=True, name=self.name)
        proc.start()
        sender.close()
        self._proc, self._conn = proc, receiver
        self.starts += 1
        kind, value = self._receive(-1, "starting", lambda: False)
        if kind == "error":
            self.close()
            raise value

    def call(self, task: Callable[..., Any], page: int, *args: Any, avoid: tuple[str, ...] = (),
             cancel: Callable[[], bool] = lambda: False) -> Any:
        """`task`'s result for `page`; its exception if it raised one; PageCrashed if the child died
        (the next call starts another); CancelledError as soon as `cancel()` says stop (the child is
        stopped at once, mid-page)."""
        self.submit(task, page, *args, avoid=avoid)
        return self.collect(cancel)

    def submit(self, task: Callable[..., Any], page: int, *args: Any, avoid: tuple[str, ...] = ()) -> None:
        """Hand `task` for `page` to the child and return at once (`collect` takes the results, in the
        order they were submitted): the child works on the next page while the caller stores this one."""
        alive = self._proc is not None and self._proc.is_alive()
        if not alive and self._pending:  # it died on an earlier page: `collect` reports that first
            self._pending.append(page)
            return
        if not alive:
            self._start()
        try:
            self._conn.send((_ref(task), page, args, avoid))
        except OSError:  # it died just now, on an earlier page (if any: else a new one takes this page)
            if not self._pending:
                self._stop()
                self._start()
                self._conn.send((_ref(task), page, args, avoid))
        self._pending.append(page)

    @property
    def pending(self) -> list[int]:
        """Pages submitted and not collected yet, oldest first."""
        return list(self._pending)

    def collect(self, cancel: Callable[[], bool] = lambda: False) -> Any:
        """The result of the oldest submitted task (see `call`). After a crash, which is blamed on that
        task's page, the tasks submitted after it are gone with the child: submit them again."""
        if not self._pending:
            raise RuntimeError("Nothing was submitted.")
        page = self._pending[0]
        try:
            kind, value = self._receive(page, "", cancel)
        except (PageCrashed, CancelledError):
            self._pending.clear()
            raise
        self._pending.popleft()
        if kind == "error":
            raise value
        return value

    def _receive(self, page: int, step_name: str, cancel: Callable[[], bool]) -> tuple[str, Any]:
        assert self._proc is not None
        while True:
            if cancel():
                self._stop()
                raise CancelledError(tr("Cancelled; pages done so far are kept."))
            try:
                ready = self._conn.poll(POLL_S)
                if ready:
                    kind, value = self._conn.recv()
                elif self._proc.is_alive():
                    continue
                else:
                    raise EOFError
            except (EOFError, OSError):
                self._proc.join(5)
                code = self._proc.exitcode
                self._stop()
                raise PageCrashed(page, step_name, code) from None
            if kind == "step":
                step_name = value
                continue
            return kind, value

    def _stop(self) -> None:
        proc, conn, self._proc, self._conn = self._proc, self._conn, None, None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(5)

    def close(self) -> None:
        """End the child (it closes what its setup opened)."""
        if self._proc is not None and self._proc.is_alive() and self._conn is not None:
            try:
                self._conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            self._proc.join(5)
        self._stop()
