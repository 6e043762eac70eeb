"""Which pages each part of a hand-out gets: N parts of about equal pages, whole documents, or
named documents and page ranges; parts named after their assignees when names are given."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from engine.errors import RemudError
from engine.i18n import ntr, tr
from engine.store import documents
from engine.store.handout import PartSpec
from engine.store.models import Document
from engine.store.project import Project

PLAN_MODES = ("pages", "documents")  # --by: contiguous page ranges across documents, or whole documents


def _slug(name: str) -> str:
    slug = re.sub(r"[^\w. -]+", "-", " ".join(name.split()), flags=re.UNICODE).strip("-. ")
    return slug or "part"


def folder_names(stem: str, count: int, assignees: Sequence[str]) -> list[str]:
    """`<stem>-1.remud` … or `<stem>-<assignee>.remud` when names are given."""
    if assignees:
        return [f"{stem}-{_slug(a)}.remud" for a in assignees]
    return [f"{stem}-{n + 1}.remud" for n in range(count)]


def _by_pages(docs: Sequence[Document], count: int) -> list[dict[int, list[int]]]:
    pages = [(d.id, p) for d in docs for p in range(d.page_count)]
    if count > len(pages):
        raise RemudError(ntr("The project has {n} page: it cannot be handed out in {count} parts.",
                             "The project has {n} pages: it cannot be handed out in {count} parts.",
                             len(pages)).format(n=len(pages), count=count))
    size, extra = divmod(len(pages), count)
    out: list[dict[int, list[int]]] = []
    start = 0
    for n in range(count):
        end = start + size + (1 if n < extra else 0)
        part: dict[int, list[int]] = {}
        for doc_id, page in pages[start:end]:
            part.setdefault(doc_id, []).append(page)
        out.append(part)
        start = end
    return out


def _by_documents(docs: Sequence[Document], count: int) -> list[dict[int, list[int]]]:
    if count > len(docs):
        raise RemudError(ntr("The project has {n} document: whole documents cannot make {count} parts "
                             "(hand out page ranges instead: --by pages).",
                             "The project has {n} documents: whole documents cannot make {count} parts "
                             "(hand out page ranges instead: --by pages).", len(docs)).format(n=len(docs), count=count))
    loads = [0] * count
    chosen: list[list[Document]] = [[] for _ in range(count)]
    for doc in sorted(docs, key=lambda d: (-d.page_count, d.id)):  # largest first, to the lightest part
        n = loads.index(min(loads))
        chosen[n].append(doc)
        loads[n] += doc.page_count
    return [{d.id: list(range(d.page_count)) for d in sorted(part, key=lambda d: d.id)} for part in chosen]


def _find_document(docs: Sequence[Document], name: str) -> Document:
    name = name.strip()
    if name.isdigit():
        for d in docs:
            if d.id == int(name):
                return d
    lowered = name.lower()
    exact = [d for d in docs if d.title.lower() == lowered or Path(d.original_path).name.lower() == lowered]
    found = exact or [d for d in docs if d.title.lower().startswith(lowered)
                      or (len(name) >= 6 and d.sha256.startswith(lowered))]
    if len(found) == 1:
        return found[0]
    if not found:
        raise RemudError(tr("No document “{name}” in this project (use its id, title or file name; see `remud info`).").format(
            name=name))
    raise RemudError(tr("“{name}” matches {n} documents; use the document's id (see `remud info`).").format(
        name=name, n=len(found)))


def _parse_pages(spec: str, page_count: int, title: str) -> list[int]:
    pages: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise RemudError(tr("“{part}” is not a page or page range (use e.g. 1-40,45).").format(part=part)) from None
        if a > b or a < 1 or b > page_count:
            raise RemudError(tr("Pages {part} are not within 1–{count} of “{title}”.").format(
                part=part, count=page_count, title=title))
        pages.update(range(a - 1, b))
    return sorted(pages)


def parse_part(spec: str, docs: Sequence[Document]) -> dict[int, list[int]]:
    """"DOC[:PAGES];DOC[:PAGES]…" -> {doc_id: 0-based pages}; DOC is an id, title or file name, PAGES
    1-based ranges (all pages when left out)."""
    out: dict[int, list[int]] = {}
    for item in spec.split(";"):
        if not item.strip():
            continue
        name, sep, pages = item.rpartition(":")
        if not sep or not re.fullmatch(r"[\d,\s-]*", pages):  # no pages given (a title may hold a colon)
            name, pages = item, ""
        doc = _find_document(docs, name)
        chosen = _parse_pages(pages, doc.page_count, doc.title) if pages.strip() else list(range(doc.page_count))
        out[doc.id] = sorted(set(out.get(doc.id, [])) | set(chosen))
    if not out:
        raise RemudError(tr("The part “{spec}” names no document.").format(spec=spec))
    return out


def plan_parts(project: Project, *, into: int | None = None, by: str = "pages", assignees: Sequence[str] = (),
               parts: Sequence[str] = (), stem: str | None = None) -> list[PartSpec]:
    """The parts to hand out. `parts` (explicit "DOC[:PAGES];…" specs) wins over `into`/`by`; with
    `assignees` and no `into`, one part per name."""
    docs = documents.list_documents(project)
    if not docs:
        raise RemudError(tr("This project has no documents to hand out: import PDFs first."))
    names = [a.strip() for a in assignees if a.strip()]
    if len({_slug(a).lower() for a in names}) != len(names):
        raise RemudError(tr("Two assignees have the same name; give each a different one."))
    if parts:
        pages = [parse_part(spec, docs) for spec in parts]
        seen: dict[tuple[int, int], int] = {}
        for n, part in enumerate(pages):
            for doc_id, chosen in part.items():
                for p in chosen:
                    if (doc_id, p) in seen:
                        title = next(d.title for d in docs if d.id == doc_id)
                        raise RemudError(tr("Page {page} of “{title}” is in part {first} and part {second}: "
                                            "a page goes to one annotator.").format(
                            page=p + 1, title=title, first=seen[(doc_id, p)] + 1, second=n + 1))
                    seen[(doc_id, p)] = n
    else:
        count = into or len(names)
        if not count:
            raise RemudError(tr("Say how many parts (--into N), who gets them (--assignee), or which pages (--part)."))
        if by not in PLAN_MODES:
            raise RemudError(tr("Hand out by one of {modes}, not “{by}”.").format(modes=", ".join(PLAN_MODES), by=by))
        pages = _by_pages(docs, count) if by == "pages" else _by_documents(docs, count)
    if names and len(names) != len(pages):
        raise RemudError(ntr("{n} assignee for {parts} parts: give one name per part.",
                             "{n} assignees for {parts} parts: give one name per part.", len(names)).format(
            n=len(names), parts=len(pages)))
    stem = stem or project.folder.name.removesuffix(".remud")
    folders = folder_names(stem, len(pages), names)
    return [PartSpec(folder, part, names[n] if names else "") for n, (folder, part) in enumerate(zip(folders, pages))]
