"""The sample project the app opens on first start: a generated bilingual ultrasound atlas."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from engine.detect.run import detect_document
from engine.errors import ProjectExistsError
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project, documents

SAMPLE_PDF_NAME = "Sample ultrasound atlas.pdf"


def make_sample_project(folder: Path) -> Path:
    """Build the sample project in `folder` (which must not hold a project yet).

    It is built next to the target and renamed at the end, so a crash never leaves a
    half-made sample behind.
    """
    folder = Path(folder)
    if (folder / "project.sqlite").exists():
        raise ProjectExistsError(f"There is already a project in {folder}.")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ProjectExistsError(f"{folder} is not an empty folder: choose a new folder for the sample project.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sample-", dir=folder.parent))
    try:
        pdf = make_sample_pdf(staging / SAMPLE_PDF_NAME).path
        with Project.create(staging / "project") as project:
            doc = import_pdf(project, pdf).document
            detect_document(project, doc.id, "auto")
            from engine.text.pipeline import fill_figure_text

            fill_figure_text(project, doc.id)
        if folder.exists():
            folder.rmdir()  # only an empty folder may be replaced
        (staging / "project").rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def ensure_sample_project(folder: Path) -> Path:
    """The sample project, made on first use."""
    folder = Path(folder)
    if (folder / "project.sqlite").exists():
        with Project.open(folder) as project:
            if documents.list_documents(project):
                return folder
        shutil.rmtree(folder)
    return make_sample_project(folder)
