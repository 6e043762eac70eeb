"""Which boxes are on show, shared by the page canvas, the figure list and the review keys:
a score threshold under which proposals are hidden (remembered per project), whether box
tags are drawn, and whether rejected boxes are drawn (both remembered for the user).

A box that is hidden here is left out of the canvas (unless it is selected), of Tab's
walk through the page, of Shift+Enter's "accept every proposal" and of N / Shift+N's
"next page with proposals"; the figure list leaves out the proposals under the threshold
and says how many."""

from __future__ import annotations

import json

from PySide6.QtCore import QObject, QSettings, Signal

from engine.store.models import Figure, FigureStatus

THRESHOLDS_KEY = "review/scoreThresholds"  # {project folder: threshold}, the most recent last
SHOW_TAGS_KEY = "review/showTags"
SHOW_REJECTED_KEY = "review/showRejected"
MAX_PROJECTS = 50


def _flag(value, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):  # INI files give strings back
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


class BoxVisibility(QObject):
    changed = Signal()  # anything below changed: views re-filter

    def __init__(self, session=None, settings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings  # None: nothing is remembered (tests, stand-alone widgets)
        self.score_threshold = 0.0
        self.show_tags = _flag(settings.value(SHOW_TAGS_KEY), True) if settings is not None else True
        self.show_rejected = _flag(settings.value(SHOW_REJECTED_KEY), True) if settings is not None else True
        if session is not None:
            session.project_opened.connect(self._project_opened)
            self._project_opened()

    # -- what is hidden ----------------------------------------------------------------------
    def below_threshold(self, fig: Figure) -> bool:
        """A proposal whose detector score is under the threshold."""
        return fig.status == FigureStatus.PROPOSED and fig.score < self.score_threshold - 1e-9

    def hides(self, fig: Figure) -> bool:
        return self.below_threshold(fig) or (not self.show_rejected and fig.status == FigureStatus.REJECTED)

    # -- changes -------------------------------------------------------------------------------
    def set_threshold(self, value: float) -> None:
        value = round(min(max(float(value), 0.0), 1.0), 2)
        if value != self.score_threshold:
            self.score_threshold = value
            self._save_threshold()
            self.changed.emit()

    def set_show_tags(self, on: bool) -> None:
        if bool(on) != self.show_tags:
            self.show_tags = bool(on)
            if self.settings is not None:
                self.settings.setValue(SHOW_TAGS_KEY, self.show_tags)
            self.changed.emit()

    def set_show_rejected(self, on: bool) -> None:
        if bool(on) != self.show_rejected:
            self.show_rejected = bool(on)
            if self.settings is not None:
                self.settings.setValue(SHOW_REJECTED_KEY, self.show_rejected)
            self.changed.emit()

    # -- per project ---------------------------------------------------------------------------
    def _project_key(self) -> str | None:
        project = self.session.project if self.session is not None else None
        return str(project.folder) if project is not None else None

    def _thresholds(self) -> dict:
        if self.settings is None:
            return {}
        try:
            value = json.loads(str(self.settings.value(THRESHOLDS_KEY, "{}")))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _save_threshold(self) -> None:
        key = self._project_key()
        if self.settings is None or key is None:
            return
        saved = self._thresholds()
        saved.pop(key, None)
        if self.score_threshold > 0:
            saved[key] = self.score_threshold
        self.settings.setValue(THRESHOLDS_KEY, json.dumps(dict(list(saved.items())[-MAX_PROJECTS:])))

    def _project_opened(self) -> None:
        key = self._project_key()
        try:
            value = float(self._thresholds().get(key, 0.0)) if key is not None else 0.0
        except (TypeError, ValueError):
            value = 0.0
        value = round(min(max(value, 0.0), 1.0), 2)
        if value != self.score_threshold:
            self.score_threshold = value
            self.changed.emit()
