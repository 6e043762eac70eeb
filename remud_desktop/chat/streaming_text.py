"""Text that grows while a model writes it, without laying out everything again each time.

A word-wrapped label lays out its whole text whenever it changes, so one label holding a
growing answer gets slower with every update. Here finished paragraphs are moved into
labels of their own, which Qt lays out once and then caches; only the paragraph being
written is laid out again. A stored message is shown in one label.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

SOFT_LIMIT = 400  # past this, the tail is split at a paragraph break
LINE_LIMIT = 700  # past this, at a line break
HARD_LIMIT = 1000  # past this, at a space (a line break shown mid-paragraph until the answer is stored)
PARAGRAPH_GAP = 8  # pixels under a piece that ended at a paragraph break


def text_label(markdown: bool, name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.MarkdownText if markdown else Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    label.setOpenExternalLinks(False)  # the chat path never opens anything on the network
    # a long unbreakable word (a URL) is clipped inside the label instead of widening the whole message
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    return label


def split_point(tail: str) -> tuple[int, bool]:
    """(where the finished part of `tail` ends, whether a paragraph break ends it); (-1, False): not yet.

    The text after the split point keeps growing; code blocks are never split.
    """
    if len(tail) < SOFT_LIMIT:
        return -1, False
    for separator, limit in (("\n\n", SOFT_LIMIT), ("\n", LINE_LIMIT), (" ", HARD_LIMIT)):
        if len(tail) < limit:
            break
        cut = tail.rfind(separator)
        while cut > 0 and tail[:cut].count("```") % 2:
            cut = tail.rfind(separator, 0, cut)
        if cut > 0:
            return cut, separator == "\n\n"
    return -1, False


class StreamingText(QWidget):
    def __init__(self, markdown: bool, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.markdown, self.name = markdown, name
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.live = text_label(markdown, name)
        self._layout.addWidget(self.live)
        self._frozen: list[QLabel] = []
        self._text = ""
        self._tail = ""

    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        for label in self._frozen:
            label.deleteLater()
        self._frozen.clear()
        self._text = self._tail = text
        self.live.setText(text.strip() if not self.markdown else text)

    def append(self, text: str) -> None:
        self._text += text
        self._tail += text
        cut, paragraph = split_point(self._tail)
        if cut > 0:
            done = text_label(self.markdown, self.name)
            done.setText(self._tail[:cut])
            done.setContentsMargins(0, 0, 0, PARAGRAPH_GAP if paragraph else 0)
            self._layout.insertWidget(self._layout.count() - 1, done)
            self._frozen.append(done)
            self._tail = self._tail[cut:].lstrip("\n ")
        self.live.setText(self._tail)

    def pieces(self) -> int:
        """How many labels the text is shown in (1 for a stored message)."""
        return len(self._frozen) + 1
