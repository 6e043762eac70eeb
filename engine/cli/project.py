"""`remud`: everything the app does, from the command line.

Output is for people by default; `--json` gives machine-readable output. On error:
one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

from engine import __version__
from engine.cli_args import dpi, positive_int
from engine.errors import PasswordRequiredError, RemudError, WrongPasswordError
from engine.filenames import readable
from engine.pdf.resolution import MAX_DPI, MIN_DPI
from engine.store.faults import store_error
from engine.store.project import Project


def parse_pages(spec: str | None, page_count: int) -> list[int] | None:
    """'1-3,7' (1-based, inclusive) -> [0, 1, 2, 6]. None means all pages."""
    if not spec:
        return None
    pages: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise RemudError(f"“{part}” is not a page or page range (use e.g. 1-5,8).") from None
        if a > b:
            raise RemudError(f"“{part}” is not a valid range: the first page comes after the last.")
        if a < 1 or b > page_count:
            raise RemudError(f"Pages {part} are outside 1–{page_count}.")
        pages.update(range(a - 1, b))
    return sorted(pages)


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise RemudError(f"--param needs key=value, got “{item}”.")
        try:
            params[key.replace("-", "_")] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.replace("-", "_")] = raw
    return params


def _progress(desc: str, total: int | None, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="page", disable=quiet or not sys.stderr.isatty(), leave=False)


def _emit(args, data: Any, text: str) -> None:
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


# -- commands ---------------------------------------------------------------------------
def cmd_new(args) -> int:
    with Project.create(args.project) as p:
        _emit(args, {"project": str(p.folder)}, f"Created project {p.folder}")
    return 0


def cmd_sample(args) -> int:
    from engine.sample import make_sample_project

    folder = make_sample_project(Path(args.project))
    _emit(args, {"project": str(folder)}, f"Sample project ready: {folder}")
    return 0


def _import_one(p: Project, path: Path, args):
    from engine.pdf.importer import import_pdf

    password = os.environ.get(args.password_env) if args.password_env else None
    name = readable(path.name)
    while True:
        with _progress(name, 0, args.quiet) as bar:
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
        password = getpass.getpass(f"Password for {name}: ")


def cmd_import(args) -> int:
    from engine.pdf.importer import expand_paths

    out = []
    files = expand_paths(args.files)
    if not files:
        raise RemudError(f"No PDF files found in {', '.join(map(readable, args.files))}.")
    with Project.open(args.project) as p:
        for path in files:
            try:
                result = _import_one(p, path, args)
            except RemudError as exc:
                out.append({"file": readable(path), "error": str(exc)})
                print(f"error: {exc}", file=sys.stderr)
                continue
            out.append({"file": readable(path), "document_id": result.document.id, "pages": result.document.page_count,
                        "already_present": result.already_present, "warnings": result.warnings})
            if not args.json:
                print(result.message)
            for warning in result.warnings:
                print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    return 1 if any("error" in item for item in out) else 0


def _documents(p: Project, doc_id: int | None):
    from engine.store import documents

    docs = documents.list_documents(p)
    if doc_id is not None:
        docs = [documents.get_document(p, doc_id)]
    if not docs:
        raise RemudError("This project has no documents yet: run `remud import` first.")
    return docs


def cmd_detect(args) -> int:
    from engine.detect import registry
    from engine.detect.run import detect_document
    from engine.text.pipeline import fill_figure_text

    params = parse_params(args.param)
    detector = registry.create(args.detector, **params)
    summary = []
    with Project.open(args.project) as p:
        docs = _documents(p, args.doc)
        if args.pages and len(docs) > 1:
            raise RemudError("--pages needs --doc: this project has several documents (see `remud info`).")
        for doc in docs:
            pages = parse_pages(args.pages, doc.page_count)
            total = doc.page_count if pages is None else len(pages)
            bar = _progress(f"{doc.title[:30]} · {args.detector}", total, args.quiet)

            def progress(i, n, bar=bar):
                bar.n = i
                bar.refresh()

            report = detect_document(p, doc.id, detector, pages, force=args.force, progress=progress)
            bar.close()
            for sentence in report.pages_failed:
                print(f"warning: {doc.title}: {sentence}", file=sys.stderr)
            if not args.no_text:
                with _progress("captions and context", None, args.quiet) as bar:
                    fill_figure_text(p, doc.id, pages, ocr=not args.no_ocr,
                                     progress=lambda message, bar=bar: (bar.set_description_str(message), bar.refresh()))
            summary.append({"document_id": doc.id, "title": doc.title, **asdict(report)})
            if not args.json:
                skipped = f", {len(report.pages_skipped)} corrected pages left alone" if report.pages_skipped else ""
                print(f"{doc.title}: {report.figures} figures on {report.pages_done} pages ({args.detector}){skipped}")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 1 if any(s["pages_failed"] for s in summary) else 0


def cmd_figures(args) -> int:
    from engine.store import figures

    with Project.open(args.project) as p:
        figs = figures.list_figures(p, args.doc, None if args.page is None else args.page - 1, args.status)
        if args.id:
            figs = [f for f in figs if f.id in set(args.id)]
        if args.set_status:
            for f in figs:
                figures.set_status(p, f.id, args.set_status)
            _emit(args, [f.id for f in figs], f"{len(figs)} figure(s) marked {args.set_status}")
            return 0
        if args.export:
            from engine.pdf.crops import export_crops

            bar = _progress("crops", len(figs), args.quiet)
            written = export_crops(p, figs, args.export, dpi=args.dpi,
                                   progress=lambda i, n: (setattr(bar, "n", i), bar.refresh()))
            bar.close()
            _emit(args, [str(w) for w in written], f"Wrote {len(written)} crops to {args.export}")
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
            print("No figures.")
        for r in rows:
            x0, y0, x1, y1 = r["rect"]
            caption = (r["caption"] or "—").replace("\n", " ")[:60]
            print(f"#{r['id']:<6} doc {r['document_id']} p.{r['page']:<4} {r['status']:<9} {r['detector']:<9} "
                  f"[{x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f}] {r['sublabel'] + ' ' if r['sublabel'] else ''}{caption}")
    return 0


def cmd_search(args) -> int:
    from engine.store import search

    with Project.open(args.project) as p:
        hits = search.query(p.db, args.query, entity=args.kind, limit=args.limit)
    _emit(args, [asdict(h) for h in hits],
          "\n".join(f"{h.kind:<7} #{h.id:<6} {h.snippet}" for h in hits) or "No matches.")
    return 0


def cmd_info(args) -> int:
    from engine.store import documents
    from engine.store.info import project_info

    with Project.open(args.project) as p:
        info = project_info(p)
        docs = documents.list_documents(p)
        state = p.read_only
    if state and not args.json:
        print(f"note: {state}", file=sys.stderr)
    data = {**asdict(info), "documents_list": [asdict(d) for d in docs], "read_only": state}
    lines = [
        f"Project   {info.path}  (schema {info.schema_version})",
        f"Documents {info.documents}   pages {info.pages} ({info.pages_reviewed} reviewed)",
        "Figures   {} ({})".format(info.figures, ", ".join(f"{k} {v}" for k, v in info.figures_by_status.items())),
        f"Records   {info.records}",
    ] + [f"  #{d.id} {d.title} — {d.page_count} pages" for d in docs]
    _emit(args, data, "\n".join(lines))
    return 0


def cmd_repair(args) -> int:
    from engine.store.repair import repair_project

    say = (lambda message: None) if args.quiet or args.json else (lambda message: print(message, file=sys.stderr))
    report = repair_project(args.project, out=args.out, progress=say)
    data = {**asdict(report), "summary": report.summary}
    _emit(args, data, report.summary)
    return 0


def cmd_detectors(args) -> int:
    from engine.detect import registry

    cards = registry.available()
    _emit(args, [asdict(c) for c in cards], "\n".join(f"{c.name:<9} {c.title} — {c.description}" for c in cards))
    return 0


# -- parser -----------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="remud", description="ReMUD Desktop from the command line.")
    parser.add_argument("--version", action="version", version=f"remud {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_text: str, project: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        if project:
            sp.add_argument("project", help="project folder")
        sp.set_defaults(func=func)
        return sp

    add("new", cmd_new, "create an empty project folder")
    add("sample", cmd_sample, "create (or refresh) the sample project in a folder")
    sp = add("import", cmd_import, "import PDFs (files or folders) into a project")
    sp.add_argument("files", nargs="+")
    sp.add_argument("--password-env", metavar="VAR", help="read the PDF password from this environment variable")
    sp = add("detect", cmd_detect, "find figures on pages and fill in their captions and context")
    sp.add_argument("--detector", "-d", default="auto", help="detector name (see `remud detectors`)")
    sp.add_argument("--doc", type=int, help="document id (default: all documents)")
    sp.add_argument("--pages", help="pages, 1-based, e.g. 1-5,8 (default: all)")
    sp.add_argument("--force", action="store_true", help="also re-detect pages a person corrected")
    sp.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="detector setting")
    sp.add_argument("--no-text", action="store_true", help="skip the caption/context step")
    sp.add_argument("--no-ocr", action="store_true", help="text layer only: no OCR of scanned pages or figure crops")
    sp = add("figures", cmd_figures, "list figures, or export their crops")
    sp.add_argument("--doc", type=int)
    sp.add_argument("--page", type=int, help="1-based page")
    sp.add_argument("--status", choices=["proposed", "accepted", "rejected"])
    sp.add_argument("--id", type=int, action="append", default=[], metavar="ID", help="only this figure (repeatable)")
    sp.add_argument("--set-status", choices=["proposed", "accepted", "rejected"],
                    help="mark the figures chosen by the other options (e.g. accept a whole page)")
    sp.add_argument("--export", metavar="FOLDER", help="write crops (masks applied) as PNG files here")
    sp.add_argument("--dpi", type=dpi, default=200.0,
                    help=f"resolution of rendered crops, {MIN_DPI:g} to {MAX_DPI:g} (default 200)")
    sp = add("search", cmd_search, "full-text search over captions, context and records")
    sp.add_argument("query")
    sp.add_argument("--kind", choices=["figure", "record"])
    sp.add_argument("--limit", type=positive_int, default=50)
    add("info", cmd_info, "what a project holds")
    sp = add("repair", cmd_repair, "save what can be read from a damaged project database into a new one")
    sp.add_argument("--out", metavar="FILE", help="write the repaired database here and leave the project as it is")
    add("detectors", cmd_detectors, "list the available detectors", project=False)
    from engine.cli_chat import add_chat_parser
    from engine.cli_eval import add_eval_parser
    from engine.cli_export import add_export_parser
    from engine.cli_records import add_records_parser
    from engine.cli_settings import add_settings_parser
    from engine.cli_synth import add_synth_parser

    add_records_parser(sub, common)
    add_synth_parser(sub, common)
    add_export_parser(sub, common)
    add_eval_parser(sub, common)
    add_chat_parser(sub, common)
    add_settings_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except RemudError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # a read that met a damaged, locked or vanished database
        print(f"error: {store_error(exc, Path(getattr(args, 'project', None) or '.'))}", file=sys.stderr)
        return 1
    except OSError as exc:  # disk full, permissions, a path that is a file...
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; work finished so far is saved.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
