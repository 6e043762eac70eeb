"""Reading the items of a JSON or JSON Lines file (test sets, benchmark files): one reader for
the evaluation's test sets and the export's decontamination file.

Accepted: a JSON array of items; a JSON object whose list values hold the items (e.g.
{"data": [...]}, the lists joined in key order); a JSON object spread over several lines
that is one item (it has a `question`, `messages` or `conversations` key, or no list value);
else JSON Lines, one item a line, blank lines skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from engine.i18n import tr

_ITEM_KEYS = ("question", "messages", "conversations")


class JsonItemsError(ValueError):
    """The text is neither JSON nor JSON Lines; the message says where (callers wrap it in their own error)."""


def parse_items(text: str, name: str | None = None) -> Iterator[tuple[str, Any]]:
    """(where, item) pairs: where is "Item n" (JSON) or "Line n" (JSON Lines), in English (callers
    make ids of it). `name` names the file in the error's sentence (default: "the file")."""
    name = name or tr("the file")
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise JsonItemsError(tr("{name} is not valid JSON (line {line}): {reason}.").format(
                name=name, line=exc.lineno, reason=exc.msg)) from None
        yield from _numbered(items)
        return
    if stripped.startswith("{"):
        try:
            whole = json.loads(stripped)
        except json.JSONDecodeError:
            whole = None  # JSON Lines (or broken): read line by line below
        if isinstance(whole, dict):
            lists = [] if any(k in whole for k in _ITEM_KEYS) else [v for v in whole.values() if isinstance(v, list)]
            if lists:
                yield from _numbered([item for part in lists for item in part])
                return
            if "\n" in stripped:
                yield "Item 1", whole
                return
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"Line {n}", json.loads(line)
        except json.JSONDecodeError as exc:
            raise JsonItemsError(tr("Line {line} of {name} is not valid JSON ({reason}).").format(
                line=n, name=name, reason=exc.msg)) from None


def _numbered(items: list) -> Iterator[tuple[str, Any]]:
    for n, item in enumerate(items, 1):
        yield f"Item {n}", item
