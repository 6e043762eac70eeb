"""Temporary files a killed process of this app left behind, and removing only those.

A temporary file the app writes carries the id of the process writing it in its name (an
import's copy in sources/, a backup being written). When that process is gone, nobody will
finish or remove the file; a later run removes it. Files whose names do not match the app's
own pattern, and files of processes still running, are never touched.
"""

from __future__ import annotations

import re
from pathlib import Path

import psutil


def remove_orphans(folder: Path, name_pattern: re.Pattern[str]) -> int:
    """Remove files in `folder` whose name matches `name_pattern` (its first group is the
    writer's process id) and whose writer is no longer running. Returns how many went."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        match = name_pattern.fullmatch(path.name)
        if match is None or not path.is_file() or psutil.pid_exists(int(match.group(1))):
            continue
        try:
            path.unlink()
            removed += 1
        except OSError:
            continue  # read-only or in use: left for a later run
    return removed
