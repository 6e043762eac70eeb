import sqlite3

import pytest
import sqlite_utils

from engine.errors import NotFoundError, ProjectExistsError, ProjectNotFoundError, ProjectTooNewError
from engine.geometry import Rect
from engine.store import Project, documents, editlog, figures, records, search
from engine.store.documents import NewPage
from engine.store.models import FigureStatus, FigureText, NewFigure, NewRecord, RecordKind
from engine.store.schema import MIGRATIONS, SCHEMA_VERSION


def add_doc(project, pages=3, sha="a" * 64):
    return documents.add_document(
        project, sha256=sha, title="Atlas", file=f"sources/{sha}.pdf", original_path="/tmp/atlas.pdf",
        file_size=10, pages=[NewPage(i, 595, 842, 0, True, False, f"text {i}") for i in range(pages)],
    )


def test_new_project_layout_and_pragmas(tmp_path):
    p = Project.create(tmp_path / "Kidney atlas.remud")
    assert (p.folder / "project.sqlite").is_file()
    assert (p.folder / "sources").is_dir() and (p.folder / "cache").is_dir()
    assert p.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert p.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert p.schema_version == SCHEMA_VERSION
    tables = set(p.db.table_names())
    assert {"documents", "pages", "figures", "records", "jobs", "job_items", "chat_sessions",
            "chat_messages", "edit_log", "search_index"} <= tables
    p.close()


def test_create_refuses_existing_and_open_refuses_missing(tmp_path):
    Project.create(tmp_path / "p").close()
    with pytest.raises(ProjectExistsError):
        Project.create(tmp_path / "p")
    with pytest.raises(ProjectNotFoundError, match="not a ReMUD project"):
        Project.open(tmp_path / "nothing")


def test_newer_project_gives_clear_error(tmp_path):
    Project.create(tmp_path / "p").close()
    conn = sqlite3.connect(tmp_path / "p" / "project.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ProjectTooNewError, match="newer ReMUD Desktop"):
        Project.open(tmp_path / "p")


def test_older_project_is_backed_up_and_migrated(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    conn = sqlite3.connect(folder / "project.sqlite")

    db = sqlite_utils.Database(conn)
    MIGRATIONS[0](db)  # a project written by schema version 1
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO documents(id, sha256, title, file, page_count, imported_at) VALUES (1, 'x', 'Old', 'f', 1, 'now')")
    conn.execute("INSERT INTO pages(doc_id, idx, width, height) VALUES (1, 0, 100, 100)")
    conn.execute("INSERT INTO figures(doc_id, page, x0, y0, x1, y1, caption, created_at, updated_at) "
                 "VALUES (1, 0, 0, 0, 10, 10, 'Hepatic vein confluence', 'now', 'now')")
    conn.commit()
    conn.close()

    p = Project.open(folder)
    assert p.schema_version == SCHEMA_VERSION
    backups = list(folder.glob("project.v1.*.sqlite.bak"))
    assert len(backups) == 1
    assert sqlite3.connect(backups[0]).execute("PRAGMA user_version").fetchone()[0] == 1
    # the migration indexed what the old project held
    assert [h.id for h in search.query(p, "hepatic")] == [1]
    p.close()


def test_document_pages_and_foreign_keys(project):
    doc = add_doc(project, pages=4)
    assert doc.page_count == 4
    assert [pg.index for pg in documents.list_pages(project, doc.id)] == [0, 1, 2, 3]
    assert documents.get_page(project, doc.id, 2, with_text=True).text == "text 2"
    with pytest.raises(NotFoundError):
        documents.get_page(project, doc.id, 9)
    with pytest.raises(sqlite3.IntegrityError):  # a figure on a page that does not exist
        figures.add_figure(project, NewFigure(doc.id, 99, Rect(0, 0, 1, 1)))


def test_mutation_is_atomic(project):
    doc = add_doc(project)
    before = project.db.execute("SELECT count(*) FROM documents").fetchone()[0]
    pages = [NewPage(0, 1, 1, 0, False, False), NewPage(0, 1, 1, 0, False, False)]  # duplicate page index
    with pytest.raises(sqlite3.IntegrityError):
        documents.add_document(project, sha256="b" * 64, title="x", file="f", original_path="", file_size=0, pages=pages)
    assert project.db.execute("SELECT count(*) FROM documents").fetchone()[0] == before
    assert project.db.execute("SELECT count(*) FROM pages WHERE doc_id != ?", [doc.id]).fetchone()[0] == 0


def test_figure_edits_are_logged_and_mark_page_corrected(project):
    doc = add_doc(project)
    f = figures.add_figure(project, NewFigure(doc.id, 1, Rect(50, 60, 10, 20), detector="scanned"), by_user=False)
    assert f.rect == Rect(50, 60, 10, 20) or f.rect.x0 <= f.rect.x1
    assert not documents.get_page(project, doc.id, 1).corrected
    f = figures.set_rect(project, f.id, Rect(100, 100, 10, 10))  # reversed corners are normalized
    assert f.rect == Rect(10, 10, 100, 100)
    assert documents.get_page(project, doc.id, 1).corrected
    figures.set_status(project, f.id, "accepted")
    figures.set_text(project, f.id, FigureText(caption="Figure 1 Liver", sublabel="A"))
    actions = [h["action"] for h in editlog.history(project.db, "figure", f.id)]
    assert actions == ["create:auto", "rect", "status", "text"]  # the detector made it, a person edited it
    assert figures.count_by_status(project)["accepted"] == 1


def test_delete_and_restore_keep_id_and_text(project):
    doc = add_doc(project)
    f = figures.add_figure(project, NewFigure(doc.id, 0, Rect(0, 0, 50, 50), text=FigureText(caption="左肾 长轴")))
    [gone] = figures.delete_figures(project, [f.id])
    assert figures.list_figures(project, doc.id) == []
    assert search.query(project, "左肾") == []
    back = figures.restore_figure(project, gone)
    assert back.id == f.id and back.text.caption == "左肾 长轴"
    assert [h.id for h in search.query(project, "左肾")] == [f.id]


def test_detection_never_overwrites_corrected_page(project):
    doc = add_doc(project)
    auto = NewFigure(doc.id, 0, Rect(0, 0, 10, 10), detector="scanned")
    [fid] = figures.replace_detected(project, doc.id, 0, [auto], "scanned").new_ids
    # a second run replaces the proposal, and says what it replaced
    second = figures.replace_detected(project, doc.id, 0, [auto], "scanned")
    [fid2] = second.new_ids
    assert [f.id for f in second.replaced] == [fid]
    assert [f.id for f in figures.list_figures(project, doc.id, 0)] == [fid2] != [fid]
    figures.set_rect(project, fid2, Rect(1, 1, 20, 20))  # a person's correction
    assert figures.replace_detected(project, doc.id, 0, [], "scanned") is None
    assert len(figures.list_figures(project, doc.id, 0)) == 1
    # accepted and manual figures survive even a forced run
    figures.set_status(project, fid2, FigureStatus.ACCEPTED)
    manual = figures.add_figure(project, NewFigure(doc.id, 0, Rect(30, 30, 60, 60)))
    figures.replace_detected(project, doc.id, 0, [auto], "scanned", force=True)
    ids = {f.id for f in figures.list_figures(project, doc.id, 0)}
    assert {fid2, manual.id} <= ids and len(ids) == 3


def test_fts_over_figures_and_records_mixed_languages(project):
    doc = add_doc(project)
    f = figures.add_figure(project, NewFigure(doc.id, 0, Rect(0, 0, 9, 9), text=FigureText(
        caption="图 3-1 肝右叶 / Figure 3-1 Right liver lobe", context="图解要点：A图显示肝右静脉", burned_text="LK: 左肾")))
    r = records.add_record(project, NewRecord(kind=RecordKind.VQA, question="Which vessel drains the right lobe?",
                                              answer="The right hepatic vein 肝右静脉", figure_id=f.id, reasoning=True,
                                              thinking="The image shows a tubular anechoic structure"))
    assert {(h.kind, h.id) for h in search.query(project, "肝右")} == {("figure", f.id), ("record", r.id)}
    assert [h.kind for h in search.query(project, "左肾")] == ["figure"]
    assert [h.kind for h in search.query(project, "肾")] == ["figure"]
    assert [h.id for h in search.query(project, "hepat", entity="record")] == [r.id]
    assert [h.kind for h in search.query(project, "anechoic structure")] == ["record"]
    assert search.query(project, "kidney") == []
    assert search.query(project, '" OR ) NEAR(') == []  # syntax characters are not an error
    hit = search.query(project, "liver lobe")[0]
    assert "[liver]" in hit.snippet
    records.update_record(project, r.id, answer="The middle hepatic vein")
    assert search.query(project, "middle", entity="record")[0].id == r.id


def test_record_roundtrip_and_edit_validation(project):
    r = records.add_record(project, NewRecord(kind=RecordKind.MCQ, question="Q?", answer="B",
                                              options=("A. liver", "B. kidney"), correct="B", language="zh"))
    got = records.get_record(project, r.id)
    assert got.options == ("A. liver", "B. kidney") and got.kind is RecordKind.MCQ
    with pytest.raises(ValueError):
        records.update_record(project, r.id, figure_id=3)


def test_two_handles_see_each_others_writes(project):
    doc = add_doc(project)
    other = project.reopen()
    figures.add_figure(project, NewFigure(doc.id, 0, Rect(0, 0, 5, 5)))
    assert len(figures.list_figures(other, doc.id)) == 1
    other.close()


@pytest.mark.parametrize("window", [3, 1000])  # ranked in Python over a window, or by FTS5's bm25
def test_search_puts_the_most_relevant_first(project, monkeypatch, window):
    monkeypatch.setattr(search, "RANK_WINDOW", window)
    doc = add_doc(project)
    filler = [NewFigure(doc.id, 0, Rect(0, 0, 9, 9), text=FigureText(
        caption=f"Figure {i}", context="The liver is shown next to the kidney and the spleen and the aorta " * 3))
        for i in range(8)]
    figures.add_figures(project, filler[:6])
    [best] = figures.add_figures(project, [NewFigure(doc.id, 0, Rect(0, 0, 9, 9), text=FigureText(
        caption="Liver", context="Liver: the liver, 肝脏"))])
    figures.add_figures(project, filler[6:])  # newer than the best match: recency alone would put these first
    hits = search.query(project, "liver")
    assert hits[0].id == best and len(hits) == 9
    assert [h.id for h in search.query(project, "liver 肝脏")] == [best]


def test_deleting_a_document_keeps_records_and_logs_before_values(project):
    doc = add_doc(project)
    f = figures.add_figure(project, NewFigure(doc.id, 0, Rect(0, 0, 10, 10), text=FigureText(caption="Old")))
    figures.set_rect(project, f.id, Rect(1, 1, 20, 20))
    figures.set_text(project, f.id, FigureText(caption="New"))
    history = editlog.history(project.db, "figure", f.id)
    assert history[1]["before"] == {"x0": 0, "y0": 0, "x1": 10, "y1": 10}
    assert history[2]["before"]["caption"] == "Old" and history[2]["after"]["caption"] == "New"
    r = records.add_record(project, NewRecord(kind=RecordKind.QA, question="Echogenic lesion?", answer="Yes",
                                              figure_id=f.id, doc_id=doc.id))
    documents.delete_document(project, doc.id)
    kept = records.get_record(project, r.id)
    assert kept.doc_id is None and kept.figure_id is None and kept.question == "Echogenic lesion?"
    assert [h.id for h in search.query(project, "echogenic", entity="record")] == [r.id]


def test_record_languages(project):
    assert records.record_languages(project) == []
    records.add_records(project, [NewRecord(RecordKind.QA, "q", "a", language=lang) for lang in ("zh", "en", "zh")])
    assert records.record_languages(project) == ["en", "zh"]
