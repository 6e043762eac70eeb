"""The built one-folder app runs: packaging/build.py once (reusing a build newer than the
sources), then packaging/smoke.py on it and a look inside the bundle. Slow (a PyInstaller build takes minutes), so it is marked
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


@pytest.fixture(scope="module")
def built_app() -> Path:
    """Build once for this module (a build newer than the sources is reused)."""
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--reuse"],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    return ROOT / "dist" / "ReMUD Desktop"


def test_built_app_passes_the_smoke_test(built_app):
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "smoke.py"), str(built_app)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "smoke-test: scanned detector:" in output
    assert "interface: zh_CN (文件" in output  # the window in Chinese, from the bundled catalogs
    assert "remud-desktop --lang zh_CN --smoke-test" in output and "FAIL" not in output
    assert "Traceback" not in output


def test_bundle_leaves_the_training_stack_out(built_app):
    internal = built_app / "_internal"
    assert internal.is_dir(), f"{internal} is missing after the build"
    present = [name for name in ("torch", "transformers", "peft", "datasets", "training") if (internal / name).exists()]
    assert present == []
    for needed in ("resources/icons/remud.svg", "resources/detectors.toml", "rapidocr/config.yaml",
                   "PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/plugins/iconengines"):
        assert (internal / needed).exists(), needed
    assert list((internal / "pymupdf" / "layout").rglob("*.onnx"))
    assert list((internal / "rapidocr" / "models").glob("PP-OCRv6_*.onnx"))  # nothing is downloaded at run time
