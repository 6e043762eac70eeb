"""Python's cycle collector, run in the GUI thread only.

Left to itself, the collector runs in whichever thread happens to allocate when a generation's
threshold is crossed — often a worker thread (a render, a synthesis batch, a detection relay). If
the garbage it finds holds a Qt object (a closed dialog, a window of a project that was closed),
that object is then destroyed in the worker thread while the GUI thread's event loop still holds
its timers and events, and the app crashes in QTimerInfoList::activateTimers. So automatic
collection is switched off and a timer in the GUI thread collects instead, generation by
generation, as often as Python's own thresholds would.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 500


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.check)

    def start(self) -> GuiThreadCollector:
        gc.disable()
        self.timer.start()
        return self

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()

    def check(self) -> None:
        """Collect the generations whose counts passed Python's thresholds (the youngest first)."""
        counts = gc.get_count()
        if counts[0] > self.thresholds[0]:
            gc.collect(0)
            if counts[1] > self.thresholds[1]:
                gc.collect(1)
                if counts[2] > self.thresholds[2]:
                    gc.collect(2)


def install(app: QObject) -> GuiThreadCollector:
    """Collect garbage in the GUI thread only, for as long as `app` lives."""
    return GuiThreadCollector(app).start()
