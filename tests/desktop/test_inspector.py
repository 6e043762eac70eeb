"""The figure inspector on real projects: crops as exported (live), text saved as you
type and undoable, masks drawn by mouse and applied in exported crops, re-reading text."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from engine.geometry import Rect
from engine.pdf.crops import export_crops, figure_raster
from engine.pdf.importer import import_pdf
from engine.pdf.opener import open_pdf
from engine.pdf.render import figure_image
from engine.samplegen import make_sample_pdf
from engine.store import Project, documents, figures
from engine.store.models import FigureStatus, FigureText, NewFigure
from remud_desktop.inspector import FigureInspector
from remud_desktop.inspector.crop_render import crop_area
from tests import pdf_factory
from tests.desktop.gui_helpers import open_session

IMAGES = [(72, 100, 312, 280), (330, 100, 540, 280)]  # 320 x 240 px images on page 1 of document 1


@pytest.fixture(scope="module")
def atlas_pdf(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("atlas") / "atlas.pdf")


@pytest.fixture
def session(qapp, tmp_path, atlas_pdf):
    folder = tmp_path / "p.remud"
    with Project.create(folder) as p:
        doc = import_pdf(p, pdf_factory.image_pdf(tmp_path / "a.pdf", IMAGES)).document
        figures.add_figures(p, [NewFigure(doc.id, 0, Rect(*r), detector="embedded", score=0.9) for r in IMAGES])
        atlas = import_pdf(p, atlas_pdf.path).document
        figures.add_figures(p, [NewFigure(atlas.id, t.page, t.rect, detector="scanned") for t in atlas_pdf.truth])
    with open_session(folder, 1, 0) as s:
        yield s


@pytest.fixture
def inspector(qtbot, session):
    widget = FigureInspector(session)
    qtbot.addWidget(widget)
    widget.resize(520, 900)
    widget.show()
    yield widget
    widget.pool.waitForDone(20000)


def first(session, doc=1, page=0):
    return figures.list_figures(session.project, doc, page)[0]


def shows(inspector, rect, masks=None):
    crop = inspector.shown_crop()
    return crop is not None and crop.request.rect == rect and (masks is None or crop.request.masks == tuple(masks))


def image_array(qimage):
    img = qimage.convertToFormat(qimage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def test_shows_the_selected_crop_as_exported(qtbot, session, inspector):
    assert inspector.stack.currentIndex() == 0 and "Select a box" in inspector.hint.text()
    fig = first(session)
    session.select([fig.id])
    qtbot.waitUntil(lambda: shows(inspector, fig.rect), timeout=10000)
    exported = figure_raster(session.project, fig)
    assert (exported.width, exported.height) == (320, 240)  # the embedded image, native
    assert inspector.size_label.text() == "320 × 240 px · native"
    assert np.array_equal(image_array(inspector.crop_view.image()), exported.to_numpy())
    assert "page 1" in inspector.info.text() and "embedded 0.90" in inspector.info.text()
    session.select([f.id for f in figures.list_figures(session.project, 1, 0)])
    assert inspector.stack.currentIndex() == 0 and "2 boxes selected" in inspector.hint.text()


def test_crop_follows_a_resize_and_the_live_preview(qtbot, session, inspector):
    fig = first(session)
    session.select([fig.id])
    qtbot.waitUntil(lambda: shows(inspector, fig.rect), timeout=10000)
    bigger = Rect(60, 90, 320, 290)  # past the image: rendered
    session.set_rects({fig.id: bigger}, text="Resize")
    qtbot.waitUntil(lambda: shows(inspector, bigger), timeout=10000)
    exported = figure_raster(session.project, figures.get_figure(session.project, fig.id))
    image = inspector.crop_view.image()
    assert (image.width(), image.height()) == (exported.width, exported.height)
    assert inspector.size_label.text() == f"{exported.width} × {exported.height} px · rendered 200 dpi"

    dragged = Rect(72, 100, 300, 280)  # on the image, trimmed a little: native pixels cut to the box
    for dx in range(5):  # a drag in progress: many previews, none saved
        session.rect_preview.emit(fig.id, dragged.moved(dx - 4, 0))
    qtbot.waitUntil(lambda: shows(inspector, dragged), timeout=10000)
    assert figures.get_figure(session.project, fig.id).rect == bigger
    with open_pdf(session.project.source_path(documents.get_document(session.project, 1).file)) as pdf:
        expected = figure_image(pdf, 0, dragged)
    assert inspector.size_label.text() == f"{expected.width} × {expected.height} px · native"
    assert np.array_equal(image_array(inspector.crop_view.image()), expected.to_numpy())


def test_native_crop_area_is_the_image_not_the_box(tmp_path):
    pdf_path = pdf_factory.image_pdf(tmp_path / "i.pdf", IMAGES)
    with open_pdf(pdf_path) as pdf:
        assert crop_area(pdf, 0, Rect(73, 101, 311, 279)) == (Rect(*IMAGES[0]), True)  # within tolerance
        assert crop_area(pdf, 0, Rect(72, 100, 300, 280)) == (Rect(72, 100, 300, 280), True)  # trimmed
        assert crop_area(pdf, 0, Rect(100, 120, 200, 200)) == (Rect(100, 120, 200, 200), False)  # a detail
        assert crop_area(pdf, 0, Rect(60, 90, 320, 290)) == (Rect(60, 90, 320, 290), False)  # rendered


def test_typing_is_stored_at_once_and_one_undo_reverts_it(qtbot, session, inspector):
    fig = first(session)
    session.select([fig.id])
    caption = inspector.fields.editors["caption"]
    caption.setFocus()
    qtbot.keyClicks(caption, "Figure 1 liver")
    assert figures.get_figure(session.project, fig.id).text.caption == "Figure 1 liver"  # each keystroke, at once
    assert session.undo_stack.count() == 1
    session.undo_stack.undo()
    assert figures.get_figure(session.project, fig.id).text.caption == ""
    assert caption.toPlainText() == ""  # the field follows the undo
    qtbot.wait(600)
    assert session.undo_stack.count() == 1 and session.undo_stack.index() == 0  # no save echoed back
    session.undo_stack.redo()
    assert caption.toPlainText() == "Figure 1 liver"


def test_outside_change_keeps_the_cursor_and_the_typing(qtbot, session, inspector):
    fig = first(session)
    session.select([fig.id])
    context = inspector.fields.editors["context"]
    context.setFocus()
    qtbot.keyClicks(context, "Hepatic veins")
    cursor = context.textCursor()
    cursor.setPosition(4)
    context.setTextCursor(cursor)
    assert figures.get_figure(session.project, fig.id).text.context == "Hepatic veins"  # stored as typed
    session.set_text(fig.id, FigureText(caption="From elsewhere", context="Hepatic veins"))  # e.g. a re-read
    assert inspector.fields.editors["caption"].toPlainText() == "From elsewhere"
    assert context.toPlainText() == "Hepatic veins" and context.textCursor().position() == 4
    assert figures.get_figure(session.project, fig.id).text.caption == "From elsewhere"
    session.set_text(fig.id, FigureText(caption="From elsewhere", context="Hepatic veins, clear"))
    assert context.toPlainText() == "Hepatic veins, clear" and context.textCursor().position() == 4


def test_label_and_status(qtbot, session, inspector):
    fig = first(session)
    session.select([fig.id])
    inspector.findChild(type(inspector.reread_button), "rejected").click()
    assert figures.get_figure(session.project, fig.id).status == FigureStatus.REJECTED
    assert inspector.findChild(type(inspector.reread_button), "rejected").isChecked()
    session.undo_stack.undo()
    assert inspector.findChild(type(inspector.reread_button), "proposed").isChecked()
    inspector.label_edit.setFocus()
    inspector.label_edit.selectAll()
    qtbot.keyClicks(inspector.label_edit, "table")
    qtbot.keyClick(inspector.label_edit, Qt.Key.Key_Return)
    assert figures.get_figure(session.project, fig.id).label == "table"


def to_widget(view, x_pt, y_pt, covered):
    target = view.image_rect()
    return QPoint(round(target.x() + (x_pt - covered.x0) / covered.width * target.width()),
                  round(target.y() + (y_pt - covered.y0) / covered.height * target.height()))


def drag(qtbot, widget, a: QPoint, b: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(widget, QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(widget, b)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=b)


def test_masks_drawn_on_the_crop_are_blacked_out_in_exports(qtbot, session, inspector, tmp_path):
    fig = first(session)
    session.select([fig.id])
    qtbot.waitUntil(lambda: shows(inspector, fig.rect), timeout=10000)
    view, covered = inspector.crop_view, Rect(*IMAGES[0])
    qtbot.mouseClick(inspector.draw_button, Qt.MouseButton.LeftButton)
    assert view.draw_mode()
    drag(qtbot, view, to_widget(view, 100, 130, covered), to_widget(view, 180, 200, covered))
    [mask] = figures.get_figure(session.project, fig.id).redactions
    tolerance = covered.width / view.image_rect().width() + 1e-6  # one screen pixel in points
    for got, want in zip(mask.as_tuple(), (100, 130, 180, 200)):
        assert abs(got - want) <= tolerance
    stored = figures.get_figure(session.project, fig.id)
    [path] = export_crops(session.project, [stored], tmp_path / "out")
    arr = np.asarray(Image.open(path).convert("L"))
    sx, sy = 320 / 240, 240 / 180  # crop pixels per point
    inside = arr[int((130 - 100) * sy) + 2:int((200 - 100) * sy) - 2, int((100 - 72) * sx) + 2:int((180 - 72) * sx) - 2]
    assert inside.size and inside.max() == 0
    assert arr[:, int((200 - 72) * sx):].mean() > 10  # the rest of the frame is untouched
    qtbot.waitUntil(lambda: shows(inspector, stored.rect, stored.redactions), timeout=10000)
    preview = image_array(view.image())
    assert np.array_equal(preview, figure_raster(session.project, stored).to_numpy())

    drag(qtbot, view, to_widget(view, 250, 230, covered), to_widget(view, 300, 270, covered))
    assert len(figures.get_figure(session.project, fig.id).redactions) == 2
    session.undo_stack.undo()
    assert figures.get_figure(session.project, fig.id).redactions == (mask,)
    assert view.masks() == [mask]

    qtbot.mouseClick(inspector.draw_button, Qt.MouseButton.LeftButton)  # draw mode off
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=to_widget(view, 140, 165, covered))
    assert view.selected_mask() == 0 and inspector.remove_mask_button.isEnabled()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert figures.get_figure(session.project, fig.id).redactions == ()
    session.undo_stack.undo()
    inspector.clear_masks_button.click()
    assert figures.get_figure(session.project, fig.id).redactions == ()


def atlas_figure(session, page=0):
    return figures.list_figures(session.project, 2, page)[0]


def test_reread_caption_fills_it_and_is_undoable(qtbot, session, inspector):
    session.go_to(2, 0)
    fig = atlas_figure(session)
    session.select([fig.id])
    inspector.reread_button.click()
    assert inspector.is_busy() and inspector.busy.isVisible()
    qtbot.waitUntil(lambda: not inspector.is_busy(), timeout=30000)
    text = figures.get_figure(session.project, fig.id).text
    assert "肝右叶" in text.caption and text.context.startswith("图解要点")
    assert "肝右叶" in inspector.fields.editors["caption"].toPlainText()
    assert "Found caption" in inspector.note.text()
    session.undo_stack.undo()
    assert figures.get_figure(session.project, fig.id).text == FigureText()
    assert inspector.fields.editors["caption"].toPlainText() == ""


def test_ocr_burned_in_text_of_one_box(qtbot, session, inspector):
    session.go_to(2, 0)
    fig = atlas_figure(session)
    session.select([fig.id])
    inspector.ocr_button.click()
    qtbot.waitUntil(lambda: not inspector.is_busy(), timeout=60000)
    assert "LIVER" in figures.get_figure(session.project, fig.id).text.burned_text
    assert "LIVER" in inspector.fields.editors["burned_text"].toPlainText()
    assert figures.get_figure(session.project, fig.id).text.caption == ""  # only the burned-in text


def test_errors_are_shown_and_the_inspector_keeps_working(qtbot, session, inspector):
    fig = first(session)
    session.select([fig.id])
    qtbot.waitUntil(lambda: shows(inspector, fig.rect), timeout=10000)
    session.rect_preview.emit(fig.id, Rect(700, 900, 800, 1000))  # off the page while dragging
    qtbot.waitUntil(lambda: "outside the page" in inspector.crop_view.message(), timeout=10000)
    session.set_rects({fig.id: Rect(80, 110, 200, 200)})
    qtbot.waitUntil(lambda: inspector.shown_crop() is not None, timeout=10000)


def test_typing_just_before_closing_is_saved(qtbot, tmp_path):
    from engine.geometry import Rect
    from engine.pdf.importer import import_pdf
    from engine.store import Project, figures
    from remud_desktop.inspector import FigureInspector
    from remud_desktop.session import Session
    from tests import pdf_factory

    folder = tmp_path / "close.remud"
    with Project.create(folder) as p:
        import_pdf(p, pdf_factory.image_pdf(tmp_path / "a.pdf", [(72, 100, 312, 280)]))
    session = Session()
    session.open_project(folder)
    session.go_to(1, 0)
    session.create_figure(Rect(72, 100, 312, 280))
    inspector = FigureInspector(session)
    qtbot.addWidget(inspector)
    editor = inspector.fields.editors["caption"]
    editor.setPlainText("Typed just before closing")
    session.close_project()
    with Project.open(folder) as p:
        assert figures.list_figures(p, 1, 0)[0].text.caption == "Typed just before closing"
