"""`remud-desktop --smoke-test` (hidden; packaging/smoke.py runs it on the built app): open the
sample project, render its scanned page, run the `scanned` detector on it through the window's
own detection path (a spawned child process), print each step and quit: exit code 0 when all
of it worked, 1 with the reason otherwise."""

from __future__ import annotations

import pymupdf
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.i18n import current_language
from engine.pdf.pageinfo import page_is_scan
from engine.store import documents
from remud_desktop.window import MainWindow

SMOKE_TIMEOUT_MS = 300_000
SMOKE_DETECTOR = "scanned"


def run_smoke_test(app: QApplication, window: MainWindow) -> None:
    """Sample project -> render its scanned page -> `scanned` detector on it -> app.exit(0).
    Any failure, a message box included (nobody is there to answer it), exits with 1."""
    target: dict[str, int] = {}

    def say(text: str) -> None:
        print(f"smoke-test: {text}", flush=True)

    def fail(reason: str) -> None:
        say(f"FAILED: {reason}")
        app.exit(1)

    def watch_dialogs() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QMessageBox):
            text = dialog.text()
            dialog.reject()
            fail(f"a message box appeared: {text}")

    # the interface's language and its first menu, as loaded from the bundled catalogs
    say(f"interface: {current_language()} ({window.menuBar().actions()[0].text()})")

    def opened() -> None:
        project = window.session.project
        if project is None:
            return fail("the sample project did not open")
        doc = documents.list_documents(project)[0]
        with pymupdf.open(project.folder / doc.file) as pdf:
            scans = [page.number for page in pdf if page_is_scan(page)]
        if not scans:
            return fail(f"the sample document has no scanned page ({doc.page_count} pages)")
        target.update(doc=doc.id, page=scans[0])
        say(f"opened {project.folder} ({doc.title}, {doc.page_count} pages)")
        window.canvas.render_failed.connect(lambda message: fail(f"rendering failed: {message}"))
        window.canvas.page_shown.connect(shown)
        window.session.go_to(doc.id, scans[0])

    def shown(doc_id: int, page: int) -> None:
        if (doc_id, page) != (target["doc"], target["page"]) or "rendered" in target:
            return
        image = window.canvas.display.pixmap_item.pixmap().toImage()
        if image.isNull():
            return fail(f"page {page + 1} was shown without a render")
        step_x, step_y = max(image.width() // 32, 1), max(image.height() // 32, 1)
        colours = {image.pixel(x, y) for x in range(0, image.width(), step_x) for y in range(0, image.height(), step_y)}
        if len(colours) < 8:
            return fail(f"the render of page {page + 1} is blank ({len(colours)} colours)")
        target["rendered"] = 1
        say(f"rendered page {page + 1}: {image.width()}x{image.height()} px, {len(colours)} colours sampled")
        window.detection.run_finished.connect(detected)
        if window.detection.detect(doc_id, [page], SMOKE_DETECTOR) is None:
            fail("the detection run did not start")

    def detected(outcome) -> None:
        if outcome.error or outcome.cancelled:
            return fail(f"detection stopped: {outcome.error or 'cancelled'}")
        found = sum(len(r.figure_ids) for r in outcome.applied)
        if not found:
            return fail(f"the {SMOKE_DETECTOR} detector found nothing on page {target['page'] + 1}")
        say(f"{SMOKE_DETECTOR} detector: {found} figure{'s' if found != 1 else ''} on page {target['page'] + 1}"
            f"{' (captions: ' + outcome.text_error + ')' if outcome.text_error else ''}")
        say("ok")
        app.exit(0)

    dialogs = QTimer(window, interval=250)
    dialogs.timeout.connect(watch_dialogs)
    dialogs.start()
    QTimer.singleShot(SMOKE_TIMEOUT_MS, lambda: fail(f"not done after {SMOKE_TIMEOUT_MS // 1000} s"))
    window.open_sample_project(then=opened)
