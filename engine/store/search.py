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


def build_query(user_query: str) -> str:
    """A safe FTS5 MATCH expression: every word must occur; English words match as prefixes."""
    terms = []
    for word in user_query.split():
        word = word.replace('"', "")
        tokens = [t for t in re.split(r"[^\w]+", segment(word)) if t]
        if not tokens:
            continue
        phrase = " ".join(tokens)
        last_is_cjk = bool(_CJK_CHAR.fullmatch(tokens[-1]))
        terms.append(f'"{phrase}"' if last_is_cjk else f'"{phrase}" *')
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


def query(db: sqlite_utils.Database, text: str, *, entity: str | None = None, limit: int = 50) -> list[SearchHit]:
    match = build_query(text)
    if not match:
        return []
    sql = (
        "SELECT entity, entity_id, snippet(search_index, 0, '[', ']', '…', 16), rank "
        "FROM search_index WHERE search_index MATCH ?"
    )
    params: list = [match]
    if entity:
        sql += " AND entity = ?"
        params.append(entity)
    sql += " ORDER BY rank LIMIT ?"
    params.append(limit)
    return [
        SearchHit(kind=e, id=int(i), snippet=_unsegment(s), rank=r)
        for e, i, s, r in db.execute(sql, params).fetchall()
    ]
