"""Full-text search over figure text and record text (SQLite FTS5).

FTS5's unicode61 tokenizer splits on spaces, which Chinese does not use. Text is
indexed with every CJK character as its own token, and a Chinese query becomes a
phrase of those characters, so "肝右叶" matches inside "图3-1肝右叶显示" and a
one-character query still works. Rows are keyed by rowid (figure id * 2,
record id * 2 + 1) so re-indexing one item never scans the table.

`query` takes a Project, like every store function outside the store. The index upkeep
(reindex_figure, reindex_record, forget) takes the database handle of the write in progress:
only the store's own writes, migrations and repair call it, inside their transaction.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlite_utils

from engine.store.models import SearchHit

if TYPE_CHECKING:  # engine.store.project imports this module (through the schema's migrations)
    from engine.store.project import Project

CJK_RANGES = (  # the code points of CJK scripts, as the inside of a regex character class
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f"
)
_CJK_CHAR = re.compile(f"([{CJK_RANGES}])")
_CJK_GAP = re.compile(f"(?<=[{CJK_RANGES}])\\s+(?=[{CJK_RANGES}\\[])|(?<=[{CJK_RANGES}\\]])\\s+(?=[{CJK_RANGES}])")


def segment(text: str) -> str:
    """Put spaces around CJK characters so each is a token."""
    if text.isascii():  # no CJK character: nothing to do (most text; a merge indexes thousands of rows)
        return text
    return _CJK_CHAR.sub(r" \1 ", text)


def _unsegment(text: str) -> str:
    return re.sub(r"\s+", " ", _CJK_GAP.sub("", text)).strip()


def build_query(user_query: str, *, prefix: bool = True) -> str:
    """A safe FTS5 MATCH expression: every word must occur; with `prefix`, words that are
    not Chinese also match as prefixes ("calcif" finds "calcification")."""
    terms = []
    for word in user_query.split():
        word = word.replace('"', "")
        tokens = [t for t in re.split(r"[^\w]+", segment(word)) if t]
        if not tokens:
            continue
        phrase = " ".join(tokens)
        last_is_cjk = bool(_CJK_CHAR.fullmatch(tokens[-1]))
        terms.append(f'"{phrase}"' if last_is_cjk or not prefix else f'"{phrase}" *')
    return " AND ".join(terms)


def _upsert(db: sqlite_utils.Database, rowid: int, entity: str, entity_id: int, body: str) -> None:
    db.execute("DELETE FROM search_index WHERE rowid = ?", [rowid])
    if body.strip():
        db.execute(
            "INSERT INTO search_index(rowid, body, entity, entity_id) VALUES (?, ?, ?, ?)",
            [rowid, segment(body), entity, entity_id],
        )


_FIGURE_TEXT = "caption, context, burned_text, section, sublabel"
_RECORD_TEXT = "question, thinking, answer, options"


def _figure_body(*parts: str | None) -> str:
    return "\n".join(part for part in parts if part)


def _record_body(*parts: str | None) -> str:
    return "\n".join(part for part in parts if part and part != "[]")


def reindex_figure(db: sqlite_utils.Database, figure_id: int) -> None:
    row = db.execute(f"SELECT {_FIGURE_TEXT} FROM figures WHERE id = ?", [figure_id]).fetchone()
    _upsert(db, figure_id * 2, "figure", figure_id, _figure_body(*(row or ())))


def reindex_record(db: sqlite_utils.Database, record_id: int) -> None:
    row = db.execute(f"SELECT {_RECORD_TEXT} FROM records WHERE id = ?", [record_id]).fetchone()
    _upsert(db, record_id * 2 + 1, "record", record_id, _record_body(*(row or ())))


def _indexed(body_of: Any) -> Any:
    def indexed(*parts: str | None) -> str | None:
        body = body_of(*parts)
        return segment(body) if body.strip() else None
    return indexed


def reindex_many(conn: sqlite3.Connection, entity: str, ids_sql: str) -> None:
    """Re-index the figures or records whose ids `ids_sql` (a SELECT of one column) gives, in two
    statements (merges of many rows); the same bodies as reindex_figure / reindex_record."""
    table, text, body_of, odd = (("figures", _FIGURE_TEXT, _figure_body, 0) if entity == "figure"
                                 else ("records", _RECORD_TEXT, _record_body, 1))
    conn.create_function(f"remud_{entity}_body", -1, _indexed(body_of), deterministic=True)
    conn.execute(f"DELETE FROM search_index WHERE rowid IN (SELECT id * 2 + {odd} FROM ({ids_sql}))")
    conn.execute(
        f"INSERT INTO search_index(rowid, body, entity, entity_id) SELECT id * 2 + {odd}, b, '{entity}', id FROM "
        f"(SELECT id, remud_{entity}_body({text}) AS b FROM {table} WHERE id IN ({ids_sql})) WHERE b IS NOT NULL")


def forget_many(conn: sqlite3.Connection, entity: str, ids_sql: str) -> None:
    """Drop the entries of the figures or records whose ids `ids_sql` gives."""
    odd = 0 if entity == "figure" else 1
    conn.execute(f"DELETE FROM search_index WHERE rowid IN (SELECT id * 2 + {odd} FROM ({ids_sql}))")


def forget(db: sqlite_utils.Database, entity: str, entity_id: int) -> None:
    rowid = entity_id * 2 + (1 if entity == "record" else 0)
    db.execute("DELETE FROM search_index WHERE rowid = ?", [rowid])


RANK_WINDOW = 400  # bm25 cost grows with the number of matches: very common terms rank their newest 400
SNIPPET_CHARS = 120


def _snippet(body: str, terms: list[str]) -> str:
    """A window of the text around the first match, matches in [brackets].

    FTS5's snippet() re-runs the whole query per row, which costs ~5 ms a row on a
    large index; the bodies are fetched by rowid and marked up here instead.
    """
    text = _unsegment(body).replace("\n", " ")
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - SNIPPET_CHARS // 3)
    window = text[start:start + SNIPPET_CHARS]
    marked = pattern.sub(lambda m: f"[{m.group(0)}]", window)
    return ("…" if start > 0 else "") + marked + ("…" if start + SNIPPET_CHARS < len(text) else "")


def _terms(user_query: str) -> list[str]:
    return [w for w in (re.sub(r"[^\w\u3000-\uffff-]", " ", q).strip() for q in user_query.split()) if w]


def query(project: Project, text: str, *, entity: str | None = None, limit: int = 50) -> list[SearchHit]:
    """Whole-word matches first, best first (bm25); then, if there are too few, prefix
    matches ("calcif" → "calcification"), newest first. A query matching more than
    RANK_WINDOW rows is ranked among its RANK_WINDOW newest matches. Both keep every
    query fast on large projects: bm25 over many prefix matches costs tens of ms."""
    db = project.db
    hits = _matches(db, build_query(text, prefix=False), text, entity, limit)
    if len(hits) < limit:
        seen = {(h.kind, h.id) for h in hits}
        more = _matches(db, build_query(text, prefix=True), text, entity, limit, by_rank=False)
        hits += [h for h in more if (h.kind, h.id) not in seen][: limit - len(hits)]
    return hits


def _matches(
    db: sqlite_utils.Database, match: str, text: str, entity: str | None, limit: int, *, by_rank: bool = True
) -> list[SearchHit]:
    if not match:
        return []
    where = "search_index MATCH ?" + (" AND entity = ?" if entity else "")
    params: list[str] = [match] + ([entity] if entity else [])
    conn = db.conn  # plain reads: no savepoint guard needed
    if not by_rank:
        top = conn.execute(
            f"SELECT rowid, 0.0, entity, entity_id FROM search_index WHERE {where} ORDER BY rowid DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
        return _hits(conn, top, text)
    floor = conn.execute(
        f"SELECT rowid FROM search_index WHERE {where} ORDER BY rowid DESC LIMIT 1 OFFSET ?", [*params, RANK_WINDOW]
    ).fetchone()
    if floor:
        return _rank_window(conn, where, [*params, floor[0]], text, limit)
    top = conn.execute(
        f"SELECT rowid, rank, entity, entity_id FROM search_index WHERE {where} ORDER BY rank LIMIT ?",
        [*params, limit],
    ).fetchall()
    return _hits(conn, top, text)


def _rank_window(conn: sqlite3.Connection, where: str, params: Sequence[object], text: str,
                 limit: int) -> list[SearchHit]:
    """Very common terms: FTS5's bm25 counts every match to weigh each term (tens of ms
    at 100k+ matches). Their newest RANK_WINDOW matches are scored here instead, with
    bm25's term-frequency saturation and length normalisation (all terms weighed alike)."""
    rows = conn.execute(
        f"SELECT rowid, entity, entity_id, body FROM search_index WHERE {where} AND rowid > ?", params
    ).fetchall()
    terms = [t.lower() for t in _terms(text)]
    avg = sum(len(r[3]) for r in rows) / max(1, len(rows))

    def score(body: str) -> float:
        low, norm = body.lower(), 1.2 * (0.25 + 0.75 * len(body) / avg)
        return sum(tf / (tf + norm) for tf in (low.count(_as_indexed(t)) for t in terms))

    best = sorted(rows, key=lambda r: -score(r[3]))[:limit]
    return [SearchHit(kind=e, id=int(i), snippet=_snippet(body, terms), rank=-score(body)) for _, e, i, body in best]


def _as_indexed(term: str) -> str:
    return segment(term).strip()


def _hits(conn: sqlite3.Connection, top: list[tuple[Any, ...]], text: str) -> list[SearchHit]:
    if not top:
        return []
    marks = ",".join("?" for _ in top)
    bodies = dict(conn.execute(f"SELECT rowid, body FROM search_index WHERE rowid IN ({marks})", [t[0] for t in top]))
    terms = _terms(text)
    return [
        SearchHit(kind=kind, id=int(entity_id), snippet=_snippet(bodies.get(rowid, ""), terms), rank=rank)
        for rowid, rank, kind, entity_id in top
    ]
