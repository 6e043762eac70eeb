"""JSON Lines files (one object a line) and streamed JSON arrays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO


def _dump(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)


class JsonlFile:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f: TextIO = path.open("w", encoding="utf-8", newline="\n")

    def write(self, obj: dict) -> None:
        self._f.write(_dump(obj) + "\n")

    def close(self) -> None:
        self._f.close()


class JsonArrayFile:
    """A JSON array written item by item (LLaMA-Factory reads ShareGPT files as arrays)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f: TextIO = path.open("w", encoding="utf-8", newline="\n")
        self._f.write("[")
        self._empty = True

    def write(self, obj: dict) -> None:
        self._f.write(("\n" if self._empty else ",\n") + _dump(obj))
        self._empty = False

    def close(self) -> None:
        self._f.write("]\n" if self._empty else "\n]\n")
        self._f.close()
