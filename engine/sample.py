"""The sample project the app opens on first start: a generated bilingual ultrasound atlas."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from engine.detect.run import detect_document
from engine.errors import ProjectExistsError
from engine.i18n import tr
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project, documents
from engine.text.pipeline import fill_figure_text

SAMPLE_PDF_NAME = "Sample ultrasound atlas.pdf"


def make_sample_project(folder: Path) -> Path:
    """Build the sample project in `folder` (which must not hold a project yet).

    It is built next to the target and renamed at the end, so a crash never leaves a
    half-made sample behind.
    """
    folder = Path(folder)
    if (folder / "project.sqlite").exists():
        raise ProjectExistsError(tr("There is already a project in {folder}.").format(folder=folder))
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ProjectExistsError(tr("{folder} is not an empty folder: choose a new folder for the sample project.").format(
            folder=folder))
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sample-", dir=folder.parent))
    try:
        with Project.create(staging / "project") as project:
            _add_sample_document(project, staging)
        if folder.exists():
            folder.rmdir()  # only an empty folder may be replaced
        (staging / "project").rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _add_sample_document(project: Project, scratch: Path) -> None:
    """The generated atlas, imported, detected and with its figure text."""
    doc = import_pdf(project, make_sample_pdf(scratch / SAMPLE_PDF_NAME).path).document
    assert doc is not None, "import_pdf raises rather than return no document"
    detect_document(project, doc.id, "auto")
    fill_figure_text(project, doc.id)


def ensure_sample_project(folder: Path) -> Path:
    """The sample project, made on first use. If its document was deleted it is imported again:
    nothing in the folder (records made there, say) is ever deleted."""
    folder = Path(folder)
    if not (folder / "project.sqlite").exists():
        return make_sample_project(folder)
    with Project.open(folder) as project:
        if not documents.list_documents(project):
            with tempfile.TemporaryDirectory(prefix=".sample-") as scratch:
                _add_sample_document(project, Path(scratch))
    return folder
