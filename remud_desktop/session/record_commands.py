"""Undo commands for records. Each calls engine.store.records and then tells the views
through the session's RecordEvents (one hub per Session, kept here so the Session class
needs nothing record-specific).

Typing in one record merges into one undo step; a status change of many records (bulk
accept / reject) is one command, so one step.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from engine.store import records
from engine.store.models import RecordStatus
from remud_desktop.session.figure_commands import guarded

MERGE_RECORD_TEXT = 101
TYPING_MERGE_SECONDS = 3.0  # pauses shorter than this keep typing in one undo step
TEXT_FIELDS = ("question", "thinking", "answer", "options", "correct")


class RecordEvents(QObject):
    """What record views listen to. Jobs that add records emit `added` (or views poll)."""

    changed = Signal(list)  # ids of records whose fields or status changed
    added = Signal()  # records were added or removed: reload


_hubs: weakref.WeakKeyDictionary[object, RecordEvents] = weakref.WeakKeyDictionary()


def record_events(session) -> RecordEvents:
    """The RecordEvents of this session (made on first use, lives as long as the session)."""
    hub = _hubs.get(session)
    if hub is None:
        hub = _hubs[session] = RecordEvents(session)
    return hub




class SetRecordFields(QUndoCommand):
    """Edit text fields of one record (question, thinking, answer, options, correct)."""

    def __init__(self, session, record_id: int, changes: dict) -> None:
        unknown = set(changes) - set(TEXT_FIELDS)
        if unknown:
            raise ValueError(f"Not a text field of a record: {', '.join(sorted(unknown))}")
        super().__init__("Edit record")
        self.session, self.record_id = session, record_id
        before = records.get_record(session.project, record_id)
        self.new = {k: tuple(v) if k == "options" else v for k, v in changes.items()}
        self.old = {k: getattr(before, k) for k in self.new}
        self.at = time.monotonic()

    def _apply(self, values: dict) -> None:
        records.update_record(self.session.project, self.record_id, **values)
        record_events(self.session).changed.emit([self.record_id])

    def show_store(self) -> None:
        record_events(self.session).changed.emit([self.record_id])

    @guarded
    def redo(self) -> None:
        self._apply(self.new)

    @guarded
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


class SetRecordStatus(QUndoCommand):
    """Accept, reject or reset to draft any number of records: one undo step."""

    def __init__(self, session, ids: Sequence[int], status: RecordStatus) -> None:
        ids = list(dict.fromkeys(ids))
        verb = {RecordStatus.ACCEPTED: "Accept", RecordStatus.REJECTED: "Reject",
                RecordStatus.DRAFT: "Reset"}[RecordStatus(status)]
        super().__init__(f"{verb} {len(ids)} record{'s' if len(ids) != 1 else ''}")
        self.session, self.status = session, RecordStatus(status)
        self.old = {rid: records.get_record(session.project, rid).status for rid in ids}

    def _apply(self, statuses: dict) -> None:
        for rid, status in statuses.items():
            records.update_record(self.session.project, rid, status=status)
        record_events(self.session).changed.emit(list(statuses))

    def show_store(self) -> None:
        record_events(self.session).changed.emit(list(self.old))

    @guarded
    def redo(self) -> None:
        self._apply({rid: self.status for rid in self.old})

    @guarded
    def undo(self) -> None:
        self._apply(self.old)


def edit_record(session, record_id: int, **changes) -> bool:
    """Push an edit of a record's text fields if anything differs; True if pushed."""
    current = records.get_record(session.project, record_id)
    changes = {k: v for k, v in changes.items()
               if (tuple(v) if k == "options" else v) != getattr(current, k)}
    if not changes:
        return False
    session.undo_stack.push(SetRecordFields(session, record_id, changes))
    return True


def set_record_status(session, ids: Sequence[int], status: RecordStatus) -> bool:
    """Push one status change for `ids` (those already at `status` are left out)."""
    project = session.project
    ids = [rid for rid in ids if records.get_record(project, rid).status != RecordStatus(status)]
    if not ids:
        return False
    session.undo_stack.push(SetRecordStatus(session, ids, status))
    return True
