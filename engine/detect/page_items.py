"""The pieces of a born-digital page that caption-anchored detection works with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from engine.geometry import Rect
from engine.text.captions import CaptionStart

# a panel's letter on its own ("(a)", "B", "c.") or before the panel's title ("(a) Long axis")
SUBLABEL = re.compile(r"^[(（]?(?P<lab>[A-Ha-h])[)）.．]?$|^[(（](?P<lab2>[A-Ha-h])[)）]\s+\S")


class Kind(StrEnum):
    BODY = "body"  # running text
    HEADING = "heading"
    CAPTION = "caption"  # a whole caption block (its lines are one item)
    TEXT = "text"  # text that is not running text: a figure's labels, ticks, legends, callouts
    PICTURE = "picture"  # an image placement
    PATH = "path"  # a vector path
    TEXT_PANEL = "text panel"  # a frame around running text (a call-out box, or a figure made of text)


@dataclass
class Item:
    rect: Rect  # PDF points, unrotated page space
    kind: Kind
    text: str = ""
    caption: CaptionStart | None = None  # of a caption
    # a picture's xref (Box.extra); a path's drawing (for its exact bounds), "frame" (a box that can
    # hold things), "container" (a frame around a caption or much running text: never a figure)
    extra: dict = field(default_factory=dict)

    @property
    def graphic(self) -> bool:
        return self.kind in (Kind.PICTURE, Kind.PATH, Kind.TEXT_PANEL)


@dataclass
class PageContent:
    bounds: Rect
    items: list[Item]
    body_size: float
    columns: list[tuple[float, float]]  # x ranges of the text columns, left to right

    def columns_of(self, rect: Rect) -> tuple[float, float]:
        """The x range of the columns `rect` lies in (several, when it crosses a gutter)."""
        cols = [c for c in self.columns if min(rect.x1, c[1]) - max(rect.x0, c[0]) > 0.25 * min(rect.width, c[1] - c[0])]
        if not cols:
            cx = rect.center[0]
            cols = [min(self.columns, key=lambda c: 0 if c[0] <= cx <= c[1] else min(abs(cx - c[0]), abs(cx - c[1])))]
        return min(c[0] for c in cols), max(c[1] for c in cols)
