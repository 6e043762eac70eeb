"""Review and edit synthesized records: RecordsView (table + editor + figure panel)."""

from remud_desktop.records.view import RecordsView

__all__ = ["RecordsView"]
