"""The processes tests/engine/test_fault_injection.py starts: writers, a reader, `remud` behind a barrier.

    python -m tests.fault_worker stress PROJECT RUNDIR WORKER WORKERS N_OPS SEED DOC_ID SESSION_ID
    python -m tests.fault_worker reader PROJECT RUNDIR
    python -m tests.fault_worker cli RUNDIR NAME -- REMUD-ARGS...
    python -m tests.fault_worker writes PROJECT N_OPS DOC_ID

Processes that take part in a stress run import everything first, say so with a file
`RUNDIR/ready-<name>`, and start only once `RUNDIR/go` exists, so they really start together.
Each writes through the engine's own functions (and the `remud` command's `main`), the way the
window and the command line do. `plan` and `expected` are shared with the test: the test knows
exactly what every writer must have left behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import time
from pathlib import Path

POLL_S = 0.01
DEADLINE_S = 300.0


def wait_for(path: Path, deadline_s: float = DEADLINE_S) -> None:
    """Wait until `path` exists; give up when the test says another process failed (RUNDIR/abort)."""
    end = time.monotonic() + deadline_s
    while not path.exists():
        if (path.parent / "abort").exists():
            raise SystemExit(f"stopped waiting for {path.name}: another process failed")
        if time.monotonic() > end:
            raise SystemExit(f"gave up waiting for {path} after {deadline_s:.0f} s")
        time.sleep(POLL_S)


def arrive(rundir: Path, name: str) -> None:
    """The barrier: say this process is ready, then wait for the start signal."""
    (rundir / f"ready-{name}").touch()
    wait_for(rundir / "go")


# -- the stress plan: what writer `worker` does, and what it must leave behind ----------------------
STATUSES = ("proposed", "accepted", "rejected")
RECORD_ACTIONS = {"accept": "accepted", "reject": "rejected", "reset": "draft"}


def plan(worker: int, n_ops: int, seed: int, pages: int) -> list[tuple]:
    """`n_ops` operations; figures and records are named by number (fig_no, rec_no) within the worker."""
    rng = random.Random(f"{seed}/{worker}")
    ops: list[tuple] = []
    live: list[int] = []
    figs = recs = msgs = 0
    for n in range(n_ops):
        if n == n_ops // 3:
            ops.append(("cli_import",))
            continue
        kinds = ["add", "add", "record", "chat", "review"]
        if live:
            kinds += ["status", "text", "rect", "cli_status", "delete"]
        if recs:
            kinds += ["record_status", "cli_records"]
        kind = rng.choice(kinds)
        if kind == "add":
            x, y = rng.randrange(0, 300), rng.randrange(0, 500)
            ops.append(("add", figs, rng.randrange(pages), (x, y, x + 80 + rng.randrange(100), y + 60 + rng.randrange(100))))
            live.append(figs)
            figs += 1
        elif kind == "status":
            ops.append(("status", rng.choice(live), rng.choice(STATUSES)))
        elif kind == "text":
            ops.append(("text", rng.choice(live), f"w{worker} op{n}: the right kidney, long axis"))
        elif kind == "rect":
            x, y = rng.randrange(0, 300), rng.randrange(0, 500)
            ops.append(("rect", rng.choice(live), (x, y, x + 50, y + 40)))
        elif kind == "cli_status":
            ops.append(("cli_status", rng.choice(live)))
        elif kind == "delete":
            gone = rng.choice(live)
            live.remove(gone)
            ops.append(("delete", gone))
        elif kind == "review":
            ops.append(("review", rng.randrange(pages)))
        elif kind == "record":
            ops.append(("record", recs))
            recs += 1
        elif kind == "record_status":
            ops.append(("record_status", rng.randrange(recs), rng.choice(tuple(RECORD_ACTIONS.values()))))
        elif kind == "cli_records":
            ops.append(("cli_records", rng.randrange(recs), rng.choice(tuple(RECORD_ACTIONS))))
        else:
            ops.append(("chat", msgs))
            msgs += 1
    return ops


def expected(ops: list[tuple]) -> dict:
    """What the plan leaves: live figures {fig_no: (page, rect, status, caption)}, records {rec_no: status},
    chat messages, pages reviewed, and how many edit-log rows the figures and records must have."""
    figs: dict[int, dict] = {}
    recs: dict[int, str] = {}
    out = {"messages": 0, "reviewed": set(), "figure_log": 0, "record_log": 0, "figures_made": 0}
    for op in ops:
        kind = op[0]
        if kind == "add":
            figs[op[1]] = {"page": op[2], "rect": op[3], "status": "proposed", "caption": ""}
            out["figure_log"] += 1
            out["figures_made"] += 1
        elif kind in ("status", "cli_status"):
            figs[op[1]]["status"] = "accepted" if kind == "cli_status" else op[2]
            out["figure_log"] += 1
        elif kind == "text":
            figs[op[1]]["caption"] = op[2]
            out["figure_log"] += 1
        elif kind == "rect":
            figs[op[1]]["rect"] = op[2]
            out["figure_log"] += 1
        elif kind == "delete":
            del figs[op[1]]
            out["figure_log"] += 1
        elif kind == "review":
            out["reviewed"].add(op[1])
        elif kind == "record":
            recs[op[1]] = "draft"
        elif kind == "record_status":
            recs[op[1]] = op[2]
            out["record_log"] += 1
        elif kind == "cli_records":
            status = RECORD_ACTIONS[op[2]]
            out["record_log"] += recs[op[1]] != status  # `remud records accept` leaves an accepted one alone
            recs[op[1]] = status
        elif kind == "chat":
            out["messages"] += 1
    return {**out, "figures": figs, "records": recs}


def figure_label(worker: int, fig_no: int) -> str:
    return f"w{worker}-f{fig_no}"


def record_question(worker: int, rec_no: int) -> str:
    return f"w{worker}-r{rec_no}: what does the kidney show?"


def message_text(worker: int, msg_no: int) -> str:
    return f"w{worker}-m{msg_no}"


def worker_pdf(rundir: Path, worker: int) -> Path:
    return rundir / f"worker-{worker}.pdf"


def _cli(argv: list[str]) -> None:
    """`remud ARGV` in this process (the console script's own entry point); any failure ends the worker."""
    from engine.cli import main

    code = main(argv)
    if code != 0:
        raise SystemExit(f"remud {' '.join(argv)} exited {code}")


def stress(project_dir: str, rundir: str, worker: int, workers: int, n_ops: int, seed: int, doc_id: int,
           session_id: int) -> int:
    from engine.cli import build_parser
    from engine.geometry import Rect
    from engine.store import chats, documents, figures, records
    from engine.store.models import FigureText, NewFigure, NewRecord, RecordKind
    from engine.store.project import Project

    build_parser()  # imports every command module now, before the start signal
    run = Path(rundir)
    with Project.open(project_dir) as p:
        pages = len(documents.list_pages(p, doc_id))
        ops = plan(worker, n_ops, seed, pages)
        arrive(run, f"w{worker}")
        fig_ids: dict[int, int] = {}
        rec_ids: dict[int, int] = {}
        fig_page: dict[int, int] = {}

        def find(fig_no: int) -> int:
            """Read the figure back the way the window finds it: the figures of its page."""
            label = figure_label(worker, fig_no)
            found = [f.id for f in figures.list_figures(p, doc_id, fig_page[fig_no]) if f.label == label]
            if found != [fig_ids[fig_no]]:
                raise SystemExit(f"figure {label} read back as {found}, expected [{fig_ids[fig_no]}]")
            return found[0]

        for n, op in enumerate(ops):
            if n == n_ops // 2:  # every writer is halfway, and the reader has read, before any goes on
                (run / f"half-w{worker}").touch()
                for other in range(workers):
                    wait_for(run / f"half-w{other}")
                wait_for(run / "reader-ran")
            kind = op[0]
            if kind == "add":
                _, fig_no, page, rect = op
                figures.counts_per_page(p, doc_id)
                fig = figures.add_figure(p, NewFigure(doc_id, page, Rect(*rect), label=figure_label(worker, fig_no)))
                fig_ids[fig_no], fig_page[fig_no] = fig.id, page
            elif kind == "status":
                figures.set_status(p, find(op[1]), op[2])
            elif kind == "text":
                fid = find(op[1])
                old = figures.get_figure(p, fid).text
                figures.set_text(p, fid, FigureText(caption=op[2], context=old.context))
            elif kind == "rect":
                figures.set_rect(p, find(op[1]), Rect(*op[2]))
            elif kind == "cli_status":
                _cli(["figures", project_dir, "--id", str(find(op[1])), "--set-status", "accepted", "-q"])
            elif kind == "delete":
                figures.delete_figures(p, [find(op[1])])
            elif kind == "review":
                if not documents.get_page(p, doc_id, op[1]).reviewed:
                    documents.set_page_flags(p, doc_id, op[1], reviewed=True)
            elif kind == "record":
                before = records.count_records(p)
                rec = records.add_record(p, NewRecord(kind=RecordKind.QA, question=record_question(worker, op[1]),
                                                      answer="A simple cyst.", doc_id=doc_id))
                rec_ids[op[1]] = rec.id
                if records.count_records(p) <= before:
                    raise SystemExit("a record was added but the count did not grow")
            elif kind == "record_status":
                rid = rec_ids[op[1]]
                records.get_record(p, rid)
                records.update_record(p, rid, status=op[2])
            elif kind == "cli_records":
                _cli(["records", op[2], project_dir, str(rec_ids[op[1]]), "-q"])
            elif kind == "chat":
                chats.list_messages(p, session_id)
                chats.add_message(p, session_id, "user", message_text(worker, op[1]))
            elif kind == "cli_import":
                _cli(["import", project_dir, str(worker_pdf(run, worker)), "-q"])
    print("RESULT " + json.dumps({"worker": worker, "figures": fig_ids, "records": rec_ids}), flush=True)
    return 0


def reader(project_dir: str, rundir: str) -> int:
    """`remud info`, `remud search` and `remud records list` in a loop until RUNDIR/stop exists."""
    from engine.cli import build_parser, main

    build_parser()
    run = Path(rundir)
    arrive(run, "reader")
    failures: list[str] = []
    seen_records: list[int] = []
    iterations = 0
    while not (run / "stop").exists():
        for argv in (["info", project_dir, "--json"], ["search", project_dir, "kidney", "--json"],
                     ["records", "list", project_dir, "--json"]):
            out, err = io.StringIO(), io.StringIO()
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    code = main(argv)
            except BaseException as exc:  # noqa: BLE001 - every failure is reported, none ends the loop
                code, err = 99, io.StringIO(f"{type(exc).__name__}: {exc}")
            if code != 0:
                failures.append(f"remud {argv[0]} exited {code}: {err.getvalue().strip()}")
            elif argv[0] == "info":
                seen_records.append(json.loads(out.getvalue())["records"])
        iterations += 1
        (run / "reader-ran").touch()
    if seen_records != sorted(seen_records):
        failures.append(f"the record count went down between reads: {seen_records}")
    print("RESULT " + json.dumps({"iterations": iterations, "failures": failures}), flush=True)
    return 1 if failures else 0


def cli(rundir: str, name: str, argv: list[str]) -> int:
    """`remud ARGV`, started with the others."""
    from engine.cli import build_parser, main

    build_parser()
    arrive(Path(rundir), name)
    return main(argv)


# -- a long run of writes, for SIGKILL at any point ---------------------------------------------------
LONG_KINDS = ("figure", "record", "messages", "detection", "edit")
MESSAGES_PER_OP = 3
FIGURES_PER_DETECTION = 4
LONG_SESSION = "long run"


def long_op_kind(j: int) -> str:
    return LONG_KINDS[j % len(LONG_KINDS)]


def writes(project_dir: str, n_ops: int, doc_id: int) -> int:
    """Op j (figure, record, 3 chat messages in one commit, a 4-box detection result, an edit of op j-4's
    figure) unless it is already there, so that a run after a kill finishes the work exactly once.
    "done j" is printed once op j is committed."""
    from engine.geometry import Rect
    from engine.store import chats, figures, records
    from engine.store.chats import NewMessage
    from engine.store.models import FigureText, NewFigure, NewRecord, RecordKind
    from engine.store.project import Project

    with Project.open(project_dir) as p:
        db = p.db
        sessions = [s for s in chats.list_sessions(p, LONG_SESSION) if s.title == LONG_SESSION]
        session = sessions[0].id if sessions else chats.create_session(p, LONG_SESSION).id
        for j in range(n_ops):
            kind, tag = long_op_kind(j), f"long-{j}"
            if kind == "figure":
                if not db.execute("SELECT 1 FROM figures WHERE label = ?", [tag]).fetchone():
                    figures.add_figure(p, NewFigure(doc_id, j % 7, Rect(10, 10 + j % 50, 200, 300), label=tag))
            elif kind == "record":
                if not db.execute("SELECT 1 FROM records WHERE question = ?", [tag]).fetchone():
                    records.add_record(p, NewRecord(kind=RecordKind.QA, question=tag, answer="An echogenic focus."))
            elif kind == "messages":
                if not db.execute("SELECT 1 FROM chat_messages WHERE content LIKE ?", [f"{tag}/%"]).fetchone():
                    chats.commit_messages(p, session, [NewMessage("user" if k % 2 == 0 else "assistant", f"{tag}/{k}")
                                                       for k in range(MESSAGES_PER_OP)])
            elif kind == "detection":
                if not db.execute("SELECT 1 FROM figures WHERE detector = ?", [tag]).fetchone():
                    boxes = [NewFigure(doc_id, 0, Rect(20 + 100 * k, 400, 100 + 100 * k, 480), detector=tag)
                             for k in range(FIGURES_PER_DETECTION)]
                    # force: a page a person (another writer) corrected is re-detected all the same
                    figures.replace_detected(p, doc_id, 7 + j // len(LONG_KINDS), boxes, tag, force=True)
            else:
                source = f"long-{j - 4}"
                row = db.execute("SELECT id FROM figures WHERE label = ?", [source]).fetchone()
                caption = f"{tag}: edited"
                fig = figures.get_figure(p, row[0]) if row else None
                if fig and fig.text.caption != caption:
                    figures.set_text(p, fig.id, FigureText(caption=caption))
                if fig and fig.status != "accepted":
                    figures.set_status(p, fig.id, "accepted")
            print(f"done {j}", flush=True)
    print("finished", flush=True)
    return 0


def main(argv: list[str]) -> int:
    command, rest = argv[0], argv[1:]
    if command == "stress":
        project_dir, rundir, *numbers = rest
        return stress(project_dir, rundir, *map(int, numbers))
    if command == "reader":
        return reader(*rest)
    if command == "cli":
        rundir, name, dashes, *remud = rest
        assert dashes == "--"
        return cli(rundir, name, remud)
    if command == "writes":
        project_dir, n_ops, doc_id = rest
        return writes(project_dir, int(n_ops), int(doc_id))
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
