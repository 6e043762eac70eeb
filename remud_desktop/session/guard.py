"""Undo commands that cannot fail inside Qt: a store that refuses an edit drops the command
from the history and the views show the store as it is."""

from __future__ import annotations

import functools

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QUndoCommand

from engine.errors import NotFoundError, RemudError


def guarded(method):
    """An undo/redo that cannot be done must not raise inside Qt: the command is dropped from
    the history and the views show the store as it is. A figure deleted outside this history
    is said in the status bar; a store fault (read-only, damaged, disk full, busy) in a dialog."""

    @functools.wraps(method)
    def run(self, *args):
        try:
            return method(self, *args)
        except NotFoundError as exc:
            self.setObsolete(True)
            # Translators: {step} is the undo step's name ("Delete 2 boxes"), {reason} why it failed
            self.session.message.emit(QCoreApplication.translate("GuardedCommand", "Could not {step}: {reason}").format(
                step=_lowered(self.text()), reason=exc))
        except RemudError as exc:
            self.setObsolete(True)
            self.session.fault.emit(QCoreApplication.translate("GuardedCommand", "Could not {step}.").format(
                step=_lowered(self.text())), str(exc))
            refresh = getattr(self, "show_store", None)
            if refresh is not None:
                refresh()

    return run


def _lowered(text: str) -> str:
    """An undo step's name inside a sentence: "Delete 2 boxes" -> "delete 2 boxes"."""
    return text[:1].lower() + text[1:]


class GuardedCommand(QUndoCommand):
    """A QUndoCommand whose redo() and undo() are `guarded`."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("redo", "undo"):
            if name in cls.__dict__:
                setattr(cls, name, guarded(cls.__dict__[name]))
