"""The page canvas, driven by real mouse and key events: every edit lands in the store,
undoes and redoes, and survives page switches and reopening the project."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, documents, figures
from engine.store.models import FigureStatus, NewFigure
from remud_desktop.canvas import PageCanvas, RenderCache, RenderTag
from remud_desktop.canvas import edit_geometry as geo
from remud_desktop.canvas.box_item import STATUS_COLORS, BoxItem, TagSide
from remud_desktop.canvas.render_cache import bucket_scale, render_bucket, zoom_bucket
from remud_desktop.session import MIN_BOX_PT
from tests import pdf_factory
from tests.desktop.gui_helpers import open_session

K, B = Qt.Key, Qt.MouseButton
NOMOD, CTRL, SHIFT = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
TOL = 1.0  # points: one screen pixel is under a point at the zoom these tests use


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "p.remud"
    with Project.create(folder) as p:
        import_pdf(p, pdf_factory.image_pdf(tmp_path / "a.pdf", [(72, 100, 312, 280), (330, 100, 540, 280)]))
        import_pdf(p, pdf_factory.text_pdf(tmp_path / "b.pdf", pages=5))
    return folder


@pytest.fixture
def session(qapp, folder):
    with open_session(folder, 1, 0) as s:
        yield s


@pytest.fixture
def canvas(qtbot, session):
    c = PageCanvas(session, cache=RenderCache())
    qtbot.addWidget(c)
    c.resize(900, 1000)
    with qtbot.waitExposed(c):
        c.show()
    c.fit_page()
    qtbot.waitUntil(c.page_ready, timeout=10000)
    c.setFocus()
    yield c
    c.shutdown()


def stored(session, page=0, doc=1):
    return figures.list_figures(session.project, doc, page)


def near(a: Rect, b: Rect, tol: float = TOL) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a.as_tuple(), b.as_tuple()))


def vp(canvas, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(QPointF(x, y))


def drag(qtbot, canvas, start, end, modifier=NOMOD, steps=6, check=None):
    """A real press / moves / release on the viewport, from scene point to scene point."""
    w = canvas.viewport()
    a, b = vp(canvas, *start), vp(canvas, *end)
    qtbot.mousePress(w, B.LeftButton, modifier, a)
    for i in range(1, steps + 1):
        qtbot.mouseMove(w, a + (b - a) * (i / steps))
    if check:
        check()
    qtbot.mouseRelease(w, B.LeftButton, modifier, b)


def click(qtbot, canvas, x, y, modifier=NOMOD):
    qtbot.mouseClick(canvas.viewport(), B.LeftButton, modifier, vp(canvas, x, y))


BOX = Rect(100, 400, 250, 520)


def add_box(session, rect=BOX, status=FigureStatus.PROPOSED, detector="scanned"):
    fig = figures.add_figure(session.project, NewFigure(1, 0, rect, detector=detector, score=0.9, status=status))
    session.notify_page(1, 0)
    return fig


# -- drawing, moving, resizing ---------------------------------------------------------------
def test_draw_a_box_in_draw_mode(qtbot, canvas, session):
    modes = []
    canvas.draw_mode_changed.connect(modes.append)
    qtbot.keyClick(canvas, K.Key_W)
    assert canvas.draw_mode and modes == [True]
    drag(qtbot, canvas, (100, 400), (300, 550))
    [fig] = stored(session)
    assert near(fig.rect, Rect(100, 400, 300, 550)) and fig.detector == "manual"
    assert session.selection == [fig.id] and canvas.box_item(fig.id).box_selected
    assert not canvas.draw_mode and modes == [True, False]  # one box per W
    qtbot.keyClick(canvas, K.Key_W)
    drag(qtbot, canvas, (100, 600), (300, 700), modifier=Qt.KeyboardModifier.ShiftModifier)
    assert canvas.draw_mode and len(stored(session)) == 2  # Shift keeps drawing
    drag(qtbot, canvas, (400, 600), (400 + MIN_BOX_PT / 2, 700))  # too thin: nothing is made
    assert len(stored(session)) == 2
    session.undo_stack.undo()
    session.undo_stack.undo()
    assert stored(session) == [] and canvas.box_items() == []
    session.undo_stack.redo()
    assert [f.id for f in stored(session)] == [fig.id] and canvas.box_item(fig.id) is not None
    qtbot.keyClick(canvas, K.Key_Escape)
    assert not canvas.draw_mode and modes == [True, False, True, False]


def test_escape_cancels_a_draw_drag(qtbot, canvas, session):
    canvas.set_draw_mode(True)
    w = canvas.viewport()
    qtbot.mousePress(w, B.LeftButton, NOMOD, vp(canvas, 100, 100))
    qtbot.mouseMove(w, vp(canvas, 300, 300))
    qtbot.keyClick(canvas, K.Key_Escape)
    qtbot.mouseRelease(w, B.LeftButton, NOMOD, vp(canvas, 300, 300))
    assert stored(session) == [] and canvas.draw_mode  # first Esc drops the drag only


def test_move_by_dragging_is_one_undo_step_and_stores_only_on_release(qtbot, canvas, session):
    fig = add_box(session)
    previews = []
    session.rect_preview.connect(lambda fid, r: previews.append((fid, r)))

    def mid_drag():
        assert stored(session)[0].rect == fig.rect  # nothing written during the drag
        assert previews and previews[-1][0] == fig.id

    drag(qtbot, canvas, (150, 450), (200, 500), check=mid_drag)
    moved = stored(session)[0].rect
    assert near(moved, fig.rect.moved(50, 50))
    assert session.undo_stack.count() == 1
    session.undo_stack.undo()
    assert stored(session)[0].rect == fig.rect and canvas.box_item(fig.id).box() == fig.rect
    session.undo_stack.redo()
    assert stored(session)[0].rect == moved


def test_store_changes_mid_drag_wait_for_the_release(qtbot, canvas, session):
    fig = add_box(session)
    item = canvas.box_item(fig.id)
    late = {}

    def meanwhile():  # e.g. a background detection stores a box on this page
        late["fig"] = add_box(session, Rect(400, 100, 500, 200))
        assert canvas.box_item(fig.id) is item and near(item.box(), fig.rect.moved(40, 0))
        assert canvas.box_item(late["fig"].id) is None  # not rebuilt under the pointer

    drag(qtbot, canvas, (150, 450), (190, 450), check=meanwhile)
    assert canvas.box_item(late["fig"].id) is not None
    assert near(figures.get_figure(session.project, fig.id).rect, fig.rect.moved(40, 0))


def test_click_without_moving_changes_nothing(qtbot, canvas, session):
    fig = add_box(session)
    click(qtbot, canvas, 150, 450)
    assert session.selection == [fig.id] and session.undo_stack.count() == 0


def test_resize_by_bottom_right_and_top_left_handles(qtbot, canvas, session):
    fig = add_box(session)
    click(qtbot, canvas, 150, 450)  # select: handles appear
    drag(qtbot, canvas, (250, 520), (300, 600))
    assert near(stored(session)[0].rect, Rect(100, 400, 300, 600))
    drag(qtbot, canvas, (100, 400), (60, 380))
    assert near(stored(session)[0].rect, Rect(60, 380, 300, 600))
    drag(qtbot, canvas, (60, 380), (400, 700))  # past the opposite corner: stops at the minimum size
    r = stored(session)[0].rect
    assert near(r, Rect(300 - MIN_BOX_PT, 600 - MIN_BOX_PT, 300, 600))
    for expected in (Rect(60, 380, 300, 600), Rect(100, 400, 300, 600), fig.rect):
        session.undo_stack.undo()
        assert near(stored(session)[0].rect, expected)
    session.undo_stack.redo()
    assert near(stored(session)[0].rect, Rect(100, 400, 300, 600))


def test_boxes_stay_on_the_page_while_dragged(qtbot, canvas, session):
    fig = add_box(session)
    page = session.page_bounds()

    def inside():
        assert canvas.box_item(fig.id).box().x1 <= page.x1 + 1e-6

    drag(qtbot, canvas, (150, 450), (page.x1 + 10, 460), check=inside)  # far past the right edge
    r = stored(session)[0].rect
    assert abs(r.x1 - page.x1) <= TOL and abs(r.width - fig.rect.width) <= 1e-6
    click(qtbot, canvas, r.x0 + 10, r.y0 + 10)
    drag(qtbot, canvas, (r.x1, r.y1), (r.x1, page.y1 + 20))  # bottom-right handle to below the page
    assert abs(stored(session)[0].rect.y1 - page.y1) <= 1e-6


# -- selection --------------------------------------------------------------------------------
def test_ctrl_click_rubber_band_and_moving_many(qtbot, canvas, session):
    a = add_box(session, Rect(60, 400, 160, 480))
    b = add_box(session, Rect(200, 400, 300, 480))
    c = add_box(session, Rect(60, 600, 160, 700))
    click(qtbot, canvas, 100, 440)
    click(qtbot, canvas, 250, 440, CTRL)
    assert session.selection == [a.id, b.id]
    click(qtbot, canvas, 100, 440, CTRL)  # Ctrl+click again: out of the selection
    assert session.selection == [b.id]
    drag(qtbot, canvas, (40, 380), (320, 500))  # rubber band on empty page area
    assert sorted(session.selection) == sorted([a.id, b.id])
    assert [i.fid for i in canvas.box_items() if i.box_selected] == sorted([a.id, b.id])
    drag(qtbot, canvas, (40, 580), (180, 720), CTRL)  # Ctrl adds to it
    assert sorted(session.selection) == sorted([a.id, b.id, c.id])
    click(qtbot, canvas, 400, 300)  # empty page: nothing selected
    assert session.selection == []
    qtbot.keyClick(canvas, K.Key_A, CTRL)
    assert sorted(session.selection) == sorted([a.id, b.id, c.id])
    click(qtbot, canvas, 100, 440, CTRL)  # leave a out, then drag b: b and c move together
    drag(qtbot, canvas, (250, 440), (250, 340))
    rects = {f.id: f.rect for f in stored(session)}
    assert rects[a.id] == a.rect
    assert near(rects[b.id], b.rect.moved(0, -100)) and near(rects[c.id], c.rect.moved(0, -100))
    session.undo_stack.undo()
    assert {f.id: f.rect for f in stored(session)} == {a.id: a.rect, b.id: b.rect, c.id: c.rect}


def test_selection_from_the_session_selects_boxes(qtbot, canvas, session):
    a, b = add_box(session, Rect(60, 400, 160, 480)), add_box(session, Rect(200, 400, 300, 480))
    session.select([b.id])  # e.g. the figure list
    assert not canvas.box_item(a.id).box_selected and canvas.box_item(b.id).box_selected
    session.notify_page(1, 0)  # a refresh keeps the selection and the zoom
    zoom = canvas.zoom
    assert canvas.box_item(b.id).box_selected and canvas.zoom == zoom


# -- keys -------------------------------------------------------------------------------------
def test_nudge_delete_duplicate_accept_reject_keys_with_undo(qtbot, canvas, session):
    fig = add_box(session)
    click(qtbot, canvas, 150, 450)
    qtbot.keyClick(canvas, K.Key_Right)
    assert stored(session)[0].rect == fig.rect.moved(1, 0)
    qtbot.keyClick(canvas, K.Key_Down, SHIFT)
    assert stored(session)[0].rect == fig.rect.moved(1, 10)
    session.undo_stack.undo()  # a run of nudges is one step
    assert stored(session)[0].rect == fig.rect

    qtbot.keyClick(canvas, K.Key_Return)
    assert stored(session)[0].status == FigureStatus.ACCEPTED
    qtbot.keyClick(canvas, K.Key_R)
    assert stored(session)[0].status == FigureStatus.REJECTED
    assert canvas.box_item(fig.id).rejected
    session.undo_stack.undo()
    assert stored(session)[0].status == FigureStatus.ACCEPTED and not canvas.box_item(fig.id).rejected
    session.undo_stack.undo()
    assert stored(session)[0].status == FigureStatus.PROPOSED

    qtbot.keyClick(canvas, K.Key_D, CTRL)
    assert len(stored(session)) == 2 and len(canvas.box_items()) == 2
    copy = next(f for f in stored(session) if f.id != fig.id)
    assert session.selection == [copy.id] and copy.rect == fig.rect.moved(12, 12)
    session.undo_stack.undo()
    assert [f.id for f in stored(session)] == [fig.id]

    session.select([fig.id])
    qtbot.keyClick(canvas, K.Key_Delete)
    assert stored(session) == [] and canvas.box_items() == []
    session.undo_stack.undo()
    assert [f.id for f in stored(session)] == [fig.id] and canvas.box_item(fig.id).box_selected
    session.undo_stack.redo()
    assert stored(session) == []


def test_window_keys_pass_through_and_space_drag_pans(qtbot, session):
    window = QWidget()
    qtbot.addWidget(window)
    canvas = PageCanvas(session, window, cache=RenderCache())
    QVBoxLayout(window).addWidget(canvas)
    fired = {"A": 0, "Space": 0, "Ctrl+Shift+D": 0}
    for key in fired:
        action = QAction(key, window)
        action.setShortcut(key)
        action.triggered.connect(lambda _=False, k=key: fired.__setitem__(k, fired[k] + 1))
        window.addAction(action)
    window.resize(700, 700)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    qtbot.waitUntil(canvas.page_ready, timeout=10000)
    canvas.setFocus()
    qtbot.keyClick(canvas, K.Key_A)
    qtbot.keyClick(canvas, K.Key_D, CTRL | SHIFT)
    assert fired["A"] == 1 and fired["Ctrl+Shift+D"] == 1
    qtbot.keyClick(canvas, K.Key_Space)  # a tap goes to the window's Space action
    assert fired["Space"] == 1
    canvas.set_zoom(3.0)
    bar = canvas.verticalScrollBar()
    before = bar.value()
    qtbot.keyPress(canvas, K.Key_Space)
    w = canvas.viewport()
    qtbot.mousePress(w, B.LeftButton, NOMOD, QPoint(300, 400))
    qtbot.mouseMove(w, QPoint(300, 300))
    qtbot.mouseRelease(w, B.LeftButton, NOMOD, QPoint(300, 300))
    qtbot.keyRelease(canvas, K.Key_Space)
    assert bar.value() == before + 100 and fired["Space"] == 1  # panned, no page turn
    canvas.shutdown()


# -- pages, project, rendering ------------------------------------------------------------------
def test_switching_pages_keeps_boxes_and_undo(qtbot, canvas, session):
    fig = add_box(session)
    click(qtbot, canvas, 150, 450)
    qtbot.keyClick(canvas, K.Key_Right)
    session.go_to(2, 1)
    assert canvas.box_items() == [] and canvas.displayed != (1, 0, canvas.displayed and canvas.displayed[2])
    qtbot.waitUntil(canvas.page_ready, timeout=10000)
    session.go_to(1, 0)
    assert [i.fid for i in canvas.box_items()] == [fig.id]
    assert canvas.box_item(fig.id).box() == fig.rect.moved(1, 0)
    session.go_to(2, 2)
    session.undo_stack.undo()  # undo from another page brings the edit back into view
    assert (session.doc_id, session.page) == (1, 0)
    assert canvas.box_item(fig.id).box() == fig.rect and stored(session)[0].rect == fig.rect


def test_every_edit_survives_closing_and_reopening(qtbot, canvas, session, folder):
    canvas.set_draw_mode(True)
    drag(qtbot, canvas, (100, 400), (300, 550))
    canvas.set_draw_mode(False)
    [made] = stored(session)
    drag(qtbot, canvas, (200, 500), (220, 520))  # move
    drag(qtbot, canvas, (320, 570), (340, 600))  # resize by the bottom-right handle
    qtbot.keyClick(canvas, K.Key_R)
    other = add_box(session, Rect(350, 650, 450, 750))
    session.select([other.id])
    qtbot.keyClick(canvas, K.Key_Delete)
    [edited] = stored(session)
    assert near(edited.rect, Rect(120, 420, 340, 600), 3 * TOL)  # moved by (20, 20), then grown by (20, 30)
    session.close_project()
    assert canvas.box_items() == [] and canvas.displayed is None
    session.open_project(folder)
    session.go_to(1, 0)
    [fig] = stored(session)
    assert fig.id == made.id and fig.rect == edited.rect and fig.status == FigureStatus.REJECTED
    assert [i.fid for i in canvas.box_items()] == [fig.id] and canvas.box_item(fig.id).box() == edited.rect
    qtbot.waitUntil(canvas.page_ready, timeout=10000)


def test_cached_page_shows_without_a_worker_round_trip(qtbot, canvas, session, monkeypatch):
    session.go_to(2, 0)
    qtbot.waitUntil(canvas.page_ready, timeout=10000)
    canvas.renderer.wait()  # let the neighbours' prefetch finish
    qtbot.waitUntil(lambda: not canvas.renderer.busy, timeout=10000)
    asked = []
    request = canvas.renderer.request
    monkeypatch.setattr(canvas.renderer, "request", lambda tag, *a: asked.append(tag) or request(tag, *a))
    hits = canvas.cache.stats().hits
    session.go_to(2, 1)  # prefetched
    assert canvas.page_ready() and canvas.displayed[:2] == (2, 1)  # at once, no event loop turn
    session.go_to(2, 0)  # shown before
    assert canvas.page_ready() and canvas.displayed[:2] == (2, 0)
    assert canvas.cache.stats().hits == hits + 2
    assert not [t for t in asked if (t.doc_id, t.page) in ((2, 0), (2, 1))]  # no worker asked for them
    canvas.cache.clear()
    session.go_to(2, 3)  # nothing cached: a blank page, never the previous one
    assert canvas.displayed is None and not canvas.page_ready()
    qtbot.waitUntil(canvas.page_ready, timeout=10000)
    assert canvas.displayed[:2] == (2, 3)


def test_a_render_skipped_as_unwanted_is_made_when_wanted_again(qtbot, session):
    import threading

    from remud_desktop.canvas import PageRenderer
    from remud_desktop.workers import Task

    renderer = PageRenderer(threads=1)
    gate = threading.Event()
    blocker = Task("blocker", gate.wait)
    renderer.pool.start(blocker)  # holds the only worker, so the next request waits in the queue
    path = str(session.project.source_path(documents.get_document(session.project, 2).file))
    tag = RenderTag(1, path, 2, 1, 0)
    renderer.request(tag, path)
    renderer.want(())  # the user moved on before a worker took it...
    gate.set()
    renderer.wait()  # ...so the worker skipped it
    renderer.want([tag.key])  # and now they are back on that page
    with qtbot.waitSignal(renderer.rendered, timeout=10000) as got:
        pass
    assert got.args[0] == tag and got.args[1].width() > 0
    renderer.shutdown()


def test_late_render_for_another_page_is_dropped(qtbot, canvas, session):
    shown = canvas.displayed
    pixmap_key = canvas.display.pixmap_item.pixmap().cacheKey()
    red = QImage(60, 80, QImage.Format.Format_RGB888)
    red.fill(QColor("red"))
    doc_key = canvas.display.doc_key
    other_doc = RenderTag(canvas.display.generation, "elsewhere.pdf", 2, 4, shown[2])
    canvas.renderer.rendered.emit(other_doc, red)  # arrives while page 1 of doc 1 is up
    other_page = RenderTag(canvas.display.generation, doc_key, 1, 1, shown[2])
    canvas.renderer.rendered.emit(other_page, red)
    assert canvas.displayed == shown and canvas.display.pixmap_item.pixmap().cacheKey() == pixmap_key
    stale = RenderTag(canvas.display.generation - 1, doc_key, 1, 0, shown[2] + 3)  # an older project generation
    canvas.renderer.rendered.emit(stale, red)
    assert canvas.displayed == shown and not canvas.cache.contains(stale.key)


def test_zoom_keys_fit_and_sharp_rerender(qtbot, canvas, session):
    zooms = []
    canvas.zoom_changed.connect(zooms.append)
    fit = canvas.zoom
    page = session.page_bounds()
    view = canvas.viewport().size()
    assert page.height * fit <= view.height() and page.width * fit <= view.width()
    qtbot.keyClick(canvas, K.Key_Equal, CTRL)
    assert canvas.zoom == pytest.approx(fit * 1.25) and zooms[-1] == canvas.zoom
    qtbot.keyClick(canvas, K.Key_Minus, CTRL)
    qtbot.keyClick(canvas, K.Key_Minus, CTRL)
    assert canvas.zoom == pytest.approx(fit / 1.25)
    qtbot.keyClick(canvas, K.Key_0, CTRL)
    assert canvas.zoom == pytest.approx(fit)
    qtbot.keyClick(canvas, K.Key_9, CTRL)  # fit width: the page spans the view's width
    width_px = page.width * canvas.zoom
    assert canvas.viewport().width() - 30 <= width_px <= canvas.viewport().width()
    assert canvas.verticalScrollBar().maximum() > 0
    canvas.set_zoom(fit * 3)
    assert not canvas.page_ready()  # the old render stays up, scaled, until the sharp one comes
    assert canvas.displayed is not None
    qtbot.waitUntil(canvas.page_ready, timeout=10000)
    assert canvas.display.pixmap_item.pixmap().width() >= page.width * canvas.zoom * canvas.devicePixelRatioF() - 1


def test_ctrl_wheel_zooms_around_the_cursor(qtbot, canvas):
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent

    pos = QPointF(vp(canvas, 300, 300))
    before = canvas.to_scene(pos)
    zoom = canvas.zoom
    event = QWheelEvent(pos, canvas.viewport().mapToGlobal(pos), P(0, 0), P(0, 240), B.NoButton, CTRL,
                        Qt.ScrollPhase.NoScrollPhase, False)
    canvas.wheelEvent(event)
    assert canvas.zoom == pytest.approx(zoom * 1.25 ** 2)
    after = canvas.to_scene(pos)
    assert abs(after.x() - before.x()) < 1.5 and abs(after.y() - before.y()) < 1.5


def test_boxes_paint_by_status_and_detector(qtbot, canvas, session):
    a = add_box(session, Rect(60, 400, 160, 480), FigureStatus.PROPOSED, "scanned")
    b = add_box(session, Rect(200, 400, 300, 480), FigureStatus.ACCEPTED, "embedded")
    c = add_box(session, Rect(60, 0, 160, 80), FigureStatus.REJECTED, "qwen-vl")
    ia, ib, ic = (canvas.box_item(f.id) for f in (a, b, c))
    assert ia.color != ib.color != ic.color and ia.color != STATUS_COLORS[FigureStatus.PROPOSED]
    assert ia.label == "figure · scanned 0.90"
    assert ic.rejected and ic.opacity() == 1 and ic.tag_side != TagSide.ABOVE  # solid; no room above the page top
    assert ia.tag_side == TagSide.ABOVE and ic.tag_rect().intersect(ic.box()).is_empty
    session.select([a.id])
    image = canvas.grab().toImage()
    corner = vp(canvas, 160, 480)  # a selected box shows a white handle at its corner
    assert QColor(image.pixel(corner)).lightness() > 200


# -- pure parts ---------------------------------------------------------------------------------
def test_render_cache_is_bounded_by_bytes_and_counts():
    img = QImage(100, 100, QImage.Format.Format_RGB888)
    cache = RenderCache(limit_bytes=img.sizeInBytes() * 3)
    for page in range(5):
        cache.put(("doc", page, 0), img)
    s = cache.stats()
    assert s.entries == 3 and s.bytes_used <= s.limit_bytes and s.evictions == 2
    assert cache.get(("doc", 0, 0)) is None and cache.get(("doc", 4, 0)) is not None
    assert cache.stats().hits == 1 and cache.stats().misses == 1
    cache.get(("doc", 2, 0))  # used: now 3 is the oldest
    cache.put(("doc", 9, 0), img)
    assert not cache.contains(("doc", 3, 0)) and cache.contains(("doc", 2, 0))
    assert cache.best_for("doc", 2, 5)[0] == 0
    cache.clear()
    assert cache.stats().bytes_used == 0 and len(cache) == 0


def test_zoom_buckets_round_up_and_cap_huge_renders():
    for scale in (0.3, 1.0, 1.37, 2.0, 5.5):
        b = zoom_bucket(scale)
        assert bucket_scale(b) >= scale - 1e-9 and bucket_scale(b - 1) < scale
    assert zoom_bucket(1.0) == 0
    b = render_bucket(40.0, 595, 842)
    assert 595 * 842 * bucket_scale(b) ** 2 <= 16_000_000 < 595 * 842 * bucket_scale(b + 1) ** 2


def test_gesture_geometry():
    page = Rect(0, 0, 100, 100)
    r = Rect(10, 10, 30, 30)
    assert geo.resize(r, geo.BOTTOM_RIGHT, 500, 500, page, 8) == Rect(10, 10, 100, 100)
    assert geo.resize(r, geo.TOP_LEFT, 50, 0, page, 8) == Rect(22, 10, 30, 30)
    assert geo.resize(r, geo.TOP, 0, -50, page, 8) == Rect(10, 0, 30, 30)
    assert geo.clamp_move([r, Rect(50, 50, 90, 90)], 30, -30, page) == (10, -10)
    assert geo.drawn_rect((50, 50), (-20, 120), page) == Rect(0, 50, 50, 100)
    assert len(geo.handle_points(r)) == 8 and geo.handle_points(r)[geo.BOTTOM_RIGHT] == (30, 30)


def test_paint_never_raises(qtbot, canvas, session, monkeypatch):
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QStyleOptionGraphicsItem

    fig = add_box(session)
    item: BoxItem = canvas.box_item(fig.id)
    monkeypatch.setattr(item, "_paint", lambda painter: 1 / 0)
    monkeypatch.setattr(canvas, "page_rect", "not a rect")  # breaks the page background too
    image = QImage(50, 50, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        item.paint(painter, QStyleOptionGraphicsItem())  # the error is printed, not raised into Qt
        canvas.drawBackground(painter, QRectF(0, 0, 50, 50))
    finally:
        painter.end()
