"""How finely pages are drawn: the pixel budget every render stays within, and the dpi
values a user may ask for. Plain arithmetic (no PyMuPDF), so the command line can check
`--dpi` without loading it."""

from __future__ import annotations

import math
from typing import Any, Protocol

from engine.errors import RemudError
from engine.i18n import tr

# One render or decoded image holds at most this many pixels (about 120 MB in RGB). MuPDF
# refuses much larger ones ("Overly large image"): a poster-sized page, a huge MediaBox or
# a scan placed on a 14,400 pt page is drawn at a lower resolution instead.
MAX_RENDER_PIXELS = 40_000_000
MIN_DPI, MAX_DPI = 10.0, 1200.0  # what a user may ask for (--dpi, detector settings)


class Sized(Protocol):
    """A rect in PDF points (engine.geometry.Rect or pymupdf.Rect)."""

    @property
    def width(self) -> float: ...

    @property
    def height(self) -> float: ...


def fit_dpi(area: Sized, dpi: float, max_pixels: int | None = None) -> float:
    """`dpi`, lowered just enough that `area` rendered at it has about `max_pixels`
    (default MAX_RENDER_PIXELS) pixels at most."""
    max_pixels = max_pixels or MAX_RENDER_PIXELS
    pixels = (area.width * dpi / 72.0) * (area.height * dpi / 72.0)
    return dpi if pixels <= max_pixels else dpi * math.sqrt(max_pixels / pixels)


def check_dpi(value: Any, what: str | None = None, error: type[Exception] = RemudError) -> float:
    """`value` as a dpi within MIN_DPI..MAX_DPI, else `error` with one sentence that says what to use.
    `what` names the setting, translated by the caller (default: "The resolution")."""
    try:
        dpi = float(value)
    except (TypeError, ValueError):
        dpi = math.nan
    if not MIN_DPI <= dpi <= MAX_DPI:  # also false for nan
        # Translators: {what} names the setting ("The resolution", "The scanned detector's dpi")
        raise error(tr("{what} must be a number of dots per inch from {min} to {max} (e.g. 200), not {value}.").format(
            what=what or tr("The resolution"), min=f"{MIN_DPI:g}", max=f"{MAX_DPI:g}", value=value))
    return dpi
