"""Figures: boxes on pages, their text, status and redaction masks.

Every function here is one transaction. Functions a person's edit calls mark the
page `corrected`, so a later detection run leaves that page alone unless asked.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import sqlite_utils

from engine.errors import NotFoundError
from engine.geometry import Rect
from engine.i18n import tr
from engine.store import search
from engine.store.editlog import log_edit, was_edited_by_user
from engine.store.models import Figure, FigureStatus, FigureText, NewFigure
from engine.store.project import NEW_UID, Project, inserted_id, now

TEXT_FIELDS = ("caption", "context", "burned_text", "section", "sublabel")  # FigureText's fields, as columns
_COLS = (
    "id, doc_id, page, x0, y0, x1, y1, label, detector, score, status, caption, context, burned_text, "
    "section, sublabel, image_xref, redactions, created_at, updated_at, uid"
)


def _figure(row: Sequence[Any]) -> Figure:
    (fid, doc, page, x0, y0, x1, y1, label, detector, score, status, caption, context, burned, section, sublabel,
     xref, redactions, created, updated, uid) = row
    return Figure(
        id=fid, doc_id=doc, page=page, rect=Rect(x0, y0, x1, y1), label=label, detector=detector, score=score,
        status=FigureStatus(status), text=FigureText(caption, context, burned, section, sublabel),
        image_xref=xref, redactions=tuple(Rect(*r) for r in json.loads(redactions)),
        created_at=created, updated_at=updated, uid=uid or "",
    )


def _snapshot(fig: Figure) -> dict[str, Any]:
    """The figure as its database columns (what the edit log records)."""
    return {
        "id": fig.id, "doc_id": fig.doc_id, "page": fig.page, "label": fig.label, "detector": fig.detector,
        "score": fig.score, "status": str(fig.status), "image_xref": fig.image_xref,
        **dict(zip(("x0", "y0", "x1", "y1"), fig.rect.as_tuple())), **asdict(fig.text),
        "redactions": json.dumps([r.as_tuple() for r in fig.redactions]), "uid": fig.uid,
    }


def _insert(db: sqlite_utils.Database, fig: NewFigure, *, figure_id: int | None = None, created: str | None = None,
            uid: str | None = None) -> int:
    """A new row; `uid` None: a fresh one."""
    stamp = now()
    t = fig.text
    cur = db.execute(
        "INSERT INTO figures(id, doc_id, page, x0, y0, x1, y1, label, detector, score, status, caption, context, "
        "burned_text, section, sublabel, image_xref, redactions, created_at, updated_at, uid) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, {NEW_UID}))",
        [figure_id, fig.doc_id, fig.page, *fig.rect.as_tuple(), fig.label, fig.detector, fig.score, str(fig.status),
         t.caption, t.context, t.burned_text, t.section, t.sublabel, fig.image_xref,
         json.dumps([r.as_tuple() for r in fig.redactions]), created or stamp, stamp, uid],
    )
    new_id = inserted_id(cur)
    search.reindex_figure(db, new_id)
    return new_id


def _mark_corrected(db: sqlite_utils.Database, doc_id: int, page: int) -> None:
    db.execute("UPDATE pages SET corrected = 1 WHERE doc_id = ? AND idx = ?", [doc_id, page])


def get_figure(project: Project, figure_id: int) -> Figure:
    row = project.db.execute(f"SELECT {_COLS} FROM figures WHERE id = ?", [figure_id]).fetchone()
    if row is None:
        raise NotFoundError(tr("Figure {id} is not in this project (it may have been deleted).").format(id=figure_id))
    return _figure(row)


def list_figures(
    project: Project,
    doc_id: int | None = None,
    page: int | None = None,
    status: FigureStatus | str | None = None,
) -> list[Figure]:
    where, params = [], []
    for column, value in (("doc_id", doc_id), ("page", page), ("status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(str(value) if column == "status" else value)
    sql = f"SELECT {_COLS} FROM figures"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY doc_id, page, y0, x0, id"
    return [_figure(r) for r in project.db.execute(sql, params).fetchall()]


def count_by_status(project: Project, doc_id: int | None = None) -> dict[str, int]:
    sql = "SELECT status, count(*) FROM figures" + (" WHERE doc_id = ?" if doc_id is not None else "") + " GROUP BY status"
    counts = {s.value: 0 for s in FigureStatus}
    counts.update(dict(project.db.execute(sql, [doc_id] if doc_id is not None else []).fetchall()))
    return counts


def counts_per_page(project: Project, doc_id: int) -> dict[int, int]:
    return dict(project.db.execute(
        "SELECT page, count(*) FROM figures WHERE doc_id = ? AND status != 'rejected' GROUP BY page", [doc_id]
    ).fetchall())


def add_figure(project: Project, fig: NewFigure, *, by_user: bool = True) -> Figure:
    with project.atomic() as db:
        fid = _insert(db, fig)
        if by_user:
            _mark_corrected(db, fig.doc_id, fig.page)
        log_edit(db, "figure", fid, "create", after={"rect": fig.rect.as_tuple(), "detector": fig.detector},
                 by_user=by_user)
    return get_figure(project, fid)


def add_figures(project: Project, figs: Iterable[NewFigure]) -> list[int]:
    """Bulk insert (imports, tests, benchmarks): one transaction for all."""
    with project.atomic() as db:
        return [_insert(db, f) for f in figs]


def restore_figure(project: Project, fig: Figure, *, by_user: bool = True) -> Figure:
    """Put a deleted figure back with its old id and uid (undo of delete)."""
    new = NewFigure(fig.doc_id, fig.page, fig.rect, fig.label, fig.detector, fig.score, fig.status, fig.text,
                    fig.image_xref, fig.redactions)
    with project.atomic() as db:
        _insert(db, new, figure_id=fig.id, created=fig.created_at, uid=fig.uid or None)
        if by_user:
            _mark_corrected(db, fig.doc_id, fig.page)
        log_edit(db, "figure", fig.id, "restore", after=_snapshot(fig), by_user=by_user)
    return get_figure(project, fig.id)


def delete_figures(project: Project, figure_ids: Sequence[int], *, by_user: bool = True) -> list[Figure]:
    """Deletes and returns what was deleted (for undo)."""
    with project.atomic() as db:
        gone = []
        for fid in figure_ids:
            fig = get_figure(project, fid)
            db.execute("DELETE FROM figures WHERE id = ?", [fid])
            search.forget(db, "figure", fid)
            if by_user:
                _mark_corrected(db, fig.doc_id, fig.page)
            log_edit(db, "figure", fid, "delete", before=_snapshot(fig), by_user=by_user)
            gone.append(fig)
    return gone


def _update(project: Project, figure_id: int, action: str, columns: dict[str, Any], *, by_user: bool = True,
            continue_log: bool = False) -> Figure:
    before = get_figure(project, figure_id)
    sets = ", ".join(f"{c} = ?" for c in columns)
    with project.atomic() as db:
        db.execute(f"UPDATE figures SET {sets}, updated_at = ? WHERE id = ?", [*columns.values(), now(), figure_id])
        if any(c in columns for c in TEXT_FIELDS):
            search.reindex_figure(db, figure_id)
        if by_user:
            _mark_corrected(db, before.doc_id, before.page)
        if not (continue_log and by_user and _extend_last_edit(db, figure_id, action, columns)):
            log_edit(db, "figure", figure_id, action, before={c: _snapshot(before).get(c) for c in columns},
                     after=columns, by_user=by_user)
    return get_figure(project, figure_id)


def _extend_last_edit(db: sqlite_utils.Database, figure_id: int, action: str, columns: dict[str, Any]) -> bool:
    """If the newest edit-log row is a person's `action` on the same columns of this figure, it takes
    the new values as its `after` (a burst of typing is one entry, before to after) and True."""
    row = db.execute("SELECT id, entity, entity_id, action, after FROM edit_log ORDER BY id DESC LIMIT 1").fetchone()
    if row is None or tuple(row[1:4]) != ("figure", figure_id, action):
        return False
    try:
        after = json.loads(row[4]) if row[4] else None
    except ValueError:
        return False
    if not isinstance(after, dict) or set(after) != set(columns):
        return False
    db.execute("UPDATE edit_log SET at = ?, after = ? WHERE id = ?",
               [now(), json.dumps(columns, ensure_ascii=False, default=str), row[0]])
    return True


def set_rect(project: Project, figure_id: int, rect: Rect) -> Figure:
    x0, y0, x1, y1 = Rect.normalized(*rect.as_tuple()).as_tuple()
    return _update(project, figure_id, "rect", {"x0": x0, "y0": y0, "x1": x1, "y1": y1})


def set_status(project: Project, figure_id: int, status: FigureStatus | str) -> Figure:
    return _update(project, figure_id, "status", {"status": str(FigureStatus(status))})


def set_label(project: Project, figure_id: int, label: str) -> Figure:
    return _update(project, figure_id, "label", {"label": label})


def set_text(project: Project, figure_id: int, text: FigureText, *, by_user: bool = True) -> Figure:
    return _update(project, figure_id, "text", asdict(text), by_user=by_user)


def text_edited_by_user(project: Project, figure_ids: Iterable[int]) -> set[int]:
    """The figures among `figure_ids` whose text a person edited (automatic text association leaves those alone)."""
    return {fid for fid in figure_ids if was_edited_by_user(project.db, "figure", fid, "text")}


def set_text_fields(project: Project, figure_id: int, fields: Mapping[str, str], *, by_user: bool = True,
                    continue_log: bool = False) -> Figure:
    """Change some of a figure's text fields (TEXT_FIELDS); only those are written and logged.
    `continue_log`: a person still typing in the same fields; the edit log keeps one entry for the
    whole burst (its `before` from the first keystroke, its `after` from the last) when its newest
    entry is that burst."""
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise ValueError(f"Not a figure text field: {', '.join(sorted(unknown))}")
    if not fields:
        return get_figure(project, figure_id)
    return _update(project, figure_id, "text", dict(fields), by_user=by_user, continue_log=continue_log)


def text_fields_edited_by_user(project: Project, figure_id: int) -> set[str]:
    """The text fields (TEXT_FIELDS) of one figure that a person changed (typed, re-read, undid):
    text filled in automatically leaves those alone."""
    out: set[str] = set()
    rows = project.db.execute(
        "SELECT before, after FROM edit_log WHERE entity = 'figure' AND entity_id = ? AND action = 'text'", [figure_id]
    ).fetchall()
    for before_json, after_json in rows:
        before, after = (json.loads(v) if v else {} for v in (before_json, after_json))
        out |= {f for f in TEXT_FIELDS if f in after and (before or {}).get(f) != after[f]}
    return out


def common_label(project: Project, doc_id: int) -> str | None:
    """The most common label of a document's figures that a detector found and nobody rejected (any
    figure's when there are none; None without figures); ties go to the label seen first."""
    rows = project.db.execute(
        "SELECT label, detector != 'manual' AND status != 'rejected' FROM figures WHERE doc_id = ? ORDER BY id", [doc_id]
    ).fetchall()
    found = [label for label, detected in rows if detected] or [label for label, _ in rows]
    return Counter(found).most_common(1)[0][0] if found else None


def set_redactions(project: Project, figure_id: int, masks: Sequence[Rect]) -> Figure:
    return _update(project, figure_id, "redactions", {"redactions": json.dumps([m.as_tuple() for m in masks])})


def masks_by_page(project: Project, doc_id: int, page: int | None = None) -> dict[int, tuple[Rect, ...]]:
    """Every redaction mask of a document (or of one page), whichever figure holds it: {page: masks}."""
    sql = "SELECT page, redactions FROM figures WHERE doc_id = ? AND redactions != '[]'"
    params: list[int] = [doc_id]
    if page is not None:
        sql += " AND page = ?"
        params.append(page)
    out: dict[int, tuple[Rect, ...]] = {}
    for pg, masks in project.db.execute(sql + " ORDER BY page, id", params).fetchall():
        out[pg] = out.get(pg, ()) + tuple(Rect(*r) for r in json.loads(masks))
    return out


@dataclass(frozen=True)
class Replacement:
    new_ids: list[int]
    replaced: list[Figure]  # what the detection removed, for undo


def replace_detected(
    project: Project, doc_id: int, page: int, figures: Sequence[NewFigure], detector: str, *, force: bool = False
) -> Replacement | None:
    """Store a detection result for one page.

    Proposed figures from earlier detection runs are replaced; figures a person
    made, accepted or rejected stay. A page a person corrected is left alone
    (returns None) unless `force`.
    """
    with project.atomic() as db:
        row = db.execute("SELECT corrected FROM pages WHERE doc_id = ? AND idx = ?", [doc_id, page]).fetchone()
        if row is None:
            raise NotFoundError(tr("Page {page} of document {id} is not in this project.").format(
                page=page + 1, id=doc_id))
        if row[0] and not force:
            return None
        old = [_figure(r) for r in db.execute(
            f"SELECT {_COLS} FROM figures WHERE doc_id = ? AND page = ? AND status = 'proposed' AND detector != 'manual'",
            [doc_id, page],
        ).fetchall()]
        for fig in old:
            search.forget(db, "figure", fig.id)
        db.execute(
            "DELETE FROM figures WHERE doc_id = ? AND page = ? AND status = 'proposed' AND detector != 'manual'",
            [doc_id, page],
        )
        ids = [_insert(db, replace(f, doc_id=doc_id, page=page)) for f in figures]
        db.execute(
            "UPDATE pages SET detected_by = ?, corrected = 0 WHERE doc_id = ? AND idx = ?", [detector, doc_id, page]
        )
        log_edit(db, "document", doc_id, "detect", by_user=False, after={"page": page, "detector": detector, "figures": ids,
                                                         "replaced": [f.id for f in old]})
    return Replacement(ids, old)
