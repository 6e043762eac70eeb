"""Smoke test of the built app: `python packaging/smoke.py ["dist/ReMUD Desktop"]`.

Runs the bundled executables headless (Qt's offscreen platform) with a throw-away home,
config, data and cache folder, so nothing of the developer's own set-up is seen or touched:

1. `remud --version` and `remud detectors`, also with `--lang zh_CN` (the command line, its
   resources, cards and gettext catalog);
2. `remud sample DIR` (builds the sample project: PyMuPDF, the detectors, OCR models) and
   `remud detect DIR -d layout` on a page where it must find a figure (PyMuPDF's ONNX layout
   model through onnxruntime);
3. `remud-desktop --lang zh_CN --smoke-test`: the window, in Chinese from the bundled Qt and gettext
   catalogs, opens the sample project, renders its scanned page and runs the `scanned` detector on
   it in a spawned child process;
4. `remud chat` with a tiny GGUF model, when the bundle has llama.cpp and this Python has
   the `gguf` package to write the model (the test extra).

Prints what each step did; exit code 0 when every step passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from build import EXE_SUFFIX  # packaging/build.py, next to this script

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_APP = ROOT / "dist" / "ReMUD Desktop"
STEP_TIMEOUT_S = 600


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    output: str


def isolated_env(home: Path) -> dict[str, str]:
    """The environment for the app: offscreen Qt, a home of its own and the app's own config and
    data folders in it (REMUD_CONFIG_DIR also keeps QSettings in an INI file there, never the
    registry or CFPreferences); nothing from this Python (PYTHONPATH, the venv) leaks into the frozen app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "REMUD_", "QT_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        REMUD_CONFIG_DIR=str(home / "remud-config"),
        REMUD_DATA_DIR=str(home / "remud-data"),
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # no desktop keyring on a headless machine
    )
    return env


QT_NOISE = "This plugin does not support propagateSizeHints()"


def run_step(name: str, cmd: list[str], env: dict[str, str], expect: str, cwd: Path) -> Step:
    """Run one command; it passes when it exits 0 and its output matches the regex `expect`."""
    start = time.monotonic()
    try:
        result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
        output, code = (result.stdout + result.stderr).strip(), result.returncode
    except subprocess.TimeoutExpired as exc:
        output, code = f"{exc.stdout or ''}{exc.stderr or ''}\n(timed out after {STEP_TIMEOUT_S} s)", -1
    ok = code == 0 and re.search(expect, output) is not None
    if not ok and code == 0:
        output += f"\n(expected output matching {expect!r})"
    elif code != 0:
        output += f"\n(exit code {code})"
    return Step(name, ok, time.monotonic() - start, output)


def write_tiny_model(folder: Path) -> Path | None:
    """A tiny random Qwen2 GGUF (tests/tiny_gguf.py), or None where `gguf` is not installed."""
    try:
        sys.path.insert(0, str(ROOT))
        from tests.tiny_gguf import write_tiny_qwen2_gguf
    except ImportError:
        return None
    finally:
        sys.path.remove(str(ROOT))
    return write_tiny_qwen2_gguf(folder / "tiny-qwen2.gguf")


def smoke(app: Path) -> list[Step]:
    cli, gui = app / f"remud{EXE_SUFFIX}", app / f"remud-desktop{EXE_SUFFIX}"
    for exe in (cli, gui):
        if not exe.is_file():
            raise FileNotFoundError(f"{exe} is missing: build the app first with `python packaging/build.py`.")
    with tempfile.TemporaryDirectory(prefix="remud-smoke-") as tmp:
        home = Path(tmp)
        env = isolated_env(home)
        project = home / "cli-sample.remud"
        steps = [
            run_step("remud --version", [str(cli), "--version"], env, r"^remud \d+\.\d+", home),
            run_step("remud detectors", [str(cli), "detectors"], env, r"(?m)^scanned ", home),
            run_step("remud --lang zh_CN detectors", [str(cli), "--lang", "zh_CN", "detectors"], env,
                     r"(?m)^scanned\s+扫描页分析", home),
            run_step("remud sample", [str(cli), "sample", str(project), "-q"], env, "Sample project ready", home),
            # page 3 of the sample has a figure the layout model finds
            run_step("remud detect -d layout", [str(cli), "detect", str(project), "-d", "layout", "--pages", "3",
                                                "--force", "--no-text", "-q"], env, r"[1-9]\d* figures? on", home),
            # in Chinese: the bundled Qt and gettext catalogs load (English is the tests' language)
            run_step("remud-desktop --lang zh_CN --smoke-test", [str(gui), "--lang", "zh_CN", "--smoke-test"], env,
                     r"(?s)interface: zh_CN \(文件.*smoke-test: ok", home),
        ]
        has_llama = any((app / "_internal" / "llama_cpp" / "lib").glob("libllama*"))
        model = write_tiny_model(home) if has_llama else None
        if model is not None:
            steps.append(run_step("remud chat (tiny GGUF)", [str(cli), "chat", "--model", str(model), "--no-budget",
                                                             "--max-tokens", "8", "--ctx", "256", "--seed", "1",
                                                             "Hello"], env, r"thinking tokens", home))
        elif has_llama:
            print("smoke: skipped `remud chat`: the gguf package (test extra) is needed to write the tiny model")
        else:
            print("smoke: skipped `remud chat`: this build has no llama.cpp (install the chat extra)")
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smoke.py", description="Run the built ReMUD Desktop headless.")
    parser.add_argument("app", nargs="?", default=str(DEFAULT_APP), help="the built app folder")
    args = parser.parse_args(argv)
    try:
        steps = smoke(Path(args.app).resolve())
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for step in steps:
        print(f"smoke: {'ok  ' if step.ok else 'FAIL'} {step.name} ({step.seconds:.1f} s)")
        # the last lines that say something (the offscreen platform's warning on each window says nothing)
        lines = [line for line in step.output.splitlines() if QT_NOISE not in line]
        if lines:
            print("\n".join(f"      {line}" for line in lines[-15:]))
    failed = [s.name for s in steps if not s.ok]
    print(f"smoke: {len(steps) - len(failed)} of {len(steps)} steps passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
