"""Checking a project database before anything is written to it.

`PRAGMA quick_check` walks every page of every b-tree (about 1.4 s for a 700 MB project on
this class of machine, see tests/benchmarks/bench_store_open.py); it is stopped after a time
budget so that opening a very large project never hangs, and then counts as "not checked"
(faults found later while reading or writing are still reported as damage).
"""

from __future__ import annotations

import sqlite3
import time

from engine.store.faults import is_damage

CHECK_BUDGET_S = 2.0
_STEPS_PER_CALLBACK = 1000


def quick_check(conn: sqlite3.Connection, budget_s: float = CHECK_BUDGET_S) -> str | None:
    """None when the database looks sound (or the budget ran out first); else what is wrong."""
    deadline = time.monotonic() + budget_s
    conn.set_progress_handler(lambda: time.monotonic() > deadline, _STEPS_PER_CALLBACK)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)").fetchall()]
    except sqlite3.DatabaseError as exc:
        if "interrupt" in str(exc).lower():
            return None
        if is_damage(exc):
            return str(exc)
        raise  # busy, disk full, I/O: a fault of the moment, not damage
    finally:
        conn.set_progress_handler(None, 0)
    return None if problems == ["ok"] else "; ".join(problems)
