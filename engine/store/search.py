"""Full-text search over figure text and record text (SQLite FTS5).

FTS5's unicode61 tokenizer splits on spaces, which Chinese does not use. Text is
indexed with every CJK character as its own token, and a Chinese query becomes a
phrase of those characters, so "肝右叶" matches inside "图3-1肝右叶显示" and a
one-character query still works. Rows are keyed by rowid (figure id * 2,
record id * 2 + 1) so re-indexing one item never scans the table.
"""

from __future__ import annotations

import re

import sqlite_utils

from engine.store.models import SearchHit

_CJK = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f"
)
_CJK_CHAR = re.compile(f"([{_CJK}])")
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}\\[])|(?<=[{_CJK}\\]])\\s+(?=[{_CJK}])")


def segment(text: str) -> str:
    """Put spaces around CJK characters so each is a token."""
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


def reindex_figure(db: sqlite_utils.Database, figure_id: int) -> None:
    row = db.execute(
        "SELECT caption, context, burned_text, section, sublabel FROM figures WHERE id = ?", [figure_id]
    ).fetchone()
    body = "\n".join(part for part in (row or ()) if part)
    _upsert(db, figure_id * 2, "figure", figure_id, body)


def reindex_record(db: sqlite_utils.Database, record_id: int) -> None:
    row = db.execute(
        "SELECT question, thinking, answer, options FROM records WHERE id = ?", [record_id]
    ).fetchone()
    body = "\n".join(part for part in (row or ()) if part and part != "[]")
    _upsert(db, record_id * 2 + 1, "record", record_id, body)


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


def query(db: sqlite_utils.Database, text: str, *, entity: str | None = None, limit: int = 50) -> list[SearchHit]:
    """Best matches first (bm25): whole-word matches, then prefix matches if there are
    too few. A query matching more than RANK_WINDOW rows is ranked among its
    RANK_WINDOW newest matches, which keeps every query fast on large projects."""
    hits = _ranked(db, build_query(text, prefix=False), text, entity, limit)
    if len(hits) < limit:
        seen = {(h.kind, h.id) for h in hits}
        more = _ranked(db, build_query(text, prefix=True), text, entity, limit)
        hits += [h for h in more if (h.kind, h.id) not in seen][: limit - len(hits)]
    return hits


def _ranked(db: sqlite_utils.Database, match: str, text: str, entity: str | None, limit: int) -> list[SearchHit]:
    if not match:
        return []
    where = "search_index MATCH ?" + (" AND entity = ?" if entity else "")
    params: list = [match] + ([entity] if entity else [])
    conn = db.conn  # plain reads: no savepoint guard needed
    floor = conn.execute(
        f"SELECT rowid FROM search_index WHERE {where} ORDER BY rowid DESC LIMIT 1 OFFSET ?", [*params, RANK_WINDOW]
    ).fetchone()
    if floor:
        where += " AND rowid > ?"
        params.append(floor[0])
    top = conn.execute(
        f"SELECT rowid, rank, entity, entity_id FROM search_index WHERE {where} ORDER BY rank LIMIT ?",
        [*params, limit],
    ).fetchall()
    if not top:
        return []
    marks = ",".join("?" for _ in top)
    bodies = dict(conn.execute(f"SELECT rowid, body FROM search_index WHERE rowid IN ({marks})", [t[0] for t in top]))
    terms = _terms(text)
    return [
        SearchHit(kind=kind, id=int(entity_id), snippet=_snippet(bodies.get(rowid, ""), terms), rank=rank)
        for rowid, rank, kind, entity_id in top
    ]
