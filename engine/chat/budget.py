"""Budget forcing: a small, engine-agnostic state machine that decides what to inject while a model thinks.

Following s1 ("simple test-time scaling") and the ReMUD paper, the assistant turn is opened with a
thinking tag (`<think>\\n`; Qwen2.5-VL has no special thinking tokens, so the tags are plain text) and
the controller watches the text the model writes inside it:

* minimum: when the model closes its thinking (`</think>`, or ends the turn) before
  `min_thinking_tokens`, the closing tag is taken back, the wait string ("Wait," by default,
  "等等，" for Chinese) is appended, and generation continues -- at most `num_waits` times;
* maximum: when the thinking reaches `max_thinking_tokens`, the end of thinking (`\\n</think>\\n`,
  optionally followed by an answer prefix such as "Answer:") is appended and the model answers.
  A wait is inserted only when its tokens fit under the maximum (the engine gives the controller
  its tokenizer, and the controller counts the exact text it would inject: the part of the tag's
  first token before the tag, then the wait string); one that lands exactly on the maximum is
  followed by the cut at once, and one that would go past it is not inserted: the model's own
  close stands, so the maximum is never exceeded.

Ending the turn counts as closing. However the thinking ends -- the closing tag, the end-of-turn
token (`<|im_end|>`) or the end-of-text token (`<|endoftext|>`; the engine treats every token llama.cpp
calls end-of-generation alike) -- the minimum applies the same way: below it, with waits left, the
wait string is inserted and the model goes on thinking. When the minimum is on and the turn ends
inside the thinking once no wait is wanted any more (the minimum is reached, or the waits are used
up), the thinking stays thinking, with its tokens counted, and the controller closes it for the
model: it appends the end of thinking (`\\n</think>\\n`, then the answer prefix) and the model writes
its answer after it (`Action` kind CLOSE; `thinking_closed` is True, `max_cut_in` False).

Unclosed thinking without a minimum. Some models never write the closing tag: stock
Qwen2.5-VL-Instruct, opened with a forced `<think>`, simply answers and ends its turn inside the
thinking section. With the minimum off (modes "off" and "max"), when the turn ends while thinking and
no closing tag was ever seen, the text the model wrote is its answer: it is moved out of the thinking
(thinking text empty, 0 thinking tokens) into the answer, and `thinking_closed` is False. With the
minimum on, such a model is made to think first (the waits) and then answers after the closing tag
the controller appends. A turn that was stopped or ran out of room keeps its text as thinking.

Counting. Everything is counted in tokens of the model's own tokenizer. A *thinking token* is a token
that sits inside the thinking section: every token the model generated there, plus the tokens of each
inserted wait string (they are part of the reasoning the model continues from, as in s1). The tokens
of the closing tag itself, and the end-of-thinking / answer prefix the maximum appends, are not
thinking tokens. So with a minimum of N and a model that always closes at once, the waits land at
exactly len(wait) and 2 x len(wait) thinking tokens, and a maximum of M cuts in at exactly M.

Paper defaults. ReMUD gives its minimum thinking length in characters of reasoning text, while this
controller counts tokens. The conversion uses the usual ratio of the Qwen2.5 tokenizer on reasoning
text: about 4 characters per token for English and about 1.3-1.5 characters per token for Chinese
(CJK characters are often a token each, punctuation and common words merge). A minimum of roughly
380-400 English characters is therefore ~96 tokens, and the same content written in Chinese
(~130-145 characters) is also ~96 tokens: counted in tokens, one default serves both languages,
rounded to a multiple of 32. Together with 2 waits (the paper's "ignore the end of thinking" at most
twice) this gives the defaults `min_thinking_tokens=96, num_waits=2`. Convert another character
budget with tokens = characters / ratio. (The paper's exact character figure could not be re-read
offline while writing this; if it differs, only the constant changes.) The maximum is off by
default; 1024 tokens when enabled.

The controller never touches a model: the engine feeds it each generated token's text (and bytes)
and reports what it evaluated on the controller's behalf. `drop_tokens` in an `Action` tells the
engine how many of the most recent generated tokens to take back (the closing tag, the token just
sampled included). What the engine evaluates in their place is `Action.evaluate`, in bytes: the
part of the tag's first token before the tag is taken from that token's own bytes, because its
decoded text may begin with a character whose first bytes belong to the previous (kept) token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict, Unpack

from engine.chat.errors import BudgetSettingsError
from engine.i18n import tr


class Phase(StrEnum):
    """Where the model is in its turn."""

    THINKING = "thinking"
    ANSWER = "answer"


class BudgetMode(StrEnum):
    """Which limits are on: none, the minimum, the maximum, or both."""

    OFF = "off"
    MIN = "min"
    MAX = "max"
    BOTH = "both"


_MODE_FLAGS = {BudgetMode.OFF: (False, False), BudgetMode.MIN: (True, False), BudgetMode.MAX: (False, True),
               BudgetMode.BOTH: (True, True)}  # mode -> (use_min, use_max)


class ActionKind(StrEnum):
    WAIT = "wait"    # take the closing tag back and insert the wait string
    CUT = "cut"      # the maximum is reached: end the thinking
    CLOSE = "close"  # the turn ended inside the thinking with the minimum on: end the thinking, then answer


@dataclass(frozen=True)
class BudgetSettings:
    use_min: bool = True                 # "off" = both False; "min only"; "max only"; "both"
    use_max: bool = False
    min_thinking_tokens: int = 96
    max_thinking_tokens: int = 1024
    wait: str = "Wait,"                  # "等等，" offered for Chinese
    num_waits: int = 2                   # at most this many wait insertions
    think_open: str = "<think>\n"        # empty: the model answers without a thinking section
    think_close: str = "</think>"
    end_of_thinking: str = "\n</think>\n"  # appended when the maximum cuts in
    answer_prefix: str = ""              # appended after end_of_thinking when the maximum cuts in

    def __post_init__(self) -> None:
        if self.min_thinking_tokens < 0 or self.num_waits < 0:
            raise BudgetSettingsError(tr("The minimum thinking length and the number of waits cannot be negative."))
        if self.use_max and self.max_thinking_tokens < 1:
            raise BudgetSettingsError(tr("The maximum thinking length must be at least 1 token; turn the maximum off "
                                         "instead."))
        if self.use_min and self.use_max and self.min_thinking_tokens > self.max_thinking_tokens:
            raise BudgetSettingsError(
                tr("The minimum thinking length ({min} tokens) is above the maximum ({max}); lower the minimum or "
                   "raise the maximum.").format(min=self.min_thinking_tokens, max=self.max_thinking_tokens)
            )
        if self.think_open and not self.think_close:
            raise BudgetSettingsError(tr("A thinking section needs a closing tag; set the closing tag (e.g. </think>)."))
        if self.use_min and self.num_waits > 0 and not self.wait:
            raise BudgetSettingsError(tr("The wait string is empty; enter one (e.g. \"Wait,\") or set the number of "
                                         "waits to 0."))

    @property
    def mode(self) -> BudgetMode:
        return next(mode for mode, flags in _MODE_FLAGS.items() if flags == (self.use_min, self.use_max))

    @classmethod
    def from_mode(cls, mode: BudgetMode | str, **overrides: Unpack[BudgetOverrides]) -> BudgetSettings:
        """Settings for a mode ("off" | "min" | "max" | "both"), with any other field overridden."""
        if mode not in _MODE_FLAGS:
            raise BudgetSettingsError(tr("Unknown thinking budget mode {mode}; use off, min, max or both.").format(
                mode=repr(mode)))
        use_min, use_max = _MODE_FLAGS[BudgetMode(mode)]
        return cls(use_min=use_min, use_max=use_max, **overrides)


class BudgetOverrides(TypedDict, total=False):
    """The fields of BudgetSettings besides the mode's two flags (BudgetSettings.from_mode)."""

    min_thinking_tokens: int
    max_thinking_tokens: int
    wait: str
    num_waits: int
    think_open: str
    think_close: str
    end_of_thinking: str
    answer_prefix: str


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.6
    top_p: float = 0.7
    top_k: int = 40
    max_answer_tokens: int = 512
    seed: int | None = None
    logit_bias: dict[int, float] | None = None   # token id -> bias (tests use this to force behaviour)


@dataclass(frozen=True)
class Action:
    """What the engine must do before sampling again."""

    kind: ActionKind
    drop_tokens: int   # how many of the latest generated tokens to take back (the just-sampled one included)
    inject: str        # the text this adds to the thinking (what the user sees)
    evaluate: bytes    # the bytes to evaluate in place of the dropped tokens (what the model sees)


@dataclass
class BudgetController:
    """Fed token texts one at a time; says when to insert a wait or cut the thinking off."""

    settings: BudgetSettings
    count_tokens: Callable[[bytes], int] | None = None  # the model's token count of an injection (None: 0)
    phase: Phase = field(init=False)
    thinking_tokens: int = field(init=False, default=0)
    waits: int = field(init=False, default=0)            # waits inserted (counted once evaluated)
    max_cut_in: bool = field(init=False, default=False)
    closed: bool = field(init=False, default=True)       # False until the thinking section is closed
    unclosed_answer: bool = field(init=False, default=False)  # the thinking text turned out to be the answer
    answer_start: str = field(init=False, default="")   # text after the closing tag, inside the same token
    _text: str = field(init=False, default="")           # thinking text so far (tags excluded)
    _ends: list[int] = field(init=False, default_factory=list)  # end offset in _text of each thinking token
    _raw: list[bytes] = field(init=False, default_factory=list)  # the bytes of each thinking token
    _shown: int = field(init=False, default=0)           # how much of _text has been handed out for display
    _search_from: int = field(init=False, default=0)     # the closing tag cannot start before this offset

    def __post_init__(self) -> None:
        self.phase = Phase.THINKING if self.settings.think_open else Phase.ANSWER
        self.closed = self.phase == Phase.ANSWER

    @property
    def opening(self) -> str:
        """Text that opens the assistant turn."""
        return self.settings.think_open

    @property
    def thinking_text(self) -> str:
        return self._text

    @property
    def answering(self) -> bool:
        """The thinking has ended (closed by the model, or cut off): what is sampled now is the answer."""
        return self.phase == Phase.ANSWER

    def feed(self, piece: str, raw: bytes | None = None) -> Action | None:
        """One generated token's text (and bytes) while thinking. Returns an action, or None to keep sampling.

        `raw` is the token's own bytes; `piece` its decoded text, which may lack bytes still waiting for
        the rest of their character or hold the end of a character started by earlier tokens.
        """
        if self.phase != Phase.THINKING:
            raise RuntimeError("feed() is only for the thinking phase")
        self._text += piece
        self._ends.append(len(self._text))
        self._raw.append(piece.encode("utf-8") if raw is None else raw)
        self.thinking_tokens += 1
        window = max(self._search_from, len(self._text) - len(piece) - len(self.settings.think_close))
        tag_at = self._text.find(self.settings.think_close, window)
        if tag_at >= 0:
            return self._closed_at(tag_at)
        if self.settings.use_max and self.thinking_tokens >= self.settings.max_thinking_tokens:
            return self._cut()
        return None

    def feed_end(self) -> Action | None:
        """The model ended its turn (end-of-turn or end-of-text token) while still thinking; the end token
        was not evaluated. Ending the turn counts as closing the thinking.

        Returns a wait to insert (below the minimum, waits left); with the minimum on otherwise a CLOSE:
        the thinking is kept and closed, and the model answers after the injected end of thinking. With
        the minimum off it returns None (the turn is over) and, if no wait was ever inserted, the thinking
        text is the model's answer: `answer_start` holds it, the thinking is emptied and `unclosed_answer`
        is set.
        """
        if self._wants_more(self.thinking_tokens, b""):
            return self._wait(drop_tokens=0, leftover="", leftover_bytes=b"")
        if self.settings.use_min:
            return self._close()
        self.phase = Phase.ANSWER
        if self.waits == 0:
            self.unclosed_answer = True
            self.answer_start = self._text
            self._text, self._shown = "", 0
            self.thinking_tokens = 0
            self._ends.clear()
            self._raw.clear()
        return None

    def injected(self, text: str, n_tokens: int) -> Action | None:
        """The engine evaluated the text of the last action as `n_tokens` tokens."""
        if self.phase == Phase.ANSWER:
            return None  # a cut or close: end of thinking + answer prefix are not thinking tokens
        self.waits += 1  # only a wait is injected while thinking
        self._text += text
        self._ends.extend([len(self._text)] * n_tokens)
        self._raw.extend([b""] * n_tokens)
        self.thinking_tokens += n_tokens
        self._search_from = len(self._text)
        if self.settings.use_max and self.thinking_tokens >= self.settings.max_thinking_tokens:
            return self._cut()
        return None

    def take_display_text(self) -> str:
        """Thinking text not yet shown, minus a tail that could be the start of the closing tag."""
        end = len(self._text) - _partial_tag_length(self._text, self.settings.think_close, self._shown)
        if self.phase == Phase.ANSWER:
            end = len(self._text)
        new = self._text[self._shown:end] if end > self._shown else ""
        self._shown = max(self._shown, end)
        return new

    # -- internals ---------------------------------------------------------------------------------

    def _wants_more(self, kept_tokens: int, leftover_bytes: bytes) -> bool:
        """Whether to insert a wait after `kept_tokens` thinking tokens (the closing tag taken back)."""
        s = self.settings
        if not (s.use_min and kept_tokens < s.min_thinking_tokens and self.waits < s.num_waits):
            return False
        if not s.use_max:
            return True
        cost = self.count_tokens(leftover_bytes + s.wait.encode("utf-8")) if self.count_tokens else 0
        return kept_tokens + cost <= s.max_thinking_tokens

    def _closed_at(self, tag_at: int) -> Action | None:
        first = next(i for i, end in enumerate(self._ends) if end > tag_at)  # token holding the tag's start
        start_of_first = self._ends[first - 1] if first else 0
        leftover = self._text[start_of_first:tag_at]
        leftover_bytes = self._bytes_before_tag(first, tag_at)
        if self._wants_more(first, leftover_bytes):
            drop = len(self._ends) - first
            self._forget_tokens(drop)
            return self._wait(drop_tokens=drop, leftover=leftover, leftover_bytes=leftover_bytes)
        self.answer_start = self._text[tag_at + len(self.settings.think_close):]
        self._text = self._text[:tag_at]
        self.thinking_tokens = first  # the tokens of the tag are not thinking tokens
        del self._ends[first:]
        del self._raw[first:]
        self.phase = Phase.ANSWER
        self.closed = True
        return None

    def _bytes_before_tag(self, first: int, tag_at: int) -> bytes:
        """The bytes of token `first` that come before the tag starting at `tag_at` in the text.

        The token's text from the tag on is encoded and looked for in the token's own bytes (from the
        right: any bytes after it are an unfinished character, which cannot contain it).
        """
        raw = self._raw[first]
        from_tag = self._text[tag_at:self._ends[first]].encode("utf-8")
        at = raw.rfind(from_tag)
        return raw[:at] if at >= 0 else self._text[self._ends[first - 1] if first else 0:tag_at].encode("utf-8")

    def _forget_tokens(self, n: int) -> None:
        if n:
            del self._ends[-n:]
            del self._raw[-n:]
        self.thinking_tokens -= n
        self._text = self._text[: self._ends[-1] if self._ends else 0]
        # _shown stays: what was shown lies before the tag and comes back verbatim with the injection

    def _wait(self, *, drop_tokens: int, leftover: str, leftover_bytes: bytes) -> Action:
        wait = self.settings.wait
        return Action(ActionKind.WAIT, drop_tokens, leftover + wait, leftover_bytes + wait.encode("utf-8"))

    def _cut(self) -> Action:
        self.max_cut_in = True
        return self._end_thinking(ActionKind.CUT)

    def _close(self) -> Action:
        return self._end_thinking(ActionKind.CLOSE)

    def _end_thinking(self, kind: ActionKind) -> Action:
        self.closed = True
        self.phase = Phase.ANSWER
        text = self.settings.end_of_thinking + self.settings.answer_prefix
        return Action(kind, 0, text, text.encode("utf-8"))


def _partial_tag_length(text: str, tag: str, floor: int) -> int:
    """Length of the longest suffix of `text` (not reaching below `floor`) that is a proper prefix of `tag`."""
    for n in range(min(len(tag) - 1, len(text) - floor), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0
