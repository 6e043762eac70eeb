"""Text from a server, made fit for a one-sentence message: the key replaced, one short line."""

from __future__ import annotations


def redact_key(text: str, key: str | None) -> str:
    """`text` with the key replaced by "[key]", so it is fit for a message or a log."""
    if key and len(key) >= 4:
        text = text.replace(key, "[key]")
    return text


def one_line(text: str, limit: int = 160) -> str:
    """`text` on one line, whitespace collapsed, cut to `limit` characters with "…"."""
    text = " ".join(str(text or "").split())
    return text[: limit - 1] + "…" if len(text) > limit else text
