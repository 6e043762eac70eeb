"""Finding figures from the window: the Detect dialog and the background run it starts."""

from remud_desktop.detection.controller import DetectionController, DetectionOutcome
from remud_desktop.detection.dialog import DetectDialog, DetectRequest, DetectScope

__all__ = ["DetectDialog", "DetectRequest", "DetectScope", "DetectionController", "DetectionOutcome"]
