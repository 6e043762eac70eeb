"""Cross-project duplicates in a project several projects were merged into (a combined export).

Projects that share no history (no hand-out between them) can hold the same work twice: the same
box found on the same page of the same book (same sha256), the same question and answer about it.
Merging keeps both (they are different rows there); for a dataset they are one. Here a box is the
same when its page and its sides (to the nearest point) are; a record when its kind, language,
question, answer, options, correct letter, figure and page are. The accepted one (else the first)
stays; records of a dropped box move to the one kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.store import search
from engine.store.project import Project


@dataclass(frozen=True)
class Dropped:
    figures: int
    records: int


def drop_duplicates(project: Project) -> Dropped:
    """Remove cross-project duplicates of figures and records (one transaction)."""
    with project.atomic() as db:
        conn = db.conn
        conn.execute("DROP TABLE IF EXISTS temp.figdup")
        conn.execute(
            "CREATE TEMP TABLE figdup AS SELECT id, first_value(id) OVER w AS keep FROM figures "
            "WINDOW w AS (PARTITION BY doc_id, page, round(x0), round(y0), round(x1), round(y1) "
            "ORDER BY status = 'accepted' DESC, status = 'proposed' DESC, id)")
        conn.execute("DELETE FROM temp.figdup WHERE id = keep")
        conn.execute("UPDATE records SET figure_id = (SELECT keep FROM temp.figdup WHERE id = records.figure_id) "
                     "WHERE figure_id IN (SELECT id FROM temp.figdup)")
        search.forget_many(conn, "figure", "SELECT id FROM temp.figdup")
        figures = conn.execute("DELETE FROM figures WHERE id IN (SELECT id FROM temp.figdup)").rowcount
        conn.execute("DROP TABLE IF EXISTS temp.recdup")
        conn.execute(
            "CREATE TEMP TABLE recdup AS SELECT id, first_value(id) OVER w AS keep FROM records "
            "WINDOW w AS (PARTITION BY kind, language, question, answer, options, correct, figure_id, doc_id, page "
            "ORDER BY status = 'accepted' DESC, status = 'draft' DESC, id)")
        conn.execute("DELETE FROM temp.recdup WHERE id = keep")
        search.forget_many(conn, "record", "SELECT id FROM temp.recdup")
        records = conn.execute("DELETE FROM records WHERE id IN (SELECT id FROM temp.recdup)").rowcount
        conn.execute("DROP TABLE temp.figdup")
        conn.execute("DROP TABLE temp.recdup")
    return Dropped(max(figures, 0), max(records, 0))
