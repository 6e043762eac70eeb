"""Rule checks on one record: small functions, each returning a flag string or None.

A rule is `rule(record, config) -> str | None`; `RULES` lists them in order, so a new
rule is one function and one list entry. Flags are short strings; the part before ":"
names the rule (e.g. "missing:options+correct", "too_long:answer"), so filters can
match on the prefix. Rules only read the record: writing flags is engine.quality.run's job.

Lengths are counted in "units": a CJK character counts `cjk_weight` (2) units and any
other character one, so one bound fits Chinese and English text of the same content.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from engine.mcq import LETTERS, parse_letter
from engine.store.models import NewRecord, RecordKind
from engine.store.search import CJK_RANGES

MIN_OPTIONS, MAX_OPTIONS = 4, 5  # what synthesis asks for: fewer or more is flagged

_CJK_RE = re.compile(f"[{CJK_RANGES}]")
# Tokens that say nothing about the language: abbreviations (CDFI, LK, PSV, T2WI),
# units and numbers (5.2 cm, 30 mm/s, 7.5MHz), single letters (option letters "B.").
_NEUTRAL = re.compile(
    r"\b(?:[A-Z][A-Z0-9]{1,7}|[A-Za-z]|\d+(?:[.,]\d+)*\s*(?:[a-zA-Z]{1,3}(?:/[a-zA-Z]{1,3})?)?"
    r"|cm|mm|ml|mL|Hz|kHz|MHz|dB|s|ms)\b"
)
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['-][A-Za-z\u00c0-\u024f]+)*")

_FIGURE_REFS = [
    re.compile(r"[图表]\s*\d+(?:\s*[-–—.．]\s*\d+)*"),  # 图3-1, 图 3, 表2
    re.compile(r"第\s*\d+\s*[页章节]"),  # 第12页
    re.compile(r"\b(?:fig(?:ure)?s?\.?|tables?|plates?)\s*\d+[a-z]?(?:\s*[-–.]\s*\d+)*", re.IGNORECASE),
    re.compile(r"\b(?:on\s+)?(?:page|p\.)\s*\d+\b", re.IGNORECASE),
]
_SELF_REFS = [
    re.compile(
        r"\bas (?:shown|described|mentioned|stated|noted|seen|discussed|illustrated) "
        r"(?:in|by) (?:the|this) (?:book|text|caption|legend|chapter|passage|atlas|article|figure legend|source)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:in|from|by) the (?:figure |image )?(?:caption|legend)\b", re.IGNORECASE),
    re.compile(
        r"\baccording to the (?:book|text|caption|legend|passage|chapter|author|atlas|article|source|context)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bthe (?:text|passage|book|caption|author|chapter) (?:says|states|mentions|describes|notes|explains)\b", re.IGNORECASE),
    re.compile(r"\b(?:this|the) (?:book|chapter|textbook|atlas)\b", re.IGNORECASE),
    re.compile(r"本书|书中|(?<![中英日])文中|原文|正文|上文|下文|本章|本节|图注|图题|图例说明|根据(?:文本|文字|描述|题注|说明文字)"),
]


@dataclass(frozen=True)
class RuleConfig:
    """Bounds in length units (see the module doc). A bound of 0 turns it off."""

    min_question: int = 8
    max_question: int = 800
    min_answer: int = 2
    max_answer: int = 4000
    min_thinking: int = 40
    max_thinking: int = 12000
    cjk_weight: int = 2
    zh_min_cjk_share: float = 0.5  # zh text: CJK share of language-bearing tokens at least this
    en_max_cjk_share: float = 0.15  # en text: at most this
    min_language_tokens: int = 3  # fewer telling tokens than this: no language verdict


Rule = Callable[[NewRecord, RuleConfig], "str | None"]


def units(text: str, config: RuleConfig = RuleConfig()) -> int:
    text = " ".join((text or "").split())
    cjk = len(_CJK_RE.findall(text))
    return (len(text) - cjk) + cjk * config.cjk_weight


def cjk_share(text: str) -> tuple[float, int]:
    """(share of CJK among language-bearing tokens, number of such tokens).

    Each CJK character is one token and each Latin word two (a word carries about what
    two Chinese characters do); abbreviations, units, numbers and single letters are
    neutral and not counted."""
    text = unicodedata.normalize("NFKC", text or "")
    cjk = len(_CJK_RE.findall(text))
    stripped = _NEUTRAL.sub(" ", _CJK_RE.sub(" ", text))
    words = len(_LATIN_WORD.findall(stripped))
    total = cjk + 2 * words
    return (cjk / total if total else 0.0), cjk + words


def _visible(rec: NewRecord) -> str:
    """The text a trained model sees as question and answer (options included)."""
    return "\n".join([rec.question or "", *rec.options, rec.answer or ""])


# ----------------------------------------------------------------------------- rules


def required_fields(rec: NewRecord, config: RuleConfig) -> str | None:
    missing = [name for name in ("question", "answer") if not (getattr(rec, name) or "").strip()]
    if RecordKind(rec.kind) is RecordKind.MCQ:
        if not any((o or "").strip() for o in rec.options):
            missing.append("options")
        if not (rec.correct or "").strip():
            missing.append("correct")
    return "missing:" + "+".join(missing) if missing else None


def thinking_present(rec: NewRecord, config: RuleConfig) -> str | None:
    """Reasoning records need a thinking trace that is more than a token gesture."""
    if not rec.reasoning:
        return None
    thinking = " ".join((rec.thinking or "").split())
    if not thinking:
        return "no_thinking"
    same = {" ".join((rec.answer or "").split()), " ".join((rec.question or "").split())}
    if thinking in same or (config.min_thinking and units(thinking, config) < config.min_thinking):
        return "trivial_thinking"
    return None


def correct_letter(rec: NewRecord, config: RuleConfig) -> str | None:
    """MCQ: 4-5 options, and the correct letter names one of them (and agrees with the answer)."""
    if RecordKind(rec.kind) is not RecordKind.MCQ or not rec.options or not rec.correct:
        return None
    if not MIN_OPTIONS <= len(rec.options) <= MAX_OPTIONS:
        return "bad_options"
    letter = parse_letter(rec.correct, len(rec.options))
    if letter is None:
        return "bad_letter"
    named = parse_letter(rec.answer, len(LETTERS))  # an answer "C. …" must name the same option
    if named is not None and named != letter:
        return "bad_letter"
    return None


def language_matches(rec: NewRecord, config: RuleConfig) -> str | None:
    share, tokens = cjk_share(_visible(rec))
    if tokens < config.min_language_tokens:
        return None
    if rec.language == "zh" and share < config.zh_min_cjk_share:
        return "wrong_language"
    if rec.language == "en" and share > config.en_max_cjk_share:
        return "wrong_language"
    return None


def length_rule(field_name: str) -> Rule:
    """A rule flagging `field_name` shorter or longer than its bounds in the config.
    The lower bound of thinking is thinking_present's business."""

    def rule(rec: NewRecord, config: RuleConfig) -> str | None:
        text = getattr(rec, field_name) or ""
        if not text.strip():
            return None  # required_fields / thinking_present say so
        n = units(text, config)
        low = getattr(config, f"min_{field_name}") if field_name != "thinking" else 0
        high = getattr(config, f"max_{field_name}")
        if low and n < low:
            return f"too_short:{field_name}"
        if high and n > high:
            return f"too_long:{field_name}"
        return None

    rule.__name__ = f"length_{field_name}"
    return rule


def no_figure_refs(rec: NewRecord, config: RuleConfig) -> str | None:
    text = _visible(rec)
    return "figure_ref" if any(p.search(text) for p in _FIGURE_REFS) else None


def no_self_refs(rec: NewRecord, config: RuleConfig) -> str | None:
    text = _visible(rec)
    return "self_ref" if any(p.search(text) for p in _SELF_REFS) else None


RULES: list[Rule] = [
    required_fields,
    thinking_present,
    correct_letter,
    language_matches,
    length_rule("question"),
    length_rule("answer"),
    length_rule("thinking"),
    no_figure_refs,
    no_self_refs,
]

# The prefixes of every flag the rules can raise (run.py replaces only these).
RULE_FLAG_PREFIXES = frozenset(
    {"missing", "no_thinking", "trivial_thinking", "bad_options", "bad_letter", "wrong_language",
     "too_short", "too_long", "figure_ref", "self_ref"}
)


def flag_prefix(flag: str) -> str:
    return flag.split(":", 1)[0]


def check_record(rec: NewRecord, config: RuleConfig | None = None, rules: list[Rule] | None = None) -> list[str]:
    """Every flag the rules raise for one record, in rule order."""
    config = config or RuleConfig()
    out = []
    for rule in RULES if rules is None else rules:
        flag = rule(rec, config)
        if flag:
            out.append(flag)
    return out
