"""Opening PDFs with typed errors, and a small per-thread cache of open documents."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import pymupdf

from engine.errors import CorruptPdfError, EmptyPdfError, NotAPdfError, PasswordRequiredError, WrongPasswordError
from engine.filenames import readable
from engine.i18n import tr

pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)


def check_header(path: Path, name: str | None = None) -> None:
    """MuPDF opens almost anything it can guess; a project only takes real PDFs.
    `name`: the file's name in messages (default: `path`'s own)."""
    name = name or readable(path.name)
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise NotAPdfError(tr("Cannot read {name}: {reason}.").format(name=name, reason=exc.strerror)) from exc
    if not head:
        raise NotAPdfError(tr("{name} is an empty file, not a PDF.").format(name=name))
    if b"%PDF-" not in head:
        raise NotAPdfError(tr("{name} is not a PDF file.").format(name=name))


def ends_early(path: Path) -> bool:
    """Whether the file lacks the %%EOF that ends every complete PDF (an interrupted download or copy)."""
    with open(path, "rb") as fh:
        fh.seek(max(0, fh.seek(0, 2) - 1024))
        return b"%%EOF" not in fh.read()


def _incomplete(name: str) -> CorruptPdfError:
    return CorruptPdfError(tr("{name} is damaged or incomplete (cut short by an interrupted download or copy?): "
                              "no page can be read. Copy or download it again.").format(name=name))


def open_pdf(path: str | Path, password: str | None = None, *, name: str | None = None) -> pymupdf.Document:
    """Open and authenticate a PDF or raise a typed error a person understands.
    `name`: the file's name in messages (default: `path`'s own)."""
    return open_pdf_with_lock_state(path, password, name=name)[0]


def open_pdf_with_lock_state(path: str | Path, password: str | None = None, *,
                             name: str | None = None) -> tuple[pymupdf.Document, bool]:
    """As open_pdf, and whether the PDF needed a password. (PyMuPDF's own `needs_pass`, read
    after authenticating, spoils a later decrypting save.)"""
    path = Path(path)
    name = name or readable(path.name)
    check_header(path, name)
    try:
        doc = pymupdf.open(str(path), filetype="pdf")
    except Exception as exc:  # MuPDF raises FileDataError/RuntimeError with C messages (and our path)
        if ends_early(path):
            raise _incomplete(name) from exc
        detail = readable(str(exc).replace(str(path), name))
        raise CorruptPdfError(tr("{name} is damaged and cannot be opened ({reason}).").format(
            name=name, reason=detail)) from exc
    was_locked = bool(doc.needs_pass)
    if was_locked:
        if not password:
            doc.close()
            raise PasswordRequiredError(tr("{name} is protected by a password. Enter the password to import it.").format(
                name=name))
        if not doc.authenticate(password):
            doc.close()
            raise WrongPasswordError(tr("The password for {name} is wrong. Try again.").format(name=name))
    if doc.page_count == 0:
        repaired = doc.is_repaired
        doc.close()
        if repaired or ends_early(path):  # the page tree was lost, not an empty document
            raise _incomplete(name)
        raise EmptyPdfError(tr("{name} has no pages.").format(name=name))
    return doc, was_locked


class DocumentCache:
    """Keeps a few documents open per thread (PyMuPDF objects must stay in one thread)."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._local = threading.local()

    def _docs(self) -> OrderedDict:
        if not hasattr(self._local, "docs"):
            self._local.docs = OrderedDict()
        return self._local.docs

    def get(self, path: str | Path) -> pymupdf.Document:
        key = str(path)
        docs = self._docs()
        doc = docs.get(key)
        if doc is None or doc.is_closed:
            doc = open_pdf(key)
            docs[key] = doc
            while len(docs) > self.size:
                _, old = docs.popitem(last=False)
                old.close()
        docs.move_to_end(key)
        return doc

    def close_all(self) -> None:
        docs = self._docs()
        while docs:
            docs.popitem()[1].close()
