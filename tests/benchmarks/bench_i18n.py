"""What speaking Chinese costs: loading the catalogs, building the main window, and a `remud`
command, each in zh_CN against English in the same run (medians of several tries).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_i18n.py [--tries 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def median_seconds(fn, tries: int) -> float:
    times = []
    for _ in range(tries):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=7)
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from remud_desktop import i18n
    from remud_desktop.window.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="remud-bench-i18n-") as tmp:
        os.environ["REMUD_CONFIG_DIR"] = str(Path(tmp) / "config")
        settings = QSettings(str(Path(tmp) / "window.ini"), QSettings.Format.IniFormat)

        def window() -> None:
            w = MainWindow(settings)
            w.close()
            w.deleteLater()
            app.processEvents()

        rows = []
        for language in ("en", "zh_CN"):
            load = median_seconds(lambda lang=language: i18n.install(app, lang), args.tries)
            build = median_seconds(window, args.tries)
            env = {**os.environ, "LANGUAGE": "", "LANG": "C.UTF-8"}
            command = [sys.executable, "-m", "engine.cli", "--lang", language, "detectors"]
            cli = median_seconds(lambda cmd=command, e=env: subprocess.run(cmd, env=e, capture_output=True, check=True),
                                 args.tries)
            rows.append((language, load, build, cli))
        i18n.install(app, "en")

    base = rows[0]
    print(f"{'language':<8} {'catalogs':>10} {'main window':>12} {'remud detectors':>16}")
    for language, load, build, cli in rows:
        print(f"{language:<8} {load * 1000:>8.1f}ms {build * 1000:>10.1f}ms {cli * 1000:>14.0f}ms")
    _, load, build, cli = rows[1]
    print(f"zh_CN / en: catalogs {load / base[1]:.2f}x, main window {build / base[2]:.2f}x, "
          f"remud detectors {cli / base[3]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
