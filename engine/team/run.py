"""Hand out and merge back, as the CLI and the window call them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from engine.errors import CancelledError
from engine.i18n import tr
from engine.store.handout import Progress, WrittenPart, write_parts
from engine.store.merge import MergeReport, merge_project
from engine.store.project import Project
from engine.team.parts import plan_parts


def split_project(project: Project, out_dir: str | Path, *, into: int | None = None, by: str = "pages",
                  assignees: Sequence[str] = (), parts: Sequence[str] = (), stem: str | None = None,
                  progress: Progress | None = None, cancel: Callable[[], bool] = lambda: False) -> list[WrittenPart]:
    """Plan the parts (engine.team.parts.plan_parts) and write them into `out_dir`."""
    specs = plan_parts(project, into=into, by=by, assignees=assignees, parts=parts, stem=stem)
    return write_parts(project, out_dir, specs, progress=progress, cancel=cancel)


def merge_sources(target: Project, sources: Sequence[str | Path], *,
                  progress: Callable[[int, int, str], None] | None = None,
                  cancel: Callable[[], bool] = lambda: False) -> list[MergeReport]:
    """Merge each source into `target`, one after the other, each in its own transaction after its own
    backup. A cancel stops before the next source (the one in progress is rolled back)."""
    reports: list[MergeReport] = []
    for n, source in enumerate(sources):
        if cancel():
            raise CancelledError(tr("Merge cancelled; {n} of {total} sources were merged.").format(n=n, total=len(sources)))

        def step(done: int, total: int, text: str, n: int = n, name: str = Path(source).name) -> None:
            if progress:
                progress(n * total + done, len(sources) * total, f"{name}: {text}")

        reports.append(merge_project(target, source, progress=step, cancel=cancel))
    return reports
