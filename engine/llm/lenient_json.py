"""JSON out of a model's answer, leniently.

Models wrap their JSON in a <think> block, a ```json fence or prose, write single quotes,
trailing commas or Python literals (True, None), and get cut off mid-answer. Parsing
here tolerates all of that; what the JSON must hold is for the caller to check.
"""

from __future__ import annotations

import json
import re
from typing import Any

THINK_BLOCK = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)  # an unclosed block runs to the end
CODE_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n?(.*?)(?:```|$)", re.S)  # group 1: the fenced text

_DECODER = json.JSONDecoder(strict=False)  # tolerate raw newlines inside strings


def without_thinking(text: str) -> str:
    """`text` with its <think>...</think> blocks removed (an unclosed one to the end)."""
    return THINK_BLOCK.sub("", text)


def fenced_blocks(text: str) -> list[str]:
    """The non-empty contents of the ``` fences in `text`, in order (an unclosed one to the end)."""
    return [m.group(1) for m in CODE_FENCE.finditer(text) if m.group(1).strip()]


def loads_lenient(s: str) -> Any:
    """The JSON value at the start of `s`, ignoring whatever follows it; None when there is none."""
    for candidate in (s, to_strict_json(s)):
        try:
            return _DECODER.raw_decode(candidate)[0]
        except (ValueError, RecursionError):
            continue
    return None


def to_strict_json(s: str) -> str:
    """Rewrite JSON-ish text (single quotes, trailing commas, Python literals) as JSON."""
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in "\"'":
            j = i + 1
            chars: list[str] = []
            while j < n and s[j] != c:
                if s[j] == "\\" and j + 1 < n:
                    nxt = s[j + 1]
                    chars.append("'" if nxt == "'" else "\\" + nxt)
                    j += 2
                    continue
                chars.append('\\"' if s[j] == '"' else s[j])
                j += 1
            out.append('"' + "".join(chars) + ('"' if j < n else ""))
            i = j + 1
            continue
        if c == ",":
            k = i + 1
            while k < n and s[k].isspace():
                k += 1
            if k < n and s[k] in "]}":
                i += 1
                continue
        if c.isalpha():
            k = i
            while k < n and (s[k].isalnum() or s[k] == "_"):
                k += 1
            word = s[i:k]
            out.append({"True": "true", "False": "false", "None": "null"}.get(word, word))
            i = k
            continue
        out.append(c)
        i += 1
    return "".join(out)


def first_json_value(raw: str) -> Any:
    """The first JSON object or array in the answer (fenced or bare), or None when there is none."""
    if not isinstance(raw, str):
        return None
    text = without_thinking(raw).strip()
    for segment in [*fenced_blocks(text), text]:
        starts = [i for i in (segment.find("{"), segment.find("[")) if i >= 0]
        if not starts:
            continue
        value = loads_lenient(segment[min(starts):])
        if value is not None:
            return value
    return None
