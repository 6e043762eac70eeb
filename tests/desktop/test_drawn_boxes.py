"""Issue 15, point 2: boxes drawn, moved or resized by hand fill their own text.

On the generated atlas (engine.samplegen), with real mouse events on the page canvas and the
inspector beside it: a box drawn over a frame gets the caption under it, its section, its
sub-label and its burned-in text in the background, and the label of the document's figures;
a caption typed into it stays when the box moves, while the other fields follow the box; undo
moves the box back and its text follows; quick changes are read once. A drawn box that is
rejected does not take a paragraph out of its neighbour's context; a proposed or accepted one
may.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import Project, figures
from engine.store.models import FigureStatus, FigureText, NewFigure
from engine.text.pipeline import figure_text_for, fill_figure_text
from remud_desktop.canvas import PageCanvas, RenderCache
from remud_desktop.inspector import FigureInspector
from remud_desktop.inspector.figure_inspector import FILLING_NOTE
from tests import pdf_factory
from tests.desktop.gui_helpers import StallMeter, open_session

B, NOMOD = Qt.MouseButton, Qt.KeyboardModifier.NoModifier
WAIT_MS = 120000  # generous: the first read loads the OCR model on a machine that may be busy
TOL = 1.5  # points: a pixel or so at the zoom these tests use
FRAME_A = Rect(60.5, 142.2, 290.5, 317.2)  # page 2: frames A and B side by side, one caption under both
FRAME_B = Rect(304.5, 142.2, 534.5, 317.2)
CAPTION = "图 3-2 胆囊结石 / Figure 3-2 Gallbladder stones"
SECTION = "3-2 胆囊 / Gallbladder"
PARAGRAPH = Rect(50, 465, 515, 500)  # page 1: the second paragraph of figure 3-1's context
PARAGRAPH_WORDS = "正常肝实质"


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("atlas") / "atlas.pdf")


@pytest.fixture
def folder(tmp_path, atlas):
    """The atlas with its figures detected (labels as a detector gives them), but none on page 2,
    and their text read."""
    folder = tmp_path / "p.remud"
    with Project.create(folder) as p:
        doc = import_pdf(p, atlas.path).document
        figures.add_figures(p, [
            NewFigure(doc.id, t.page, t.rect, label="ultrasound" if t.kind == "scanned" else "image", detector="scanned",
                      score=0.9)
            for t in atlas.truth if t.page != 1
        ])
        fill_figure_text(p, doc.id, ocr=False)
    return folder


@pytest.fixture
def session(qapp, folder):
    with open_session(folder, 1, 1) as s:
        yield s


@pytest.fixture
def canvas(qtbot, session):
    c = PageCanvas(session, cache=RenderCache())
    qtbot.addWidget(c)
    c.resize(900, 1000)
    c.show()
    qtbot.waitExposed(c)
    c.fit_page()
    qtbot.waitUntil(c.page_ready, timeout=20000)
    c.setFocus()
    yield c
    c.shutdown()


@pytest.fixture
def inspector(qtbot, session, canvas):
    widget = FigureInspector(session)
    qtbot.addWidget(widget)
    widget.resize(520, 900)
    widget.show()
    yield widget
    session.filler.cancel()
    session.filler.wait(WAIT_MS)
    widget.pool.waitForDone(20000)


def vp(canvas, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))


def drag(qtbot, canvas, start, end, steps=6):
    w = canvas.viewport()
    a, b = vp(canvas, *start), vp(canvas, *end)
    qtbot.mousePress(w, B.LeftButton, NOMOD, a)
    for i in range(1, steps + 1):
        qtbot.mouseMove(w, a + (b - a) * (i / steps))
    qtbot.mouseRelease(w, B.LeftButton, NOMOD, b)


def draw(qtbot, canvas, session, rect: Rect) -> int:
    before = {f.id for f in session.current_figures()}
    canvas.set_draw_mode(True)
    drag(qtbot, canvas, (rect.x0, rect.y0), (rect.x1, rect.y1))
    [fid] = [f.id for f in session.current_figures() if f.id not in before]
    return fid


def near(a: Rect, b: Rect) -> bool:
    return all(abs(x - y) <= TOL for x, y in zip(a.as_tuple(), b.as_tuple()))


def text(session, fid) -> FigureText:
    return figures.get_figure(session.project, fid).text


def settled(session) -> bool:
    return not session.filler.busy()


def test_a_drawn_box_fills_its_text_and_follows_the_box(qtbot, session, canvas, inspector):
    meter = StallMeter().start()
    fid = draw(qtbot, canvas, session, FRAME_A)
    fig = figures.get_figure(session.project, fid)
    assert near(fig.rect, FRAME_A) and fig.detector == "manual"
    assert fig.label == "ultrasound" == figures.common_label(session.project, 1)  # as the document's figures
    assert session.selection == [fid] and session.filler.reading(fid)
    assert inspector.busy.isVisible() and inspector.note.text() == FILLING_NOTE

    def found(sublabel: str, burned: str):
        def check() -> bool:
            t = text(session, fid)
            return settled(session) and t.sublabel == sublabel and burned in t.burned_text
        return check

    qtbot.waitUntil(found("A", "LONG"), timeout=WAIT_MS)
    filled = text(session, fid)
    assert (filled.caption, filled.section) == (CAPTION, SECTION)
    assert filled.context.startswith("图解要点")
    assert inspector.fields.editors["caption"].toPlainText() == CAPTION
    assert inspector.fields.editors["sublabel"].text() == "A"
    assert not inspector.busy.isVisible() and inspector.note.text() != FILLING_NOTE
    assert figures.text_edited_by_user(session.project, [fid]) == set()  # the app's own text: by_user stays off
    assert session.undo_stack.count() == 1  # filling is not an edit of the person's
    print(f"longest stall of the event loop while the box was read: {meter.stop() * 1000:.0f} ms")

    caption = inspector.fields.editors["caption"]  # the person types their own caption
    caption.setFocus()
    qtbot.keyClick(caption, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(caption, "Gallbladder, long axis")
    assert text(session, fid).caption == "Gallbladder, long axis"

    centre = FRAME_A.center
    canvas.setFocus()
    drag(qtbot, canvas, centre, (centre[0] + FRAME_B.x0 - FRAME_A.x0, centre[1]))  # onto frame B
    assert near(figures.get_figure(session.project, fid).rect, FRAME_B)
    qtbot.waitUntil(found("B", "TRANS"), timeout=WAIT_MS)
    moved = text(session, fid)
    assert moved.caption == "Gallbladder, long axis"  # typed: kept
    assert moved.section == SECTION and "LONG" not in moved.burned_text  # the others follow the box
    assert session.undo_stack.count() == 3  # draw, type, move

    session.undo_stack.undo()  # the move: the box goes back, its text follows it
    assert near(figures.get_figure(session.project, fid).rect, FRAME_A)
    qtbot.waitUntil(found("A", "LONG"), timeout=WAIT_MS)
    assert text(session, fid).caption == "Gallbladder, long axis"
    session.undo_stack.undo()  # the typing: the caption found before it
    assert text(session, fid).caption == CAPTION and caption.toPlainText() == CAPTION
    session.undo_stack.undo()  # the draw
    assert session.current_figures() == [] and canvas.box_items() == []
    session.undo_stack.redo()
    assert text(session, fid) == filled  # back with its text


def test_a_field_typed_before_the_text_arrives_is_kept(qtbot, session, canvas, inspector):
    fid = draw(qtbot, canvas, session, FRAME_B)
    sublabel = inspector.fields.editors["sublabel"]
    sublabel.setFocus()
    qtbot.keyClicks(sublabel, "right")  # before the event loop has turned: nothing is read yet
    qtbot.waitUntil(lambda: settled(session) and "TRANS" in text(session, fid).burned_text, timeout=WAIT_MS)
    t = text(session, fid)
    assert t.sublabel == "right" and sublabel.text() == "right"
    assert (t.caption, t.section) == (CAPTION, SECTION)
    assert figures.text_fields_edited_by_user(session.project, fid) == {"sublabel"}


def test_resizing_refreshes_and_quick_changes_are_read_once(qtbot, session, canvas, inspector):
    fid = draw(qtbot, canvas, session, FRAME_A)
    qtbot.waitUntil(lambda: settled(session) and text(session, fid).sublabel == "A", timeout=WAIT_MS)
    reads: list[tuple[int, bool]] = []
    session.filler.filled.connect(lambda f, final: reads.append((f, final)))
    for _ in range(5):  # five nudges before the event loop turns: one read
        session.nudge([fid], 2, 0)
    qtbot.waitUntil(lambda: settled(session), timeout=WAIT_MS)
    assert reads == [(fid, False), (fid, True)]  # the quick read, then the full one

    reads.clear()  # shrink it by its bottom-right handle to the top half of frame A: no sub-label under it
    rect = figures.get_figure(session.project, fid).rect
    canvas.setFocus()
    drag(qtbot, canvas, (rect.x1, rect.y1), (rect.x1, rect.y0 + 60))
    assert figures.get_figure(session.project, fid).rect.height < 80
    qtbot.waitUntil(lambda: settled(session) and (fid, True) in reads, timeout=WAIT_MS)
    assert text(session, fid).sublabel == ""  # cleared: it no longer sits over the letter A


def test_a_drawn_box_takes_the_label_the_person_gave_last(qtbot, session, canvas, inspector):
    first = draw(qtbot, canvas, session, FRAME_A)
    assert figures.get_figure(session.project, first).label == "ultrasound"
    inspector.label_edit.setFocus()
    inspector.label_edit.selectAll()
    qtbot.keyClicks(inspector.label_edit, "gallbladder")
    qtbot.keyClick(inspector.label_edit, Qt.Key.Key_Return)
    assert figures.get_figure(session.project, first).label == "gallbladder"
    canvas.setFocus()
    second = draw(qtbot, canvas, session, FRAME_B)
    assert figures.get_figure(session.project, second).label == "gallbladder"


def test_a_rejected_drawn_box_leaves_its_neighbours_context(qtbot, session, canvas, inspector):
    session.go_to(1, 0)
    qtbot.waitUntil(canvas.page_ready, timeout=20000)
    [neighbour] = session.current_figures()
    assert PARAGRAPH_WORDS in neighbour.text.context
    fid = draw(qtbot, canvas, session, PARAGRAPH)  # a box over the paragraph, accepted as drawn
    qtbot.waitUntil(lambda: settled(session) and PARAGRAPH_WORDS in text(session, fid).burned_text, timeout=WAIT_MS)
    assert figures.get_figure(session.project, neighbour.id).text == neighbour.text  # a neighbour's text is not touched
    assert PARAGRAPH_WORDS not in figure_text_for(session.project, neighbour.id).context  # an accepted box may take it

    session.set_status([fid], FigureStatus.REJECTED)
    assert PARAGRAPH_WORDS in figure_text_for(session.project, neighbour.id).context  # a rejected one leaves it
    fill_figure_text(session.project, 1, ocr=False)
    assert PARAGRAPH_WORDS in figures.get_figure(session.project, neighbour.id).text.context

    session.set_status([fid], FigureStatus.PROPOSED)
    assert PARAGRAPH_WORDS not in figure_text_for(session.project, neighbour.id).context  # a proposed one may take it
    fill_figure_text(session.project, 1, ocr=False)
    assert PARAGRAPH_WORDS not in figures.get_figure(session.project, neighbour.id).text.context


def test_common_label_and_typed_fields_in_the_store(project, tmp_path):
    doc = import_pdf(project, pdf_factory.image_pdf(tmp_path / "a.pdf", [(72, 100, 312, 280)])).document
    assert figures.common_label(project, doc.id) is None
    drawn = figures.add_figure(project, NewFigure(doc.id, 0, Rect(10, 10, 90, 90), detector="manual"))
    assert figures.common_label(project, doc.id) == "figure"  # only drawn boxes: theirs
    for label, status in (("image", "proposed"), ("ultrasound", "accepted"), ("ultrasound", "proposed"),
                          ("table", "rejected"), ("table", "rejected"), ("table", "rejected")):
        figures.add_figure(project, NewFigure(doc.id, 0, Rect(10, 10, 90, 90), label=label, detector="scanned",
                                              status=FigureStatus(status)), by_user=False)
    assert figures.common_label(project, doc.id) == "ultrasound"  # detected, not rejected

    assert figures.text_fields_edited_by_user(project, drawn.id) == set()
    figures.set_text_fields(project, drawn.id, {"caption": "Found", "context": "Found too"}, by_user=False)
    assert figures.text_fields_edited_by_user(project, drawn.id) == set()  # the app's own text
    figures.set_text(project, drawn.id, FigureText(caption="Found", context="Mine"))  # every field, one changed
    assert figures.text_fields_edited_by_user(project, drawn.id) == {"context"}
    figures.set_text_fields(project, drawn.id, {"sublabel": "A"}, continue_log=True)
    assert figures.text_fields_edited_by_user(project, drawn.id) == {"context", "sublabel"}
    with pytest.raises(ValueError):
        figures.set_text_fields(project, drawn.id, {"label": "x"})
