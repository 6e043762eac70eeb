"""Merge: three handed-out parts, each with N new figures and N new records (and N/5 synthesis items),
merged back into their parent; N = 10,000 and 50,000.

Each part is one of three documents of the parent (200 pages each, 1,000 figures and 500 records
before the hand-out); in its part, an annotator adds N figures and N records (every fifth record
from a synthesis item), and changes the status of 1% of the figures the parent had (the three-way
path). The merge of the three parts (engine.store.merge.merge_project, each with its copy of the
source and its backup of the target, one transaction each, search index kept) is timed against a
bare SQLite copy of the same new rows (ATTACH each part; INSERT INTO figures / records / job_items
SELECT … one transaction per part; no mapping, no checks, no full-text index), and against the same
bare copy that also puts those rows into the full-text index (the store's writes always keep it), in
the same run, on the same starting copy of the parent. Memory: peak RSS and peak Python allocations (tracemalloc) of the
process that merges, at both N: flat in the number of rows means the 50k peak is about the 10k one.

Each measurement runs in a fresh process (`--run`); best of REPEAT.
"""

from __future__ import annotations

import json
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SIZES = tuple(int(s) for s in sys.argv[1:] if s.isdigit()) or (10_000, 50_000)
REPEAT = 2
PAGES = 200
BASE_FIGURES = 1000
BASE_RECORDS = 500
WORDS = "echogenic hypoechoic anechoic shadowing enhancement cortex medulla capsule lesion cyst mass liver kidney".split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def build(folder: Path, n: int) -> tuple[Path, list[Path]]:
    """The parent and its three parts, the parts' work done."""
    from engine.geometry import Rect
    from engine.store import Project, documents, figures, records
    from engine.store.documents import NewPage
    from engine.store.models import FigureText, NewFigure, NewRecord, RecordKind
    from engine.team import split_project

    rng = random.Random(n)
    parent = folder / "Parent.remud"
    with Project.create(parent) as p:
        docs = []
        for d in range(3):
            sha = f"{d:064x}"
            (parent / "sources" / f"{sha}.pdf").write_bytes(b"%PDF-1.4 stand-in\n")
            docs.append(documents.add_document(
                p, sha256=sha, title=f"Book {d}", file=f"sources/{sha}.pdf", original_path=f"book{d}.pdf", file_size=18,
                pages=[NewPage(i, 595, 842, 0, True, False) for i in range(PAGES)]).id)
            ids = figures.add_figures(p, [NewFigure(docs[-1], i % PAGES, Rect(40, 40 + i % 300, 400, 500),
                                                    detector="auto", text=FigureText(caption=_text(rng, 8)))
                                          for i in range(BASE_FIGURES)])
            records.add_records(p, [NewRecord(RecordKind.VQA, _text(rng, 10) + "?", _text(rng, 20), figure_id=ids[i])
                                    for i in range(BASE_RECORDS)])
        parts = [w.folder for w in split_project(p, folder / "parts", into=3, by="documents")]
    for part_folder, doc in zip(parts, docs):
        with Project.open(part_folder) as q:
            old = [f.id for f in figures.list_figures(q)][: BASE_FIGURES // 100]
            for fid in old:
                figures.set_status(q, fid, "accepted")
            new = figures.add_figures(q, [NewFigure(doc, i % PAGES, Rect(30, 30 + i % 400, 420, 520), detector="auto",
                                                    text=FigureText(caption=_text(rng, 8), context=_text(rng, 30)))
                                          for i in range(n)])
            rec_ids = records.add_records(q, [NewRecord(RecordKind.VQA, _text(rng, 10) + "?", _text(rng, 25),
                                                        figure_id=new[i], model="gpt-bench") for i in range(n)])
            with q.atomic() as db:  # a finished synthesis job: one item per fifth record
                stamp = "2025-01-01T00:00:00.000+00:00"
                job = db.execute("INSERT INTO jobs(name, synthesizer, model, settings, state, created_at, updated_at) "
                                 "VALUES ('bench', 'openai', 'gpt-bench', '{}', 'done', ?, ?)", [stamp, stamp]).lastrowid
                db.conn.executemany(
                    "INSERT INTO job_items(job_id, idem_key, figure_id, doc_id, page, kind, language, state, "
                    "record_ids, tokens_in, tokens_out, cost, updated_at) VALUES (?, ?, ?, ?, ?, 'vqa', 'en', 'done', "
                    "?, 900, 300, 0.002, ?)",
                    [(job, f"{part_folder.name}-{i}", new[i], doc, i % PAGES, json.dumps([rec_ids[i]]), stamp)
                     for i in range(0, n, 5)])
    return parent, parts


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would carry the parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_merge(parent: Path, parts: list[Path]) -> dict:
    import tracemalloc

    from engine.store import Project
    from engine.store.merge import merge_project

    tracemalloc.start()
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    with Project.open(parent) as p:
        for part in parts:
            last = [time.perf_counter(), "copy and backup"]

            def progress(n: int, total: int, text: str, last=last) -> None:
                now = time.perf_counter()
                steps[str(last[1])] = steps.get(str(last[1]), 0.0) + now - float(last[0])
                last[:] = [now, text]

            report = merge_project(p, part, progress=progress)
            steps["commit and clean-up"] = steps.get("commit and clean-up", 0.0) + time.perf_counter() - float(last[0])
            assert report.changed
    seconds = time.perf_counter() - t0
    _, peak_py = tracemalloc.get_traced_memory()
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(),
            "peak_python_mb": peak_py / 2**20, "steps": steps}


def run_baseline(parent: Path, parts: list[Path], fts: bool = False) -> dict:
    conn = sqlite3.connect(parent / "project.sqlite", isolation_level=None)
    fig_cols = ("doc_id, page, x0, y0, x1, y1, label, detector, score, status, caption, context, burned_text, section, "
                "sublabel, image_xref, redactions, created_at, updated_at, uid")
    rec_cols = ("figure_id, doc_id, page, kind, reasoning, language, question, thinking, answer, options, correct, "
                "status, score, synthesizer, model, prompt_version, flags, created_at, edited_at, uid")
    item_cols = ("job_id, idem_key, figure_id, doc_id, page, kind, language, state, record_ids, tokens_in, tokens_out, "
                 "cost, updated_at")
    top_fig = conn.execute("SELECT max(id) FROM figures").fetchone()[0]
    top_rec = conn.execute("SELECT max(id) FROM records").fetchone()[0]
    job = conn.execute("SELECT coalesce(max(id), 0) FROM jobs").fetchone()[0]
    t0 = time.perf_counter()
    for part in parts:
        conn.execute("ATTACH DATABASE ? AS p", [str(part / "project.sqlite")])
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"INSERT INTO figures({fig_cols}) SELECT {fig_cols} FROM p.figures WHERE id > ?", [top_fig])
        conn.execute(f"INSERT INTO records({rec_cols}) SELECT {rec_cols} FROM p.records WHERE id > ?", [top_rec])
        conn.execute(f"INSERT INTO job_items({item_cols}) SELECT {item_cols} FROM p.job_items WHERE job_id > ?", [job])
        if fts:  # and the same rows into the full-text index (bodies as the store writes them, without CJK spacing)
            conn.execute("INSERT INTO search_index(rowid, body, entity, entity_id) SELECT id * 2, caption || char(10) "
                         "|| context, 'figure', id FROM figures WHERE id > ? AND uid IN (SELECT uid FROM p.figures)",
                         [top_fig])
            conn.execute("INSERT INTO search_index(rowid, body, entity, entity_id) SELECT id * 2 + 1, question || "
                         "char(10) || answer, 'record', id FROM records WHERE id > ? AND uid IN (SELECT uid FROM "
                         "p.records)", [top_rec])
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE p")
    seconds = time.perf_counter() - t0
    conn.close()
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def _child(mode: str, parent: Path, parts: list[Path]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--run", mode, str(parent), *map(str, parts)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(n: int, tmp: Path) -> dict:
    work = tmp / f"n{n}"
    t = time.perf_counter()
    parent, parts = build(work, n)
    built = time.perf_counter() - t
    pristine = work / "pristine.remud"
    shutil.copytree(parent, pristine)

    def fresh() -> Path:
        shutil.rmtree(parent)
        shutil.copytree(pristine, parent)
        return parent

    merges = [_child("merge", fresh(), parts) for _ in range(REPEAT)]
    bases = [_child("baseline", fresh(), parts) for _ in range(REPEAT + 1)]
    with_fts = [_child("baseline-fts", fresh(), parts) for _ in range(REPEAT + 1)]
    merge = min(merges, key=lambda r: r["seconds"])
    base = min(bases, key=lambda r: r["seconds"])
    fts = min(with_fts, key=lambda r: r["seconds"])
    size = sum(f.stat().st_size for f in (parts[0]).rglob("*.sqlite")) / 2**20
    return {"n": n, "built_s": built, "merge": merge, "baseline": base, "baseline_fts": fts, "part_mb": size}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-merge-") as tmp:
        results = [measure(n, Path(tmp)) for n in SIZES]
    for r in results:
        m, b = r["merge"], r["baseline"]
        print(f"N = {r['n']:,} new figures + {r['n']:,} new records (+ {r['n'] // 5:,} items) in each of 3 parts "
              f"(a part's files: {r['part_mb']:.0f} MB)")
        f = r["baseline_fts"]
        print(f"  merge of the three: {m['seconds']:.2f} s   bare INSERT … SELECT of the same rows: "
              f"{b['seconds']:.2f} s   ratio {m['seconds'] / b['seconds']:.1f}x")
        print(f"  the bare copy with the same rows put into the full-text index too: {f['seconds']:.2f} s   ratio "
              f"{m['seconds'] / f['seconds']:.1f}x")
        print("  steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(m["steps"].items(), key=lambda kv: -kv[1])))
        print(f"  memory of the merging process: peak RSS {m['peak_rss_mb']:.0f} MB (bare copy's process "
              f"{b['peak_rss_mb']:.0f} MB), peak Python allocations {m['peak_python_mb']:.1f} MB")
    small, large = results[0]["merge"], results[-1]["merge"]
    print(f"Memory from {SIZES[0]:,} to {SIZES[-1]:,} rows per part: peak RSS {small['peak_rss_mb']:.0f} -> "
          f"{large['peak_rss_mb']:.0f} MB, Python allocations {small['peak_python_mb']:.1f} -> "
          f"{large['peak_python_mb']:.1f} MB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        mode, parent_dir, *part_dirs = sys.argv[2:]
        folders = [Path(p) for p in part_dirs]
        result = (run_merge(Path(parent_dir), folders) if mode == "merge"
                  else run_baseline(Path(parent_dir), folders, fts=mode == "baseline-fts"))
        print(json.dumps(result))
    else:
        main()
