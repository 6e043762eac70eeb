"""The conversation as a column of messages: questions in tinted bubbles, answers as
Markdown, each answer's thinking in a muted, collapsible section with its budget bar.

While an answer streams in, the question waits in a pending bubble and one MessageWidget
grows from StreamDeltas; once both are stored, the view is rebuilt from the store, so what
is shown is what was kept.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.store.chats import ChatMessage
from remud_desktop.chat.streaming_text import StreamingText

THUMB_PX = 180


class ChatTexts(QObject):
    """The budget bar's and the small print's words, for the plain functions below (lupdate sees
    plural forms only in a QObject's self.tr). Not subclassed: plurals would not be found."""

    def budget(self, thinking_tokens: int, waits: int, max_tokens: int | None, cut: bool) -> str:
        parts = [self.tr("thinking {tokens} / max {max} tokens").format(tokens=thinking_tokens, max=max_tokens)
                 if max_tokens else self.tr("thinking {tokens} tokens").format(tokens=thinking_tokens),
                 self.tr("%n wait(s)", "", waits)]
        if cut:
            parts.append(self.tr("max reached"))
        return " · ".join(parts)

    def stats(self, stats: dict) -> str:
        parts = []
        if "answer_tokens" in stats:
            parts.append(self.answer_tokens(stats["answer_tokens"]))
        if stats.get("tokens_per_second"):
            parts.append(self.tr("{speed} tokens/s").format(speed=f"{stats['tokens_per_second']:.1f}"))
        if stats.get("settings", {}).get("model"):
            parts.append(stats["settings"]["model"])
        if stats.get("stopped"):
            parts.append(self.tr("stopped"))
        elif stats.get("finish_reason") == "length":
            parts.append(self.tr("cut at the answer limit"))
        return " · ".join(parts)

    def answer_tokens(self, n: int) -> str:
        return self.tr("{n} answer tokens").format(n=n)

    def writing(self, answer_tokens: int) -> str:
        return self.tr("writing… {n} answer tokens").format(n=answer_tokens)


_texts: ChatTexts | None = None


def texts() -> ChatTexts:
    global _texts
    if _texts is None:
        _texts = ChatTexts()
    return _texts


def budget_text(thinking_tokens: int, waits: int, max_tokens: int | None, cut: bool = False) -> str:
    """The budget bar's words: "thinking 412 / max 1024 tokens · 2 waits"."""
    return texts().budget(thinking_tokens, waits, max_tokens, cut)


def stats_text(stats: dict) -> str:
    """The small print under an answer: tokens, speed, and whether it was stopped."""
    return texts().stats(stats)


def _mix(a: QColor, b: QColor, t: float) -> str:
    return QColor(round(a.red() * (1 - t) + b.red() * t), round(a.green() * (1 - t) + b.green() * t),
                  round(a.blue() * (1 - t) + b.blue() * t)).name()


def _small_button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setFlat(True)
    button.setToolTip(tip)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setProperty("chatAction", True)
    return button


class ThinkingSection(QFrame):
    """A header (arrow, "Thinking", the budget bar) over the thinking text; click to fold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thinking")
        self.toggle = QToolButton()
        self.toggle.setObjectName("thinkingToggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.toggle.setText(self.tr("Thinking"))
        self.toggle.toggled.connect(self.set_expanded)
        self.budget = QLabel()
        self.budget.setObjectName("budgetLabel")
        self.budget.setToolTip(self.tr("Thinking tokens so far and the maximum; waits: how often the wait string was "
                                       "inserted because the model stopped thinking before the minimum; max reached: "
                                       "the thinking was cut off at the maximum"))
        self.bar = QProgressBar()
        self.bar.setObjectName("budgetBar")
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(90, 6)
        self.body = StreamingText(markdown=False, name="thinkingText")
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.toggle)
        head.addStretch(1)
        head.addWidget(self.bar)
        head.addWidget(self.budget)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 2, 10, 6)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.body)
        self.set_expanded(True)

    def set_expanded(self, on: bool) -> None:
        self.toggle.blockSignals(True)
        self.toggle.setChecked(on)
        self.toggle.blockSignals(False)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.body.setVisible(on)

    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_text(self, text: str) -> None:
        self.body.set_text(text)

    def append(self, text: str) -> None:
        self.body.append(text)

    def text(self) -> str:
        return self.body.text()

    def set_counts(self, thinking_tokens: int, waits: int, max_tokens: int | None, cut: bool = False) -> None:
        self.budget.setText(budget_text(thinking_tokens, waits, max_tokens, cut))
        self.bar.setVisible(bool(max_tokens))
        if max_tokens:
            self.bar.setRange(0, max_tokens)
            self.bar.setValue(min(thinking_tokens, max_tokens))


class MessageWidget(QFrame):
    """One message. Questions: a tinted bubble (image, text, Edit). Answers: thinking + Markdown."""

    copy_requested = Signal(str)
    edit_requested = Signal(int, str)  # (message id, its text)
    regenerate_requested = Signal()

    def __init__(self, role: str, message_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role, self.message_id = role, message_id
        self.setObjectName("userMessage" if role == "user" else "assistantMessage")
        self.thinking = ThinkingSection() if role == "assistant" else None
        self.image = QLabel()
        self.image.setObjectName("messageImage")
        self.image.hide()
        self.body = StreamingText(markdown=True, name="messageText")
        self.footer = QLabel()
        self.footer.setObjectName("messageStats")
        self.copy = _small_button(self.tr("Copy"), self.tr("Copy this message's text"))
        self.copy.clicked.connect(lambda: self.copy_requested.emit(self.content()))
        self.edit = _small_button(self.tr("Edit && resend"), self.tr("Change this question and answer it again"))
        self.edit.clicked.connect(lambda: self.edit_requested.emit(self.message_id or 0, self.content()))
        self.regenerate = _small_button(self.tr("Regenerate"), self.tr("Answer the last question again"))
        self.regenerate.clicked.connect(self.regenerate_requested.emit)
        self.edit.setVisible(role == "user")
        self.regenerate.hide()
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(2)
        actions.addWidget(self.footer, 1)
        actions.addWidget(self.edit)
        actions.addWidget(self.regenerate)
        actions.addWidget(self.copy)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 10, 14, 6)
        lay.setSpacing(6)
        head = QLabel(self.tr("You") if role == "user" else self.tr("Assistant"))
        head.setObjectName("messageRole")
        lay.addWidget(head)
        if self.thinking is not None:
            lay.addWidget(self.thinking)
        lay.addWidget(self.image)
        lay.addWidget(self.body)
        lay.addLayout(actions)

    def set_content(self, text: str) -> None:
        self.body.set_text(text)
        self.body.setVisible(bool(text))

    def append_content(self, text: str) -> None:
        self.body.append(text)
        self.body.setVisible(True)

    def content(self) -> str:
        return self.body.text()

    def set_image(self, path: Path | None) -> None:
        pix = QPixmap(str(path)) if path else QPixmap()
        if pix.isNull():
            self.image.hide()
            return
        self.image.setPixmap(pix.scaled(THUMB_PX, THUMB_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.SmoothTransformation))
        self.image.setToolTip(str(path))
        self.image.show()

    def set_streaming(self, on: bool) -> None:
        for button in (self.copy, self.edit):
            button.setEnabled(not on)
        if on and self.role == "assistant":
            self.footer.setText(self.tr("writing…"))


class MessageView(QScrollArea):
    """The column of messages; keeps to the bottom while streaming unless the user scrolled up."""

    edit_requested = Signal(int, str)
    regenerate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageView")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.inner.setObjectName("messageColumn")
        # its height follows its width (wrapped text), not the labels' width-blind minimum heights,
        # so no empty band is left under the last message (and no Python call during layouts)
        self.inner.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.column = QVBoxLayout(self.inner)
        self.column.setContentsMargins(24, 16, 24, 16)
        self.column.setSpacing(12)
        self.placeholder = QLabel()
        self.placeholder.setObjectName("chatPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.column.addWidget(self.placeholder)
        self.column.addStretch(1)
        self.setWidget(self.inner)
        self.widgets: list[MessageWidget] = []
        self.streaming: MessageWidget | None = None
        self._max_tokens: int | None = None
        self._stick = True
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self.set_placeholder(self.tr("Load a model, then ask a question. Attach an ultrasound image with "
                                     "“Attach image…” or by dropping it on the box below."))
        self._apply_style()

    # -- building -----------------------------------------------------------------------------
    def set_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        self.placeholder.setVisible(not self.widgets)

    def clear(self) -> None:
        for w in self.widgets:
            w.deleteLater()
        self.widgets, self.streaming = [], None
        self.placeholder.show()

    def show_messages(self, messages: list[ChatMessage], image_root: Path | None, max_tokens: int | None) -> None:
        """Rebuild from stored messages; earlier thinking sections start folded."""
        self.clear()
        shown = [m for m in messages if m.role in ("user", "assistant")]
        for n, m in enumerate(shown):
            w = self._add(m.role, m.id)
            w.set_content(m.content)
            if m.image_path and image_root is not None:
                w.set_image(image_root / m.image_path)
            if w.thinking is not None:
                w.thinking.setVisible(bool(m.thinking))
                w.thinking.set_text(m.thinking)
                limit = m.stats.get("settings", {}).get("budget", {})
                used_max = limit.get("max_thinking_tokens") if limit.get("use_max") else None
                w.thinking.set_counts(int(m.stats.get("thinking_tokens", 0)), int(m.stats.get("waits_inserted", 0)),
                                      used_max, bool(m.stats.get("max_cut_in")))
                w.thinking.set_expanded(n == len(shown) - 1)
                w.footer.setText(stats_text(m.stats))
        last_answer = next((w for w in reversed(self.widgets) if w.role == "assistant"), None)
        if last_answer is not None and self.widgets[-1] is last_answer:
            last_answer.regenerate.show()
        self._max_tokens = max_tokens
        self._stick = True
        self._to_bottom()

    def _add(self, role: str, message_id: int | None) -> MessageWidget:
        w = MessageWidget(role, message_id)
        w.copy_requested.connect(lambda text: QGuiApplication.clipboard().setText(text))
        w.edit_requested.connect(self.edit_requested)
        w.regenerate_requested.connect(self.regenerate_requested)
        self.column.insertWidget(self.column.count() - 1, w)
        self.widgets.append(w)
        self.placeholder.hide()
        return w

    def add_pending_question(self, text: str, image: Path | None) -> MessageWidget:
        """The question as sent, shown at once; it is stored with its answer, and the rebuild replaces it."""
        w = self._add("user", None)
        w.set_content(text)
        w.set_image(image)
        w.set_streaming(True)
        return w

    # -- streaming --------------------------------------------------------------------------------
    def begin_stream(self, max_tokens: int | None) -> MessageWidget:
        for w in self.widgets:
            w.regenerate.hide()
            if w.thinking is not None:
                w.thinking.set_expanded(False)
        self._max_tokens = max_tokens
        w = self._add("assistant", None)
        w.set_content("")
        w.thinking.set_counts(0, 0, max_tokens)
        w.set_streaming(True)
        self.streaming = w
        self._stick = True
        return w

    def apply_delta(self, delta) -> None:
        w = self.streaming
        if w is None:
            return
        if delta.thinking:
            w.thinking.append(delta.thinking)
        if delta.answer:
            w.append_content(delta.answer)
        w.thinking.set_counts(delta.thinking_tokens, delta.waits, self._max_tokens, delta.cut)
        w.footer.setText(texts().writing(delta.answer_tokens))

    def end_stream(self) -> None:
        if self.streaming is not None:
            self.streaming.set_streaming(False)
        self.streaming = None

    # -- scrolling ----------------------------------------------------------------------------------
    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick = value >= bar.maximum() - 24

    def _range_changed(self, _lo: int, _hi: int) -> None:
        if self._stick:
            self._to_bottom()

    def _to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    # -- looks --------------------------------------------------------------------------------------
    def _apply_style(self) -> None:
        pal = self.palette()
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        accent = pal.color(QPalette.ColorRole.Highlight)
        bubble = _mix(base, accent, 0.12)
        muted = _mix(text, base, 0.45)
        faint = _mix(text, base, 0.92)
        self.setStyleSheet(f"""
            #messageColumn {{ background: {base.name()}; }}
            #userMessage {{ background: {bubble}; border-radius: 10px; margin-left: 80px; }}
            #assistantMessage {{ background: {base.name()}; border: 1px solid {faint}; border-radius: 10px;
                                 margin-right: 40px; }}
            #messageRole {{ font-weight: 600; color: {muted}; }}
            #messageText {{ color: {text.name()}; }}
            #thinking {{ background: {_mix(base, text, 0.04)}; border-left: 3px solid {faint}; border-radius: 4px; }}
            #thinkingText, #budgetLabel, #thinkingToggle {{ color: {muted}; }}
            #thinkingToggle {{ border: none; background: transparent; padding: 2px 0; }}
            #thinkingText {{ font-style: italic; }}
            #messageStats {{ color: {muted}; }}
            #chatPlaceholder {{ color: {muted}; padding: 40px; }}
            QPushButton[chatAction="true"] {{ color: {muted}; padding: 2px 6px; border: none; }}
            QPushButton[chatAction="true"]:hover {{ color: {accent.name()}; }}
        """)
