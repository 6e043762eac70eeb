"""The merge report and the hand-out list, as people read them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine.i18n import N_, ntr, tr
from engine.store.handout import WrittenPart
from engine.store.merge import Conflict, MergeReport

# (heading, ((count key, words with the count as {n}), ...)); translated where shown (count_lines)
COUNT_LINES = (
    (N_("documents"), (("documents_added", N_("{n} added")), ("documents_renamed", N_("{n} renamed")))),
    (N_("pages"), (("pages_changed", N_("{n} with their reviewed or corrected mark changed")),)),
    (N_("figures"), (("figures_added", N_("{n} added")), ("figures_changed", N_("{n} changed")),
                     ("figures_deleted", N_("{n} deleted")), ("figures_restored", N_("{n} restored")))),
    (N_("records"), (("records_added", N_("{n} added")), ("records_changed", N_("{n} changed")),
                     ("records_deleted", N_("{n} deleted")), ("records_restored", N_("{n} restored")))),
    (N_("synthesis"), (("jobs_added", N_("{n} jobs added")), ("items_added", N_("{n} items added")),
                       ("items_completed", N_("{n} items completed")),
                       ("duplicates_skipped", N_("{n} records of items made on both sides left out")))),
    (N_("conversations"), (("conversations_added", N_("{n} added")), ("conversations_changed", N_("{n} renamed")),
                           ("conversations_deleted", N_("{n} deleted")), ("messages_added", N_("{n} messages added")),
                           ("messages_deleted", N_("{n} messages deleted")))),
    (N_("edit history"), (("edits_added", N_("{n} entries added")),)),
    (N_("OCR cache"), (("ocr_pages_added", N_("{n} pages added")),)),
)
# what a conflict is about (Conflict.entity) and the values that stand for a side's deletion, as people read them
ENTITIES = {"figure": N_("figure"), "record": N_("record"), "page": N_("page"), "document": N_("document")}
MARKS = {"deleted": N_("deleted"), "changed": N_("changed")}
# a conflict's field (Conflict.field, stored in English) as people read it; in English it stays the field's name
FIELDS = {
    "rect": N_("rect"), "label": N_("label"), "status": N_("status"), "caption": N_("caption"),
    "context": N_("context"), "burned_text": N_("burned_text"), "section": N_("section"),
    "sublabel": N_("sublabel"), "redactions": N_("redactions"), "score": N_("score"), "detector": N_("detector"),
    "image_xref": N_("image_xref"), "question": N_("question"), "thinking": N_("thinking"), "answer": N_("answer"),
    "options": N_("options"), "correct": N_("correct"), "language": N_("language"), "flags": N_("flags"),
    "title": N_("title"), "reviewed": N_("reviewed"), "corrected": N_("corrected"), "detected_by": N_("detected_by"),
    "deleted": N_("deleted"),
}
STATUSES = {"proposed": N_("proposed"), "accepted": N_("accepted"), "rejected": N_("rejected"), "draft": N_("draft")}


def shown(value: Any, width: int = 48, *, status: bool = False) -> str:
    """A value in one short line: text quoted and cut, boxes as four numbers (`status`: a figure's or
    record's status, named in the current language)."""
    if value is None:
        return "—"
    if status and isinstance(value, str) and value in STATUSES:
        value = tr(STATUSES[value])
    if isinstance(value, list) and all(isinstance(v, int | float) for v in value):
        return "[" + ", ".join(f"{v:.0f}" for v in value) + "]"
    if isinstance(value, str) and value in MARKS:
        return tr(MARKS[value])
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return f"“{text[:width - 1] + '…' if len(text) > width else text}”"


def where(c: Conflict) -> str:
    """"figure #12, Liver p. 3" / "record #4" / "page 3 of Liver" / "document"."""
    page = ""
    if c.page is not None:
        page = (tr("{document} p. {page}").format(document=c.document, page=c.page + 1) if c.document
                else tr("p. {page}").format(page=c.page + 1))
    entity = tr(ENTITIES[c.entity]) if c.entity in ENTITIES else c.entity
    if c.entity in ("figure", "record"):
        head = (tr("{entity} #{id}").format(entity=entity, id=c.target_id) if c.target_id
                else tr("{entity} (removed)").format(entity=entity))
        return tr("{head}, {page}").format(head=head, page=page) if page else head
    if c.entity == "page":
        number = c.page + 1 if c.page is not None else "?"
        return (tr("page {page} of {document}").format(page=number, document=c.document) if c.document
                else tr("page {page}").format(page=number))
    return tr("document {document}").format(document=c.document) if c.document else entity


def conflict_line(c: Conflict, source_name: str) -> str:
    here = tr("this project")
    kept, other = (source_name, here) if c.kept == "source" else (here, source_name)
    kept_value, other_value = ((c.source_value, c.target_value) if c.kept == "source"
                               else (c.target_value, c.source_value))
    # Translators: {field} is a stored field's name (caption, rect); {kept} and {other} name a project
    # (or "this project"), {kept_value} and {other_value} their versions, {reason} why one was kept
    return tr("{where} · {field}: kept {kept}'s {kept_value}, not {other}'s {other_value} ({reason})").format(
        where=where(c), field=tr(FIELDS[c.field]) if c.field in FIELDS else c.field, kept=kept,
        kept_value=shown(kept_value, status=c.field == "status"), other=other,
        other_value=shown(other_value, status=c.field == "status"), reason=c.reason)


def count_lines(report: MergeReport) -> list[str]:
    """"figures: 3 added, 1 changed" … one line per kind of thing the merge changed."""
    lines = []
    for heading, parts in COUNT_LINES:
        said = [tr(words).format(n=report.counts[k]) for k, words in parts if report.counts.get(k)]
        if said:
            lines.append(tr("{heading}: {counts}").format(heading=tr(heading), counts=tr(", ").join(said)))
    return lines


def merge_summary(report: MergeReport, *, conflicts: int = 50) -> str:
    """The report in a few lines, the conflicts one per line (the first `conflicts`)."""
    if not report.changed:
        return "\n".join(report.notes) or tr("Nothing new in {name}: nothing changed.").format(name=report.source_name)
    lines = [tr("Merged {name} ({source}) into {target} in {seconds} s").format(
        name=report.source_name, source=report.source, target=report.target, seconds=f"{report.seconds:.1f}")]
    lines += [f"  {line}" for line in count_lines(report)]
    if report.conflicts:
        n = len(report.conflicts)
        lines.append("  " + ntr("{n} conflict (both changed it; the other version is in the edit log):",
                                "{n} conflicts (both changed it; the other version is in the edit log):", n).format(n=n))
        lines += [f"    {conflict_line(c, report.source_name)}" for c in report.conflicts[:conflicts]]
        if n > conflicts:
            lines.append("    " + tr("… and {n} more (--json lists them all)").format(n=n - conflicts))
    if report.duplicates:
        lines.append("  " + ntr("{n} record of synthesis items this project had made too was left out "
                                "(kept in the edit log):",
                                "{n} records of synthesis items this project had made too were left out "
                                "(kept in the edit log):", len(report.duplicates)).format(n=len(report.duplicates)))
        lines += [f"    {d['kind']}: {shown(d['question'])}" for d in report.duplicates[:conflicts]]
    lines += ["  " + tr("note: {note}").format(note=n) for n in report.notes]
    if report.backup:
        lines.append("  " + tr("backup of the project before the merge: {path}").format(path=report.backup))
    return "\n".join(lines)


def split_summary(parts: Sequence[WrittenPart]) -> str:
    lines = []
    for p in parts:
        docs = tr("; ").join(tr("{document} p. {page}").format(document=d.title, page=d.pages) for d in p.info.documents)
        figures = ntr("{n} figure", "{n} figures", p.figures).format(n=p.figures)
        records = ntr("{n} record", "{n} records", p.records).format(n=p.records)
        if p.info.assignee:
            lines.append(tr("{folder} for {assignee}: {documents} ({figures}, {records})").format(
                folder=p.folder, assignee=p.info.assignee, documents=docs, figures=figures, records=records))
        else:
            lines.append(tr("{folder}: {documents} ({figures}, {records})").format(
                folder=p.folder, documents=docs, figures=figures, records=records))
    return "\n".join(lines)
