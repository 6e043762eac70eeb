"""Store faults are one sentence and safe: foreign, empty, damaged, busy and read-only databases."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from engine.cli import main
from engine.errors import (
    DamagedProjectError,
    ProjectBusyError,
    ProjectError,
    ProjectTooNewError,
)
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, backups, figures, schema
from engine.store.integrity import quick_check
from engine.store.models import FigureStatus, FigureText, NewFigure
from engine.store.project import DB_NAME, forget_checks
from engine.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests import pdf_factory

LOREM = "The right kidney shows a hypoechoic lesion with posterior acoustic shadowing. 肾盂 回声 声影 "


def run(capsys, *argv):
    code = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


def make_project(folder: Path, pdf_dir: Path, *, figures_per_page: int = 0, pages: int = 4) -> Path:
    with Project.create(folder) as p:
        doc = import_pdf(p, pdf_factory.text_pdf(pdf_dir / "book.pdf", pages=pages)).document
        figures.add_figures(p, [
            NewFigure(doc.id, page, Rect(10 + n % 20, 10, 200, 200), status=FigureStatus.ACCEPTED,
                      text=FigureText(caption=f"Figure {page}-{n}. {LOREM * 3}", context=LOREM * 8))
            for page in range(pages) for n in range(figures_per_page)])
    forget_checks()
    return folder


# -- what was not written by this app is never written to ----------------------------------
def test_negative_and_unknown_user_versions_are_refused(tmp_path):
    folder = make_project(tmp_path / "P.remud", tmp_path)
    for version, error, words in [(-3, ProjectError, "not written by ReMUD"),
                                  (SCHEMA_VERSION + 4, ProjectTooNewError, "newer ReMUD")]:
        conn = sqlite3.connect(folder / DB_NAME)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.close()
        with pytest.raises(error, match=words):
            Project.open(folder)
    conn = sqlite3.connect(folder / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 4  # left as it was
    conn.close()


def test_a_foreign_sqlite_file_is_not_turned_into_a_project(tmp_path):
    folder = tmp_path / "Other"
    folder.mkdir()
    conn = sqlite3.connect(folder / DB_NAME)
    conn.execute("CREATE TABLE notes(x)")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError, match="not written by ReMUD"):
        Project.open(folder)
    conn = sqlite3.connect(folder / DB_NAME)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_empty_database_next_to_sources_is_never_reinitialised(tmp_path, capsys):
    folder = make_project(tmp_path / "P.remud", tmp_path)
    source = next((folder / "sources").glob("*.pdf"))
    (folder / DB_NAME).write_bytes(b"")
    code, _, err = run(capsys, "import", folder, pdf_factory.text_pdf(tmp_path / "other.pdf"))
    assert code == 1 and "empty (0 bytes)" in err and "1 imported PDF" in err and err.count("\n") == 1
    assert (folder / DB_NAME).stat().st_size == 0 and source.is_file()
    (folder / DB_NAME).unlink()
    with pytest.raises(DamagedProjectError, match="no project.sqlite"):
        Project.open(folder)


def test_empty_database_of_an_interrupted_create_is_initialised(tmp_path):
    folder = tmp_path / "New.remud"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(b"")
    with Project.open(folder) as p:
        assert p.schema_version == SCHEMA_VERSION and not p.read_only


# -- damage ------------------------------------------------------------------------------
def scribble(path: Path, size: int = 8192) -> None:
    """8 KB of garbage in the middle of the file, as a failing disk or a careless copy leaves it."""
    middle = path.stat().st_size // 2
    with open(path, "r+b") as fh:
        fh.seek(middle - middle % 4096 + 100)
        fh.write(bytes((i * 97 + 13) % 251 for i in range(size)))


def test_damaged_database_is_found_on_open_and_refused_for_writing(tmp_path, capsys):
    folder = make_project(tmp_path / "P.remud", tmp_path, figures_per_page=150)
    with Project.open(folder) as p:  # a sound project gets a backup on open
        assert not p.read_only
    assert backups.latest_backup(folder) is not None
    scribble(folder / DB_NAME)
    forget_checks()
    with Project.open(folder) as p:
        assert p.damaged and "remud repair" in p.read_only and "backups" in p.read_only
        with pytest.raises(DamagedProjectError):
            figures.set_status(p, 1, FigureStatus.REJECTED)
    before = (folder / DB_NAME).read_bytes()
    forget_checks()
    code, _, err = run(capsys, "import", folder, pdf_factory.text_pdf(tmp_path / "more.pdf"))
    assert code == 1 and "is damaged" in err and "remud repair" in err and err.count("\n") == 1
    forget_checks()
    code, _, err = run(capsys, "info", folder)
    assert code in (0, 1) and "Traceback" not in err and "damaged" in err
    assert (folder / DB_NAME).read_bytes() == before  # nothing was written into the damaged file


def test_repair_saves_what_can_be_read_into_a_new_file(tmp_path, capsys):
    folder = make_project(tmp_path / "P.remud", tmp_path, figures_per_page=150)
    with Project.open(folder) as p:
        total = p.db.execute("SELECT count(*) FROM figures").fetchone()[0]
    scribble(folder / DB_NAME)
    forget_checks()
    code, out, err = run(capsys, "repair", folder)
    assert code == 0, err
    assert "Saved" in out and "damaged file is kept" in out
    kept = list(folder.glob("project.damaged-*.sqlite"))
    assert len(kept) == 1
    with Project.open(folder) as p:
        assert not p.read_only and quick_check(p.db.conn) is None
        saved = p.db.execute("SELECT count(*) FROM figures").fetchone()[0]
        assert total * 0.8 <= saved <= total
        assert p.db.execute("SELECT count(*) FROM pages").fetchone()[0] == 4  # lost page rows read from the PDF
        assert p.db.execute("SELECT count(*) FROM search_index").fetchone()[0] >= saved  # search rebuilt
    code, _, err = run(capsys, "import", folder, pdf_factory.text_pdf(tmp_path / "after.pdf"))
    assert code == 0, err


def test_repair_out_leaves_the_project_alone(tmp_path, capsys):
    folder = make_project(tmp_path / "P.remud", tmp_path, figures_per_page=3)
    before = (folder / DB_NAME).read_bytes()
    code, out, _ = run(capsys, "repair", folder, "--out", tmp_path / "copy.sqlite", "--json")
    assert code == 0 and (folder / DB_NAME).read_bytes() == before
    conn = sqlite3.connect(tmp_path / "copy.sqlite")
    assert conn.execute("SELECT count(*) FROM figures").fetchone()[0] == 12
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


# -- busy -----------------------------------------------------------------------------------
def test_writer_waits_for_another_and_says_busy_only_after_the_timeout(tmp_path):
    folder = make_project(tmp_path / "P.remud", tmp_path, figures_per_page=1)
    other = sqlite3.connect(folder / DB_NAME, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with Project.open(folder) as p:
            p.db.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(ProjectBusyError, match="busy: another ReMUD window"):
                figures.set_status(p, 1, FigureStatus.REJECTED)
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Project.open(folder) as p:
        figures.set_status(p, 1, FigureStatus.REJECTED)  # works again once the other writer is done
        assert figures.get_figure(p, 1).status == FigureStatus.REJECTED


def test_writes_start_immediate_so_a_read_never_has_to_upgrade(tmp_path):
    """Read-then-write in one transaction: the second writer waits instead of failing at once."""
    folder = make_project(tmp_path / "P.remud", tmp_path, figures_per_page=1)
    with Project.open(folder) as a, Project.open(folder) as b:
        with a.atomic() as db:
            db.execute("SELECT count(*) FROM figures").fetchone()
            assert a.db.conn.in_transaction
            b.db.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(ProjectBusyError):  # b cannot even begin: a already holds the write lock
                with b.atomic():
                    pass
            db.execute("UPDATE figures SET label = 'ultrasound' WHERE id = 1")
        with b.atomic() as db:
            assert db.execute("SELECT label FROM figures WHERE id = 1").fetchone()[0] == "ultrasound"


def test_nested_atomic_is_a_savepoint(tmp_path):
    folder = make_project(tmp_path / "P.remud", tmp_path, figures_per_page=1)
    with Project.open(folder) as p:
        with p.atomic() as db:
            db.execute("UPDATE figures SET label = 'outer' WHERE id = 1")
            with pytest.raises(ZeroDivisionError):
                with p.atomic() as inner:
                    inner.execute("UPDATE figures SET caption = 'inner' WHERE id = 1")
                    raise ZeroDivisionError("the inner work fails")
        assert p.db.execute("SELECT label, caption FROM figures WHERE id = 1").fetchone()[0] == "outer"
        assert p.db.execute("SELECT caption FROM figures WHERE id = 1").fetchone()[0] != "inner"


# -- read-only storage ------------------------------------------------------------------------
def _can_mount() -> bool:
    probe = subprocess.run(["unshare", "-r", "-m", "true"], capture_output=True)
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(sys.platform != "linux" or not _can_mount(),
                                 reason="needs Linux user and mount namespaces (unshare -r -m)")


def in_read_only_mount(folder: Path, *argv: str) -> subprocess.CompletedProcess:
    """`remud ARGV` where `folder` is mounted read-only (as a read-only network share is)."""
    script = (f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && '
              f'exec "{sys.executable}" -m engine.cli "$@"')
    return subprocess.run(["unshare", "-r", "-m", "sh", "-c", script, "sh", *argv],
                          capture_output=True, text=True, cwd=Path(__file__).parents[2])


@needs_mount
def test_read_only_project_browses_searches_and_exports_but_refuses_writes(tmp_path):
    folder = make_project(tmp_path / "P.remud", tmp_path, figures_per_page=2)
    Project.open(folder).close()  # closed cleanly: no -wal/-shm left, as on a share copied from elsewhere
    before = sorted(path.name for path in folder.rglob("*"))
    done = in_read_only_mount(folder, "info", str(folder))
    assert done.returncode == 0 and "read-only" in done.stderr and "Figures   8" in done.stdout
    assert "damaged" not in done.stderr
    done = in_read_only_mount(folder, "search", str(folder), "kidney")
    assert done.returncode == 0 and "Figure" in done.stdout, done.stderr
    out = tmp_path / "crops"
    done = in_read_only_mount(folder, "figures", str(folder), "--export", str(out), "--dpi", "72")
    assert done.returncode == 0, done.stderr
    assert len(list(out.glob("*.png"))) == 8
    for argv in (["figures", str(folder), "--id", "1", "--set-status", "rejected"],
                 ["import", str(folder), str(pdf_factory.text_pdf(tmp_path / "new.pdf"))],
                 ["detect", str(folder), "-d", "embedded", "--no-text"]):
        done = in_read_only_mount(folder, *argv)
        assert done.returncode == 1 and "read-only" in done.stderr, (argv, done.stderr)
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert sorted(path.name for path in folder.rglob("*")) == before


# -- disk full ------------------------------------------------------------------------------
DISK_FULL_SCRIPT = r'''
import os, sys
from pathlib import Path
from engine.cli import main
from engine.store import Project, figures
from engine.store.models import FigureStatus
folder, pdf = Path(sys.argv[1]), sys.argv[2]
assert main(["new", str(folder)]) == 0
assert main(["import", str(folder), pdf]) == 0
filler = folder.parent / "filler"
fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
for size in (65536, 4096, 512, 1):  # fill the disk to the last byte
    try:
        while True:
            os.write(fd, b"\0" * size)
    except OSError:
        pass
os.close(fd)
print("CODE", main(["detect", str(folder), "-d", "embedded", "--no-text"]), flush=True)
print("CODE", main(["import", str(folder), sys.argv[3]]), flush=True)
filler.unlink()
with Project.open(folder) as p:
    print("DOCS", p.db.execute("SELECT count(*) FROM documents").fetchone()[0])
    print("CHECK", p.db.execute("PRAGMA integrity_check").fetchone()[0])
print("CODE", main(["detect", str(folder), "-d", "embedded", "--no-text"]), flush=True)
'''


@needs_mount
def test_disk_full_stops_with_one_sentence_and_the_project_intact(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    pdf = pdf_factory.image_pdf(tmp_path / "images.pdf", [(50, 50, 300, 300), (50, 350, 300, 600)])
    big = pdf_factory.many_pages_pdf(tmp_path / "big.pdf", 60)
    done = subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", f'mount -t tmpfs -o size=3m tmpfs "{disk}" && exec "$@"', "sh",
         sys.executable, "-c", DISK_FULL_SCRIPT, f"{disk}/P.remud", str(pdf), str(big)],
        capture_output=True, text=True, cwd=Path(__file__).parents[2])
    codes = [int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("CODE")]
    assert "Traceback" not in done.stderr, done.stderr
    assert codes[:2] == [1, 1], (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and all("is full" in e or "No space left" in e for e in errors), errors
    assert not any("damaged" in e for e in errors)
    assert "DOCS 1" in done.stdout and "CHECK ok" in done.stdout
    assert codes[2] == 0  # with space again, the same command works


# -- upgrades -----------------------------------------------------------------------------------
def make_old_project(folder: Path, version: int) -> Path:
    """A project as an earlier version wrote it: the first `version` migrations only."""
    folder.mkdir()
    db = sqlite_utils.Database(sqlite3.connect(folder / DB_NAME, isolation_level=None))
    for migration in MIGRATIONS[:version]:
        migration(db)
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    return folder


def test_several_programs_opening_an_old_project_upgrade_it_once(tmp_path):
    folder = make_old_project(tmp_path / "Old.remud", SCHEMA_VERSION - 1)
    go = tmp_path / "go"
    script = ("import sys, time, pathlib\n"
              "go = pathlib.Path(sys.argv[2])\n"
              "while not go.exists(): time.sleep(0.01)\n"
              "from engine.store import Project\n"
              "with Project.open(sys.argv[1]) as p: print(p.schema_version)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(folder), str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2]) for _ in range(4)]
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    assert {out.strip() for out, _ in results} == {str(SCHEMA_VERSION)}
    assert list(folder.glob("project.v*.sqlite.bak"))  # the copy taken before the upgrade


def test_a_failed_upgrade_changes_nothing(tmp_path, monkeypatch):
    folder = make_old_project(tmp_path / "Old.remud", SCHEMA_VERSION - 1)

    def broken(db):
        db.execute("CREATE TABLE half_done(x)")
        raise sqlite3.OperationalError("simulated failure in the middle of an upgrade")

    monkeypatch.setattr("engine.store.project.MIGRATIONS", [*schema.MIGRATIONS[:-1], broken])
    with pytest.raises(ProjectError):
        Project.open(folder)
    conn = sqlite3.connect(folder / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1
    assert "half_done" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


def test_a_backup_a_killed_process_left_unfinished_is_removed_and_others_kept(tmp_path):
    folder = make_project(tmp_path / "P.remud", tmp_path)
    (folder / "backups").mkdir(exist_ok=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = folder / "backups" / f".project-20261201-101010.sqlite.{int(dead.stdout)}.partial"
    running = folder / "backups" / f".project-20261201-101011.sqlite.{os.getpid()}.partial"
    mine = folder / "backups" / "my notes.sqlite.partial"
    for path in (orphan, running, mine):
        path.write_bytes(b"x")
    with Project.open(folder):
        pass
    assert not orphan.exists() and running.exists() and mine.exists()
    assert backups.latest_backup(folder) is not None
