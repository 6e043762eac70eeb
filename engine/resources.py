"""Where the shipped resources (prompts, detector cards, icons, sample data) live: $REMUD_RESOURCES,
else resources/ in a frozen app, else the checkout's resources/, else a wheel's share/ folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    env = os.environ.get("REMUD_RESOURCES")
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    beside = Path(__file__).resolve().parent.parent / "resources"  # a source checkout or editable install
    if (beside / "detectors.toml").is_file():
        return beside
    return Path(sys.prefix) / "share" / "remud-desktop" / "resources"  # a wheel install (data-files)


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
