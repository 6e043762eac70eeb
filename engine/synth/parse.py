"""JSON schemas per template, and turning a model's answer into validated draft records.

Every template asks for one JSON object {"items": [...]}; each item becomes one record:

- vqa, text_qa: {question, thinking (reasoning only), answer}
- mcq, text_mcq: {question, options (4-5 strings), correct (a letter), thinking (reasoning only)}
- conversation: {question, answer} per turn. A multi-turn conversation about an image is
  stored as one record per turn, in order (the store has no turns column); the prompt asks
  for questions that stand alone, and an exporter can regroup a figure's qa records into
  one multi-turn conversation.

MCQ options are stored without their "A." prefixes; `correct` is the letter ("A".."E")
and `answer` is "<letter>. <option text>".

Parsing is lenient (engine.llm.lenient_json: a <think> block, a ```json fence, prose around
the object, single quotes and trailing commas are tolerated) but validation is not: an answer
with no valid item raises SynthOutputError with the raw text kept. Invalid items beside valid ones are
left out and listed as `dropped`.
"""

from __future__ import annotations

import re
from typing import Any

from engine.i18n import tr
from engine.llm.lenient_json import first_json_value
from engine.mcq import LETTERS, parse_letter
from engine.store.models import NewRecord, RecordKind, RecordStatus
from engine.synth.base import SynthInput, SynthOutputError

MIN_OPTIONS, MAX_OPTIONS = 4, 5  # what synthesis asks for (an export takes 2-5)
_MCQ_TEMPLATES = ("mcq", "text_mcq")
_OPTION_PREFIX = re.compile(r"^\s*[(（\[]?([A-Ea-e])[)）\].:：、．]\s*")


def item_fields(template: str, reasoning: bool) -> list[str]:
    if template in _MCQ_TEMPLATES:
        fields = ["question", "options", "correct"]
    else:
        fields = ["question", "answer"]
    if reasoning and template != "conversation":
        fields.insert(1, "thinking")
    return fields


def json_schema(template: str, reasoning: bool) -> dict:
    """A JSON schema of the answer, strict-mode compatible (all fields required)."""
    props: dict[str, Any] = {}
    for name in item_fields(template, reasoning):
        if name == "options":
            props[name] = {"type": "array", "items": {"type": "string"}}
        elif name == "correct":
            props[name] = {"type": "string", "enum": list(LETTERS)}
        else:
            props[name] = {"type": "string"}
    item = {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}
    return {
        "type": "object",
        "properties": {"items": {"type": "array", "items": item}},
        "required": ["items"],
        "additionalProperties": False,
    }


def gemini_schema(template: str, reasoning: bool) -> dict:
    """The same schema in the subset Gemini's response_schema takes (no
    additionalProperties; propertyOrdering keeps thinking before the answer)."""

    def convert(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: convert(v) for k, v in node.items() if k != "additionalProperties"}
            if "properties" in node:
                out["propertyOrdering"] = list(node["properties"])
            return out
        if isinstance(node, list):
            return [convert(v) for v in node]
        return node

    return convert(json_schema(template, reasoning))


# ----------------------------------------------------------------------------- parsing


def _items(value: Any) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for key in ("items", "records", "questions", "turns", "conversation", "data"):
            if isinstance(value.get(key), list):
                return value[key]
        if "question" in value:
            return [value]
    return []


def _text(item: dict, *keys: str) -> str:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    return ""


def _options(item: dict) -> list[str]:
    raw = item.get("options", item.get("choices"))
    if isinstance(raw, dict):  # {"A": "...", "B": "..."}
        raw = [raw[k] for k in sorted(raw)]
    if not isinstance(raw, list):
        return []
    return [_OPTION_PREFIX.sub("", str(o)).strip() if not isinstance(o, dict) else _text(o, "text", "option") for o in raw]


def _letter(correct: str, options: list[str]) -> str:
    """The correct letter from "B", "(B)", "B. text", "b" or the option's text ("" when none)."""
    value = correct.strip()
    letter = parse_letter(value, len(options))
    if letter:
        return letter
    return next((LETTERS[i] for i, option in enumerate(options) if value and value == option), "")


def _record(item: Any, template: str, reasoning: bool, inp: SynthInput, meta: dict) -> NewRecord:
    """One validated record; TypeError/ValueError say what is wrong with the item (a clause
    shown in "The model's answer had no valid item (…)." and in the dropped list)."""
    if not isinstance(item, dict):
        raise TypeError(tr("an item is not an object"))
    question = _text(item, "question", "q", "prompt")
    if not question:
        raise ValueError(tr("an item has no question"))
    thinking = _text(item, "thinking", "reasoning", "thought", "rationale", "explanation")
    if reasoning and template != "conversation" and not thinking:
        raise ValueError(tr("an item has no thinking"))
    options: list[str] = []
    correct = ""
    if template in _MCQ_TEMPLATES:
        options = _options(item)
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise ValueError(tr("an item has {n} options instead of {low}-{high}").format(
                n=len(options), low=MIN_OPTIONS, high=MAX_OPTIONS))
        if any(not o for o in options) or len(set(options)) != len(options):
            raise ValueError(tr("an item has empty or repeated options"))
        correct = _letter(_text(item, "correct", "answer", "correct_option"), options)
        if not correct:
            raise ValueError(tr("an item's correct letter is not one of its options"))
        answer = f"{correct}. {options[LETTERS.index(correct)]}"
    else:
        answer = _text(item, "answer", "a", "response")
        if not answer:
            raise ValueError(tr("an item has no answer"))
    return NewRecord(
        kind=RecordKind(inp.kind),
        question=question,
        answer=answer,
        figure_id=inp.figure_id,
        doc_id=inp.doc_id,
        page=inp.page,
        reasoning=reasoning and template != "conversation",
        language=inp.language,
        thinking=thinking if (reasoning or template in _MCQ_TEMPLATES) and template != "conversation" else "",
        options=tuple(options),
        correct=correct,
        status=RecordStatus.DRAFT,
        synthesizer=meta.get("synthesizer", ""),
        model=meta.get("model", ""),
        prompt_version=meta.get("prompt_version", ""),
    )


def parse_records(
    raw: str,
    *,
    template: str,
    reasoning: bool,
    inp: SynthInput,
    synthesizer: str = "",
    model: str = "",
    prompt_version: str = "",
    truncated: bool = False,
) -> tuple[list[NewRecord], list[str]]:
    """(records, reasons for dropped items). Raises SynthOutputError keeping `raw`."""
    if truncated:
        raise SynthOutputError(tr("The model's answer was cut off at the token limit; raise max tokens."), raw)
    value = first_json_value(raw)
    if value is None:
        if not (raw or "").strip():
            raise SynthOutputError(tr("The model's answer was empty."), raw or "")
        raise SynthOutputError(tr("The model's answer held no readable JSON."), raw or "")
    items = _items(value)
    if not items:
        raise SynthOutputError(tr("The model's answer held no question items."), raw)
    meta = {"synthesizer": synthesizer, "model": model, "prompt_version": prompt_version}
    records, dropped = [], []
    for item in items:
        try:
            records.append(_record(item, template, reasoning, inp, meta))
        except (TypeError, ValueError) as exc:
            dropped.append(str(exc))
    if not records:
        raise SynthOutputError(tr("The model's answer had no valid item ({reason}).").format(reason=dropped[0]), raw)
    return records, dropped
