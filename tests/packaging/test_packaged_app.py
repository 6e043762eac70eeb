"""The built one-folder app runs: packaging/build.py (reusing a build newer than the sources)
then packaging/smoke.py on it. Slow (a PyInstaller build takes minutes), so it is marked
`packaging` and left out of the normal run: `pytest -m packaging tests/packaging`."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None,
                       reason="PyInstaller is not installed (pip install -e '.[package]')"),
]


def test_built_app_passes_the_smoke_test():
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--reuse", "--smoke"],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "smoke-test: scanned detector:" in output
    assert "remud-desktop --smoke-test" in output and "FAIL" not in output


def test_bundle_leaves_the_training_stack_out():
    internal = ROOT / "dist" / "ReMUD Desktop" / "_internal"
    if not internal.is_dir():
        pytest.skip("no build yet (the smoke test above builds it)")
    present = [name for name in ("torch", "transformers", "peft", "datasets", "training") if (internal / name).exists()]
    assert present == []
    for needed in ("resources/icons/remud.svg", "resources/detectors.toml", "rapidocr_onnxruntime/config.yaml",
                   "PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/plugins/iconengines"):
        assert (internal / needed).exists(), needed
    assert list((internal / "pymupdf" / "layout").rglob("*.onnx"))
