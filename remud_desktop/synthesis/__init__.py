"""Synthesis from the window: the Synthesize dialog, the controller that runs jobs in the
background, and the jobs panel that lists them."""

from remud_desktop.synthesis.controller import SynthController
from remud_desktop.synthesis.dialog import SynthDialog, SynthRequest
from remud_desktop.synthesis.jobs_panel import JobsPanel

__all__ = ["JobsPanel", "SynthController", "SynthDialog", "SynthRequest"]
