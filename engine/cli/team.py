"""`remud split | merge`: hand out parts of a project to several annotators, and merge them back.

Wired into engine.cli with `add_team_parser(sub, common)`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli.common import add_command, positive_int, progress_bar
from engine.i18n import ntr, tr
from engine.store.project import Project
from engine.team import PLAN_MODES, merge_sources, merge_summary, split_project, split_summary


def cmd_split(args) -> int:
    with Project.open(args.project) as p, progress_bar(tr("handing out"), None, args.quiet or args.json, unit="part") as bar:
        def progress(done: int, total: int, text: str) -> None:
            bar.total, bar.n = total, done
            bar.set_description_str(text)
            bar.refresh()

        parts = split_project(p, args.out_dir, into=args.into, by=args.by, assignees=args.assignee, parts=args.part,
                              stem=args.name, progress=progress)
    if args.json:
        print(json.dumps({"project": str(Path(args.project).resolve()), "parts": [w.as_dict() for w in parts]},
                         ensure_ascii=False, indent=2))
    else:
        print(split_summary(parts))
        command = f"remud merge {args.project} {' '.join(str(w.folder) for w in parts)}"
        print(ntr("Handed out {n} part; merge them back with `{command}`.",
                  "Handed out {n} parts; merge them back with `{command}`.", len(parts)).format(
            n=len(parts), command=command))
    return 0


def cmd_merge(args) -> int:
    with Project.open(args.project) as p, progress_bar(tr("merging"), None, args.quiet or args.json, unit="step") as bar:
        def progress(done: int, total: int, text: str) -> None:
            bar.total, bar.n = total, done
            bar.set_description_str(text)
            bar.refresh()

        reports = merge_sources(p, args.sources, progress=progress)
    if args.json:
        print(json.dumps({"target": str(Path(args.project).resolve()), "merges": [r.as_dict() for r in reports]},
                         ensure_ascii=False, indent=2, default=str))
    else:
        print("\n\n".join(merge_summary(r, conflicts=args.conflicts) for r in reports))
    return 0


def add_team_parser(sub, common: argparse.ArgumentParser) -> None:
    """Adds `split` and `merge` under the `remud` subparsers."""
    sp = add_command(sub, common, "split", cmd_split,
                     tr("hand out parts of a project: one project folder per part (pages, documents or assignees)"))
    sp.add_argument("out_dir", help=tr("folder to write the parts into (<name>-1.remud, … or <name>-<assignee>.remud)"))
    sp.add_argument("--into", type=positive_int, metavar="N", help=tr("number of parts"))
    sp.add_argument("--by", choices=PLAN_MODES, default="pages",
                    help=tr("pages: contiguous page ranges of about equal length (a document may be shared out); "
                            "documents: whole documents, balanced by pages"))
    sp.add_argument("--assignee", action="append", default=[], metavar="NAME",
                    help=tr("who gets a part (repeatable, in part order); without --into, one part per name"))
    sp.add_argument("--part", action="append", default=[], metavar="SPEC",
                    help=tr("the pages of one part (repeatable): DOC[:PAGES][;DOC[:PAGES]…], DOC an id, title or "
                            "file name, PAGES 1-based like 1-40,45 (default all)"))
    sp.add_argument("--name", help=tr("folder name stem of the parts (default: the project folder's name)"))
    sp = add_command(sub, common, "merge", cmd_merge,
                     tr("merge projects (handed-out parts, usually) into a project: changes, conflicts and a report"))
    sp.add_argument("sources", nargs="+", metavar="SOURCE", help=tr("project folders to merge in, in this order"))
    sp.add_argument("--conflicts", type=positive_int, default=50, metavar="N",
                    help=tr("conflicts listed in the summary (default 50; --json lists all)"))
