"""Fault injection (issue 11, "Nothing lost, nothing leaked"): many writers at once, SIGKILL anywhere.

* Concurrent writers: six processes start together (a barrier file, no sleeps) and each makes
  forty read-then-write edits through the engine and the `remud` command (figures, page review,
  records, chat messages, imports), beside `remud import` and `remud figures --set-status`
  processes and a reader running `remud info` / `search` / `records list` in a loop. Nothing
  may fail or report a lock, and every write must be there exactly once.
* SIGKILL at random points (seeded; set REMUD_FAULT_SEED to try others): `remud import` of
  several PDFs, `remud detect`, `remud export`, and a long run of engine writes are killed
  when the database or the disk shows they have reached a chosen point. After each kill the
  project is sound, every document has its source file, the export folder is absent or
  complete, and running the same command again finishes the work with nothing doubled.

Disk full and read-only storage are covered in test_store_faults.py, a killed synthesis job in
test_synth_crash.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pymupdf
import pytest

from engine.geometry import Rect
from engine.pdf.importer import file_sha256, import_pdf
from engine.store import Project, chats, figures
from engine.store.models import FigureStatus, NewFigure
from engine.store.project import DB_NAME, forget_checks
from tests import fault_worker, pdf_factory

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or sys.platform == "win32", reason="needs SIGKILL and process groups")

ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("REMUD_FAULT_SEED", "11"))
POLL_S = 0.01
DEADLINE_S = 120.0  # generous: the machine may be busy; nothing waits this long when all is well
KILLS = 4  # kill points per command
LOCK_WORDS = ("database is locked", "is busy", "Traceback", "OperationalError")
LOREM = "The right kidney shows a hypoechoic lesion with posterior acoustic shadowing; the cortex is thin. "


@pytest.fixture(autouse=True)
def _fresh_checks():
    forget_checks()  # every Project.open here runs the integrity check again
    yield
    forget_checks()


# -- processes -----------------------------------------------------------------------------------
def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}


def remud(*argv) -> list[str]:
    """The `remud` console script (engine.cli:main) as a command line."""
    return [sys.executable, "-m", "engine.cli", *map(str, argv)]


def worker(*argv) -> list[str]:
    return [sys.executable, "-m", "tests.fault_worker", *map(str, argv)]


class Proc:
    """A subprocess in a session of its own, its output collected line by line as it comes."""

    def __init__(self, cmd: list[str]) -> None:
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, encoding="utf-8", start_new_session=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self._pumps = [threading.Thread(target=self._pump, args=(s, into), daemon=True)
                       for s, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self._pumps:
            t.start()

    @staticmethod
    def _pump(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def text(self) -> str:
        return "".join(self.out) + "".join(self.err)

    def finish(self, timeout: float = 300) -> int:
        """Wait for the end; a process it left behind in its session is a failure (and is ended)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"{' '.join(self.cmd[2:])} did not finish in {timeout:.0f} s:\n{self.text()}")
        for t in self._pumps:
            t.join(timeout=30)
        # its page workers end with it: they may take a moment to notice (a SIGKILLed command cannot
        # stop them itself), but none may go on running
        deadline = time.monotonic() + 60
        while self.left_behind() and time.monotonic() < deadline:
            time.sleep(POLL_S)
        if not self.left_behind():
            return self.proc.returncode
        os.killpg(self.proc.pid, signal.SIGKILL)
        pytest.fail(f"{' '.join(self.cmd[2:])} left processes running after it ended")

    def left_behind(self) -> list[int]:
        """Processes of its process group still running (zombies waiting to be reaped do not run)."""
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid and fields[0] != "Z":
                out.append(int(stat.parent.name))
        return out

    def kill(self) -> bool:
        """SIGKILL it now; whether it was still running (the kill landed)."""
        if not self.running:
            return False
        os.kill(self.proc.pid, signal.SIGKILL)
        return True


def wait_until(cond: Callable[[], bool], what: str, *procs: Proc, deadline_s: float = DEADLINE_S) -> None:
    """Poll `cond` every POLL_S until it holds; fail when one of `procs` ends first, or after `deadline_s`."""
    end = time.monotonic() + deadline_s
    while not cond():
        for proc in procs:
            if not proc.running:
                proc.finish()
                pytest.fail(f"{' '.join(proc.cmd[2:])} ended (exit {proc.proc.returncode}) before {what}:\n"
                            f"{proc.text()}")
        if time.monotonic() > end:
            pytest.fail(f"waited {deadline_s:.0f} s for {what}" + "".join(f":\n{p.text()}" for p in procs))
        time.sleep(POLL_S)


def kill_when(cmd: list[str], cond: Callable[[], bool], what: str) -> Proc:
    """Start `cmd`, SIGKILL it as soon as `cond` holds, and prove the kill landed mid-run."""
    proc = Proc(cmd)
    wait_until(cond, what, proc)
    landed = proc.kill()
    code = proc.finish()
    assert landed and code == -signal.SIGKILL, f"{what}: it had already ended (exit {code}):\n{proc.text()}"
    return proc


def run_ok(cmd: list[str], timeout: float = 300) -> Proc:
    proc = Proc(cmd)
    code = proc.finish(timeout)
    assert code == 0, f"{' '.join(cmd[2:])} exited {code}:\n{proc.text()}"
    assert not any(word in proc.text() for word in LOCK_WORDS), proc.text()
    return proc


# -- looking at a project from outside -----------------------------------------------------------------
def peek(folder: Path, sql: str, params=()) -> int:
    """One number, read with a read-only connection while the process under test writes (0 before the database exists)."""
    path = folder / DB_NAME
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, params).fetchone()[0] or 0
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise
    finally:
        conn.close()


def rows(folder: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(folder / DB_NAME)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def assert_intact(folder: Path) -> None:
    """Opens undamaged, passes SQLite's and the search index's own checks, and no document lacks its source file."""
    forget_checks()
    with Project.open(folder) as p:
        assert not p.damaged and not p.read_only, p.read_only
    forget_checks()
    conn = sqlite3.connect(folder / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO search_index(search_index) VALUES ('integrity-check')")  # raises when inconsistent
        docs = conn.execute("SELECT id, sha256, file, page_count FROM documents").fetchall()
        pages = dict(conn.execute("SELECT doc_id, count(*) FROM pages GROUP BY doc_id").fetchall())
    finally:
        conn.close()
    for doc_id, sha, file, page_count in docs:
        source = folder / file
        assert source.is_file(), f"document {doc_id} has no source file {file}"
        assert file_sha256(source) == sha, f"the source of document {doc_id} is not the file imported"
        with pymupdf.open(str(source)) as pdf:
            assert pdf.page_count == page_count
        assert pages.get(doc_id, 0) == page_count, f"document {doc_id} lost pages"


def sources_left(folder: Path, shas: set[str]) -> list[str]:
    """Files in sources/ that are not the source of a document."""
    return sorted(p.name for p in (folder / "sources").iterdir() if p.name not in {f"{s}.pdf" for s in shas})


def dense_pdf(path: Path, pages: int, seed: int) -> Path:
    """A text-heavy book: reading each page takes the importer a little while."""
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=420, height=595)
        page.insert_textbox(pymupdf.Rect(30, 30, 390, 565), f"Book {seed}, page {i + 1}. " + LOREM * 22, fontsize=7)
    doc.set_metadata({"title": f"Dense book {seed}"})
    doc.save(str(path), garbage=1, deflate=True)
    return path


# -- 1. concurrent writers ---------------------------------------------------------------------------
WORKERS = 6
OPS = 40
BASE_PAGES = 12


def worker_result(proc: Proc) -> dict:
    return json.loads(next(line for line in proc.out if line.startswith("RESULT "))[7:])


def assert_worker_wrote(folder: Path, w: int, result: dict, seed: int, pages: int) -> dict:
    """Stress writer `w` left exactly what its plan says: its figures (place, status, caption), records,
    chat messages, and one edit-log row per edit. Returns the plan's expectations."""
    want = fault_worker.expected(fault_worker.plan(w, OPS, seed, pages))
    made = {int(k): v for k, v in result["figures"].items()}
    assert len(made) == want["figures_made"]
    got = {label: (fid, page, (x0, y0, x1, y1), status, caption) for fid, label, page, x0, y0, x1, y1, status, caption
           in rows(folder, "SELECT id, label, page, x0, y0, x1, y1, status, caption FROM figures WHERE label LIKE ?",
                   [f"w{w}-f%"])}
    assert set(got) == {fault_worker.figure_label(w, n) for n in want["figures"]}, f"worker {w}'s figures"
    for n, fig in want["figures"].items():
        assert got[fault_worker.figure_label(w, n)] == (made[n], fig["page"], tuple(map(float, fig["rect"])),
                                                         fig["status"], fig["caption"]), f"worker {w}, figure {n}"
    marks = ",".join("?" * len(made))
    assert rows(folder, f"SELECT count(*) FROM edit_log WHERE entity = 'figure' AND entity_id IN ({marks})",
                list(made.values()))[0][0] == want["figure_log"], f"worker {w}: figure edits logged once each"
    recs = {int(k): v for k, v in result["records"].items()}
    got_recs = dict(rows(folder, "SELECT question, status FROM records WHERE question LIKE ?", [f"w{w}-r%"]))
    assert got_recs == {fault_worker.record_question(w, n): s for n, s in want["records"].items()}
    if recs:
        marks = ",".join("?" * len(recs))
        assert rows(folder, f"SELECT count(*) FROM edit_log WHERE entity = 'record' AND entity_id IN ({marks})",
                    list(recs.values()))[0][0] == want["record_log"], f"worker {w}: record edits logged once each"
    got_msgs = [m for (m,) in rows(folder, "SELECT content FROM chat_messages WHERE content LIKE ? ORDER BY id",
                                   [f"w{w}-m%"])]
    assert got_msgs == [fault_worker.message_text(w, n) for n in range(want["messages"])]  # in order, once each
    return want


def test_concurrent_writers_and_a_reader_never_fail_and_every_write_lands_once(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    folder = tmp_path / "Busy.remud"
    with Project.create(folder) as p:
        doc = import_pdf(p, pdf_factory.text_pdf(tmp_path / "base.pdf", pages=BASE_PAGES, title="Base")).document
        seeded = figures.add_figures(p, [NewFigure(doc.id, n % BASE_PAGES, Rect(20, 20, 220, 220), label=f"seed-{n}",
                                                   status=FigureStatus.REJECTED) for n in range(8)])
        session = chats.create_session(p, "shared").id
    forget_checks()
    for w in range(WORKERS):
        pdf_factory.text_pdf(fault_worker.worker_pdf(run, w), pages=3, title=f"Worker {w}")
    a, b, c = (pdf_factory.text_pdf(tmp_path / f"{n}.pdf", pages=5, title=f"Shared {n}") for n in "abc")

    procs = {f"w{w}": Proc(worker("stress", folder, run, w, WORKERS, OPS, SEED, doc.id, session)) for w in range(WORKERS)}
    procs["import-1"] = Proc(worker("cli", run, "import-1", "--", "import", folder, a, b, "-q"))
    procs["import-2"] = Proc(worker("cli", run, "import-2", "--", "import", folder, b, c, "-q"))
    procs["figures"] = Proc(worker("cli", run, "figures", "--", "figures", folder,
                                   *[x for fid in seeded for x in ("--id", fid)], "--set-status", "accepted", "-q"))
    reader = Proc(worker("reader", folder, run))
    everyone = {**procs, "reader": reader}
    wait_until(lambda: all((run / f"ready-{name}").exists() for name in everyone), "every process to be ready",
               *everyone.values())
    (run / "go").touch()

    def writers_done() -> bool:
        if any(not p.running and p.proc.returncode != 0 for p in procs.values()):
            (run / "abort").touch()  # the others stop waiting for it at their barriers
        return not any(p.running for p in procs.values())

    wait_until(writers_done, "every writer to finish", deadline_s=600)
    codes = {name: proc.finish() for name, proc in procs.items()}
    (run / "stop").touch()
    codes["reader"] = reader.finish()
    report = {name: proc.text() for name, proc in everyone.items() if codes[name] != 0}
    assert codes == dict.fromkeys(everyone, 0), report
    for name, proc in everyone.items():
        assert not any(word in proc.text() for word in LOCK_WORDS), f"{name}:\n{proc.text()}"
        assert not "".join(proc.err).strip(), f"{name}:\n{proc.text()}"
    read = worker_result(reader)
    assert read["failures"] == [] and read["iterations"] >= 1, read

    assert_intact(folder)
    results = {w: worker_result(procs[f"w{w}"]) for w in range(WORKERS)}
    wants = {w: assert_worker_wrote(folder, w, results[w], SEED, BASE_PAGES) for w in range(WORKERS)}
    messages = sum(want["messages"] for want in wants.values())
    reviewed = set().union(*(want["reviewed"] for want in wants.values()))
    assert rows(folder, "SELECT count(*) FROM chat_messages WHERE session_id = ?", [session])[0][0] == messages
    owner = {fid: w for w in range(WORKERS) for fid in results[w]["figures"].values()}
    order = [owner[fid] for (fid,) in rows(folder, "SELECT entity_id FROM edit_log WHERE entity = 'figure' ORDER BY id")
             if fid in owner]
    runs = 1 + sum(x != y for x, y in zip(order, order[1:]))
    assert runs > 2 * WORKERS, f"the writers took turns instead of writing at once: {order}"
    assert {i for (i,) in rows(folder, "SELECT idx FROM pages WHERE doc_id = ? AND reviewed = 1", [doc.id])} == reviewed
    assert {s for (s,) in rows(folder, "SELECT status FROM figures WHERE label LIKE 'seed-%'")} == {"accepted"}
    shas = [s for (s,) in rows(folder, "SELECT sha256 FROM documents")]
    expected_shas = {file_sha256(f) for f in [a, b, c, *(fault_worker.worker_pdf(run, w) for w in range(WORKERS))]}
    assert Counter(shas) == Counter({*expected_shas, doc.sha256})  # each PDF once, the shared one too
    assert sources_left(folder, set(shas)) == []  # no copy left behind by the racing imports
    said = "".join(procs["import-1"].out + procs["import-2"].out)  # b.pdf is in both: one imports it, one finds it
    assert sorted(re.findall(r"Imported (\w)\.pdf", said)) == ["a", "b", "c"], said
    assert said.count("b.pdf is already in this project") == 1, said


# -- 2. SIGKILL at random points ------------------------------------------------------------------------
IMPORT_FILES = 5
IMPORT_PAGES = 40


@pytest.fixture(scope="module")
def dense_books(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("books")
    return [dense_pdf(folder / f"book-{n}.pdf", IMPORT_PAGES, n) for n in range(IMPORT_FILES)]


def test_sigkill_during_import_of_several_pdfs(tmp_path, dense_books):
    rng = random.Random(f"{SEED}/import")
    shas = {file_sha256(b): b for b in dense_books}
    for n in range(KILLS):
        folder = tmp_path / f"Import-{n}.remud"
        Project.create(folder).close()
        k = rng.randrange(IMPORT_FILES - 1)
        if rng.random() < 0.5:  # while the (k+1)th file is copied and read
            what = f"seed {SEED}: reading file {k + 1} of {IMPORT_FILES}"
            cond = lambda folder=folder, k=k: (  # noqa: E731 - a one-line callback, kept where it is used
                peek(folder, "SELECT count(*) FROM documents") == k and any(folder.glob("sources/.importing-*")))
        else:  # right after the (k+1)th file's document is committed
            what = f"seed {SEED}: {k + 1} of {IMPORT_FILES} files imported"
            cond = lambda folder=folder, k=k: peek(folder, "SELECT count(*) FROM documents") >= k + 1  # noqa: E731 - a one-line callback, kept where it is used
        kill_when(remud("import", folder, *dense_books), cond, what)

        assert_intact(folder)
        present = {s for (s,) in rows(folder, "SELECT sha256 FROM documents")}
        assert present <= set(shas) and len(present) in (k, k + 1, k + 2), what

        again = run_ok(remud("import", folder, *dense_books))
        assert_intact(folder)
        docs = rows(folder, "SELECT sha256, page_count FROM documents")
        assert Counter(s for s, _ in docs) == Counter(set(shas)), f"{what}: each PDF once"
        assert {c for _, c in docs} == {IMPORT_PAGES}
        said = "".join(again.out)
        assert said.count("is already in this project") == len(present) and said.count("Imported ") == (
            IMPORT_FILES - len(present)), f"{what}:\n{said}"
        assert not [f for f in sources_left(folder, set(shas)) if not f.startswith(".importing-")], what


def test_a_killed_import_leaves_no_copy_behind_once_imported_again(tmp_path, dense_books):
    folder = tmp_path / "Leak.remud"
    Project.create(folder).close()
    kill_when(remud("import", folder, dense_books[0]), lambda: any(folder.glob("sources/.importing-*")),
              "the copy of the first file to appear")
    run_ok(remud("import", folder, dense_books[0]))
    assert sources_left(folder, {file_sha256(dense_books[0])}) == []


# -- detect
DETECT_PAGES = 200


@pytest.fixture(scope="module")
def book_project(tmp_path_factory) -> tuple[Path, list[tuple]]:
    """A project holding a 200-page mixed book, and what an uninterrupted `remud detect --no-ocr` leaves in it."""
    from engine.detect.run import detect_document
    from engine.text.pipeline import fill_figure_text
    from tests.generators import make_book

    root = tmp_path_factory.mktemp("detect")
    folder = root / "Book.remud"
    with Project.create(folder) as p:
        import_pdf(p, make_book(root / "book.pdf", pages=DETECT_PAGES).path)
    reference = root / "Reference.remud"
    shutil.copytree(folder, reference)
    forget_checks()
    with Project.open(reference) as p:
        detect_document(p, 1, "auto")
        fill_figure_text(p, 1, None, ocr=False)
    return folder, detected(reference)


def detected(folder: Path) -> list[tuple]:
    """The figures, as what they are (ids differ between runs)."""
    return sorted(rows(folder, "SELECT doc_id, page, round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2), label, "
                               "detector, status, caption, context, section, sublabel FROM figures"))


def test_sigkill_during_detect(tmp_path, book_project):
    base, reference = book_project
    rng = random.Random(f"{SEED}/detect")
    for n in range(KILLS):
        folder = tmp_path / f"Detect-{n}.remud"
        shutil.copytree(base, folder)
        if n < KILLS - 1:
            k = rng.randrange(10, DETECT_PAGES * 2 // 3)
            what = f"seed {SEED}: {k} pages detected"
            sql = "SELECT count(*) FROM pages WHERE detected_by != ''"
        else:
            k = rng.randrange(1, 30)
            what = f"seed {SEED}: text found for {k} figures"
            sql = "SELECT count(*) FROM edit_log WHERE action = 'text:auto'"
        kill_when(remud("detect", folder, "--no-ocr"), lambda folder=folder, sql=sql, k=k: peek(folder, sql) >= k, what)
        assert_intact(folder)
        assert peek(folder, "SELECT count(*) FROM figures") < len(reference) or n == KILLS - 1, what

        run_ok(remud("detect", folder, "--no-ocr"))
        assert_intact(folder)
        assert detected(folder) == reference, f"{what}: the second run left other figures than one whole run"


# -- export
EXPORT_PAGES = 30


@pytest.fixture(scope="module")
def export_project(tmp_path_factory) -> tuple[Path, int, Path]:
    """A project with accepted figures and one accepted record each, and an earlier export of it."""
    from engine.detect.run import detect_document
    from engine.store import records
    from engine.store.models import NewRecord, RecordKind, RecordStatus
    from tests.generators import make_book

    root = tmp_path_factory.mktemp("export")
    folder = root / "Export.remud"
    with Project.create(folder) as p:
        doc = import_pdf(p, make_book(root / "book.pdf", pages=EXPORT_PAGES).path).document
        detect_document(p, doc.id, "auto")
        figs = figures.list_figures(p)
        for f in figs:
            figures.set_status(p, f.id, "accepted")
        records.add_records(p, [NewRecord(kind=RecordKind.VQA, question=f"What does figure {f.id} show?",
                                          answer=f"The kidney in view {f.id}.", figure_id=f.id, doc_id=f.doc_id,
                                          page=f.page, status=RecordStatus.ACCEPTED) for f in figs])
    old = root / "old-export"
    run_ok(remud("export", folder, old, "--unit", "page", "-q"))
    shutil.rmtree(folder / "cache")  # each scenario renders its crops anew
    return folder, len(figs), old


def assert_complete_export(out: Path, like: Path | None = None) -> None:
    """A whole export: its manifest lists exactly the files there, each with its checksum (and it
    holds what the uninterrupted export `like` holds)."""
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == {*listed["files"], "manifest.json"}, f"{out} holds other files than its manifest lists"
    for rel, meta in listed["files"].items():
        data = (out / rel).read_bytes()
        assert len(data) == meta["size"] and hashlib.sha256(data).hexdigest() == meta["sha256"], rel
    lines = sum(len((out / "jsonl" / f"{s}.jsonl").read_text(encoding="utf-8").splitlines())
                for s in ("train", "validation", "test"))
    assert lines == listed["records"]
    if like is not None:
        want = json.loads((like / "manifest.json").read_text(encoding="utf-8"))
        same = ("records", "counts", "images", "records_per_split", "dropped_duplicates", "dropped_image_leaks")
        assert {k: listed[k] for k in same} == {k: want[k] for k in same}


def test_sigkill_during_export(tmp_path, export_project):
    base, n_records, old = export_project
    rng = random.Random(f"{SEED}/export")
    for n in range(KILLS):
        folder = tmp_path / f"Export-{n}.remud"
        shutil.copytree(base, folder)
        out = tmp_path / f"out-{n}"
        replacing = n % 2 == 1
        if replacing:  # an earlier export is there and is to be replaced
            shutil.copytree(old, out)
        crops = folder / "cache" / "export-crops"
        if n == 0:
            what = f"seed {SEED}: the partial folder made"
            cond = lambda out=out: any(out.parent.glob(f"{out.name}.partial-*"))  # noqa: E731 - a one-line callback, kept where it is used
        else:
            k = rng.randrange(3, n_records * 2 // 3)
            what = f"seed {SEED}: {k} crops rendered"
            cond = lambda crops=crops, k=k: crops.is_dir() and sum(1 for _ in crops.glob("*.png")) >= k  # noqa: E731 - a one-line callback, kept where it is used
        cmd = remud("export", folder, out, "--unit", "page", "--overwrite", "-q")
        kill_when(cmd, cond, what)

        assert_intact(folder)
        if out.exists():  # the earlier export, untouched, or the new one, whole: never half of one
            assert_complete_export(out)
        elif replacing:  # killed between the two renames: the earlier export waits beside it
            assert any(tmp_path.glob(f"{out.name}.old-*")), f"{what}: the earlier export vanished"
        for temp in tmp_path.glob(f"{out.name}.*-*"):  # a later export removes these once they are stale
            assert (temp / ".remud-export-temp").is_file(), f"{temp} lacks the marker a clean-up looks for"
        assert not [p for p in crops.glob("*.png") if not p.read_bytes().startswith(b"\x89PNG")], "a torn crop"

        run_ok(cmd)
        assert_complete_export(out, like=old)
        assert_intact(folder)


# -- a long run of engine writes
LONG_OPS = 200


def long_state(folder: Path) -> dict[int, int]:
    """For each op of fault_worker.writes: how many times its effect is in the project."""
    found: dict[int, int] = {}
    count = lambda sql, params: rows(folder, sql, params)[0][0]  # noqa: E731 - a one-line callback, kept where it is used
    for j in range(LONG_OPS):
        tag = f"long-{j}"
        kind = fault_worker.long_op_kind(j)
        if kind == "figure":
            found[j] = count("SELECT count(*) FROM figures WHERE label = ?", [tag])
        elif kind == "record":
            found[j] = count("SELECT count(*) FROM records WHERE question = ?", [tag])
        elif kind == "messages":
            n = count("SELECT count(*) FROM chat_messages WHERE content LIKE ?", [f"{tag}/%"])
            assert n in (0, fault_worker.MESSAGES_PER_OP), f"op {j}: {n} of one commit's messages"
            found[j] = n // fault_worker.MESSAGES_PER_OP
        elif kind == "detection":
            n = count("SELECT count(*) FROM figures WHERE detector = ?", [tag])
            assert n in (0, fault_worker.FIGURES_PER_DETECTION), f"op {j}: {n} of one detection's boxes"
            found[j] = n // fault_worker.FIGURES_PER_DETECTION
        else:
            found[j] = count("SELECT count(*) FROM figures WHERE label = ? AND caption = ? AND status = 'accepted'",
                             [f"long-{j - 4}", f"{tag}: edited"])
    return found


def test_sigkill_during_a_long_run_of_writes_beside_another_writer(tmp_path):
    """The killed process may hold the write lock or be mid-transaction: a writer that has the project
    open beside it goes on without an error, and nothing of either is lost or doubled."""
    rng = random.Random(f"{SEED}/writes")
    base = tmp_path / "Base.remud"
    pages = 8 + LONG_OPS // 5
    with Project.create(base) as p:
        doc = import_pdf(p, pdf_factory.text_pdf(tmp_path / "w.pdf", pages=pages)).document
        session = chats.create_session(p, "bystander").id
    for n in range(KILLS):
        folder = tmp_path / f"Writes-{n}.remud"
        shutil.copytree(base, folder)
        run = tmp_path / f"run-{n}"
        run.mkdir()
        (run / "go").touch()
        pdf_factory.text_pdf(fault_worker.worker_pdf(run, 0), pages=3, title=f"Bystander {n}")
        # does half its edits, waits for "reader-ran" (made after the kill), then does the rest
        bystander = Proc(worker("stress", folder, run, 0, 1, OPS, SEED + n, doc.id, session))
        k = rng.randrange(5, LONG_OPS // 2)
        what = f"seed {SEED}: {k} writes acknowledged"
        proc = Proc(worker("writes", folder, LONG_OPS, doc.id))
        wait_until(lambda proc=proc, k=k: sum(line.startswith("done ") for line in proc.out) >= k, what, proc)
        assert proc.kill() and proc.finish() == -signal.SIGKILL, f"{what}: it had already ended"
        (run / "reader-ran").touch()
        acked = [int(line.split()[1]) for line in proc.out if line.startswith("done ")]
        assert acked == list(range(len(acked)))
        assert bystander.finish() == 0 and not any(w in bystander.text() for w in LOCK_WORDS), bystander.text()

        assert_intact(folder)
        assert_worker_wrote(folder, 0, worker_result(bystander), SEED + n, pages)
        state = long_state(folder)
        last = acked[-1]
        assert all(state[j] == 1 for j in range(last + 1)), f"{what}: an acknowledged write was lost"
        assert all(state[j] == 0 for j in range(last + 2, LONG_OPS)), f"{what}: a write not yet begun is there"
        assert state.get(last + 1, 0) in (0, 1)  # the one in flight: all of it or nothing

        again = run_ok(worker("writes", folder, LONG_OPS, doc.id))
        assert again.out[-1] == "finished\n"
        assert_intact(folder)
        assert long_state(folder) == dict.fromkeys(range(LONG_OPS), 1), f"{what}: something lost or doubled"
        assert_worker_wrote(folder, 0, worker_result(bystander), SEED + n, pages)
