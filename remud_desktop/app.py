"""`remud-desktop [PROJECT] [--sample] [--screenshot PNG]`: start the app.

With no project given it reopens the last one (remembered in QSettings), else it shows
the welcome screen; `--sample` opens the sample project, made on first use in a worker.

`--smoke-test` (hidden; used by packaging/smoke.py on the built app) opens the sample
project, renders its scanned page, runs the `scanned` detector on it through the window's
own detection path (a spawned child process), prints each step and quits: exit code 0 when
all of it worked, 1 with the reason otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def default_sample_folder() -> Path:
    from engine.settings import data_dir

    return data_dir() / "Sample atlas.remud"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="remud-desktop", description="ReMUD Desktop: correct figure boxes, fast.")
    parser.add_argument("project", nargs="?", help="project folder to open (default: the last one, else the sample)")
    parser.add_argument("--sample", action="store_true", help="open the sample project (made on first use)")
    parser.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the window once loaded, then quit")
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def install_cjk_fallback(app) -> str | None:
    """Chinese text needs a CJK font; where the system has none (bare Linux), use the one
    that ships inside PyMuPDF as a fallback for the UI font. Returns the family added."""
    from PySide6.QtGui import QFont, QFontDatabase

    if any(QFontDatabase.writingSystems(f) and QFontDatabase.WritingSystem.SimplifiedChinese in
           QFontDatabase.writingSystems(f) for f in QFontDatabase.families()):
        return None
    import pymupdf

    font_id = QFontDatabase.addApplicationFontFromData(bytes(pymupdf.Font("cjk").buffer))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        return None
    base = app.font().family()
    QFont.insertSubstitutions(base, [families[0]])
    return families[0]


def app_icon():
    from PySide6.QtGui import QIcon

    from engine.resources import resource

    return QIcon(str(resource("icons", "remud.svg")))


SMOKE_TIMEOUT_MS = 300_000
SMOKE_DETECTOR = "scanned"


def run_smoke_test(app, window) -> None:
    """Sample project -> render its scanned page -> `scanned` detector on it -> app.exit(0).
    Any failure, a message box included (nobody is there to answer it), exits with 1."""
    import pymupdf
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from engine.pdf.pageinfo import page_is_scan
    from engine.store import documents

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
    open_sample(window, then=opened)


def open_sample(window, folder: Path | None = None, then=None):
    """Make the sample project in a worker (first start only), then open it. One at a time:
    while a job is making it (window.sample_job), another request is ignored and returns None,
    and the welcome screen's sample buttons wait."""
    from engine.sample import ensure_sample_project
    from remud_desktop.workers import Job

    if window.sample_job is not None:
        return None
    folder = folder or default_sample_folder()
    job = Job("Preparing the sample project (first start only)", lambda ctx: ensure_sample_project(folder))

    def ended() -> None:
        window.sample_job = None
        window.welcome.set_sample_busy(False)

    def opened(path) -> None:
        window.statusBar().clearMessage()
        window.open_project(path)
        if then:
            then()

    def failed(message: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        window.statusBar().clearMessage()
        QMessageBox.warning(window, "ReMUD Desktop", f"The sample project could not be made: {message}")
        if then:
            then()

    job.signals.finished.connect(ended)  # always, after done or failed
    job.signals.done.connect(opened)
    job.signals.failed.connect(failed)
    window.statusBar().showMessage("Preparing the sample project…")
    window.sample_job = job
    window.welcome.set_sample_busy(True)
    return window.runner.start(job)


def use_ini_settings_under(folder: Path) -> None:
    """QSettings() from now on: an INI file under `folder`, never the registry or CFPreferences
    (REMUD_CONFIG_DIR: a test or portable run keeps all its settings in that folder)."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


def main(argv: list[str] | None = None) -> int:
    # multiprocessing.freeze_support() is in packaging/launch.py, the frozen app's entry point (it
    # must come before anything else there, for both executables); it does nothing when not frozen.
    args = parse_args(argv)
    if os.environ.get("REMUD_CONFIG_DIR"):
        use_ini_settings_under(Path(os.environ["REMUD_CONFIG_DIR"]))

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from remud_desktop.window.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ReMUD Desktop")
    app.setOrganizationName("ReMUD")
    app.setWindowIcon(app_icon())
    install_cjk_fallback(app)
    from engine.settings import appearance_options
    from remud_desktop.theme import apply_theme

    apply_theme(app, appearance_options()["theme"])
    window = MainWindow()
    window.show()
    if args.smoke_test:
        run_smoke_test(app, window)
        return app.exec()

    def loaded() -> None:
        if args.screenshot:  # let the page and thumbnails render first
            QTimer.singleShot(2000, lambda: (window.grab().save(args.screenshot), window.close(), app.quit()))

    last = window.settings.value("lastProject", "")
    if args.project:
        QTimer.singleShot(0, lambda: (window.open_project(Path(args.project)), loaded()))
    elif not args.sample and last and (Path(str(last)) / "project.sqlite").is_file():
        QTimer.singleShot(0, lambda: (window.open_project(Path(str(last))), loaded()))
    elif args.sample:
        open_sample(window, then=loaded)
    else:
        loaded()  # no project yet: the welcome screen
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
