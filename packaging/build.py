"""Build the desktop app as one folder: `python packaging/build.py [--smoke] [--reuse]`.

Writes `dist/ReMUD Desktop/` (the executables `remud-desktop` and `remud`, and `_internal/`
with Python, Qt, PyMuPDF, the models and resources/) from packaging/remud_desktop.spec, and
prints its size. `--smoke` then runs packaging/smoke.py on it; `--reuse` skips the build when
the folder is newer than every source file that goes into it.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "remud_desktop.spec"
APP_NAME = "ReMUD Desktop"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
PYINSTALLER_PIN = "pyinstaller==6.22.3"
SOURCES = ("engine", "remud_desktop", "resources", "packaging", "pyproject.toml")
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""  # packaging/smoke.py uses it too
GUI_EXE = f"remud-desktop{EXE_SUFFIX}"


class BuildError(RuntimeError):
    """The build cannot go on; the message says what to do."""


def app_folder(dist: Path = DIST) -> Path:
    return dist / APP_NAME


def check_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        raise BuildError(
            f"PyInstaller is not installed in this Python ({sys.executable}): run "
            f"`{sys.executable} -m pip install '{PYINSTALLER_PIN}'` (or `pip install -e '.[package,chat]'`) first."
        )


def newest_source_mtime(root: Path = ROOT) -> float:
    newest = 0.0
    for name in SOURCES:
        path = root / name
        files = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for f in files:
            newest = max(newest, f.stat().st_mtime)
    return newest


def is_fresh(folder: Path, root: Path = ROOT) -> bool:
    """The built folder exists and is newer than every source that goes into it."""
    stamp = folder / "_internal" / "base_library.zip"
    exe = folder / GUI_EXE
    if not (stamp.is_file() and exe.exists()):
        return False
    return min(stamp.stat().st_mtime, exe.stat().st_mtime) > newest_source_mtime(root)


def clean(dist: Path = DIST, work: Path = WORK) -> None:
    for path in (app_folder(dist), dist / f"{APP_NAME}.app", work):
        if path.exists():
            shutil.rmtree(path)


def run_pyinstaller(dist: Path = DIST, work: Path = WORK) -> Path:
    """PyInstaller on the spec (check_pyinstaller() first)."""
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        raise BuildError(f"PyInstaller failed (exit code {result.returncode}); its messages are above.")
    folder = app_folder(dist)
    if not (folder / GUI_EXE).exists():
        raise BuildError(f"PyInstaller finished but {folder} has no {GUI_EXE} executable.")
    return folder


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


def build(*, reuse: bool = False) -> Path:
    folder = app_folder()
    if reuse and is_fresh(folder):
        print(f"build: {folder} is newer than the sources; reusing it")
        return folder
    check_pyinstaller()  # before clean(): a missing PyInstaller must not cost the old build
    clean()
    start = time.monotonic()
    folder = run_pyinstaller()
    print(f"build: {folder} built in {time.monotonic() - start:.0f} s, {folder_size(folder) / 2**20:.0f} MiB")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="Build ReMUD Desktop as one folder with PyInstaller.")
    parser.add_argument("--smoke", action="store_true", help="run packaging/smoke.py on the built app afterwards")
    parser.add_argument("--reuse", action="store_true", help="skip the build when dist/ is newer than the sources")
    args = parser.parse_args(argv)
    try:
        folder = build(reuse=args.reuse)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.smoke:
        return subprocess.call([sys.executable, str(ROOT / "packaging" / "smoke.py"), str(folder)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
