"""Finding the option letter a model chose in its output.

Rules, first that applies wins:
1. Thinking: when a `<think>` block is closed, only the text after the last `</think>` is
   searched; when it is left open (the model ran out of tokens while thinking), only an
   `<answer>` tag can give an answer.
2. `<answer>X</answer>`: the LAST tag decides. Its content may be "B", "(b)", "B. Liver" or a
   sentence ("The answer is B"), searched with rules 3 to 5. A last tag holding no option
   letter ("a cyst", "A cyst", "none of them") makes the output unparseable: the model's own
   final answer is not one of the options.
3. Answer phrases: "Answer: X", "answer is X", "answer is (X)", and 答案 with an optional
   是/为, an optional ：/: and an optional bracket ("答案是：B", "正确答案：（B）", "答案为【C】")
   (any case; the last such phrase naming an option letter wins).
4. Explicit choices: "the correct/best/right answer/option/choice is X", "I choose/pick/select X",
   "option X is correct", "选项X正确", "X选项正确", "选X", "选择X", "正确答案/选项是X" (the last
   one naming an option letter wins; "不选X" is not a choice).
5. The last standalone capital letter that is one of the question's letters ("B", "(B)",
   "B."), skipping
   - a negated letter, anywhere in the searched text: "not A", "rather than A", "rule out A",
     "exclude A", "A is wrong", "A and C are incorrect", "而不是A", "排除A", "不选A", "A不对",
     "A错误", "A选项不正确";
   - an "A" that starts a sentence followed by a lowercase word other than a verb like "is"
     (that "A" is the article: "A cyst is seen").
Everywhere, a lowercase letter is an option only when the text ends or punctuation follows it
("answer is b.", "选b。"), so the article "a" in "the answer is a bit unclear" never counts.
None means unparseable; callers count it apart, never as a letter.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)

# Decoration allowed before a letter (markdown emphasis, quotes, an opening bracket) and the
# letter itself: a capital standing alone, or a lowercase one at the end or before punctuation.
_OPEN = r"[*_`\"'“‘]*\s*[(\[（【]?\s*"
_LETTER = (
    r"(?:([A-Z])(?![A-Za-z0-9])"
    r"|([a-z])(?=\s*[)\]）】*_`\"'”’]*\s*(?:$|[.,;:!?。，；：！？、])))"
)
_CLOSE = r"\s*[)\]）】]?"

_LEADING = re.compile(r"^[\s*_`\"'“]*[(\[（【]?\s*" + _LETTER)
_PHRASE = re.compile(
    r"(?:\b(?i:answer)(?:\s+(?i:is))?\s*[:：]?"
    r"|答案\s*(?:应该?|应当)?\s*(?:是|为)?\s*[:：]?)\s*" + _OPEN + _LETTER
)
_CHOICES = (
    re.compile(
        r"\b(?i:the)\s+(?:(?i:most)\s+)?(?i:correct|best|right)\s+(?i:answer|option|choice)"
        r"\s+(?i:is|would\s+be)\s*[:：]?\s*" + _OPEN + _LETTER
    ),
    re.compile(
        r"\bI(?:'d|'ll|\s+would|\s+will)?\s+(?i:choose|pick|select|go\s+with)\s+"
        r"(?:(?i:option|choice)\s+)?" + _OPEN + _LETTER
    ),
    re.compile(
        r"(?:\b(?i:option|choice)\s+)?[(\[（【]?([A-Z])(?![A-Za-z0-9])" + _CLOSE
        + r"\s+(?i:is)\s+(?:(?i:the)\s+)?(?i:correct|right|best)\b(?!\s*\?)"
    ),
    re.compile(
        r"(?:选项\s*[(\[（【]?([A-Z])(?![A-Za-z0-9])" + _CLOSE + r"|[(\[（【]?([A-Z])(?![A-Za-z0-9])"
        + _CLOSE + r"\s*(?:选项|项))\s*(?:是)?\s*(?:正确|对的|最佳|最合适|最恰当)(?!\s*(?:吗|么|与否|\?|？))"
    ),
    re.compile(r"(?<![不别勿])(?<!不应)(?<!不能)(?<!不会)(?<!不应该)选(?:择)?\s*(?:选项)?\s*" + _OPEN + _LETTER),
    re.compile(
        r"(?:正确|最佳|最合适|最恰当)的?(?:选项|选择)\s*(?:应该?|应当)?\s*(?:是|为)?\s*[:：]?\s*"
        + _OPEN + _LETTER
    ),
)

# One or more capital option letters: "A", "(A)", "A and C", "A、C", "A, B, or D".
_ONE = r"[(\[（【]?[A-Z](?![A-Za-z0-9])[)\]）】]?"
_LIST = (
    rf"({_ONE}(?:(?:\s*[,，、/]\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+|\s*[和与或及]\s*)"
    rf"(?:(?:[Oo]ptions?|[Cc]hoices?)\s+|选项)?{_ONE})*)"
)
_NEGATIONS = (
    re.compile(
        r"\b(?i:not|rather\s+than|instead\s+of|rule[sd]?\s+out|ruling\s+out|exclud(?:e[sd]?|ing)"
        r"|eliminat(?:e[sd]?|ing))\s+(?:(?:[Oo]ptions?|[Cc]hoices?)\s+)?" + _LIST
    ),
    re.compile(
        _LIST + r"\s+(?:(?i:is|are)\s+(?:(?i:both|all|also|clearly|definitely)\s+)?"
        r"(?i:wrong|incorrect|not\s+(?:correct|right|the\s+answer)|unlikely|excluded|ruled\s+out|eliminated)"
        r"|(?i:can|could)\s+be\s+(?i:ruled\s+out|excluded|eliminated))\b"
    ),
    re.compile(r"(?:(?<!是)不是|并非|排除|不选择?|不应该?选择?|不能选择?)\s*(?:选项)?\s*" + _LIST),
    re.compile(
        _LIST + r"\s*(?:选项|项)?\s*(?:均|都|也|是)?\s*"
        r"(?:不对(?!称)|错误|不正确|错的|不符|不合适|不考虑|可以?排除|被排除|排除)"
    ),
)
_CAPITAL = re.compile(r"[A-Z]")

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
    return _from_text(region, letters)


def _from_tag(content: str, letters: set[str]) -> str | None:
    m = _LEADING.match(content)
    if m:
        letter = (m.group(1) or m.group(2)).upper()
        article = m.group(1) == "A" and _ARTICLE_USE.match(content, m.start(1)) is not None
        if letter in letters and not article:
            return letter
    return _from_text(content, letters)


def _from_text(text: str, letters: set[str]) -> str | None:
    """Rules 3 to 5 on one piece of text."""
    return (
        _last_match((_PHRASE,), text, letters)
        or _last_match(_CHOICES, text, letters)
        or _last_standalone(text, letters, _negated(text))
    )


def _last_match(patterns: tuple[re.Pattern[str], ...], text: str, letters: set[str]) -> str | None:
    """The option letter of the match that ends last over all `patterns`."""
    found: tuple[int, str] | None = None
    for pattern in patterns:
        for m in pattern.finditer(text):
            letter = next(g for g in m.groups() if g).upper()
            if letter in letters and (found is None or m.end() > found[0]):
                found = (m.end(), letter)
    return found[1] if found else None


def _negated(text: str) -> set[str]:
    """The letters `text` rejects ("not A", "A is wrong", "排除A", "A不对")."""
    negated: set[str] = set()
    for pattern in _NEGATIONS:
        for m in pattern.finditer(text):
            negated.update(_CAPITAL.findall(m.group(1)))
    return negated


def _last_standalone(text: str, letters: set[str], negated: set[str]) -> str | None:
    for m in reversed(list(_STANDALONE.finditer(text))):
        letter = m.group(1)
        if letter not in letters or letter in negated:
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
