import hashlib
import json
import os

import numpy as np
import psutil
import pymupdf
import pytest

from engine.errors import (
    CancelledError,
    CorruptPdfError,
    EmptyPdfError,
    NotAPdfError,
    PasswordRequiredError,
    WrongPasswordError,
)
from engine.geometry import Rect
from engine.pdf.importer import import_many, import_pdf
from engine.pdf.opener import open_pdf
from engine.pdf.render import extract_native, figure_image, render_clip, render_page
from engine.store import Project, documents
from tests import pdf_factory


def _nothing_written(project):
    assert documents.list_documents(project) == []
    assert [p.name for p in project.sources_dir.iterdir()] == []


def test_import_copies_by_hash_and_reads_pages(project, tmp_path):
    src = pdf_factory.text_pdf(tmp_path / "liver.pdf", pages=3, title="Liver atlas")
    result = import_pdf(project, src)
    doc = result.document
    assert not result.already_present and doc.page_count == 3 and doc.title == "Liver atlas"
    assert (project.folder / doc.file).read_bytes() == src.read_bytes()
    assert doc.file == f"sources/{doc.sha256}.pdf"
    page = documents.get_page(project, doc.id, 1, with_text=True)
    assert (page.width, page.height, page.rotation) == (595, 842, 0)
    assert "Page 2 of the liver chapter" in page.text and page.has_text and not page.image_only


def test_reimport_same_content_is_a_noop_that_says_so(project, tmp_path):
    src = pdf_factory.text_pdf(tmp_path / "a.pdf")
    first = import_pdf(project, src)
    copy = tmp_path / "renamed copy.pdf"
    copy.write_bytes(src.read_bytes())
    again = import_pdf(project, copy)
    assert again.already_present and again.document.id == first.document.id
    assert "already in this project" in again.message
    assert len(documents.list_documents(project)) == 1


def test_rotation_is_read(project, tmp_path):
    src = pdf_factory.image_pdf(tmp_path / "r.pdf", [(72, 100, 300, 300)], rotate=90)
    doc = import_pdf(project, src).document
    page = documents.get_page(project, doc.id, 0)
    assert page.rotation == 90 and (page.width, page.height) == (842, 595)


def test_not_a_pdf(project, tmp_path):
    bad = tmp_path / "notes.pdf"
    bad.write_text("just some text, not a PDF")
    with pytest.raises(NotAPdfError, match="not a PDF"):
        import_pdf(project, bad)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(NotAPdfError, match="empty file"):
        import_pdf(project, empty)
    _nothing_written(project)


def test_corrupt_pdf(project, tmp_path):
    bad = tmp_path / "garbage.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + os.urandom(4000))
    with pytest.raises((CorruptPdfError, EmptyPdfError)):
        import_pdf(project, bad)
    _nothing_written(project)


def test_truncated_pdf_is_an_error_or_repaired_with_a_warning(project, tmp_path):
    src = pdf_factory.image_pdf(tmp_path / "full.pdf", [(72, 100, 300, 300), (72, 400, 300, 600)])
    data = src.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 3])
    try:
        result = import_pdf(project, cut)
    except (CorruptPdfError, EmptyPdfError) as exc:
        assert "cut.pdf" in str(exc)
        _nothing_written(project)
    else:
        assert result.warnings and "repaired" in result.warnings[0]
        assert result.document.was_repaired


def test_a_pdf_cut_short_is_damaged_or_incomplete_not_empty(project, tmp_path):
    cut = pdf_factory.cut_short_pdf(tmp_path / "atlas.pdf")  # repaired by MuPDF into 0 pages
    with pytest.raises(CorruptPdfError, match="atlas.pdf is damaged or incomplete") as caught:
        import_pdf(project, cut)
    assert "no pages" not in str(caught.value)
    whole = pdf_factory.many_pages_pdf(tmp_path / "book.pdf", 30)
    data = whole.read_bytes()
    whole.write_bytes(data[: len(data) // 10])  # so little left that MuPDF cannot open it at all
    with pytest.raises(CorruptPdfError, match="book.pdf is damaged or incomplete"):
        import_pdf(project, whole)
    _nothing_written(project)


def _named(folder, raw_name: bytes, pages: int = 2):
    """A valid PDF whose file name is the bytes `raw_name` (not necessarily UTF-8), as Python sees it."""
    made = pdf_factory.text_pdf(folder / "plain.pdf", pages=pages, title="")
    path = os.path.join(os.fsencode(folder), raw_name)
    os.replace(made, path)
    return os.fsdecode(path)


@pytest.mark.skipif(os.name == "nt", reason="file names are Unicode on Windows")
def test_a_file_name_that_is_not_utf8_imports_under_the_name_people_read(project, tmp_path):
    gbk = _named(tmp_path, "肾脏超声".encode("gbk") + b".pdf")
    assert "\udcc9" in gbk  # what Python gives for those bytes
    result = import_pdf(project, gbk)
    doc = result.document
    assert doc.page_count == 2 and doc.title == "肾脏超声" and doc.original_path.endswith("/肾脏超声.pdf")
    assert result.message == "Imported 肾脏超声.pdf: 2 pages." and result.name == "肾脏超声.pdf"
    assert open_pdf(project.folder / doc.file).page_count == 2
    neither = _named(tmp_path, b"scan-\xff\xfe.pdf", pages=3)  # neither UTF-8 nor GB18030: shown with �
    doc = import_pdf(project, neither).document
    assert doc.title == "scan-\ufffd\ufffd" and doc.page_count == 3
    for d in documents.list_documents(project):  # valid text: SQLite, JSON and the terminal take it
        json.dumps([d.title, d.original_path], ensure_ascii=False).encode("utf-8")
    locked = os.path.join(os.fsencode(tmp_path), "加密.pdf".encode("gbk"))
    os.replace(pdf_factory.encrypted_pdf(tmp_path / "locked.pdf"), locked)
    with pytest.raises(PasswordRequiredError, match="^加密.pdf is protected"):
        import_pdf(project, os.fsdecode(locked))


def test_an_import_never_removes_a_copy_already_in_place(project, tmp_path, monkeypatch):
    src = pdf_factory.text_pdf(tmp_path / "a.pdf", pages=2)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    in_place = project.sources_dir / f"{sha}.pdf"
    in_place.write_bytes(src.read_bytes())  # a crash after the copy, or another import that got there first
    doc = import_pdf(project, src).document
    assert project.source_path(doc.file) == in_place and in_place.read_bytes() == src.read_bytes()
    # the race: a second import that looked before the first one's document was there
    other = Project.open(project.folder)
    looked = []
    real_find = documents.find_by_sha256

    def find_too_early(p, digest):
        looked.append(digest)
        return None if len(looked) == 1 else real_find(p, digest)

    monkeypatch.setattr(documents, "find_by_sha256", find_too_early)
    result = import_pdf(other, src)
    assert result.already_present and result.document.id == doc.id and len(looked) == 2
    assert "already in this project" in result.message
    assert in_place.read_bytes() == src.read_bytes()
    assert sorted(p.name for p in project.sources_dir.iterdir()) == [in_place.name]
    other.close()


def test_encrypted_pdf_asks_for_password(project, tmp_path):
    src = pdf_factory.encrypted_pdf(tmp_path / "locked.pdf", "secret")
    with pytest.raises(PasswordRequiredError, match="password"):
        import_pdf(project, src)
    with pytest.raises(WrongPasswordError, match="wrong"):
        import_pdf(project, src, password="guess")
    _nothing_written(project)
    doc = import_pdf(project, src, password="secret").document
    assert doc.was_encrypted
    stored = open_pdf(project.folder / doc.file)  # the project's copy needs no password
    assert "Confidential atlas" in stored.load_page(0).get_text()
    assert b"secret" not in (project.folder / "project.sqlite").read_bytes()


def test_zero_page_pdf(project, tmp_path):
    with pytest.raises(EmptyPdfError, match="no pages"):
        import_pdf(project, pdf_factory.zero_page_pdf(tmp_path / "zero.pdf"))
    _nothing_written(project)


def test_many_files_one_bad(project, tmp_path):
    folder = tmp_path / "books"
    folder.mkdir()
    pdf_factory.text_pdf(folder / "a.pdf", pages=2)
    pdf_factory.text_pdf(folder / "b.pdf", pages=5, title="B")
    (folder / "c.pdf").write_text("nope")
    results = import_many(project, [folder])
    assert [r.path.name for r in results] == ["a.pdf", "b.pdf", "c.pdf"]
    assert [r.error is None for r in results] == [True, True, False]
    assert len(documents.list_documents(project)) == 2


def test_cancel_leaves_nothing(project, tmp_path):
    src = pdf_factory.many_pages_pdf(tmp_path / "long.pdf", 200)
    seen = []
    with pytest.raises(CancelledError):
        import_pdf(project, src, progress=lambda i, n: seen.append(i), cancel=lambda: len(seen) >= 2)
    _nothing_written(project)


def test_2000_page_pdf_imports_without_holding_pages(project, tmp_path):
    src = pdf_factory.many_pages_pdf(tmp_path / "huge.pdf", 2000)
    proc = psutil.Process()
    before = proc.memory_info().rss
    progress = []
    doc = import_pdf(project, src, progress=lambda i, n: progress.append((i, n))).document
    grown_mb = (proc.memory_info().rss - before) / 2**20
    assert doc.page_count == 2000 and progress[-1] == (2000, 2000)
    assert documents.get_page(project, doc.id, 1999, with_text=True).text.strip() == "Page 2000"
    assert grown_mb < 150, f"import grew memory by {grown_mb:.0f} MB"


def test_render_page_clip_and_native_image(project, tmp_path):
    rects = [(72, 100, 312, 280), (330, 100, 540, 280)]
    doc_row = import_pdf(project, pdf_factory.image_pdf(tmp_path / "img.pdf", rects)).document
    pdf = open_pdf(project.folder / doc_row.file)
    full = render_page(pdf, 0, zoom=2.0)
    assert (full.width, full.height) == (1190, 1684)
    crop = render_clip(pdf, 0, Rect(*rects[0]), dpi=144)
    assert (crop.width, crop.height) == (480, 360)
    raster, covered = extract_native(pdf, 0, Rect(73, 101, 311, 279))
    assert (raster.width, raster.height) == (320, 240)  # the embedded image's own pixels
    assert covered == Rect(*rects[0])
    assert extract_native(pdf, 0, Rect(72, 300, 300, 500)) is None  # no image there
    masked = figure_image(pdf, 0, Rect(*rects[0]), masks=[Rect(72, 100, 112, 120)])
    arr = masked.to_numpy()
    # the mask is 40x20 pt = 53x26 px of this 4/3 px-per-pt image
    assert arr[:26, :53].max() == 0 and arr[26:, :].max() > 0 and arr[:, 54:].max() > 0


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_native_image_is_upright_on_rotated_pages(project, tmp_path, rotate):
    src = pdf_factory.image_pdf(tmp_path / "rot.pdf", [(72, 100, 312, 280)], rotate=rotate)
    doc_row = import_pdf(project, src).document
    pdf = open_pdf(project.folder / doc_row.file)
    page = pdf.load_page(0)
    shown = Rect(*(pymupdf.Rect(72, 100, 312, 280) * page.rotation_matrix))  # where the image is on screen
    native, covered = extract_native(pdf, 0, shown)
    assert covered.iou(shown) > 0.99
    rendered = render_clip(pdf, 0, shown, dpi=96)
    a = np.asarray(native.to_pil().convert("L").resize((48, 48)), dtype=float)
    b = np.asarray(rendered.to_pil().convert("L").resize((48, 48)), dtype=float)
    assert (native.width > native.height) == (rendered.width > rendered.height)
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.8  # same pixels, same orientation


def test_a_trimmed_box_exports_only_what_it_covers(project, tmp_path):
    # a 400x400 image whose top 40 rows are a white strip (say, a patient name)
    arr = np.full((400, 400), 30, np.uint8)
    arr[:40] = 255
    path = tmp_path / "strip.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_image(pymupdf.Rect(100, 100, 300, 300),
                                pixmap=pymupdf.Pixmap(pymupdf.csGRAY, 400, 400, arr.tobytes(), False))
    doc.save(str(path))
    pdf = open_pdf(project.folder / import_pdf(project, path).document.file)

    whole = figure_image(pdf, 0, Rect(100.5, 100.5, 299.5, 299.5))
    assert (whole.width, whole.height) == (400, 400)  # the image's own pixels
    trimmed = figure_image(pdf, 0, Rect(100, 120, 300, 300))  # the person cut the strip off
    assert (trimmed.width, trimmed.height) == (400, 360)
    assert trimmed.to_numpy().max() < 100
    wider = figure_image(pdf, 0, Rect(90, 100, 300, 300), dpi=144)  # beyond the image: rendered
    assert (wider.width, wider.height) == (420, 400)


def test_a_password_for_an_open_pdf_is_ignored(project, tmp_path):
    doc = import_pdf(project, pdf_factory.text_pdf(tmp_path / "open.pdf"), password="not needed").document
    assert not doc.was_encrypted
    assert (project.folder / doc.file).read_bytes() == (tmp_path / "open.pdf").read_bytes()
