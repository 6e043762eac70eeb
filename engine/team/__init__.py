"""Team work without a server: hand out parts of a project, merge them back (engine.store.handout,
engine.store.merge do the store's side), and read the merge report. No SQL here."""

from engine.team.parts import PLAN_MODES, plan_parts
from engine.team.report import merge_summary, split_summary
from engine.team.run import merge_sources, split_project

__all__ = ["PLAN_MODES", "merge_sources", "merge_summary", "plan_parts", "split_project", "split_summary"]
