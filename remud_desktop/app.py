"""`remud-desktop`: start the app, on a project folder or on the sample project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def default_sample_folder() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ReMUD Desktop", "ReMUD")) / "Sample atlas.remud"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="remud-desktop")
    parser.add_argument("project", nargs="?", help="project folder to open")
    parser.add_argument("--sample", action="store_true", help="open the sample project (made on first use)")
    parser.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the window once loaded, then quit")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from engine.errors import RemudError
    from remud_desktop.main_window import MainWindow
    from remud_desktop.workers import Task, start

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ReMUD Desktop")
    app.setOrganizationName("ReMUD")
    window = MainWindow()
    window.show()

    def opened(_tag, folder) -> None:
        try:
            window.open_project(folder)
        except RemudError as exc:
            QMessageBox.critical(window, "ReMUD Desktop", str(exc))
        if args.screenshot:
            QTimer.singleShot(1500, lambda: (window.grab().save(args.screenshot), app.quit()))

    def failed(_tag, message) -> None:
        window.view.show_message(message)
        if args.screenshot:
            app.quit()

    if args.project:
        QTimer.singleShot(0, lambda: opened(None, Path(args.project)))
    else:  # --sample, or nothing given: the sample project
        from engine.sample import ensure_sample_project

        folder = default_sample_folder()
        window.view.show_message("Preparing the sample project (first start only)…")
        task = Task("sample", lambda: ensure_sample_project(folder))
        task.signals.done.connect(opened)
        task.signals.failed.connect(failed)
        window._tasks.add(task)
        start(task, window.pool)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
