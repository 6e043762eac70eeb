"""`remud-desktop [PROJECT] [--sample] [--screenshot PNG]`: start the app.

With no project given it reopens the last one (remembered in QSettings), else the
sample project, which is made on first use in a worker.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def default_sample_folder() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ReMUD Desktop", "ReMUD")) / "Sample atlas.remud"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="remud-desktop", description="ReMUD Desktop: correct figure boxes, fast.")
    parser.add_argument("project", nargs="?", help="project folder to open (default: the last one, else the sample)")
    parser.add_argument("--sample", action="store_true", help="open the sample project (made on first use)")
    parser.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the window once loaded, then quit")
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


def open_sample(window, folder: Path | None = None, then=None):
    """Make the sample project in a worker (first start only), then open it."""
    from engine.sample import ensure_sample_project
    from remud_desktop.workers import Job

    folder = folder or default_sample_folder()
    job = Job("Preparing the sample project (first start only)", lambda ctx: ensure_sample_project(folder))

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

    job.signals.done.connect(opened)
    job.signals.failed.connect(failed)
    window.statusBar().showMessage("Preparing the sample project…")
    return window.runner.start(job)


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # detection runs in a spawned child; a frozen app must not relaunch itself
    args = parse_args(argv)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from remud_desktop.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ReMUD Desktop")
    app.setOrganizationName("ReMUD")
    install_cjk_fallback(app)
    window = MainWindow()
    window.show()

    def loaded() -> None:
        if args.screenshot:  # let the page and thumbnails render first
            QTimer.singleShot(2000, lambda: (window.grab().save(args.screenshot), window.close(), app.quit()))

    last = window.settings.value("lastProject", "")
    if args.project:
        QTimer.singleShot(0, lambda: (window.open_project(Path(args.project)), loaded()))
    elif not args.sample and last and (Path(str(last)) / "project.sqlite").is_file():
        QTimer.singleShot(0, lambda: (window.open_project(Path(str(last))), loaded()))
    else:
        open_sample(window, then=loaded)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
