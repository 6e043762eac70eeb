"""Taking files dropped on a widget: the drag is accepted only when it carries files the
widget wants, so the cursor says so before the drop."""

from __future__ import annotations

from pathlib import Path


class FileDropTarget:
    """Mix into a QWidget subclass (before the Qt class) and define the two methods below."""

    def wanted_files(self, urls) -> list[Path]:
        raise NotImplementedError

    def files_dropped(self, paths: list[Path]) -> None:
        raise NotImplementedError

    def _dropped(self, event) -> list[Path]:
        mime = event.mimeData()
        return self.wanted_files(mime.urls()) if mime.hasUrls() else []

    def dragEnterEvent(self, event) -> None:
        if self._dropped(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = self._dropped(event)
        if paths:
            event.acceptProposedAction()
            self.files_dropped(paths)
