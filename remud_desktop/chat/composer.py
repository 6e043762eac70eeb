"""Where a question is written: the text box, an attached image (button, drop, or a
figure sent from the annotation view) shown as a chip, and Send / Stop.

Enter sends, Shift+Enter starts a new line, Esc leaves edit-and-resend mode.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QImageReader, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from remud_desktop.file_drop import FileDropTarget

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif"}
IMAGE_FILTER = QT_TRANSLATE_NOOP("Composer", "Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff *.gif);;All files (*)")


def image_paths_from_urls(urls) -> list[Path]:
    paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
    return [p for p in paths if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]


class ImageChip(QFrame):
    """A small thumbnail with the file name and a remove button."""

    removed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageChip")
        self.thumb = QLabel()
        self.name = QLabel()
        self.name.setObjectName("imageChipName")
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.remove.setAutoRaise(True)
        self.remove.setToolTip(self.tr("Remove the image"))
        self.remove.clicked.connect(self.removed.emit)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 2, 2)
        lay.addWidget(self.thumb)
        lay.addWidget(self.name)
        lay.addWidget(self.remove)
        self.path: Path | None = None
        self.hide()

    def set_path(self, path: Path | None, label: str = "") -> None:
        self.path = path
        if path is None:
            self.hide()
            return
        pix = QPixmap(str(path))
        self.thumb.setPixmap(pix.scaled(40, 40, Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.SmoothTransformation) if not pix.isNull() else QPixmap())
        self.name.setText(label or path.name)
        self.setToolTip(str(path))
        self.show()


class Composer(FileDropTarget, QFrame):
    send_requested = Signal(str, object)  # (text, image Path or None)
    resend_requested = Signal(int, str)  # (message id, new text): edit and resend
    stop_requested = Signal()
    attach_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setAcceptDrops(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("composerText")
        self.text.setPlaceholderText(self.tr("Ask about an ultrasound image or a finding…  (Enter sends, Shift+Enter: new line)"))
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(78)
        self.text.installEventFilter(self)
        self.attach = QPushButton(self.tr("Attach image…"))
        self.attach.setToolTip(self.tr("Attach an image from a file (or drop one here)"))
        self.attach.clicked.connect(self.choose_image)
        self.chip = ImageChip()
        self.chip.removed.connect(lambda: self.set_image(None))
        self.send = QPushButton(self.tr("Send"))
        self.send.setObjectName("sendButton")
        self.send.setDefault(True)
        self.send.clicked.connect(self.submit)
        self.stop = QPushButton(self.tr("Stop"))
        self.stop.setObjectName("stopButton")
        self.stop.setToolTip(self.tr("Stop the answer now (what was written is kept)"))
        self.stop.clicked.connect(self.stop_requested.emit)
        self.stop.hide()
        self.editing_banner = QLabel()
        self.editing_banner.setObjectName("editingBanner")
        self.cancel_edit = QToolButton()
        self.cancel_edit.setText(self.tr("Cancel edit"))
        self.cancel_edit.setAutoRaise(True)
        self.cancel_edit.clicked.connect(self.leave_edit)
        banner = QHBoxLayout()
        banner.setContentsMargins(0, 0, 0, 0)
        banner.addWidget(self.editing_banner, 1)
        banner.addWidget(self.cancel_edit)
        self._banner_row = QWidget()
        self._banner_row.setLayout(banner)
        self._banner_row.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.attach)
        row.addWidget(self.chip)
        row.addStretch(1)
        row.addWidget(self.stop)
        row.addWidget(self.send)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 6, 12, 10)
        lay.setSpacing(6)
        lay.addWidget(self._banner_row)
        lay.addWidget(self.text)
        lay.addLayout(row)
        self.editing: int | None = None

    # -- the image --------------------------------------------------------------------------------
    @property
    def image(self) -> Path | None:
        return self.chip.path

    def set_image(self, path: str | Path | None, label: str = "") -> bool:
        """Attach an image (None removes it); False with attach_failed when it is not an image."""
        if path is None:
            self.chip.set_path(None)
            return True
        path = Path(path)
        if not path.is_file() or QImageReader(str(path)).size().isEmpty():
            self.attach_failed.emit(self.tr("{name} is not an image this app can read: choose a PNG or JPEG file.")
                                   .format(name=path.name))
            return False
        self.chip.set_path(path, label)
        return True

    def choose_image(self) -> None:
        name = QFileDialog.getOpenFileName(self, self.tr("Attach an image"), "",
                                           QCoreApplication.translate("Composer", IMAGE_FILTER))[0]
        if name:
            self.set_image(name)

    def wanted_files(self, urls) -> list[Path]:
        return image_paths_from_urls(urls)

    def files_dropped(self, paths: list[Path]) -> None:
        self.set_image(paths[0])

    # -- sending ----------------------------------------------------------------------------------
    def submit(self) -> None:
        text = self.text.toPlainText().strip()
        if not text or not self.send.isEnabled():
            return
        if self.editing is not None:
            self.resend_requested.emit(self.editing, text)
        else:
            self.send_requested.emit(text, self.image)

    def clear_after_send(self) -> None:
        self.text.clear()
        self.set_image(None)
        self.leave_edit()

    def give_back(self, text: str, image: Path | None = None, message_id: int | None = None) -> None:
        """Put a question that got no answer back in the box (before anything typed since), with its
        image, or back in edit-and-resend mode for `message_id`: nothing the user wrote is lost."""
        typed = self.text.toPlainText().strip()
        joined = text if not typed or typed == text else f"{text}\n\n{typed}"
        if message_id is not None:
            self.edit_message(message_id, joined)
        else:
            self.editing = None
            self._banner_row.hide()
            self.send.setText(self.tr("Send"))
            self.text.setPlainText(joined)
        if image is not None and self.image is None:
            self.set_image(image)

    def edit_message(self, message_id: int, text: str) -> None:
        """Edit-and-resend mode: the question's text in the box; Send answers it again."""
        self.editing = message_id
        self.text.setPlainText(text)
        self.editing_banner.setText(self.tr("Editing your question: Send answers it again and drops what came after it."))
        self._banner_row.show()
        self.send.setText(self.tr("Resend"))
        self.text.setFocus()

    def leave_edit(self) -> None:
        if self.editing is not None:
            self.text.clear()
        self.editing = None
        self._banner_row.hide()
        self.send.setText(self.tr("Send"))

    def set_generating(self, on: bool) -> None:
        self.send.setVisible(not on)
        self.stop.setVisible(on)
        self.attach.setEnabled(not on)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.text and event.type() == QEvent.Type.KeyPress:
            key: QKeyEvent = event
            if key.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not key.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.submit()
                return True
            if key.key() == Qt.Key.Key_Escape and self.editing is not None:
                self.leave_edit()
                return True
        return super().eventFilter(watched, event)
