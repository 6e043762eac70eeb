"""The Detect dialog: which pages (current / selected / whole document) and which detector."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from engine.detect import registry


class DetectScope(StrEnum):
    """Which pages a detection run covers."""

    PAGE = "page"  # the current page
    SELECTED = "selected"  # the pages selected in the thumbnails
    DOCUMENT = "document"  # the whole document


@dataclass(frozen=True)
class DetectRequest:
    scope: DetectScope
    detector: str


def detector_choices() -> list[tuple[str, str]]:
    """(name, title) of every registered detector card, `auto` first."""
    cards = registry.available()
    cards.sort(key=lambda c: c.name != "auto")
    return [(c.name, f"{c.title} ({c.name})" + (" — needs an endpoint" if c.remote else "")) for c in cards]


class DetectDialog(QDialog):
    def __init__(self, *, page: int, page_count: int, selected: list[int], detector: str = "auto",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Detect figures")
        self.setMinimumWidth(460)
        self.scope_buttons = QButtonGroup(self)
        texts = {
            DetectScope.PAGE: f"Current page ({page + 1})",
            DetectScope.SELECTED: f"Selected pages ({len(selected)})" if len(selected) > 1
            else "Selected pages (select thumbnails first)",
            DetectScope.DOCUMENT: f"Whole document ({page_count} pages)",
        }
        self.scopes = list(DetectScope)  # button id -> scope
        scope_box = QVBoxLayout()
        for n, scope in enumerate(self.scopes):
            button = QRadioButton(texts[scope])
            button.setEnabled(scope != DetectScope.SELECTED or len(selected) > 1)
            self.scope_buttons.addButton(button, n)
            scope_box.addWidget(button)
        default = DetectScope.DOCUMENT if len(selected) <= 1 else DetectScope.SELECTED
        self.scope_buttons.button(self.scopes.index(default)).setChecked(True)
        self.detectors = QComboBox()
        self.descriptions = {c.name: c.description for c in registry.available()}
        for name, title in detector_choices():
            self.detectors.addItem(title, name)
        i = self.detectors.findData(detector)
        self.detectors.setCurrentIndex(max(i, 0))
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(mid);")
        self.detectors.currentIndexChanged.connect(self._describe)
        self._describe()
        note = QLabel("Pages you corrected by hand are left alone; you will be asked about them at the end.")
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Pages", scope_box)
        form.addRow("Detector", self.detectors)
        form.addRow("", self.description)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Detect")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(buttons)

    def _describe(self) -> None:
        self.description.setText(self.descriptions.get(self.detectors.currentData(), ""))

    def request(self) -> DetectRequest:
        return DetectRequest(self.scopes[self.scope_buttons.checkedId()], self.detectors.currentData())
