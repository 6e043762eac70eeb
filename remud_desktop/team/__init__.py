"""Team work in the window: File → Hand out…, File → Merge project… and the Merge report panel."""

from remud_desktop.team.controller import TeamController
from remud_desktop.team.handout_dialog import HandOutDialog
from remud_desktop.team.merge_dialog import MergeDialog
from remud_desktop.team.report_view import MergeReportView

__all__ = ["HandOutDialog", "MergeDialog", "MergeReportView", "TeamController"]
