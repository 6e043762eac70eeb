"""File names as people read them.

On Linux a file name is bytes. One that is not UTF-8 (Chinese files named in GBK on Windows,
unpacked from a zip or copied from a USB stick, are common) reaches Python with "surrogate
escapes", which SQLite, JSON and a terminal refuse. `readable` turns such a name into the text
the person sees: each part of the path decoded as UTF-8, else GB18030 (a superset of GBK),
else with replacement characters. Files are still opened by their real (escaped) path.
"""

from __future__ import annotations

import os

ENCODINGS = ("utf-8", "gb18030")


def _decode(raw: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def readable(name: str | os.PathLike[str]) -> str:
    """`name` (a file name or path) as valid Unicode text, fit for the database, JSON and messages."""
    text = os.fspath(name)
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return text.encode("utf-8", "replace").decode("utf-8")
    return "/".join(_decode(part) for part in raw.split(b"/"))  # "/" is never part of a GBK character
