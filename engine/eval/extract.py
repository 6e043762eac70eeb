"""Finding the option letter a model chose in its output.

Rules, first that applies wins:
1. Thinking: when a `<think>` block is closed, only the text after the last `</think>` is
   searched; when it is left open (the model ran out of tokens while thinking), only an
   `<answer>` tag can give an answer.
2. `<answer>X</answer>`: the LAST tag decides. Its content may be "B", "(b)", "B. Liver" or a
   sentence ("The answer is B"). A last tag holding no option letter makes the output
   unparseable: the model's own final answer is not one of the options.
3. "Answer: X", "answer is X", "answer is (X)", "答案：X", "答案是X", "答案为X" (any case;
   the last such phrase naming an option letter wins).
4. The last standalone capital letter that is one of the question's letters ("B", "(B)",
   "B."), except an "A" that starts a sentence followed by a lowercase word other than a
   verb like "is" (that "A" is the article: "A cyst is seen").
None means unparseable; callers count it apart, never as a letter.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_LEADING = re.compile(r"^[\s*_`\"'“]*[(\[]?\s*([A-Za-z])\s*[)\]]?(?=$|[\s.,;:：)\]*_`\"'”。，])")
# A phrase, then the letter. A lowercase letter must end there ("answer is b."), so that
# "the answer is a bit unclear" does not read as option A.
_PHRASE = re.compile(
    r"(?:\b(?i:answer)(?:\s+(?i:is))?\s*[:：]?|答案\s*(?:是|为|[:：])?)\s*[*_`\"'“]*\s*[(\[]?\s*"
    r"(?:([A-Z])(?![A-Za-z0-9])|([a-z])(?=\s*(?:$|[.,;:!?)\]*_`\"'”。，])))"
)
_STANDALONE = re.compile(r"(?<![A-Za-z0-9])([A-Z])(?![A-Za-z0-9])")
# "A cyst is seen" (the article), but not "A is correct" (the option).
_ARTICLE_USE = re.compile(
    r"A\s+(?!(?:is|was|seems|appears|would|should|fits|matches|best|describes|represents|corresponds)\b)[a-z]"
)


def answer_region(text: str) -> tuple[str, bool]:
    """(the text to search, whether only an <answer> tag may be used)."""
    close = text.rfind(_THINK_CLOSE)
    if close >= 0:
        return text[close + len(_THINK_CLOSE):], False
    if _THINK_OPEN in text:
        return text, True
    return text, False


def extract_answer(text: str | None, letters: Collection[str]) -> str | None:
    """The option letter `text` chose among `letters` (upper case), or None."""
    if not text:
        return None
    letters = {str(x).upper() for x in letters}
    region, tag_only = answer_region(text)
    tags = _TAG.findall(text if tag_only else region)
    if tags:
        return _from_tag(tags[-1], letters)
    if tag_only:
        return None
    return _from_phrase(region, letters) or _last_standalone(region, letters)


def _from_tag(content: str, letters: set[str]) -> str | None:
    m = _LEADING.match(content)
    if m and m.group(1).upper() in letters:
        return m.group(1).upper()
    return _from_phrase(content, letters) or _last_standalone(content, letters)


def _from_phrase(text: str, letters: set[str]) -> str | None:
    found = None
    for m in _PHRASE.finditer(text):
        letter = (m.group(1) or m.group(2)).upper()
        if letter in letters:
            found = letter
    return found


def _last_standalone(text: str, letters: set[str]) -> str | None:
    for m in reversed(list(_STANDALONE.finditer(text))):
        letter = m.group(1)
        if letter not in letters:
            continue
        if letter == "A" and _is_article(text, m.start()):
            continue
        return letter
    return None


def _is_article(text: str, at: int) -> bool:
    """An "A" at the start of the text or of a sentence, followed by a lowercase word."""
    before = text[:at].rstrip(" \t")
    starts_sentence = not before or before[-1] in ".!?:\n"
    return starts_sentence and _ARTICLE_USE.match(text, at) is not None
