"""A figure's crop as a PNG file the chat can attach (made in a worker thread)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from engine.pdf.crops import figure_raster
from engine.store import figures
from engine.store.project import Project


def figure_png(folder: Path, figure_id: int, *, dpi: float = 200) -> Path:
    """Render figure `figure_id` of the project in `folder` (masks applied) to a temporary PNG.

    Opens its own connection to the project: it runs off the GUI thread. Sending the
    question copies the image into the chat project, so the temporary file may go.
    """
    with Project.open(folder) as project:
        fig = figures.get_figure(project, figure_id)
        data = figure_raster(project, fig, dpi=dpi).png_bytes()
    target = Path(tempfile.mkdtemp(prefix="remud-chat-")) / f"figure-{figure_id}.png"
    target.write_bytes(data)
    return target
