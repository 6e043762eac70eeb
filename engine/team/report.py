"""The merge report and the hand-out list, as people read them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine.store.handout import WrittenPart
from engine.store.merge import Conflict, MergeReport

COUNT_LINES = (  # (heading, ((count key, words), ...))
    ("documents", (("documents_added", "added"), ("documents_renamed", "renamed"))),
    ("pages", (("pages_changed", "with their reviewed or corrected mark changed"),)),
    ("figures", (("figures_added", "added"), ("figures_changed", "changed"), ("figures_deleted", "deleted"),
                 ("figures_restored", "restored"))),
    ("records", (("records_added", "added"), ("records_changed", "changed"), ("records_deleted", "deleted"),
                 ("records_restored", "restored"))),
    ("synthesis", (("jobs_added", "jobs added"), ("items_added", "items added"),
                   ("items_completed", "items completed"), ("duplicates_skipped", "records of items made on both sides "
                                                            "left out"))),
    ("conversations", (("conversations_added", "added"), ("conversations_changed", "renamed"),
                       ("conversations_deleted", "deleted"), ("messages_added", "messages added"),
                       ("messages_deleted", "messages deleted"))),
    ("edit history", (("edits_added", "entries added"),)),
    ("OCR cache", (("ocr_pages_added", "pages added"),)),
)


def shown(value: Any, width: int = 48) -> str:
    """A value in one short line: text quoted and cut, boxes as four numbers."""
    if value is None:
        return "—"
    if isinstance(value, list) and all(isinstance(v, int | float) for v in value):
        return "[" + ", ".join(f"{v:.0f}" for v in value) + "]"
    if isinstance(value, str) and value in ("deleted", "changed"):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return f"“{text[:width - 1] + '…' if len(text) > width else text}”"


def where(c: Conflict) -> str:
    """"figure #12, Liver p. 3" / "record #4" / "page 3 of Liver" / "document"."""
    page = f"{c.document + ' ' if c.document else ''}p. {c.page + 1}" if c.page is not None else ""
    if c.entity in ("figure", "record"):
        head = f"{c.entity} #{c.target_id}" if c.target_id else f"{c.entity} (removed)"
        return f"{head}, {page}" if page else head
    if c.entity == "page":
        return f"page {c.page + 1 if c.page is not None else '?'}" + (f" of {c.document}" if c.document else "")
    return f"document {c.document}" if c.document else c.entity


def conflict_line(c: Conflict, source_name: str) -> str:
    kept, other = (source_name, "this project") if c.kept == "source" else ("this project", source_name)
    kept_value, other_value = ((c.source_value, c.target_value) if c.kept == "source"
                               else (c.target_value, c.source_value))
    return (f"{where(c)} · {c.field}: kept {kept}'s {shown(kept_value)}, not {other}'s {shown(other_value)} "
            f"({c.reason})")


def count_lines(report: MergeReport) -> list[str]:
    """"figures: 3 added, 1 changed" … one line per kind of thing the merge changed."""
    lines = []
    for heading, parts in COUNT_LINES:
        said = [f"{report.counts[k]} {words}" for k, words in parts if report.counts.get(k)]
        if said:
            lines.append(f"{heading}: {', '.join(said)}")
    return lines


def merge_summary(report: MergeReport, *, conflicts: int = 50) -> str:
    """The report in a few lines, the conflicts one per line (the first `conflicts`)."""
    if not report.changed:
        return "\n".join(report.notes) or f"Nothing new in {report.source_name}: nothing changed."
    lines = [f"Merged {report.source_name} ({report.source}) into {report.target} in {report.seconds:.1f} s"]
    lines += [f"  {line}" for line in count_lines(report)]
    if report.conflicts:
        n = len(report.conflicts)
        lines.append(f"  {n} conflict{'s' if n != 1 else ''} (both changed it; the other version is in the edit log):")
        lines += [f"    {conflict_line(c, report.source_name)}" for c in report.conflicts[:conflicts]]
        if n > conflicts:
            lines.append(f"    … and {n - conflicts} more (--json lists them all)")
    if report.duplicates:
        lines.append(f"  {len(report.duplicates)} record(s) of synthesis items this project had made too were left "
                     "out (kept in the edit log):")
        lines += [f"    {d['kind']}: {shown(d['question'])}" for d in report.duplicates[:conflicts]]
    lines += [f"  note: {n}" for n in report.notes]
    if report.backup:
        lines.append(f"  backup of the project before the merge: {report.backup}")
    return "\n".join(lines)


def split_summary(parts: Sequence[WrittenPart]) -> str:
    lines = []
    for p in parts:
        who = f" for {p.info.assignee}" if p.info.assignee else ""
        docs = "; ".join(f"{d.title} p. {d.pages}" for d in p.info.documents)
        lines.append(f"{p.folder}{who}: {docs} ({p.figures} figures, {p.records} records)")
    return "\n".join(lines)
