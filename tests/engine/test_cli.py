import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from engine.cli import main
from engine.cli.common import parse_pages
from engine.errors import RemudError
from engine.pdf.importer import file_sha256
from engine.samplegen import make_sample_pdf
from engine.store import Project, documents, records
from engine.store.models import NewRecord, RecordKind
from tests import pdf_factory


def run(capsys, *argv):
    code = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("cli") / "atlas.pdf")


def test_pages_spec():
    assert parse_pages("1-3,7", 10) == [0, 1, 2, 6]
    assert parse_pages(None, 10) is None
    with pytest.raises(RemudError, match="outside"):
        parse_pages("9-12", 10)
    with pytest.raises(RemudError, match="not a page"):
        parse_pages("one", 10)


def test_full_flow_with_json(capsys, tmp_path, sample_pdf):
    proj = tmp_path / "Atlas.remud"
    assert run(capsys, "new", proj)[0] == 0
    code, out, _ = run(capsys, "import", proj, sample_pdf.path, "--json")
    assert code == 0 and json.loads(out)[0]["pages"] >= 4
    code, out, _ = run(capsys, "import", proj, sample_pdf.path)
    assert code == 0 and "already in this project" in out
    code, out, _ = run(capsys, "detect", proj, "--detector", "auto", "--json")
    report = json.loads(out)[0]
    assert code == 0 and report["figures"] >= len(sample_pdf.truth)
    code, out, _ = run(capsys, "figures", proj, "--json")
    figs = json.loads(out)
    assert {"caption", "context", "burned_text", "section", "sublabel", "rect", "status", "detector"} <= set(figs[0])
    assert any("肝右叶" in f["caption"] for f in figs), [f["caption"] for f in figs]
    code, out, _ = run(capsys, "search", proj, "肝右叶", "--json")
    assert code == 0 and json.loads(out)[0]["kind"] == "figure"
    code, out, _ = run(capsys, "info", proj, "--json")
    info = json.loads(out)
    assert info["documents"] == 1 and info["figures"] == len(figs)
    crops = tmp_path / "crops"
    code, out, _ = run(capsys, "figures", proj, "--export", crops, "--page", "1")
    assert code == 0 and len(list(crops.glob("*.png"))) == len([f for f in figs if f["page"] == 1])
    code, out, _ = run(capsys, "figures", proj, "--page", "1", "--set-status", "accepted", "--json")
    accepted = json.loads(out)
    assert code == 0 and sorted(accepted) == sorted(f["id"] for f in figs if f["page"] == 1)
    code, out, _ = run(capsys, "figures", proj, "--id", str(figs[-1]["id"]), "--set-status", "rejected")
    assert code == 0 and "1 figure(s) marked rejected" in out
    code, out, _ = run(capsys, "figures", proj, "--status", "accepted", "--json")
    assert sorted(f["id"] for f in json.loads(out)) == sorted(set(accepted) - {figs[-1]["id"]})
    # without a filter, --set-status would change every figure: it asks for --all
    code, out, err = run(capsys, "figures", proj, "--set-status", "proposed")
    assert code == 2 and out == "" and "--all" in err and err.count("\n") == 1
    code, out, _ = run(capsys, "figures", proj, "--status", "accepted", "--json")
    assert sorted(f["id"] for f in json.loads(out)) == sorted(set(accepted) - {figs[-1]["id"]})  # unchanged
    code, out, _ = run(capsys, "figures", proj, "--set-status", "proposed", "--all")
    assert code == 0 and f"{len(figs)} figure(s) marked proposed" in out
    # synth run without a selection: exit 2 naming --doc and --figure, no job made
    code, out, err = run(capsys, "synth", "run", proj, "--kinds", "vqa")
    assert code == 2 and "--doc" in err and "--figure" in err and err.count("\n") == 1
    code, out, _ = run(capsys, "synth", "status", proj)
    assert code == 0 and out.strip() == "no jobs"


def test_human_output_and_pages_option(capsys, tmp_path, sample_pdf):
    proj = tmp_path / "p.remud"
    run(capsys, "new", proj)
    run(capsys, "import", proj, sample_pdf.path)
    code, out, _ = run(capsys, "detect", proj, "--pages", "1", "--no-text")
    assert code == 0 and "on 1 pages" in out
    code, out, _ = run(capsys, "info", proj)
    assert "Documents 1" in out
    code, out, _ = run(capsys, "figures", proj)
    assert out.count("\n") >= 1 and "p.1" in out


def test_errors_are_one_line_and_non_zero(capsys, tmp_path):
    code, out, err = run(capsys, "info", tmp_path / "missing")
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1
    proj = tmp_path / "p.remud"
    run(capsys, "new", proj)
    locked = pdf_factory.encrypted_pdf(tmp_path / "locked.pdf")
    code, out, err = run(capsys, "import", proj, locked)
    assert code == 1 and "password" in err
    code, out, err = run(capsys, "detect", proj, "--detector", "nope")
    assert code == 1 and "no detector called" in err


def test_password_from_environment(capsys, tmp_path, monkeypatch):
    proj = tmp_path / "p.remud"
    run(capsys, "new", proj)
    monkeypatch.setenv("PDF_PW", "secret")
    code, out, err = run(capsys, "import", proj, pdf_factory.encrypted_pdf(tmp_path / "l.pdf"), "--password-env", "PDF_PW")
    assert code == 0, err


REMUD = shutil.which("remud", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(REMUD is None, reason="console script not installed (run through `make test`)")
def test_console_script(tmp_path):
    exe = REMUD
    done = subprocess.run([exe, "info", str(tmp_path / "nothing")], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith("error: ") and "not a ReMUD project" in done.stderr
    done = subprocess.run([exe, "detectors", "--json"], capture_output=True, text=True)
    assert done.returncode == 0 and "scanned" in {c["name"] for c in json.loads(done.stdout)}


def test_more_bad_input_is_one_line(capsys, tmp_path, sample_pdf):
    afile = tmp_path / "x.txt"
    afile.write_text("x")
    code, _, err = run(capsys, "new", afile)
    assert code == 1 and "is a file" in err and err.count("\n") == 1
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    code, _, err = run(capsys, "sample", busy)
    assert code == 1 and "not an empty folder" in err
    proj = tmp_path / "p.remud"
    run(capsys, "new", proj)
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "import", proj, empty)
    assert code == 1 and "No PDF files" in err
    run(capsys, "import", proj, sample_pdf.path)
    code, _, err = run(capsys, "detect", proj, "--pages", "3-1")
    assert code == 1 and "not a valid range" in err
    code, _, err = run(capsys, "detect", proj, "--param", "foo=1")
    assert code == 1 and "has no setting foo" in err
    code, _, err = run(capsys, "figures", proj, "--export", afile / "sub")
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.parametrize("value", ["0", "-72", "100000", "nan", "many"])
def test_a_resolution_out_of_range_is_refused_with_one_sentence(capsys, tmp_path, value):
    proj = tmp_path / "p.remud"
    run(capsys, "new", proj)
    with pytest.raises(SystemExit) as exited:
        main(["figures", str(proj), "--export", str(tmp_path / "crops"), "--dpi", value])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        f"argument --dpi: the resolution must be a number of dots per inch from 10 to 1200 (e.g. 200), not {value}.")
    for detector in ("scanned", "qwen-vl"):
        code, _, err = run(capsys, "detect", proj, "-d", detector, "--param", f"dpi={value}")
        assert code == 1 and err == (f"error: The {detector} detector's dpi must be a number of dots per inch from 10 "
                                     f"to 1200 (e.g. 200), not {value}.\n")


def test_records_commands_are_wired(capsys, tmp_path):
    proj = tmp_path / "r.remud"
    with Project.create(proj) as p:
        rid = records.add_record(p, NewRecord(kind=RecordKind.QA, question="What is shown?", answer="A cyst.")).id
    code, out, _ = run(capsys, "records", "accept", proj, rid, "--json")
    assert code == 0
    code, out, _ = run(capsys, "records", "list", proj, "--status", "accepted", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [rid]
    code, _, err = run(capsys, "records", "show", proj, 999)
    assert code == 1 and err.startswith("error: ")


REPO = Path(__file__).resolve().parents[2]


def _cli(*argv) -> list[str]:
    return [sys.executable, "-m", "engine.cli", *map(str, argv)]


def _cli_env() -> dict[str, str]:
    # a strict UTF-8 terminal: a name with surrogate escapes in the output would be a traceback
    return {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(REPO)}


def test_concurrent_imports_of_one_pdf_keep_one_document_and_its_file(tmp_path):
    pdf = pdf_factory.many_pages_pdf(tmp_path / "a.pdf", 40)
    for trial in range(3):
        proj = tmp_path / f"P{trial}.remud"
        Project.create(proj).close()
        procs = [subprocess.Popen(_cli("import", proj, pdf), cwd=REPO, env=_cli_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(6)]
        outs = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        assert [code for code, _, _ in outs] == [0] * 6, [err for _, _, err in outs]
        assert not any("Traceback" in err for _, _, err in outs)
        said = sorted("already in this project" in out for _, out, _ in outs)
        assert said == [False] + [True] * 5, [out for _, out, _ in outs]
        with Project.open(proj) as p:
            docs = documents.list_documents(p)
            assert len(docs) == 1 and docs[0].page_count == 40
            source = p.source_path(docs[0].file)
            assert source.is_file() and file_sha256(source) == docs[0].sha256 == file_sha256(pdf)
            assert pymupdf.open(str(source)).page_count == 40
            assert [q.name for q in p.sources_dir.iterdir()] == [source.name]  # no .importing-* left


@pytest.mark.skipif(sys.platform == "win32", reason="file names are Unicode on Windows")
def test_import_of_a_gbk_named_file_and_of_a_cut_short_one(tmp_path):
    proj = tmp_path / "P.remud"
    assert subprocess.run(_cli("new", proj), cwd=REPO, env=_cli_env(), capture_output=True).returncode == 0
    made = pdf_factory.text_pdf(tmp_path / "made.pdf", pages=2, title="")
    gbk = os.path.join(os.fsencode(tmp_path), "肾脏超声".encode("gbk") + b".pdf")
    os.replace(made, gbk)
    done = subprocess.run(_cli("import", proj, os.fsdecode(gbk)), cwd=REPO, env=_cli_env(), capture_output=True,
                          text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "Imported 肾脏超声.pdf: 2 pages.\n", "")
    done = subprocess.run(_cli("import", proj, os.fsdecode(gbk), "--json"), cwd=REPO, env=_cli_env(),
                          capture_output=True, text=True)
    row = json.loads(done.stdout)[0]
    assert done.returncode == 0 and row["already_present"] and row["file"].endswith("/肾脏超声.pdf")
    done = subprocess.run(_cli("info", proj, "--json"), cwd=REPO, env=_cli_env(), capture_output=True, text=True)
    doc = json.loads(done.stdout)["documents_list"][0]
    assert done.returncode == 0 and doc["title"] == "肾脏超声" and doc["original_path"].endswith("/肾脏超声.pdf")
    done = subprocess.run(_cli("info", proj), cwd=REPO, env=_cli_env(), capture_output=True, text=True)
    assert done.returncode == 0 and "#1 肾脏超声 — 2 pages" in done.stdout

    cut = pdf_factory.cut_short_pdf(tmp_path / "atlas.pdf")
    done = subprocess.run(_cli("import", proj, cut), cwd=REPO, env=_cli_env(), capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith("error: atlas.pdf is damaged or incomplete")
    assert "no pages" not in done.stderr and "Traceback" not in done.stderr


def test_cli_command_modules_share_only_engine_cli_common():
    """engine/cli/: the command modules import engine.cli.common, never each other or the package
    (which imports them all), so there is no import circle and no helper written twice."""
    package = REPO / "engine" / "cli"
    commands = {p.stem for p in package.glob("*.py")} - {"__init__", "__main__", "common"}
    assert {"project", "records", "synth", "export", "eval", "chat", "settings"} <= commands
    for name in sorted(commands | {"common"}):
        allowed = set() if name == "common" else {"engine.cli.common"}
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                sources = [node.module or ""] + (["engine.cli"] if node.module == "engine" and
                                                 any(a.name == "cli" for a in node.names) else [])
            elif isinstance(node, ast.Import):
                sources = [a.name for a in node.names]
            else:
                continue
            for source in sources:
                if source == "engine.cli" or source.startswith("engine.cli."):
                    assert source in allowed, f"engine/cli/{name}.py:{node.lineno} imports {source}"
