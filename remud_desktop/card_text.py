"""A detector or synthesizer card's description as a label shows it: `code` in a fixed-width face."""

from __future__ import annotations

import html
import re

CODE = re.compile(r"`([^`]+)`")


def description_html(text: str) -> str:
    """The description as rich text: escaped, with each `span` set as <tt>span</tt>."""
    return "<span>" + CODE.sub(lambda m: f"<tt>{m.group(1)}</tt>", html.escape(text, quote=False)) + "</span>"
