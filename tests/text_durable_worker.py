"""The app that tests/desktop/test_text_durable.py kills: a real MainWindow (offscreen) on a
project, typing into one of the inspector's text fields with key events sent to the window
the way the platform sends them.

    python -m tests.text_durable_worker PROJECT SETTINGS_INI FIELD TEXT

It selects the first figure of the first page, focuses FIELD's editor and prints `ready`.
Then it types TEXT one character per turn of the event loop (a "\\b" is Backspace), and after
each key has been handled prints `key N T` (T: time.monotonic() then, comparable with the
parent's on Linux); after the last, `typed N T`. Then its GUI thread stops dead — it blocks
reading stdin, so not one more event (no timer, no deferred save) is processed — until it is
killed: whatever is in the project then was stored while the keys were handled.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

DEADLINE_S = 120.0


def say(*words) -> None:
    print(*words, flush=True)


def main(argv: list[str]) -> int:
    folder, ini, field, text = argv
    app = QApplication([sys.argv[0]])
    from engine.store import figures
    from remud_desktop.window.main_window import MainWindow

    window = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    window.show()
    if not window.open_project(folder):
        say("error could not open the project")
        return 1
    session = window.session
    session.go_to(1, 0)
    session.select([figures.list_figures(session.project, 1, 0)[0].id])
    editor = window.inspector.fields.editors[field]
    window.activateWindow()
    editor.setFocus()
    deadline = time.monotonic() + DEADLINE_S
    while not (window.isActiveWindow() and QApplication.focusWidget() is editor):
        if time.monotonic() > deadline:
            say("error the field never got the keyboard focus")
            return 1
        QTest.qWait(10)
    handle = window.windowHandle()
    keys = list(text)

    def type_next(i: int = 0) -> None:
        ch = keys[i]
        if ch == "\b":
            QTest.sendKeyEvent(QTest.KeyAction.Click, handle, Qt.Key.Key_Backspace, "", Qt.KeyboardModifier.NoModifier)
        else:
            code = Qt.Key(ord(ch.upper())) if ch.isascii() and ch.isprintable() else Qt.Key.Key_unknown
            QTest.sendKeyEvent(QTest.KeyAction.Click, handle, code, ch, Qt.KeyboardModifier.NoModifier)
        last = i == len(keys) - 1
        say("typed" if last else "key", i + 1, repr(time.monotonic()))  # the key has been handled
        if last:
            sys.stdin.read()  # no event is processed after the last key: the kill comes during this
        else:
            QTimer.singleShot(0, lambda: type_next(i + 1))

    say("ready")
    QTimer.singleShot(0, type_next)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
