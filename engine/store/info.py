"""Counts that describe a project at a glance."""

from __future__ import annotations

from engine.store import figures
from engine.store.models import ProjectInfo
from engine.store.project import Project


def project_info(project: Project) -> ProjectInfo:
    def one(sql: str) -> int:
        count: int = project.db.execute(sql).fetchone()[0]
        return count

    return ProjectInfo(
        path=str(project.folder),
        schema_version=project.schema_version,
        documents=one("SELECT count(*) FROM documents"),
        pages=one("SELECT count(*) FROM pages"),
        pages_reviewed=one("SELECT count(*) FROM pages WHERE reviewed = 1"),
        figures=one("SELECT count(*) FROM figures"),
        figures_by_status=figures.count_by_status(project),
        records=one("SELECT count(*) FROM records"),
    )
