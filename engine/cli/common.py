"""Argument types shared by the `remud` command modules (argparse `type=`): a value out of
range is refused before anything runs, with one sentence that says what to use.

Imports nothing from the command modules, so each of them can import it.
"""

from __future__ import annotations

import argparse

from engine.pdf.resolution import check_dpi


def positive_int(text: str) -> int:
    """A whole number, 1 or more (counts, limits, context sizes)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"needs a whole number of 1 or more, not “{text}”") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def dpi(text: str) -> float:
    """A resolution in dots per inch within engine.pdf.resolution's MIN_DPI..MAX_DPI."""
    return check_dpi(text, "the resolution", argparse.ArgumentTypeError)
