"""Importing PDFs into a project: copied by content hash, checked page by page.

Nothing is half-written: the copy goes to a temporary file of this call's own and is moved
into place (named by its content hash) before the document and its pages are inserted in one
transaction. A crash in between leaves at most an unreferenced copy, which the next import of
that file reuses; never a document without its file. A copy in place is never replaced or
removed by an import: when two imports of one file race, the second finds the first one's
document and reports the file as already in the project.

The PDF is read from the temporary copy, so a file name that is not UTF-8 (a GBK-named
file on Linux) opens like any other; the name is stored and shown as the person reads it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from engine.errors import CancelledError, CorruptPdfError, RemudError
from engine.filenames import readable
from engine.i18n import ntr, tr
from engine.leftovers import remove_orphans
from engine.pdf.opener import check_header, open_pdf_with_lock_state
from engine.pdf.pageinfo import page_is_image_only
from engine.store import documents
from engine.store.documents import NewPage
from engine.store.models import Document
from engine.store.project import Project

PageProgress = Callable[[int, int], None]  # (pages read, pages) while one PDF is read
FileProgress = Callable[[int, int, Path], None]  # (files done, files, the file starting now) in import_many

# This call's own temporary copy: .importing-<sha256>-<pid>-<token>[.plain].pdf
IMPORTING = re.compile(r"\.importing-[0-9a-f]{64}-(\d+)-[0-9a-f]{8}(?:\.plain)?\.pdf")


@dataclass
class ImportResult:
    path: Path
    document: Document | None = None
    already_present: bool = False
    error: RemudError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The file's name as the person reads it (never with surrogate escapes)."""
        return readable(self.path.name)

    @property
    def message(self) -> str:
        if self.error:
            return tr("{name}: {error}").format(name=self.name, error=self.error)
        assert self.document is not None, "an import without an error has its document"
        if self.already_present:
            return tr("{name} is already in this project (as “{title}”); nothing to do.").format(
                name=self.name, title=self.document.title)
        n = self.document.page_count
        return ntr("Imported {name}: {n} page.", "Imported {name}: {n} pages.", n).format(name=self.name, n=n)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _title(doc: pymupdf.Document, name: str) -> str:
    meta_title = (doc.metadata or {}).get("title", "").strip()
    return meta_title if meta_title and len(meta_title) < 200 else Path(name).stem


def _read_pages(doc: pymupdf.Document, name: str, progress: PageProgress | None, cancel: Callable[[], bool]) -> list[NewPage]:
    pages = []
    total = doc.page_count
    for i in range(total):
        if cancel():
            raise CancelledError(tr("Import of {name} cancelled; nothing was added.").format(name=name))
        try:
            page = doc.load_page(i)
            rect = page.rect
            text = page.get_text("text", sort=True)
            image_only = page_is_image_only(page, text)
        except Exception as exc:
            raise CorruptPdfError(tr("{name} is damaged: page {page} cannot be read ({reason}).").format(
                name=name, page=i + 1, reason=exc)) from exc
        pages.append(NewPage(i, rect.width, rect.height, page.rotation, bool(text.strip()), image_only, text))
        del page
        if progress and (i % 25 == 0 or i == total - 1):
            progress(i + 1, total)
    return pages


def _put_in_place(tmp: Path, final: Path) -> None:
    """Give the finished copy its content-hash name, unless a finished copy already has it
    (another import's, maybe still running, or one a crash left): that one is kept as it is."""
    if final.exists():
        return
    try:
        os.link(tmp, final)  # fails, rather than replaces, when another import got there first
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        os.replace(tmp, final)


def import_pdf(
    project: Project,
    path: str | Path,
    *,
    password: str | None = None,
    progress: PageProgress | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> ImportResult:
    """Import one PDF. Typed errors (NotAPdfError, CorruptPdfError, PasswordRequiredError,
    WrongPasswordError, EmptyPdfError, CancelledError) are raised; the project is unchanged then."""
    project.refuse_writes()  # a read-only or damaged project says so before any work
    path = Path(path).expanduser().resolve()
    result = ImportResult(path)
    name = result.name
    check_header(path, name)
    sha = file_sha256(path)
    existing = documents.find_by_sha256(project, sha)
    if existing:
        result.document, result.already_present = existing, True
        return result

    # names of this call's own: concurrent imports (other processes too) never share one
    remove_orphans(project.sources_dir, IMPORTING)  # copies of imports that were killed
    tmp = project.sources_dir / f".importing-{sha}-{os.getpid()}-{secrets.token_hex(4)}.pdf"
    plain = tmp.with_suffix(".plain.pdf")
    final_rel = f"sources/{sha}.pdf"
    try:
        shutil.copyfile(path, tmp)
        doc, was_encrypted = open_pdf_with_lock_state(tmp, password, name=name)
        try:
            pages = _read_pages(doc, name, progress, cancel)
            if doc.is_repaired:
                result.warnings.append(ntr("{name} was damaged; it was repaired and its {n} page read.",
                                           "{name} was damaged; it was repaired and all {n} pages read.",
                                           len(pages)).format(name=name, n=len(pages)))
            if was_encrypted:
                # Keep a decrypted copy so the project never needs (or stores) the password.
                doc.save(str(plain), encryption=pymupdf.mupdf.PDF_ENCRYPT_NONE, garbage=0)
            title = _title(doc, name)
        finally:
            doc.close()
        _put_in_place(plain if was_encrypted else tmp, project.source_path(final_rel))
        try:
            result.document = documents.add_document(
                project, sha256=sha, title=title, file=final_rel, original_path=readable(path),
                file_size=path.stat().st_size, pages=pages, was_encrypted=was_encrypted,
                was_repaired=bool(result.warnings),
            )
        except Exception:
            existing = documents.find_by_sha256(project, sha)  # another import of this file won the race
            if existing is None:
                raise
            result.document, result.already_present, result.warnings = existing, True, []
    finally:
        tmp.unlink(missing_ok=True)
        plain.unlink(missing_ok=True)
    return result


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders searched (recursively) for PDFs, in a stable order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() == ".pdf" and q.is_file()))
        else:
            out.append(p)
    return out


def import_many(
    project: Project,
    paths: Iterable[str | Path],
    *,
    passwords: Callable[[Path], str | None] = lambda p: None,
    progress: FileProgress | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> list[ImportResult]:
    """Import many PDFs; one bad file is reported and the rest still come in."""
    files = expand_paths(paths)
    results = []
    for n, path in enumerate(files):
        if cancel():
            break
        if progress:
            progress(n, len(files), path)
        try:
            results.append(import_pdf(project, path, password=passwords(path), cancel=cancel))
        except CancelledError:
            break
        except RemudError as exc:
            results.append(ImportResult(path, error=exc))
    if progress:
        progress(len(files), len(files), files[-1] if files else Path())
    return results
