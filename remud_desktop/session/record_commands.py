"""Undo commands for records (Session.edit_record, Session.set_record_status push them).
Each calls engine.store.records and then tells the views through the session's
records_changed signal.

Typing in one record merges into one undo step; a status change of many records (bulk
accept / reject) is one command, so one step.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QUndoCommand

from engine.store import records
from engine.store.models import RecordStatus
from remud_desktop.session.guard import GuardedCommand

MERGE_RECORD_TEXT = 101
TYPING_MERGE_SECONDS = 3.0  # pauses shorter than this keep typing in one undo step
TEXT_FIELDS = ("question", "thinking", "answer", "options", "correct")


class RecordCommandTexts(QObject):
    """Undo-step names with a count (plural forms need a QObject's `self.tr(text, "", n)`)."""

    def status_step(self, status: RecordStatus, n: int) -> str:
        if status == RecordStatus.ACCEPTED:
            return self.tr("Accept %n record(s)", "", n)
        if status == RecordStatus.REJECTED:
            return self.tr("Reject %n record(s)", "", n)
        return self.tr("Reset %n record(s)", "", n)


class SetRecordFields(GuardedCommand):
    """Edit text fields of one record (question, thinking, answer, options, correct)."""

    def __init__(self, session, record_id: int, changes: dict) -> None:
        unknown = set(changes) - set(TEXT_FIELDS)
        if unknown:
            raise ValueError(f"Not a text field of a record: {', '.join(sorted(unknown))}")
        super().__init__(QCoreApplication.translate("RecordCommands", "Edit record"))
        self.session, self.record_id = session, record_id
        before = records.get_record(session.project, record_id)
        self.new = {k: tuple(v) if k == "options" else v for k, v in changes.items()}
        self.old = {k: getattr(before, k) for k in self.new}
        self.at = time.monotonic()

    def _apply(self, values: dict) -> None:
        records.update_record(self.session.project, self.record_id, **values)
        self.session.records_changed.emit([self.record_id])

    def show_store(self) -> None:
        self.session.records_changed.emit([self.record_id])

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)

    def id(self) -> int:
        return MERGE_RECORD_TEXT

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (not isinstance(other, SetRecordFields) or other.record_id != self.record_id
                or other.at - self.at > TYPING_MERGE_SECONDS):
            return False
        for key, value in other.new.items():  # keep the oldest "before" of every field
            self.old.setdefault(key, other.old[key])
            self.new[key] = value
        self.at = other.at
        return True


class SetRecordStatus(GuardedCommand):
    """Accept, reject or reset to draft any number of records: one undo step."""

    def __init__(self, session, ids: Sequence[int], status: RecordStatus) -> None:
        ids = list(dict.fromkeys(ids))
        super().__init__(RecordCommandTexts().status_step(RecordStatus(status), len(ids)))
        self.session, self.status = session, RecordStatus(status)
        self.old = {rid: records.get_record(session.project, rid).status for rid in ids}

    def _apply(self, statuses: dict) -> None:
        for rid, status in statuses.items():
            records.update_record(self.session.project, rid, status=status)
        self.session.records_changed.emit(list(statuses))

    def show_store(self) -> None:
        self.session.records_changed.emit(list(self.old))

    def redo(self) -> None:
        self._apply({rid: self.status for rid in self.old})

    def undo(self) -> None:
        self._apply(self.old)
