"""The sample project the app opens on first start."""

from engine.sample import ensure_sample_project
from engine.store import Project, documents, records
from engine.store.models import NewRecord, RecordKind


def test_a_sample_whose_document_was_deleted_gets_it_back_and_loses_nothing(tmp_path):
    folder = tmp_path / "Sample atlas.remud"
    with Project.create(folder) as p:  # the sample after its document was deleted; a record made there since
        rid = records.add_record(p, NewRecord(kind=RecordKind.QA, question="What is echogenicity?",
                                              answer="Brightness.")).id
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert ensure_sample_project(folder) == folder
    with Project.open(folder) as p:
        docs = documents.list_documents(p)
        assert len(docs) == 1 and docs[0].page_count >= 4
        assert records.get_record(p, rid).answer == "Brightness."
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert ensure_sample_project(folder) == folder  # a complete sample is left as it is
