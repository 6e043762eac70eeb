"""`remud-desktop [PROJECT] [--sample] [--lang LANG] [--screenshot PNG]`: start the app.

With no project given it reopens the last one (remembered in QSettings), else it shows
the welcome screen; `--sample` opens the sample project, made on first use in a worker.
`--smoke-test` (hidden) is remud_desktop.smoke_test, for packaging/smoke.py.
On Linux/X11 it first checks that Qt's xcb plugin can load (remud_desktop.platform_check):
if a system library is missing it says which package to install and exits with 1.

This module only reads the arguments and makes the QApplication; the window does the rest.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from engine import argparse_i18n
from engine.i18n import LanguageError, chosen_language, set_language, tr
from remud_desktop.platform_check import check_xcb

EXIT_WAIT_MS = 10_000  # at quit, how long background tasks may take to end


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The arguments; the help is in the language engine.i18n speaks (main() chooses it first)."""
    parser = argparse.ArgumentParser(prog="remud-desktop", description=tr("ReMUD Desktop: correct figure boxes, fast."))
    parser.add_argument("project", nargs="?",
                        help=tr("project folder to open (default: the last one, else the sample)"))
    parser.add_argument("--sample", action="store_true", help=tr("open the sample project (made on first use)"))
    parser.add_argument("--screenshot", metavar="PNG",
                        help=tr("save a screenshot of the window once loaded, then quit"))
    parser.add_argument("--lang", metavar="LANG",
                        help=tr("language: en, zh_CN or system (default: Settings → Appearance → Language, "
                                "else the system's)"))
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def lang_flag(argv: list[str] | None) -> str | None:
    """--lang, read before the full parse (so that --help, and its errors, are in that language)."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang")
    return early.parse_known_args(argv)[0].lang


def main(argv: list[str] | None = None) -> int:
    # multiprocessing.freeze_support() is in packaging/launch.py, the frozen app's entry point (it
    # must come before anything else there, for both executables); it does nothing when not frozen.
    # The language first (--lang, else the setting, else the system's): the help and the xcb
    # check's sentence are in it. The GUI's translators are installed once Qt is up.
    try:
        set_language(chosen_language(lang_flag(argv)))
    except LanguageError as exc:
        print(exc, file=sys.stderr)
        return 2
    argparse_i18n.install()  # argparse's own words ("usage:", "options") in that language too
    args = parse_args(argv)
    # Before Qt: on X11, a system library its xcb plugin needs may be missing (a fresh desktop);
    # one sentence that says what to install, instead of Qt's messages and an abort.
    problem = check_xcb()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    # Qt and the window are imported here, not at the top: the spawned child processes of detection
    # and crop export import this module again (through the entry point script) and must not load them.
    from PySide6.QtCore import QSettings, QThreadPool, QTimer
    from PySide6.QtWidgets import QApplication

    from engine.settings import appearance_options
    from remud_desktop import gui_thread_gc
    from remud_desktop.i18n import install as install_language
    from remud_desktop.i18n import language_for_start
    from remud_desktop.smoke_test import run_smoke_test
    from remud_desktop.theme import app_icon, apply_theme, install_cjk_fallback
    from remud_desktop.window import MainWindow

    if os.environ.get("REMUD_CONFIG_DIR"):
        # QSettings() from now on: an INI file in that folder, never the registry or CFPreferences
        # (a test or portable run keeps all its settings there)
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, os.environ["REMUD_CONFIG_DIR"])

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ReMUD Desktop")
    app.setOrganizationName("ReMUD")
    app.setWindowIcon(app_icon())
    try:
        for name in install_language(app, language_for_start(args.lang)):
            print(f"The interface catalog {name} is missing from this installation; menus and dialogs stay in English.",
                  file=sys.stderr)
    except LanguageError as exc:
        print(exc, file=sys.stderr)
        return 2
    install_cjk_fallback(app)
    gui_thread_gc.install(app)  # Qt objects are only ever freed in the GUI thread
    apply_theme(app, appearance_options()["theme"])
    window = MainWindow()
    window.show()
    if args.smoke_test:
        run_smoke_test(app, window)
    else:
        def loaded() -> None:
            if args.screenshot:  # let the page and thumbnails render first
                QTimer.singleShot(2000, lambda: (window.grab().save(args.screenshot), window.close(), app.quit()))

        last = window.settings.value("lastProject", "")
        if args.project:
            QTimer.singleShot(0, lambda: (window.open_project(Path(args.project)), loaded()))
        elif not args.sample and last and (Path(str(last)) / "project.sqlite").is_file():
            QTimer.singleShot(0, lambda: (window.open_project(Path(str(last))), loaded()))
        elif args.sample:
            window.open_sample_project(then=loaded)
        else:
            loaded()  # no project yet: the welcome screen
    code = app.exec()
    # Work still running (a keyring check or a crop in the global pool, the window's last job) ends
    # before the window and the QApplication go away: reporting to a destroyed object can crash.
    window.runner.wait(EXIT_WAIT_MS)
    QThreadPool.globalInstance().waitForDone(EXIT_WAIT_MS)
    return code

if __name__ == "__main__":
    sys.exit(main())
