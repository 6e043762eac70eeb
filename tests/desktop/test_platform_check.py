"""Before the first window on Linux/X11 (remud_desktop.platform_check): a system library Qt's
xcb plugin needs and cannot find becomes one sentence naming the package to install, and the
launcher exits with 1 before Qt prints its own messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from remud_desktop import app, platform_check
from remud_desktop.platform_check import (
    PACKAGES,
    PLUGIN,
    check_xcb,
    elf_needed,
    install_sentence,
    qt_folders,
    system_libraries,
    uses_xcb,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's xcb plugin is Linux's")

X11 = {"DISPLAY": ":99"}


@pytest.fixture(scope="module")
def qt():
    folders = qt_folders()
    assert folders is not None and (folders[0] / PLUGIN).is_file()
    return folders


def refusing(*absent: str):
    """A loader that finds every library except `absent` (the real one is the last test's)."""
    opened = []

    def load(name: str) -> None:
        opened.append(name)
        if name in absent:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")

    load.opened = opened  # type: ignore[attr-defined]
    return load


def test_the_plugin_and_the_qt_libraries_it_loads_are_read(qt):
    platforms, bundled = qt
    needed = elf_needed(platforms / PLUGIN)
    assert "libQt6XcbQpa.so.6" in needed and "libxcb-icccm.so.4" in needed and "libxcb-keysyms.so.1" in needed
    system = system_libraries(platforms / PLUGIN, bundled)
    assert not any(name.startswith("libQt6") for name in system)  # PySide6 brings those: followed, not asked for
    assert {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0", "libX11-xcb.so.1"} <= set(system)
    assert {"libfontconfig.so.1", "libEGL.so.1", "libdbus-1.so.3"} <= set(system)  # through libQt6Gui / DBus
    # every library outside the C runtime has its Debian and Fedora package
    runtime = ("libc.", "libm.", "libstdc++", "libgcc_s", "ld-linux", "libpthread", "libdl.", "librt.")
    assert [n for n in system if n not in PACKAGES and not n.startswith(runtime)] == []


def test_a_missing_library_is_named_with_the_packages_to_install(qt):
    load = refusing("libxcb-icccm.so.4")
    sentence = check_xcb(X11, qt, load)
    assert sentence == ("ReMUD Desktop cannot open a window: the system library libxcb-icccm.so.4 is missing. "
                        "Install it with: sudo apt install libxcb-icccm4 (Fedora: sudo dnf install xcb-util-wm).")
    assert "libxcb-keysyms.so.1" in load.opened  # every library was asked for, not only up to the first gap

    two = check_xcb(X11, qt, refusing("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    assert "the system libraries libxcb-icccm.so.4 and libxcb-keysyms.so.1 are missing" in two
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1 (Fedora: sudo dnf install xcb-util-wm xcb-util-keysyms)" in two
    # several libraries of one Fedora package: the package once
    assert "sudo dnf install libxcb)" in install_sentence(["libxcb-randr.so.0", "libxcb-shm.so.0"])
    assert "apt-file search libfoo.so.3" in install_sentence(["libfoo.so.3"])


def test_nothing_is_said_when_every_library_loads_or_xcb_is_not_used(qt):
    assert check_xcb(X11, qt, refusing()) is None
    for environ in ({}, {"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"},
                    {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"},  # Qt 6 tries Wayland first there
                    {"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"},
                    {"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"}):
        assert not uses_xcb(environ), environ
        assert check_xcb(environ, qt, refusing("libxcb-icccm.so.4")) is None
    for environ in (X11, {"QT_QPA_PLATFORM": "xcb"}, {"QT_QPA_PLATFORM": "xcb:nograb", "DISPLAY": ":0"},
                    {"QT_QPA_PLATFORM": "xcb;wayland", "WAYLAND_DISPLAY": "w"}):
        assert uses_xcb(environ), environ


def test_the_launcher_prints_the_sentence_and_exits_before_qt(qt, monkeypatch, capsys):
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "QT_QPA_PLATFORM_PLUGIN_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(platform_check, "_dlopen", refusing("libxcb-keysyms.so.1"))
    windows = []
    monkeypatch.setattr("remud_desktop.window.MainWindow", lambda *a, **k: windows.append(a))
    assert app.main([]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("ReMUD Desktop cannot open a window: the system library libxcb-keysyms.so.1 is missing.")
    assert "sudo apt install libxcb-keysyms1" in err and windows == []


def test_a_library_the_system_loader_cannot_find_stops_the_real_launcher(qt, tmp_path):
    """The launcher in its own process, with the real loader: a plugin whose NEEDED entry names
    a library no system has (the real plugin, one name changed) on an X display nobody serves."""
    platforms, _bundled = qt
    data = (platforms / PLUGIN).read_bytes()
    assert data.count(b"libxcb-keysyms.so.1\0") == 1
    fake = tmp_path / "platforms" / PLUGIN
    fake.parent.mkdir()
    fake.write_bytes(data.replace(b"libxcb-keysyms.so.1\0", b"libxcb-keysyms.so.9\0"))
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "QT_QPA_PLATFORM")}
    env.update(DISPLAY=":97", QT_QPA_PLATFORM_PLUGIN_PATH=str(fake.parent), REMUD_CONFIG_DIR=str(tmp_path / "config"))
    run = subprocess.run([sys.executable, "-m", "remud_desktop.app"], env=env, capture_output=True, text=True,
                         timeout=120, cwd=Path(app.__file__).resolve().parent.parent)
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ReMUD Desktop cannot open a window: the system librar"), lines
    # (on a system that lacks more of them, they are named too)
    assert "libxcb-keysyms.so.9" in lines[0] and "apt-file search" in lines[0] and "dnf provides" in lines[0]
    assert "qt.qpa" not in run.stderr and "xcb-cursor0" not in run.stderr  # none of Qt's own messages


def test_the_readme_lists_the_same_packages():
    import re

    from remud_desktop.platform_check import DEBIAN_PACKAGES, FEDORA_PACKAGES

    readme = (Path(app.__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")

    def listed(command: str) -> list[str]:
        found = re.search(rf"sudo {command} install ((?:[^\n]*\\\n)*[^\n]*)", readme)
        assert found, command
        return found.group(1).replace("\\\n", " ").split()

    assert sorted(listed("apt")) == sorted(DEBIAN_PACKAGES)
    assert sorted(listed("dnf")) == sorted(FEDORA_PACKAGES)
