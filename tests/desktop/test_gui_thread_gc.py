"""Garbage holding Qt objects is freed in the GUI thread only (remud_desktop.gui_thread_gc)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from remud_desktop.gui_thread_gc import GuiThreadCollector


def cycle_with_a_qobject() -> weakref.ref:
    holder: dict = {}
    holder["self"] = holder  # a reference cycle: only the cycle collector frees it
    holder["qt"] = QObject()
    return weakref.ref(holder["qt"])


def test_a_worker_thread_allocating_never_frees_garbage_the_gui_thread_collects_it(qtbot):
    assert not gc.isenabled()  # the session runs the collector in the GUI thread (conftest), as the app does
    gc.collect()
    alive = cycle_with_a_qobject()
    freed_in: list[str] = []

    def allocate() -> None:  # far more than a generation's threshold: automatic collection would run here
        junk = [[i] for i in range(50_000)]
        del junk
        freed_in.append("worker" if alive() is None else "")

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert freed_in == [""] and alive() is not None
    collector = GuiThreadCollector(interval_ms=10)
    collector.thresholds = (0, 0, 0)  # every timer tick collects every generation
    collector.timer.start()
    qtbot.waitUntil(lambda: alive() is None)
    collector.timer.stop()
