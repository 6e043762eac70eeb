"""Team work (issue 17): hand out parts of a project to three annotators, change overlapping and
disjoint things in each, merge them back with nothing lost, nothing doubled, conflicts reported with
both versions; merging again changes nothing; `remud split / merge / export P1 P2 … OUT`.

The kill -9 of a merge in a subprocess is in test_team_kill.py.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import RemudError
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, chats, documents, figures, jobs, records
from engine.store.handout import page_ranges, parse_ranges, received
from engine.store.jobs import NewItem
from engine.store.merge import merge_project
from engine.store.models import FigureStatus, FigureText, NewFigure, NewRecord, RecordKind, RecordStatus
from engine.store.project import DB_NAME, now
from engine.team import merge_sources, plan_parts, split_project
from tests import pdf_factory


# -- the project handed out ---------------------------------------------------------------------
def _figure(p: Project, doc: int, page: int, n: int, **kw) -> int:
    return figures.add_figure(p, NewFigure(doc, page, Rect(40, 60 + 10 * n, 300, 200 + 10 * n), detector="auto",
                                           score=0.9, text=FigureText(caption=f"Figure {page + 1}.{n}"), **kw),
                              by_user=False).id


def later() -> None:
    """Wait until the store's clock (engine.store.project.now, in milliseconds) has moved on, so the next
    edit is stamped later than the last one: the later edit must win."""
    start = now()
    while now() == start:
        pass


def _synthesize(p: Project, figure_id: int, model: str, question: str) -> tuple[int, list[int]]:
    """A paid synthesis item for a figure, answered: (item id, record ids)."""
    fig = figures.get_figure(p, figure_id)
    job, created, _ = jobs.create_job(p, synthesizer="openai", model=model, items=[
        NewItem(RecordKind.VQA, "en", True, "v1", figure_id=fig.id, doc_id=fig.doc_id, page=fig.page)])
    if not created:
        raise AssertionError("the item exists already")
    item = jobs.list_items(p, job.id)[0]
    assert jobs.mark_running(p, item.id)
    ids = jobs.complete_item(p, item.id, [NewRecord(RecordKind.VQA, question, "An answer.", figure_id=fig.id,
                                                    doc_id=fig.doc_id, page=fig.page, model=model)],
                             tokens_in=100, tokens_out=50, cost=0.01, raw="{}")
    assert ids
    return item.id, ids


@pytest.fixture
def team(tmp_path):
    """A project with two books (Liver 6 pages, Kidney 3), detections, edits, records, a synthesis job and a
    conversation, handed out to alice (Liver 1-3), bob (Liver 4-5) and carol (Kidney); Liver p.6 stays
    with nobody (both alice and bob carry it)."""
    root = tmp_path
    folder = root / "Atlas.remud"
    with Project.create(folder) as p:
        liver = import_pdf(p, pdf_factory.text_pdf(root / "liver.pdf", pages=6, title="Liver")).document
        kidney = import_pdf(p, pdf_factory.text_pdf(root / "kidney.pdf", pages=3, title="Kidney")).document
        figs = {}
        for page in range(6):
            for n in range(2):
                figs[("L", page, n)] = _figure(p, liver.id, page, n)
        for page in range(3):
            figs[("K", page, 0)] = _figure(p, kidney.id, page, 0)
        figures.set_status(p, figs[("L", 0, 0)], "accepted")
        item, recs = _synthesize(p, figs[("L", 0, 0)], "gpt-test", "What organ is shown?")
        shared_rec = records.add_record(p, NewRecord(RecordKind.QA, "Where is the liver?", "Right upper quadrant.",
                                                     figure_id=figs[("L", 5, 0)])).id
        loose = records.add_record(p, NewRecord(RecordKind.QA, "What is echogenicity?", "Brightness.")).id
        session = chats.create_session(p, "Questions").id
        chats.add_message(p, session, "user", "How is the liver measured?")
        parts = split_project(p, root / "out", assignees=["alice", "bob", "carol"],
                              parts=["Liver:1-3", "Liver:4-5", "Kidney"])
    return {"root": root, "folder": folder, "parts": {w.info.assignee: w.folder for w in parts}, "figs": figs,
            "item": item, "item_records": recs, "shared_rec": shared_rec, "loose": loose, "session": session,
            "liver": liver, "kidney": kidney}


def _uid(folder: Path, table: str, row_id: int) -> str:
    conn = sqlite3.connect(folder / DB_NAME)
    try:
        return conn.execute(f"SELECT uid FROM {table} WHERE id = ?", [row_id]).fetchone()[0]
    finally:
        conn.close()


def _by_uid(p: Project, table: str, uid: str) -> int | None:
    row = p.db.execute(f"SELECT id FROM {table} WHERE uid = ?", [uid]).fetchone()
    return row[0] if row else None


def state(folder: Path) -> dict:
    """What a project holds, by identity (never row ids), for comparing before and after."""
    conn = sqlite3.connect(folder / DB_NAME)
    try:
        def rows(sql: str) -> list:
            return sorted(tuple(r) for r in conn.execute(sql).fetchall())

        return {
            "documents": rows("SELECT sha256, title, page_count FROM documents"),
            "pages": rows("SELECT d.sha256, p.idx, p.reviewed, p.corrected, p.detected_by FROM pages p "
                          "JOIN documents d ON d.id = p.doc_id"),
            "figures": rows("SELECT f.uid, d.sha256, f.page, f.x0, f.y0, f.x1, f.y1, f.label, f.status, f.caption, "
                            "f.context, f.redactions FROM figures f JOIN documents d ON d.id = f.doc_id"),
            "records": rows("SELECT r.uid, (SELECT uid FROM figures WHERE id = r.figure_id), r.question, r.answer, "
                            "r.status, r.options FROM records r"),
            "items": rows("SELECT i.idem_key, i.state, (SELECT group_concat(r.uid) FROM json_each(i.record_ids) j "
                          "JOIN records r ON r.id = j.value) FROM job_items i"),
            "jobs": rows("SELECT uid, model, state FROM jobs"),
            "messages": rows("SELECT m.uid, s.uid, m.content FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id"),
            "edits": rows("SELECT uid, action FROM edit_log"),
            "search": conn.execute("SELECT count(*) FROM search_index").fetchone()[0],
            "merges": conn.execute("SELECT count(*) FROM merges").fetchone()[0],
        }
    finally:
        conn.close()


def assert_sound(folder: Path) -> None:
    conn = sqlite3.connect(folder / DB_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO search_index(search_index) VALUES ('integrity-check')")
        for table in ("figures", "records", "edit_log", "chat_messages", "jobs"):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE uid IS NULL").fetchone()[0] == 0, table
        for (file,) in conn.execute("SELECT file FROM documents").fetchall():
            assert (folder / file).is_file(), file
    finally:
        conn.close()


# -- hand-out -----------------------------------------------------------------------------------
def test_page_ranges_round_trip():
    assert page_ranges([0, 1, 2, 5, 7, 8]) == "1-3,6,8-9"
    assert parse_ranges("1-3,6,8-9") == [0, 1, 2, 5, 7, 8]
    assert page_ranges([]) == ""


def test_a_part_carries_its_documents_state_and_where_it_came_from(team):
    parts = team["parts"]
    with Project.open(team["folder"]) as parent:
        parent_uid = parent.db.execute("SELECT value FROM project_meta").fetchone()[0]
        given = parent.db.execute("SELECT name, assignee, role FROM handouts ORDER BY name").fetchall()
        liver_figs = len(figures.list_figures(parent, team["liver"].id))
    assert given == [("Atlas-alice", "alice", "given"), ("Atlas-bob", "bob", "given"), ("Atlas-carol", "carol", "given")]
    with Project.open(parts["alice"]) as alice:
        info = received(alice.db.conn)
        assert info is not None and info.parent_uid == parent_uid and info.assignee == "alice"
        assert [(d.title, d.pages) for d in info.documents] == [("Liver", "1-3")]
        assert [d.title for d in documents.list_documents(alice)] == ["Liver"]
        assert len(figures.list_figures(alice)) == liver_figs  # the whole book: its other pages for context
        assert {r.question for r in records.list_records(alice)} == {
            "What organ is shown?", "Where is the liver?", "What is echogenicity?"}  # loose records: the first part
        assert len(jobs.list_jobs(alice)) == 1 and chats.list_sessions(alice)
        assert (parts["alice"] / "handout" / "base.sqlite").is_file()
        assert (parts["alice"] / documents.list_documents(alice)[0].file).is_file()
        assert alice.db.execute("SELECT value FROM project_meta").fetchone()[0] != parent_uid
    with Project.open(parts["carol"]) as carol:
        assert [d.title for d in documents.list_documents(carol)] == ["Kidney"]
        assert records.list_records(carol) == [] and jobs.list_jobs(carol) == []
        assert {f.uid for f in figures.list_figures(carol)} == {_uid(team["folder"], "figures", team["figs"][("K", p, 0)])
                                                                  for p in range(3)}
    for folder in parts.values():
        assert_sound(folder)


def test_plan_parts_by_pages_documents_and_names(tmp_path):
    with Project.create(tmp_path / "P.remud") as p:
        for n, pages in enumerate((5, 3, 1)):
            import_pdf(p, pdf_factory.text_pdf(tmp_path / f"{n}.pdf", pages=pages, title=f"Book {n}"))
        by_pages = plan_parts(p, into=3)
        assert [sum(len(v) for v in s.pages.values()) for s in by_pages] == [3, 3, 3]
        assert [s.folder_name for s in by_pages] == ["P-1.remud", "P-2.remud", "P-3.remud"]
        by_docs = plan_parts(p, into=2, by="documents", assignees=["Ann Lee", "Bo"])
        assert [sorted(s.pages) for s in by_docs] == [[1], [2, 3]]
        assert [s.folder_name for s in by_docs] == ["P-Ann Lee.remud", "P-Bo.remud"]
        with pytest.raises(RemudError, match="one annotator"):
            plan_parts(p, parts=["Book 0:1-3", "1:3-5"])
        with pytest.raises(RemudError, match="3 documents"):
            plan_parts(p, into=4, by="documents")
        with pytest.raises(RemudError, match="assignee"):
            plan_parts(p, into=2, assignees=["a", "b", "c"])


# -- the work in each part, and the merge -------------------------------------------------------------
def _work(team) -> dict:
    """Alice, bob and carol each change things; some overlap. Returns what the checks need."""
    parts, figs, parent = team["parts"], team["figs"], team["folder"]
    uid = {k: _uid(parent, "figures", v) for k, v in figs.items()}
    out: dict = {"uid": uid}
    shared_rec_uid = _uid(parent, "records", team["shared_rec"])
    loose_uid = _uid(parent, "records", team["loose"])
    out["shared_rec_uid"], out["loose_uid"] = shared_rec_uid, loose_uid
    with Project.open(parts["alice"]) as a, Project.open(parts["bob"]) as b:
        fa = {k: _by_uid(a, "figures", u) for k, u in uid.items() if k[0] == "L"}
        fb = {k: _by_uid(b, "figures", u) for k, u in uid.items() if k[0] == "L"}
        # disjoint: alice on her pages
        figures.set_text_fields(a, fa[("L", 0, 1)], {"caption": "Liver, right lobe (alice)"})
        figures.set_redactions(a, fa[("L", 0, 1)], [Rect(60, 90, 120, 110)])  # a mask over a name
        figures.set_status(a, fa[("L", 1, 0)], "accepted")
        figures.set_rect(a, fa[("L", 1, 1)], Rect(50, 70, 320, 240))
        figures.delete_figures(a, [fa[("L", 2, 0)]])  # a deleted figure
        documents.set_page_flags(a, team["liver"].id, 0, reviewed=True)
        chats.add_message(a, team["session"], "assistant", "With a convex probe (alice's chat).")
        # disjoint: bob on his pages, a new box
        figures.set_status(b, fb[("L", 3, 0)], "rejected")
        out["bob_new"] = figures.add_figure(b, NewFigure(team["liver"].id, 4, Rect(20, 400, 200, 560),
                                                         label="figure")).uid
        # overlapping, on pages of one of them: alice changes bob's figure later than bob, bob's page wins
        figures.set_label(b, fb[("L", 3, 1)], "bob-label")
        later()
        figures.set_label(a, fa[("L", 3, 1)], "alice-label")
        # a conflicting edit of one figure on a page nobody has (Liver p.6): the later edit (bob's) wins
        figures.set_text_fields(a, fa[("L", 5, 0)], {"caption": "Caption by alice"})
        later()
        figures.set_text_fields(b, fb[("L", 5, 0)], {"caption": "Caption by bob"})
        # ... and of one record: alice's answer first, bob's later; alice also accepts it (a field bob left alone)
        ra, rb = _by_uid(a, "records", shared_rec_uid), _by_uid(b, "records", shared_rec_uid)
        records.update_record(a, ra, answer="Right upper quadrant, under the ribs (alice).", status="accepted")
        later()
        records.update_record(b, rb, answer="Right hypochondrium (bob).")
        # a paid item both made for the shared figure: never twice in the merged project
        _synthesize(a, fa[("L", 5, 1)], "gpt-test", "Alice's paid question?")
        _synthesize(b, fb[("L", 5, 1)], "gpt-test", "Bob's paid question?")
        # alice synthesizes for a figure on her own page
        _synthesize(a, fa[("L", 1, 0)], "gpt-test", "What does the right lobe show?")
    with Project.open(parts["carol"]) as c:
        new_doc = import_pdf(c, pdf_factory.text_pdf(team["root"] / "spleen.pdf", pages=2, title="Spleen")).document
        out["spleen_sha"] = new_doc.sha256
        fig = figures.add_figure(c, NewFigure(new_doc.id, 1, Rect(30, 30, 200, 200), label="figure"))
        figures.set_status(c, fig.id, "accepted")
        records.add_record(c, NewRecord(RecordKind.QA, "How big is a normal spleen?", "Under 12 cm.", figure_id=fig.id))
        out["spleen_fig"] = fig.uid
        kid = _by_uid(c, "figures", uid[("K", 0, 0)])
        figures.set_text_fields(c, kid, {"context": "Carol's context"})
    # the parent goes on too: a later change of the loose record than alice's? no: alice changes it after
    with Project.open(parent) as p:
        records.update_record(p, team["loose"], answer="How bright tissue looks (parent).")
    later()
    with Project.open(parts["alice"]) as a:
        records.update_record(a, _by_uid(a, "records", loose_uid), answer="How bright tissue looks (alice, later).")
    return out


def test_split_change_merge_everything_there_conflicts_reported_nothing_doubled(team):
    w = _work(team)
    uid, parts, folder = w["uid"], team["parts"], team["folder"]
    with Project.open(folder) as p:
        reports = merge_sources(p, [parts["alice"], parts["bob"], parts["carol"]])
    assert all(r.changed for r in reports)
    assert_sound(folder)
    with Project.open(folder) as p:
        def fig(key):
            fid = _by_uid(p, "figures", uid[key])
            return figures.get_figure(p, fid) if fid else None

        # every disjoint change is there
        assert fig(("L", 0, 1)).text.caption == "Liver, right lobe (alice)"
        assert fig(("L", 0, 1)).redactions == (Rect(60, 90, 120, 110),)
        assert fig(("L", 1, 0)).status == FigureStatus.ACCEPTED
        assert fig(("L", 1, 1)).rect == Rect(50, 70, 320, 240)
        assert fig(("L", 2, 0)) is None  # deleted
        assert fig(("L", 3, 0)).status == FigureStatus.REJECTED
        assert fig(("K", 0, 0)).text.context == "Carol's context"
        assert documents.get_page(p, team["liver"].id, 0).reviewed
        assert _by_uid(p, "figures", w["bob_new"]) is not None
        spleen = documents.find_by_sha256(p, w["spleen_sha"])
        assert spleen is not None and (folder / spleen.file).is_file() and len(documents.list_pages(p, spleen.id)) == 2
        assert fig_status(p, w["spleen_fig"]) == "accepted"
        assert [r.question for r in records.list_records(p, figure_id=_by_uid(p, "figures", w["spleen_fig"]))] == [
            "How big is a normal spleen?"]
        assert [m.content for m in chats.list_messages(p, team["session"])] == [
            "How is the liver measured?", "With a convex probe (alice's chat)."]
        # overlapping: the page's assignee wins over a later edit; elsewhere the later edit, field by field
        assert fig(("L", 3, 1)).label == "bob-label"
        assert fig(("L", 5, 0)).text.caption == "Caption by bob"
        rec = records.get_record(p, _by_uid(p, "records", w["shared_rec_uid"]))
        assert rec.answer == "Right hypochondrium (bob)." and rec.status == RecordStatus.ACCEPTED
        assert records.get_record(p, team["loose"]).answer == "How bright tissue looks (alice, later)."
        # each conflict is reported with both versions, and the version not kept is in the edit log
        conflicts = [c for r in reports for c in r.conflicts]
        caption = [c for c in conflicts if c.uid == uid[("L", 5, 0)] and c.field == "caption"]
        assert len(caption) == 1 and caption[0].kept == "source" and caption[0].reason == "later edit"
        assert (caption[0].target_value, caption[0].source_value) == ("Caption by alice", "Caption by bob")
        label = [c for c in conflicts if c.uid == uid[("L", 3, 1)] and c.field == "label"]
        assert len(label) == 1 and label[0].kept == "source" and "bob" in label[0].reason
        answer = [c for c in conflicts if c.uid == w["shared_rec_uid"]]
        assert [(c.field, c.kept, c.target_value, c.source_value) for c in answer] == [
            ("answer", "source", "Right upper quadrant, under the ribs (alice).", "Right hypochondrium (bob).")]
        logged = p.db.execute("SELECT entity, before, after FROM edit_log WHERE action = 'merge_conflict'").fetchall()
        befores = [json.loads(b)["fields"] for _, b, _ in logged]
        assert {"caption": "Caption by alice"} in befores
        assert {"answer": "Right upper quadrant, under the ribs (alice)."} in befores
        # nothing doubled: figures, records, paid items
        uids = p.db.execute("SELECT uid FROM figures").fetchall()
        assert len(uids) == len(set(uids)) == 15 - 1 + 1 + 1  # parent's 15, one deleted, bob's and carol's new ones
        keys = [k for (k,) in p.db.execute("SELECT idem_key FROM job_items").fetchall()]
        assert len(keys) == len(set(keys)) == 3  # the parent's item, the shared one once, alice's own
        questions = [r.question for r in records.list_records(p)]
        assert len(questions) == len(set(questions))
        assert ("Alice's paid question?" in questions) != ("Bob's paid question?" in questions)
        dupes = [d for r in reports for d in r.duplicates]
        assert [d["question"] for d in dupes] == ["Bob's paid question?"]
        shared = _by_uid(p, "figures", uid[("L", 5, 1)])
        done = p.db.execute("SELECT state, record_ids FROM job_items WHERE figure_id = ?", [shared]).fetchall()
        assert len(done) == 1 and done[0][0] == "done" and len(json.loads(done[0][1])) == 1
        # the merged project never sends an item either side already has
        item = NewItem(RecordKind.VQA, "en", True, "v1", figure_id=shared, doc_id=team["liver"].id, page=5)
        _job, created, skipped = jobs.create_job(p, synthesizer="openai", model="gpt-test", items=[item])
        assert (created, skipped) == (0, 1)
        # the history came along, marked with where it came from
        origins = dict(p.db.execute("SELECT origin, count(*) FROM edit_log GROUP BY origin").fetchall())
        assert len([o for o in origins if o]) == 3
        merged_caption = p.db.execute("SELECT entity_id FROM edit_log WHERE action = 'text' AND after LIKE "
                                      "'%Liver, right lobe (alice)%'").fetchone()
        assert merged_caption == (_by_uid(p, "figures", uid[("L", 0, 1)]),)
        # search finds merged text
        from engine.store import search
        assert any(h.kind == "figure" for h in search.query(p, "Carol's context"))
        assert any(h.kind == "record" for h in search.query(p, "spleen"))
    # the same sources again: nothing changes, not even the backups
    before = state(folder)
    backups = sorted((folder / "backups").iterdir())
    with Project.open(folder) as p:
        again = merge_sources(p, [parts["alice"], parts["bob"], parts["carol"]])
    assert not any(r.changed for r in again)
    assert state(folder) == before
    assert sorted((folder / "backups").iterdir()) == backups


def fig_status(p: Project, uid: str) -> str:
    return p.db.execute("SELECT status FROM figures WHERE uid = ?", [uid]).fetchone()[0]


def test_merging_in_the_other_order_gives_the_same_project(team, tmp_path):
    """The later edit wins whatever order the parts come back in."""
    _work(team)
    parts, folder = team["parts"], team["folder"]
    other = tmp_path / "copy.remud"
    import shutil
    shutil.copytree(folder, other)
    with Project.open(folder) as p:
        merge_sources(p, [parts["alice"], parts["bob"], parts["carol"]])
    with Project.open(other) as p:
        merge_sources(p, [parts["carol"], parts["bob"], parts["alice"]])
    a, b = state(folder), state(other)
    for key in ("documents", "pages", "figures"):
        assert a[key] == b[key], key
    # the same items; of the one paid on both sides, the records of the part merged first are kept
    assert [i[:2] for i in a["items"]] == [i[:2] for i in b["items"]]
    paid_twice = {"Alice's paid question?", "Bob's paid question?"}
    own = lambda rows: sorted((r[0], r[2], r[3], r[4]) for r in rows if r[2] not in paid_twice)  # noqa: E731
    assert own(a["records"]) == own(b["records"])


def test_later_changes_in_a_part_merge_again_without_reporting_old_conflicts(team):
    w = _work(team)
    parts, folder = team["parts"], team["folder"]
    with Project.open(folder) as p:
        merge_sources(p, [parts["alice"], parts["bob"]])
    with Project.open(parts["alice"]) as a:
        fid = _by_uid(a, "figures", w["uid"][("L", 0, 0)])
        figures.set_text_fields(a, fid, {"section": "Segments"})
    with Project.open(folder) as p:
        (report,) = merge_sources(p, [parts["alice"]])
        assert report.changed and report.conflicts == []
        assert report.counts.get("figures_changed") == 1
        assert figures.get_figure(p, _by_uid(p, "figures", w["uid"][("L", 0, 0)])).text.section == "Segments"
        assert figures.get_figure(p, _by_uid(p, "figures", w["uid"][("L", 5, 0)])).text.caption == "Caption by bob"


def test_a_figure_deleted_in_one_place_and_changed_in_the_other(team):
    parts, folder = team["parts"], team["folder"]
    key_uid = _uid(folder, "figures", team["figs"][("L", 5, 1)])
    with Project.open(folder) as p:  # the parent deletes a figure on a page nobody has ...
        figures.delete_figures(p, [team["figs"][("L", 5, 1)]])
    later()
    with Project.open(parts["alice"]) as a:  # ... that alice accepts later: it comes back, reported
        figures.set_status(a, _by_uid(a, "figures", key_uid), "accepted")
    with Project.open(folder) as p:
        (report,) = merge_sources(p, [parts["alice"]])
        fid = _by_uid(p, "figures", key_uid)
        assert fid is not None and figures.get_figure(p, fid).status == FigureStatus.ACCEPTED
        assert [(c.field, c.kept) for c in report.conflicts if c.uid == key_uid] == [("deleted", "source")]
    bob_uid = _uid(folder, "figures", team["figs"][("L", 5, 0)])
    with Project.open(parts["bob"]) as b:  # bob deletes one the parent changed after: it stays
        figures.delete_figures(b, [_by_uid(b, "figures", bob_uid)])
    later()
    with Project.open(folder) as p:
        figures.set_label(p, _by_uid(p, "figures", bob_uid), "kept by the parent")
        (report,) = merge_sources(p, [parts["bob"]])
        assert _by_uid(p, "figures", bob_uid) is not None
        assert [(c.field, c.kept) for c in report.conflicts if c.uid == bob_uid] == [("deleted", "target")]


def test_merge_refuses_itself_and_non_projects(team, tmp_path):
    with Project.open(team["folder"]) as p:
        with pytest.raises(RemudError, match="itself"):
            merge_project(p, team["folder"])
        (tmp_path / "empty").mkdir()
        with pytest.raises(RemudError, match="not a ReMUD project"):
            merge_project(p, tmp_path / "empty")


def test_a_project_that_shares_no_history_merges_by_content(tmp_path):
    """Two projects made apart from the same PDF: the document is one, the figures both (no common uid)."""
    pdf = pdf_factory.text_pdf(tmp_path / "book.pdf", pages=2)
    for name in ("a", "b"):
        with Project.create(tmp_path / f"{name}.remud") as p:
            doc = import_pdf(p, pdf).document
            _figure(p, doc.id, 0, 0 if name == "a" else 3)
    with Project.open(tmp_path / "a.remud") as p:
        (report,) = merge_sources(p, [tmp_path / "b.remud"])
        assert report.counts.get("documents_added", 0) == 0 and report.counts["figures_added"] == 1
        assert len(documents.list_documents(p)) == 1 and len(figures.list_figures(p)) == 2


# -- the command line ------------------------------------------------------------------------------------
def test_cli_split_and_merge_with_json(team, tmp_path, capsys):
    folder = team["folder"]
    assert main(["split", str(folder), str(tmp_path / "more"), "--into", "2", "--by", "documents", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [Path(p["folder"]).name for p in data["parts"]] == ["Atlas-1.remud", "Atlas-2.remud"]
    assert sorted(d["title"] for p in data["parts"] for d in p["documents"]) == ["Kidney", "Liver"]
    first = Path(data["parts"][0]["folder"])
    with Project.open(first) as part:
        f = figures.list_figures(part)[0]
        figures.set_text_fields(part, f.id, {"caption": "changed on the command line"})
    assert main(["merge", str(folder), str(first), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["merges"][0]["changed"] and out["merges"][0]["counts"]["figures_changed"] == 1
    assert main(["merge", str(folder), str(first)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert main(["split", str(folder), str(tmp_path / "more"), "--into", "2"]) == 1  # the folders exist
    assert "exists already" in capsys.readouterr().err


def test_cli_export_of_several_projects_is_one_dataset(team, tmp_path, capsys):
    """The parts and their parent in one export: each record once, a book in one split."""
    w = _work(team)
    for folder in [team["folder"], *team["parts"].values()]:
        with Project.open(folder) as p:
            for r in records.list_records(p):
                records.update_record(p, r.id, status="accepted")
    out = tmp_path / "dataset"
    argv = ["export", str(team["folder"]), *map(str, team["parts"].values()), str(out), "--format", "jsonl",
            "--json", "-q", "--no-dedup"]
    assert main(argv) == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["projects"] == [str(Path(f).resolve()) for f in [team["folder"], *team["parts"].values()]]
    rows = [json.loads(line) for s in ("train", "validation", "test") if (out / "jsonl" / f"{s}.jsonl").exists()
            for line in (out / "jsonl" / f"{s}.jsonl").read_text(encoding="utf-8").splitlines()]
    questions = [r["question"] for r in rows]
    assert len(questions) == len(set(questions)) == data["records"]
    assert "Right hypochondrium (bob)." in {r["answer"] for r in rows}
    assert "How big is a normal spleen?" in questions
    assert not list(tmp_path.glob(".remud-combined-*"))
    assert w["spleen_sha"]
