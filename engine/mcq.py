"""Multiple-choice questions: option letters, the option block of a prompt, reading a letter.

One place for what the synthesizer, the quality rules, the exporter and the evaluation
share, so a question is lettered, shown and graded the same way everywhere (the exported
training prompt and the evaluation prompt use the same `format_options`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence

LETTERS = "ABCDE"  # options a ReMUD record may hold (A..E)
MIN_OPTIONS, MAX_OPTIONS = 2, len(LETTERS)  # what an export accepts; synthesis asks for 4-5
_ALPHABET = string.ascii_uppercase  # letters a test file from elsewhere may use
# "B", "b", "(B)", "（B）", "[B]", "B.", "B. Liver", "B) Liver", "B: Liver", "B、…": a letter that stands alone
_LETTER = re.compile(r"^\s*(?:[(（\[]\s*([A-Za-z])\s*[)）\]]|([A-Za-z])(?=\s*(?:[.．:：)）、]|$)))")


def options_fit(n_options: int) -> bool:
    """Whether a record with this many options can be lettered (2 to 5)."""
    return MIN_OPTIONS <= n_options <= MAX_OPTIONS


def format_options(options: Sequence[str] | Mapping[str, str]) -> str:
    """The option block of a prompt: one "A. text" line per option (a mapping keeps its own letters)."""
    pairs = options.items() if isinstance(options, Mapping) else zip(_ALPHABET, options)
    return "\n".join(f"{letter}. {text}" for letter, text in pairs)


def question_prompt(question: str, options: Sequence[str] | Mapping[str, str]) -> str:
    """The user turn of a multiple-choice question: the stem, a blank line, the options."""
    return f"{question}\n\n{format_options(options)}"


def parse_letter(text: str | None, n_options: int) -> str | None:
    """The option letter `text` names ("B", "(B)", "b", "B. Liver", "B) Liver", "B: Liver"),
    or None when it names none of the first `n_options` letters."""
    found = _LETTER.match(text or "")
    if not found:
        return None
    letter = (found.group(1) or found.group(2)).upper()
    return letter if letter in _ALPHABET[: max(n_options, 0)] else None
