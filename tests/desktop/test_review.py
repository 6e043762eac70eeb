"""Reviewing auto-proposed boxes at speed, in the real window with real keys: the score
threshold (list, canvas, count line, remembered per project), Shift+Enter, Tab / Shift+Tab in
reading order, N / Shift+N, T (tags) and H (rejected boxes); tags outside their boxes;
rejected boxes that show on a dark page; and the figure list's count and the status bar right
after every edit, delete, undo, redo, page change and project change."""

from __future__ import annotations

import pymupdf
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, figures
from engine.store.models import FigureStatus, NewFigure
from remud_desktop.canvas import PageCanvas, RenderCache
from remud_desktop.canvas.box_item import STATUS_COLORS, TagSide
from remud_desktop.canvas.visibility import BoxVisibility
from remud_desktop.window.shortcuts import ShortcutsDialog
from tests import pdf_factory
from tests.desktop.gui_helpers import finish_jobs, make_window, open_session

K = Qt.Key
NOMOD, SHIFT = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier
P, A, R = FigureStatus.PROPOSED, FigureStatus.ACCEPTED, FigureStatus.REJECTED
WAIT = 30_000  # ms: a wait ends as soon as its condition holds; only a failing test waits this long

# page 0 of the review document: two columns, staggered, so that rows and columns disagree
LEFT_COLUMN = [Rect(60, 100, 280, 250), Rect(60, 300, 280, 450), Rect(60, 500, 280, 650)]
RIGHT_COLUMN = [Rect(320, 170, 540, 320), Rect(320, 370, 540, 520)]
# (page, rect, status, score) for the other pages: 1 none, 2 accepted only, 3 rejected and a weak proposal,
# 4 proposals, 5 none
OTHER_PAGES = [
    (2, Rect(60, 100, 280, 250), A, 0.95),
    (3, Rect(60, 100, 280, 250), R, 0.90),
    (3, Rect(320, 100, 540, 250), P, 0.30),
    (4, Rect(60, 100, 280, 250), P, 0.80),
    (4, Rect(60, 400, 280, 550), P, 0.60),
]
PAGE0_SCORES = [0.9, 0.4, 0.85, 0.7, 0.35]  # LEFT_COLUMN + RIGHT_COLUMN, in that order


def review_project(folder, tmp_path, *, pages: int = 6) -> None:
    with Project.create(folder) as p:
        doc = import_pdf(p, pdf_factory.text_pdf(tmp_path / f"{folder.stem}.pdf", pages=pages)).document
        news = [NewFigure(doc.id, 0, r, detector="scanned", score=s, status=P)
                for r, s in zip(LEFT_COLUMN + RIGHT_COLUMN, PAGE0_SCORES)]
        news += [NewFigure(doc.id, page, r, detector="scanned", score=s, status=st)
                 for page, r, st, s in OTHER_PAGES if page < pages]
        figures.add_figures(p, news)


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "Review.remud"
    review_project(folder, tmp_path)
    return folder


@pytest.fixture
def window(qtbot, isolated, folder, messages):
    w = make_window(qtbot, isolated)
    assert w.open_project(folder)
    w.session.go_to(1, 0)
    w.canvas.setFocus()
    qtbot.waitUntil(w.canvas.page_ready, timeout=WAIT)
    yield w
    finish_jobs(qtbot, w)
    assert messages.shown == []  # no message box came up (recorded here, where it would block)


def key(qtbot, window, k, mods=NOMOD):
    qtbot.keyClick(window.canvas, k, mods)  # to the focused canvas, as a person would


def page_figs(window, page=None):
    s = window.session
    return figures.list_figures(s.project, s.doc_id, s.page if page is None else page)


def shown_ids(canvas) -> set[int]:
    return {i.fid for i in canvas.box_items()}


def list_ids(figure_list) -> list[int]:
    p = figure_list.proxy
    return [figure_list.model.figure(p.mapToSource(p.index(r, 0)).row()).id for r in range(p.rowCount())]


def total_figures(window) -> int:
    s = window.session
    return len(figures.list_figures(s.project, s.doc_id))


def counts_line(window) -> str:
    s = window.session
    by = figures.count_by_status(s.project, s.doc_id)
    return f"{by['proposed']} proposed · {by['accepted']} accepted · {by['rejected']} rejected"


# -- the score threshold -------------------------------------------------------------------------
def test_threshold_hides_weak_proposals_in_the_list_and_on_the_page(qtbot, window, isolated, folder):
    flist, canvas, s = window.figure_list, window.canvas, window.session
    figs = page_figs(window)
    weak = {f.id for f in figs if f.score < 0.5}
    total = total_figures(window)
    assert flist.count_label.text() == f"{total} figures" and shown_ids(canvas) == {f.id for f in figs}
    spin = flist.threshold
    spin.setFocus()
    for _ in range(10):  # 0.05 a step: to 0.50 with the arrow key, as a person would
        qtbot.keyClick(spin, K.Key_Up)
    assert window.visibility.score_threshold == pytest.approx(0.5)
    assert shown_ids(canvas) == {f.id for f in figs} - weak
    assert not weak & set(list_ids(flist))
    hidden = 3  # 0.4 and 0.35 on page 0, 0.30 on page 3
    assert flist.count_label.text() == f"{total - hidden} of {total} figures · {hidden} proposals under score 0.50 hidden"
    # an accepted box is never hidden by the threshold, however low its score
    weak_one = min(figs, key=lambda f: f.score)
    s.set_status([weak_one.id], FigureStatus.ACCEPTED)
    qtbot.waitUntil(lambda: weak_one.id in list_ids(flist), timeout=WAIT)
    assert weak_one.id in shown_ids(canvas)
    assert flist.count_label.text() == f"{total - 2} of {total} figures · 2 proposals under score 0.50 hidden"
    s.undo_stack.undo()
    qtbot.waitUntil(lambda: weak_one.id not in list_ids(flist), timeout=WAIT)
    assert weak_one.id not in shown_ids(canvas)
    # with a status filter on, the count says what the threshold hides among what the filter keeps
    flist.status_combo.setCurrentIndex(flist.status_combo.findData("accepted"))
    assert flist.count_label.text() == f"1 of {total} figures"
    flist.status_combo.setCurrentIndex(0)
    # remembered for this project, not for another one
    window.close()
    again = make_window(qtbot, QSettings(isolated.fileName(), QSettings.Format.IniFormat))
    again.open_project(folder)
    assert again.figure_list.threshold.value() == pytest.approx(0.5)
    assert "3 proposals under score 0.50 hidden" in again.figure_list.count_label.text()
    other = folder.with_name("Other.remud")
    review_project(other, folder.parent, pages=2)
    again.open_project(other)
    assert again.visibility.score_threshold == 0 and again.figure_list.threshold.text() == "any score"
    assert again.figure_list.count_label.text() == "5 figures"
    spin = again.figure_list.threshold
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "0.8")
    qtbot.keyClick(spin, K.Key_Return)
    assert again.visibility.score_threshold == pytest.approx(0.8)
    assert again.figure_list.count_label.text() == "2 of 5 figures · 3 proposals under score 0.80 hidden"
    again.close()


def test_a_selected_box_under_the_threshold_shows_and_leaves_the_selection_when_hidden(qtbot, session):
    visibility = BoxVisibility(session)
    canvas = PageCanvas(session, cache=RenderCache(), visibility=visibility)
    qtbot.addWidget(canvas)
    canvas.resize(700, 900)
    canvas.show()
    weak = next(f for f in session.current_figures() if f.score < 0.5)
    session.select([weak.id])
    visibility.set_threshold(0.5)  # hiding it drops it from the selection
    assert session.selection == [] and weak.id not in shown_ids(canvas)
    session.select([weak.id])  # picked from elsewhere (the list with another filter): shown while selected
    assert weak.id in shown_ids(canvas)
    session.select([])
    assert weak.id not in shown_ids(canvas)
    canvas.shutdown()


@pytest.fixture
def session(qapp, folder):
    with open_session(folder, 1, 0) as s:
        yield s


# -- Shift+Enter ---------------------------------------------------------------------------------
def test_shift_enter_accepts_every_proposal_on_the_page_as_one_undo_step(qtbot, window):
    s = window.session
    window.visibility.set_threshold(0.5)
    before = {f.id: f.status for f in page_figs(window)}
    steps = s.undo_stack.count()
    key(qtbot, window, K.Key_Return, SHIFT)
    after = {f.id: f for f in page_figs(window)}
    assert [f.status for f in after.values()].count(A) == 3  # the three at or above 0.5
    assert all(f.status == P for f in after.values() if f.score < 0.5)  # under the threshold: left alone
    assert s.undo_stack.count() == steps + 1 and "Accept 3 proposed boxes" in s.undo_stack.undoText()
    assert "2 under the score threshold left as proposed" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.status.counts.text().startswith(counts_line(window)), timeout=WAIT)
    key(qtbot, window, K.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert {f.id: f.status for f in page_figs(window)} == before
    qtbot.waitUntil(lambda: window.status.counts.text().startswith(counts_line(window)), timeout=WAIT)
    s.go_to(1, 1)  # nothing to accept
    key(qtbot, window, K.Key_Enter, SHIFT)
    assert s.undo_stack.count() == steps + 1 and "No proposed boxes" in window.statusBar().currentMessage()


# -- Tab / Shift+Tab -------------------------------------------------------------------------------
def test_tab_walks_the_boxes_in_reading_order_columns_first_and_wraps(qtbot, window):
    s, canvas = window.session, window.canvas
    by_rect = {f.rect: f.id for f in page_figs(window)}
    order = [by_rect[r] for r in LEFT_COLUMN + RIGHT_COLUMN]  # the left column, then the right one
    rows = sorted(by_rect, key=lambda r: (r.y0, r.x0))
    assert [by_rect[r] for r in rows] != order  # top-to-bottom alone would interleave the columns
    canvas.set_zoom(3.0)  # only a part of the page is on screen
    seen = []
    for _ in range(len(order)):
        key(qtbot, window, K.Key_Tab)
        seen.append(s.selection[0])
        area = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
        box = canvas.box_item(s.selection[0]).rect()  # larger than the view: its top-left part in view
        assert area.contains(box.topLeft() + QPointF(5, 5)) and area.intersected(box).width() > 50
    assert seen == order and canvas.hasFocus()  # Tab stayed on the page
    key(qtbot, window, K.Key_Tab)
    assert s.selection == [order[0]]  # wraps
    key(qtbot, window, K.Key_Tab, SHIFT)
    assert s.selection == [order[-1]]  # and back
    key(qtbot, window, K.Key_Backtab, SHIFT)
    assert s.selection == [order[-2]]
    window.visibility.set_threshold(0.5)  # hidden boxes are skipped
    s.select([])
    seen = []
    for _ in range(3):
        key(qtbot, window, K.Key_Tab)
        seen.append(s.selection[0])
    assert seen == [order[0], order[2], order[3]]


# -- N / Shift+N -------------------------------------------------------------------------------------
def test_n_goes_to_the_next_page_with_proposals_and_shift_n_back(qtbot, window):
    s = window.session
    key(qtbot, window, K.Key_N)
    assert s.page == 3  # 1 has no boxes, 2 only an accepted one
    key(qtbot, window, K.Key_N)
    assert s.page == 4
    key(qtbot, window, K.Key_N)
    assert s.page == 0  # wraps
    key(qtbot, window, K.Key_N, SHIFT)
    assert s.page == 4
    window.visibility.set_threshold(0.5)  # page 3's only proposal is under it
    key(qtbot, window, K.Key_N, SHIFT)
    assert s.page == 0
    key(qtbot, window, K.Key_N)
    assert s.page == 4
    assert window.status.page.text() == "page 5 / 6"
    s.set_status([f.id for f in figures.list_figures(s.project, 1, status="proposed")], FigureStatus.ACCEPTED)
    key(qtbot, window, K.Key_N)
    assert s.page == 4 and "No proposals left" in window.statusBar().currentMessage()


# -- tags and rejected boxes -------------------------------------------------------------------------
def test_t_hides_and_shows_every_tag(qtbot, window):
    canvas = window.canvas
    items = canvas.box_items()
    assert all(i.tag_rect() is not None for i in items) and window.actions_["show_tags"].isChecked()
    before = [i.boundingRect() for i in items]
    key(qtbot, window, K.Key_T)
    assert all(i.tag_rect() is None and not i.show_tag for i in items)
    assert not window.actions_["show_tags"].isChecked()
    assert all(b.contains(i.boundingRect()) and b != i.boundingRect() for b, i in zip(before, items))
    window.session.go_to(1, 4)  # stays off on other pages
    assert all(i.tag_rect() is None for i in canvas.box_items())
    key(qtbot, window, K.Key_T)
    assert all(i.tag_rect() is not None for i in canvas.box_items())


def test_tags_sit_outside_their_boxes_and_clear_of_the_frame(qtbot, window):
    s, canvas = window.session, window.canvas
    bounds = s.page_bounds()
    extra = [Rect(60, 0, 200, 80), Rect(400, bounds.y1 - 60, bounds.x1, bounds.y1), Rect(300, 700, 420, 760)]
    figures.add_figures(s.project, [NewFigure(1, 0, r, detector="embedded", score=0.9) for r in extra])
    s.notify_page(1, 0)
    for zoom in (0.4, 1.0, 2.5):
        canvas.set_zoom(zoom)
        items = canvas.box_items()
        assert len(items) == 8
        for item in items:
            tag, box = item.tag_rect(), item.box()
            assert tag.intersect(box).is_empty, (zoom, item.tag_side)  # never over the box or its frame
            assert bounds.x0 - 1e-6 <= tag.x0 and tag.x1 <= bounds.x1 + 1e-6
            assert bounds.y0 - 1e-6 <= tag.y0 and tag.y1 <= bounds.y1 + 1e-6
            gap = max(tag.y0 - box.y1, box.y0 - tag.y1, tag.x0 - box.x1, box.x0 - tag.x1)
            assert gap * zoom >= 3.9  # a few pixels clear of the frame at every zoom
    top = canvas.box_item(next(f.id for f in s.current_figures() if f.rect == extra[0]))
    canvas.set_zoom(1.0)
    assert top.tag_side != TagSide.ABOVE  # no room above the page's top edge
    full = figures.add_figure(s.project, NewFigure(1, 0, bounds, detector="manual"))
    s.notify_page(1, 0)
    assert canvas.box_item(full.id).tag_side == TagSide.INSIDE  # nothing outside is on the page


def dark_project(folder, tmp_path):
    """A page that is dark all over, like a full-page ultrasound frame or a dark banner."""
    pdf = tmp_path / "dark.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    page.draw_rect(page.rect, color=None, fill=(0.04, 0.04, 0.05))
    doc.save(str(pdf))
    with Project.create(folder) as p:
        d = import_pdf(p, pdf).document
        figures.add_figures(p, [NewFigure(d.id, 0, Rect(100, 200, 400, 500), detector="scanned", score=0.9, status=R),
                                NewFigure(d.id, 0, Rect(100, 600, 400, 780), detector="scanned", score=0.9, status=P)])


def test_rejected_boxes_show_plainly_on_a_dark_page(qtbot, qapp, tmp_path):
    folder = tmp_path / "Dark.remud"
    dark_project(folder, tmp_path)
    with open_session(folder, 1, 0) as s:
        canvas = PageCanvas(s, cache=RenderCache())
        qtbot.addWidget(canvas)
        canvas.resize(700, 900)
        with qtbot.waitExposed(canvas):
            canvas.show()
        canvas.fit_page()
        qtbot.waitUntil(canvas.page_ready, timeout=WAIT)
        rejected = next(i for i in canvas.box_items() if i.rejected)
        assert rejected.opacity() == 1.0  # never faded
        image = canvas.grab().toImage()
        ratio = image.devicePixelRatio()

        def pixel(view_point: QPointF) -> QColor:
            return QColor(image.pixel(QPoint(round(view_point.x() * ratio), round(view_point.y() * ratio))))

        box = canvas.mapFromScene(QRectF(100, 200, 300, 300)).boundingRect()
        background = pixel(QPointF(box.left() - 30, box.center().y()))
        assert background.lightness() < 40
        samples = [QPointF(box.left() + box.width() * t / 20, y) for t in range(2, 19) for y in (box.top(), box.bottom())]
        samples += [QPointF(x, box.top() + box.height() * t / 20) for t in range(2, 19) for x in (box.left(), box.right())]
        for point in samples:  # along the whole outline: no gaps (no dashes), and far from the background
            across = [pixel(point + QPointF(d, 0)) if point.x() in (box.left(), box.right()) else pixel(point + QPointF(0, d))
                      for d in range(-3, 4)]
            assert max(c.lightness() for c in across) - background.lightness() > 150, point
            assert any(c.red() > 180 and c.green() < 120 for c in across), point  # the red line itself
        inside = [pixel(QPointF(box.left() + dx, box.top() + dy)) for dx in range(20, 120) for dy in (40, 41, 42)]
        assert any(c.red() - c.green() > 60 for c in inside)  # hatched inside
        assert rejected.color == STATUS_COLORS[FigureStatus.REJECTED]
        canvas.shutdown()


def test_h_hides_rejected_boxes_on_the_page_but_not_in_the_list(qtbot, window):
    s, canvas = window.session, window.canvas
    s.go_to(1, 3)
    [rejected] = [f for f in page_figs(window) if f.status == R]
    assert rejected.id in shown_ids(canvas) and window.actions_["show_rejected"].isChecked()
    assert "&rejected" in window.actions_["show_rejected"].text()
    assert window.actions_["show_rejected"] in window.menuBar().actions()[2].menu().actions()  # the View menu
    s.select([rejected.id])
    key(qtbot, window, K.Key_H)
    assert rejected.id not in shown_ids(canvas) and s.selection == []
    assert not window.actions_["show_rejected"].isChecked()
    window.figure_list.flush()
    assert rejected.id in list_ids(window.figure_list)
    key(qtbot, window, K.Key_Tab)
    assert s.selection != [rejected.id]  # Tab skips it
    key(qtbot, window, K.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert rejected.id not in s.selection  # so does Select all
    [other] = [f for f in page_figs(window) if f.status == P]
    s.select([other.id])
    key(qtbot, window, K.Key_R)  # rejected now: stays on show while selected, goes when the selection moves on
    assert other.id in shown_ids(canvas)
    s.select([])
    assert shown_ids(canvas) == set()
    key(qtbot, window, K.Key_H)
    assert shown_ids(canvas) == {rejected.id, other.id}


def test_the_shortcut_sheet_and_the_menus_list_the_review_keys(qtbot, window):
    key(qtbot, window, K.Key_F1)
    sheet = window._shortcuts
    assert isinstance(sheet, ShortcutsDialog)
    rows = sheet.texts()
    for expected in ("Shift+Return or Shift+Enter", "N", "Shift+N", "T", "H", "Tab / Shift+Tab"):
        assert expected in rows, expected
    sheet.close()
    keys = [k.toString() for a in window.actions_.all.values() for k in a.shortcuts()]
    assert len(keys) == len(set(keys))  # no key bound twice


# -- counts after every change ------------------------------------------------------------------------
def count_ok(window) -> bool:
    flist = window.figure_list
    total = total_figures(window)
    return flist.count_label.text() == f"{total} figure{'s' if total != 1 else ''}" and flist.proxy.rowCount() == total


def status_ok(window) -> bool:
    s = window.session
    return (window.status.page.text() == f"page {s.page + 1} / {s.page_count()}"
            and window.status.counts.text().startswith(counts_line(window)))


def test_counts_after_delete_edit_undo_redo_and_page_change(qtbot, window):
    s, flist = window.session, window.figure_list
    assert count_ok(window) and status_ok(window)
    key(qtbot, window, K.Key_Tab)
    key(qtbot, window, K.Key_Delete)  # once said "9 of 10 figures" with no filter on, and stayed so
    qtbot.waitUntil(lambda: flist.proxy.rowCount() == 9, timeout=WAIT)
    assert count_ok(window) and flist.count_label.text() == "9 figures"
    qtbot.waitUntil(lambda: status_ok(window), timeout=WAIT)
    key(qtbot, window, K.Key_Tab)
    key(qtbot, window, K.Key_R)  # an edit
    qtbot.waitUntil(lambda: status_ok(window) and "2 rejected" in window.status.counts.text(), timeout=WAIT)
    assert count_ok(window)
    key(qtbot, window, K.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the reject
    qtbot.waitUntil(lambda: status_ok(window) and "1 rejected" in window.status.counts.text(), timeout=WAIT)
    key(qtbot, window, K.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the delete
    qtbot.waitUntil(lambda: flist.proxy.rowCount() == 10, timeout=WAIT)
    assert count_ok(window) and flist.count_label.text() == "10 figures"
    qtbot.waitUntil(lambda: status_ok(window), timeout=WAIT)
    key(qtbot, window, K.Key_Z, Qt.KeyboardModifier.ControlModifier | SHIFT)  # redo the delete
    qtbot.waitUntil(lambda: flist.proxy.rowCount() == 9, timeout=WAIT)
    assert count_ok(window)
    qtbot.waitUntil(lambda: status_ok(window), timeout=WAIT)
    window.canvas.set_draw_mode(True)  # a new box, drawn
    w = window.canvas.viewport()
    qtbot.mousePress(w, Qt.MouseButton.LeftButton, NOMOD, window.canvas.mapFromScene(QPointF(300, 700)))
    qtbot.mouseMove(w, window.canvas.mapFromScene(QPointF(380, 760)))
    qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, NOMOD, window.canvas.mapFromScene(QPointF(400, 780)))
    qtbot.waitUntil(lambda: flist.proxy.rowCount() == 10, timeout=WAIT)
    assert count_ok(window)
    qtbot.waitUntil(lambda: status_ok(window) and "2 accepted" in window.status.counts.text(), timeout=WAIT)
    key(qtbot, window, K.Key_D)  # page changes: the page label at once
    assert status_ok(window) and count_ok(window)
    key(qtbot, window, K.Key_N)
    assert s.page == 3 and status_ok(window) and count_ok(window)
    s.go_to(1, 2)
    s.undo_stack.undo()  # undoing the drawn box goes back to page 1 to show it
    assert s.page == 0 and window.status.page.text() == "page 1 / 6"
    qtbot.waitUntil(lambda: status_ok(window) and flist.proxy.rowCount() == 9, timeout=WAIT)
    assert count_ok(window)


def test_counts_after_opening_another_project_with_the_same_document_id(qtbot, window, folder, tmp_path):
    s, flist = window.session, window.figure_list
    s.go_to(1, 3)
    other = tmp_path / "Other.remud"
    review_project(other, tmp_path, pages=4)
    with Project.open(other) as p:  # same document id, other pages and counts
        figures.add_figure(p, NewFigure(1, 1, Rect(60, 100, 200, 200), status=R))
    assert window.open_project(other)
    s.go_to(1, 3)  # same document id and page as before
    assert s.doc_id == 1 and s.page_count() == 4
    assert window.status.page.text() == "page 4 / 4"
    assert status_ok(window)  # counts at once, not only after the next edit
    assert "2 rejected" in window.status.counts.text() and "/4 pages reviewed" in window.status.counts.text()
    assert count_ok(window) and flist.count_label.text() == "9 figures"
    assert window.open_project(folder)
    assert status_ok(window) and count_ok(window) and flist.count_label.text() == "10 figures"
    assert "/6 pages reviewed" in window.status.counts.text()


def test_a_message_is_never_drawn_over_the_page_and_the_counts(qtbot, qapp, window):
    bar = window.status
    bar.showMessage("Detection (scanned) done: 5 figures on 1 page.", 8000)
    assert not bar.page.isVisible() and not bar.counts.isVisible()
    tall = QLabel("job")
    tall.setMinimumHeight(3 * bar.height())
    bar.addPermanentWidget(tall)  # the bar lays itself out anew, as when the job bar grows
    qtbot.waitUntil(tall.isVisible, timeout=WAIT)
    for _ in range(3):
        qapp.processEvents()  # the layout's queued re-shows
    assert not bar.page.isVisible() and not bar.counts.isVisible()
    bar.clearMessage()
    assert bar.page.isVisible() and bar.counts.isVisible() and status_ok(window)
