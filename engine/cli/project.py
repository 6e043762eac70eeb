"""`remud new | sample | import | detect | figures | search | info | repair | detectors`:
projects, their PDFs and the figures found in them.

Wired into engine.cli with `add_project_parser(sub, common)`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path

from engine.cli.common import (
    EXIT_USAGE,
    add_command,
    dpi,
    emit,
    error_line,
    parse_pages,
    parse_params,
    positive_int,
    progress_bar,
    shown,
    warning_line,
)
from engine.detect import registry
from engine.detect.base import close_detector
from engine.detect.run import detect_document
from engine.errors import PasswordRequiredError, RemudError, WrongPasswordError
from engine.filenames import readable
from engine.i18n import ntr, tr
from engine.pdf.crops import export_crops
from engine.pdf.importer import expand_paths, import_pdf
from engine.pdf.resolution import MAX_DPI, MIN_DPI
from engine.store import documents, figures, search
from engine.store.info import project_info
from engine.store.project import Project
from engine.store.repair import repair_project


# -- commands ---------------------------------------------------------------------------
def cmd_new(args) -> int:
    with Project.create(args.project) as p:
        emit(args, {"project": str(p.folder)}, tr("Created project {folder}").format(folder=p.folder))
    return 0


def cmd_sample(args) -> int:
    from engine.sample import make_sample_project  # deferred: it and its PDF drawing add about 30 ms to every start

    folder = make_sample_project(Path(args.project))
    emit(args, {"project": str(folder)}, tr("Sample project ready: {folder}").format(folder=folder))
    return 0


def _import_one(p: Project, path: Path, args):
    password = os.environ.get(args.password_env) if args.password_env else None
    name = readable(path.name)
    while True:
        with progress_bar(name, 0, args.quiet) as bar:
            def progress(i: int, n: int) -> None:
                bar.total, bar.n = n, i
                bar.refresh()

            try:
                return import_pdf(p, path, password=password, progress=progress)
            except PasswordRequiredError:
                if not sys.stdin.isatty():
                    raise
            except WrongPasswordError as exc:
                if not sys.stdin.isatty():
                    raise
                print(exc, file=sys.stderr)
        password = getpass.getpass(tr("Password for {name}: ").format(name=name))


def cmd_import(args) -> int:
    out = []
    files = expand_paths(args.files)
    if not files:
        raise RemudError(tr("No PDF files found in {paths}.").format(paths=", ".join(map(readable, args.files))))
    with Project.open(args.project) as p:
        for path in files:
            try:
                result = _import_one(p, path, args)
            except RemudError as exc:
                out.append({"file": readable(path), "error": str(exc)})
                print(error_line(str(exc)), file=sys.stderr)
                continue
            out.append({"file": readable(path), "document_id": result.document.id, "pages": result.document.page_count,
                        "already_present": result.already_present, "warnings": result.warnings})
            if not args.json:
                print(result.message)
            for warning in result.warnings:
                print(warning_line(warning), file=sys.stderr)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    return 1 if any("error" in item for item in out) else 0


def _documents(p: Project, doc_id: int | None):
    docs = documents.list_documents(p)
    if doc_id is not None:
        docs = [documents.get_document(p, doc_id)]
    if not docs:
        raise RemudError(tr("This project has no documents yet: run `remud import` first."))
    return docs


def cmd_detect(args) -> int:
    from engine.text.pipeline import fill_figure_text  # deferred: the text pipeline adds about 17 ms to every start
    from engine.text.reading import ReadProgress

    params = parse_params(args.param)
    detector = registry.create(args.detector, **params)
    summary = []
    with Project.open(args.project) as p, ExitStack() as done:
        done.callback(close_detector, detector)  # a model it loaded is released when the command is through
        docs = _documents(p, args.doc)
        if args.pages and len(docs) > 1:
            raise RemudError(tr("--pages needs --doc: this project has several documents (see `remud info`)."))
        for doc in docs:
            pages = parse_pages(args.pages, doc.page_count)
            total = doc.page_count if pages is None else len(pages)
            bar = progress_bar(f"{doc.title[:30]} · {args.detector}", total, args.quiet)

            def progress(i, n, bar=bar):
                bar.n = i
                bar.refresh()

            report = detect_document(p, doc.id, detector, pages, force=args.force, progress=progress,
                                     retry_failed=args.retry_failed)
            bar.close()
            for sentence in report.pages_failed:
                print(warning_line(f"{doc.title}: {sentence}"), file=sys.stderr)
            text_failed: list[str] = []
            if not args.no_text:
                with progress_bar(tr("captions and context"), None, args.quiet) as bar:
                    def step(state: ReadProgress, bar=bar) -> None:
                        if state.total and bar.total != state.total:
                            bar.reset(total=state.total)
                        bar.n = state.done
                        bar.set_description_str(state.sentence())
                        bar.refresh()

                    fill_figure_text(p, doc.id, pages, ocr=not args.no_ocr, on_progress=step,
                                     on_failed=text_failed.append, retry_failed=args.retry_failed)
            for sentence in text_failed:
                print(warning_line(f"{doc.title}: {sentence}"), file=sys.stderr)
            summary.append({"document_id": doc.id, "title": doc.title, **asdict(report), "text_failed": text_failed})
            if not args.json:
                print(_detect_line(doc.title, report, args.detector))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 1 if any(s["pages_failed"] or s["text_failed"] for s in summary) else 0


def cmd_figures(args) -> int:
    with Project.open(args.project) as p:
        figs = figures.list_figures(p, args.doc, None if args.page is None else args.page - 1, args.status)
        if args.id:
            figs = [f for f in figs if f.id in set(args.id)]
        if args.set_status:
            if not (args.doc is not None or args.page is not None or args.status or args.id or args.all):
                # a command that would change too much without saying so: a usage error, as argparse exits
                print(error_line(tr("--set-status without --doc, --page, --status or --id would change every figure "
                                    "of the project; add --all to mean that.")), file=sys.stderr)
                return EXIT_USAGE
            for f in figs:
                figures.set_status(p, f.id, args.set_status)
            # Translators: {status} is proposed, accepted or rejected
            emit(args, [f.id for f in figs], tr("{n} figure(s) marked {status}").format(
                n=len(figs), status=shown(args.set_status)))
            return 0
        if args.export:
            bar = progress_bar(tr("crops"), len(figs), args.quiet)

            def crop_done(i: int, n: int) -> None:
                bar.n = i
                bar.refresh()

            written = export_crops(p, figs, args.export, dpi=args.dpi, progress=crop_done)
            bar.close()
            emit(args, [str(w) for w in written], tr("Wrote {n} crops to {folder}").format(
                n=len(written), folder=args.export))
            return 0
        rows = [
            {"id": f.id, "document_id": f.doc_id, "page": f.page + 1, "rect": list(f.rect.as_tuple()),
             "label": f.label, "detector": f.detector, "score": round(f.score, 3), "status": str(f.status),
             **asdict(f.text), "redactions": [list(r.as_tuple()) for r in f.redactions]}
            for f in figs
        ]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        if not rows:
            print(tr("No figures."))
        for r in rows:
            x0, y0, x1, y1 = r["rect"]
            caption = (r["caption"] or "—").replace("\n", " ")[:60]
            # Translators: one figure per line; "doc" is the document id, "p." the page
            where = tr("doc {doc} p.{page}").format(doc=r["document_id"], page=f"{r['page']:<4}")
            print(f"#{r['id']:<6} {where} {shown(r['status']):<9} {r['detector']:<9} "
                  f"[{x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f}] {r['sublabel'] + ' ' if r['sublabel'] else ''}{caption}")
    return 0


def cmd_search(args) -> int:
    with Project.open(args.project) as p:
        hits = search.query(p, args.query, entity=args.kind, limit=args.limit)
    emit(args, [asdict(h) for h in hits],
          "\n".join(f"{shown(h.kind):<7} #{h.id:<6} {h.snippet}" for h in hits) or tr("No matches."))
    return 0


def cmd_info(args) -> int:
    with Project.open(args.project) as p:
        info = project_info(p)
        docs = documents.list_documents(p)
        state = p.read_only
    if state and not args.json:
        print(tr("note: {message}").format(message=state), file=sys.stderr)
    data = {**asdict(info), "documents_list": [asdict(d) for d in docs], "read_only": state}
    by_status = ", ".join(f"{shown(k)} {v}" for k, v in info.figures_by_status.items())
    # Translators: `remud info`; the first words of these lines are aligned in English (pad them as you like)
    lines = [
        tr("Project   {path}  (schema {version})").format(path=info.path, version=info.schema_version),
        tr("Documents {documents}   pages {pages} ({reviewed} reviewed)").format(
            documents=info.documents, pages=info.pages, reviewed=info.pages_reviewed),
        tr("Figures   {figures} ({by_status})").format(figures=info.figures, by_status=by_status),
        tr("Records   {records}").format(records=info.records),
    ] + ["  " + tr("#{id} {title} — {n} pages").format(id=d.id, title=d.title, n=d.page_count) for d in docs]
    emit(args, data, "\n".join(lines))
    return 0


def cmd_repair(args) -> int:
    say = (lambda message: None) if args.quiet or args.json else (lambda message: print(message, file=sys.stderr))
    report = repair_project(args.project, out=args.out, progress=say)
    data = {**asdict(report), "summary": report.summary}
    emit(args, data, report.summary)
    return 0


def cmd_detectors(args) -> int:
    cards = registry.available()
    emit(args, [asdict(c) for c in cards], "\n".join(f"{c.name:<9} {c.title} — {c.description}" for c in cards))
    return 0


def _detect_line(title: str, report, detector: str) -> str:
    """`remud detect`'s summary line of one document."""
    line = tr("{title}: {figures} figures on {pages} pages ({detector})").format(
        title=title, figures=report.figures, pages=report.pages_done, detector=detector)
    if report.pages_skipped:
        line += tr(", {n} corrected pages left alone").format(n=len(report.pages_skipped))
    failed = [f["page"] for f in report.failed_pages]
    if failed:
        line += ntr("; {n} page failed: {pages} (see the warnings above)",
                    "; {n} pages failed: {pages} (see the warnings above)", len(failed)).format(
            n=len(failed), pages=", ".join(map(str, failed)))
    return line


# -- parser -----------------------------------------------------------------------------
def add_project_parser(sub, common: argparse.ArgumentParser) -> None:
    """Adds the project commands (new ... detectors) under the `remud` subparsers; each sets `func`."""

    def add(name: str, func, help_text: str, project: bool = True) -> argparse.ArgumentParser:
        return add_command(sub, common, name, func, help_text, project=project)

    add("new", cmd_new, tr("create an empty project folder"))
    add("sample", cmd_sample, tr("create (or refresh) the sample project in a folder"))
    sp = add("import", cmd_import, tr("import PDFs (files or folders) into a project"))
    sp.add_argument("files", nargs="+")
    sp.add_argument("--password-env", metavar="VAR", help=tr("read the PDF password from this environment variable"))
    sp = add("detect", cmd_detect, tr("find figures on pages and fill in their captions and context"))
    sp.add_argument("--detector", "-d", default="auto", help=tr("detector name (see `remud detectors`)"))
    sp.add_argument("--doc", type=int, help=tr("document id (default: all documents)"))
    sp.add_argument("--pages", help=tr("pages, 1-based, e.g. 1-5,8 (default: all)"))
    sp.add_argument("--force", action="store_true", help=tr("also re-detect pages a person corrected"))
    sp.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help=tr("detector setting"))
    sp.add_argument("--no-text", action="store_true", help=tr("skip the caption/context step"))
    sp.add_argument("--no-ocr", action="store_true", help=tr("text layer only: no OCR of scanned pages or figure crops"))
    sp.add_argument("--retry-failed", action="store_true",
                    help=tr("try again pages where detection or OCR crashed in an earlier run (left out otherwise)"))
    sp = add("figures", cmd_figures, tr("list figures, or export their crops"))
    sp.add_argument("--doc", type=int)
    sp.add_argument("--page", type=int, help=tr("1-based page"))
    sp.add_argument("--status", choices=["proposed", "accepted", "rejected"])
    sp.add_argument("--id", type=int, action="append", default=[], metavar="ID", help=tr("only this figure (repeatable)"))
    sp.add_argument("--set-status", choices=["proposed", "accepted", "rejected"],
                    help=tr("mark the figures chosen by the other options (e.g. accept a whole page); "
                            "every figure of the project only with --all"))
    sp.add_argument("--all", action="store_true", help=tr("with --set-status and no other option: every figure"))
    sp.add_argument("--export", metavar="FOLDER", help=tr("write crops (masks applied) as PNG files here"))
    sp.add_argument("--dpi", type=dpi, default=200.0,
                    help=tr("resolution of rendered crops, {min} to {max} (default 200)").format(
                        min=f"{MIN_DPI:g}", max=f"{MAX_DPI:g}"))
    sp = add("search", cmd_search, tr("full-text search over captions, context and records"))
    sp.add_argument("query")
    sp.add_argument("--kind", choices=["figure", "record"])
    sp.add_argument("--limit", type=positive_int, default=50)
    add("info", cmd_info, tr("what a project holds"))
    sp = add("repair", cmd_repair, tr("save what can be read from a damaged project database into a new one"))
    sp.add_argument("--out", metavar="FILE", help=tr("write the repaired database here and leave the project as it is"))
    add("detectors", cmd_detectors, tr("list the available detectors"), project=False)
