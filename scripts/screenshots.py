"""Screenshots of the main window for the README: the sample project, a page with boxes,
a figure selected in the inspector. Runs offscreen; writes PNGs to docs/screenshots/.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def wait_until(app, condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get ready in time")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--project", type=Path, help="sample project folder (default: made in a temporary folder)")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from engine.sample import ensure_sample_project
    from engine.store import figures
    from remud_desktop.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setFont(QFont("DejaVu Sans", 9))
    from remud_desktop.app import install_cjk_fallback

    install_cjk_fallback(app)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("REMUD_CONFIG_DIR", str(tmp / "config"))  # never the user's settings
        folder = ensure_sample_project(args.project or tmp / "Sample atlas.remud")
        window = MainWindow(QSettings(str(tmp / "window.ini"), QSettings.Format.IniFormat))
        window.resize(1480, 920)
        window.show()
        window.open_project(folder)
        session = window.session
        doc_id = session.doc_id
        # the page with the most boxes, two figures on it marked as a person would
        per_page = figures.counts_per_page(session.project, doc_id)
        page = max(per_page, key=lambda p: (per_page[p], -p))
        session.go_to(doc_id, page)
        session.set_reviewed(doc_id, 0, True)
        figs = session.current_figures()
        from engine.store.models import FigureStatus

        session.set_status([figs[0].id], FigureStatus.ACCEPTED)
        if len(figs) > 2:
            session.set_status([figs[-1].id], FigureStatus.REJECTED)
        session.select([figs[0].id])
        window.canvas.fit_page()
        wait_until(app, lambda: window.canvas.page_ready)
        settle(app, 1.5)  # thumbnails and the inspector's crop render in workers
        args.out.mkdir(parents=True, exist_ok=True)
        shots = {"main-window.png": window}
        inspector_dock = window.docks["inspector"]
        shots["inspector.png"] = inspector_dock
        for name, widget in shots.items():
            path = args.out / name
            widget.grab().save(str(path))
            print(path)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
