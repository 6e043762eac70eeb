"""The foot of a dialog that runs one job (Hand out, Merge): the job's stage and progress while it
runs, a problem in red, Cancel and the button that starts it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from remud_desktop.theme import ERROR_STYLE


class JobFooter(QWidget):
    def __init__(self, start_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.hide()
        self.stage = QLabel()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress_row = QWidget()
        row = QHBoxLayout(self.progress_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.stage)
        row.addWidget(self.progress, 1)
        self.progress_row.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton(start_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setDefault(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.progress_row)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)

    def say(self, text: str) -> None:
        """Show a problem ("" hides it)."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def set_running(self, running: bool, stage: str = "") -> None:
        """Show or hide the progress row; a job that starts shows `stage` and a busy bar."""
        self.progress_row.setVisible(running)
        self.progress.setRange(0, 0)
        self.stage.setText(stage)

    def show_progress(self, done: int, total: int, stage: str) -> None:
        self.stage.setText(stage)
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
