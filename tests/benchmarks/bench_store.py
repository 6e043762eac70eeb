"""Store: insert 100k figures + 100k records, open the project, FTS query p95 (target < 20 ms).

Baseline: the same rows inserted with bare sqlite3 executemany into a plain table (no FTS,
no edit log), in the same run. Opening: the first open in a process runs the integrity
check (PRAGMA quick_check, budget engine.store.integrity.CHECK_BUDGET_S) and takes the daily
backup; later opens in the same process (worker threads) skip both. Baseline for opening:
a bare sqlite3 connect that reads the schema version.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.geometry import Rect
from engine.store import Project, documents, figures, records, search
from engine.store.documents import NewPage
from engine.store.integrity import quick_check
from engine.store.models import FigureText, NewFigure, NewRecord, RecordKind
from engine.store.project import forget_checks
from tests.benchmarks._timing import median, percentile

N = 100_000
ORGANS = ["肝右叶", "左肾", "胆囊", "脾脏", "胰腺", "liver", "kidney", "gallbladder", "spleen", "pancreas", "thyroid",
          "carotid", "aorta", "portal vein", "hepatic vein", "甲状腺", "颈动脉", "门静脉"]
WORDS = "echogenic hypoechoic anechoic shadowing enhancement cortex medulla capsule lesion cyst mass calcification".split()


def caption(rng: random.Random, i: int) -> FigureText:
    organ = rng.choice(ORGANS)
    return FigureText(
        caption=f"图 {i // 7}-{i % 7} {organ} / Figure {i // 7}-{i % 7} {organ} {rng.choice(WORDS)}",
        context=" ".join(rng.choice(WORDS) for _ in range(30)) + f" {organ}",
        burned_text=f"{organ[:2]} {rng.randint(1, 20)} cm",
    )


def main() -> None:
    rng = random.Random(0)
    texts = [caption(rng, i) for i in range(N)]
    with tempfile.TemporaryDirectory() as tmp:
        base = sqlite3.connect(Path(tmp) / "baseline.sqlite")
        base.execute("CREATE TABLE f (id INTEGER PRIMARY KEY, caption TEXT, context TEXT, burned TEXT)")
        t = time.perf_counter()
        with base:
            base.executemany("INSERT INTO f(caption, context, burned) VALUES (?, ?, ?)",
                             [(x.caption, x.context, x.burned_text) for x in texts])
            base.executemany("INSERT INTO f(caption, context, burned) VALUES (?, ?, ?)",
                             [(f"What does {x.caption} show?", x.context, "") for x in texts])
        baseline = time.perf_counter() - t
        base.close()

        folder = Path(tmp) / "bench.remud"
        project = Project.create(folder)
        doc = documents.add_document(project, sha256="0" * 64, title="bench", file="sources/x.pdf", original_path="",
                                     file_size=0, pages=[NewPage(i, 595, 842, 0, True, False) for i in range(1000)])
        t = time.perf_counter()
        ids = figures.add_figures(project, (NewFigure(doc.id, i % 1000, Rect(10, 10, 200, 200), detector="scanned",
                                                      text=x) for i, x in enumerate(texts)))
        t_fig = time.perf_counter() - t
        t = time.perf_counter()
        records.add_records(project, (NewRecord(kind=RecordKind.VQA, question=f"What does {x.caption} show?",
                                                answer=x.context, figure_id=fid) for fid, x in zip(ids, texts)))
        t_rec = time.perf_counter() - t
        project.close()

        t = time.perf_counter()
        bare = sqlite3.connect(folder / "project.sqlite")
        bare.execute("PRAGMA user_version").fetchone()
        t_bare = time.perf_counter() - t
        t = time.perf_counter()
        check = quick_check(bare, budget_s=60)
        t_check = time.perf_counter() - t
        bare.close()
        assert check is None
        forget_checks()
        t = time.perf_counter()
        project = Project.open(folder)  # check + first backup
        t_open = time.perf_counter() - t
        project.close()
        forget_checks()
        t = time.perf_counter()
        project = Project.open(folder)  # check, backup not due
        t_open_checked = time.perf_counter() - t
        project.close()
        t = time.perf_counter()
        project = Project.open(folder)  # this process checked it already
        t_reopen = time.perf_counter() - t
        size_mb = (folder / "project.sqlite").stat().st_size / 2**20

        queries = ["肝右叶", "liver", "portal vein", "hypoechoic lesion", "甲状腺", "肾", "calcif", "cortex 左肾",
                   "hepatic vein shadowing", "胆囊 echogenic"]
        samples, per_query = [], {q: [] for q in queries}
        for _ in range(20):
            for q in queries:
                t = time.perf_counter()
                search.query(project, q, limit=50)
                per_query[q].append(time.perf_counter() - t)
                samples.append(per_query[q][-1])
        project.close()

    total = t_fig + t_rec
    print(f"insert {N:,} figures: {t_fig:.2f} s ({N / t_fig:,.0f}/s); {N:,} records: {t_rec:.2f} s ({N / t_rec:,.0f}/s)")
    print(f"baseline bare sqlite3 executemany of the same {2 * N:,} rows (no FTS, no log): {baseline:.2f} s")
    print(f"store insert vs baseline: {total / baseline:.1f}×")
    print(f"open project with {2 * N:,} rows ({size_mb:.0f} MB): bare sqlite3 {t_bare * 1e3:.1f} ms; "
          f"quick_check alone {t_check * 1e3:.0f} ms")
    print(f"  first open (check + daily backup) {t_open * 1e3:.0f} ms ({t_open / t_check:.2f}× the check alone); "
          f"open with check {t_open_checked * 1e3:.0f} ms ({t_open_checked / t_check:.2f}×); "
          f"reopen in the same process {t_reopen * 1e3:.1f} ms ({t_reopen / max(t_bare, 1e-6):.1f}× bare)")
    print(f"FTS query over {2 * N:,} indexed rows: p50 {percentile(samples, 50) * 1e3:.2f} ms, "
          f"p95 {percentile(samples, 95) * 1e3:.2f} ms (target < 20 ms)")
    print("  per query (median ms): " + ", ".join(f"{q} {median(v) * 1e3:.1f}" for q, v in per_query.items()))


if __name__ == "__main__":
    main()
