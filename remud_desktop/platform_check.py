"""Before the first window on Linux/X11: can Qt's xcb platform plugin load?

Qt's X11 plugin (libqxcb.so, and libQt6XcbQpa it loads) needs about twenty system libraries
that PySide6's wheel does not bring (libxcb-icccm4, libxcb-keysyms1, libxcb-cursor0...). When
one is missing, Qt prints a stack of messages that names the wrong one (xcb-cursor0) and
aborts. `check_xcb()` reads which libraries the plugin and the Qt libraries it pulls in need
(their ELF NEEDED entries, followed through the libraries bundled with PySide6), asks the
system's loader for each of the others, and returns one sentence that says what to install,
or None when everything is there. No Qt module is imported here: the sentence is translated
with engine.i18n (gettext).

README.md lists the same packages; PACKAGES maps each library to its Debian/Ubuntu and
Fedora package.
"""

from __future__ import annotations

import ctypes
import importlib.util
import mmap
import os
import struct
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from engine.i18n import ntr, tr

PLUGIN = "libqxcb.so"

# system library -> (Debian/Ubuntu package, Fedora package); what Qt 6's xcb plugin needs
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libGL.so.1": ("libgl1", "mesa-libGL"),
    "libEGL.so.1": ("libegl1", "mesa-libEGL"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libz.so.1": ("zlib1g", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd"),
}


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


# Every package, in README.md's order: what a minimal system installs for the window.
DEBIAN_PACKAGES = _unique(deb for deb, _ in PACKAGES.values())
FEDORA_PACKAGES = _unique(rpm for _, rpm in PACKAGES.values())


def elf_needed(path: Path) -> list[str]:
    """The DT_NEEDED entries of an ELF shared object (the libraries it is linked against)."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data[:4] != b"\x7fELF":
            raise ValueError(f"{path} is not an ELF file")
        wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
        if wide:
            shoff, = struct.unpack_from(order + "Q", data, 0x28)
            shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
            section, dyn = order + "IIQQQQIIQQ", order + "qQ"
        else:
            shoff, = struct.unpack_from(order + "I", data, 0x20)
            shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
            section, dyn = order + "IIIIIIIIII", order + "iI"
        sections = [struct.unpack_from(section, data, shoff + i * shentsize) for i in range(shnum)]
        names: list[str] = []
        for _name, kind, _flags, _addr, offset, size, link, *_rest in sections:
            if kind != 6:  # SHT_DYNAMIC
                continue
            strtab = sections[link][4]
            for at in range(offset, offset + size, struct.calcsize(dyn)):
                tag, value = struct.unpack_from(dyn, data, at)
                if tag == 0:  # DT_NULL
                    break
                if tag == 1:  # DT_NEEDED
                    end = data.find(b"\0", strtab + value)
                    names.append(data[strtab + value:end].decode())
        return names


def system_libraries(plugin: Path, bundled: Iterable[Path]) -> list[str]:
    """The system libraries `plugin` needs: its NEEDED entries, and those of the libraries
    found in the `bundled` folders (PySide6's own Qt libraries), followed through them."""
    folders = [plugin.parent, *bundled]
    seen: set[str] = set()
    system: list[str] = []
    todo = [plugin]
    while todo:
        for name in elf_needed(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            local = next((d / name for d in folders if (d / name).is_file()), None)
            if local is not None:
                todo.append(local)
            else:
                system.append(name)
    return system


def _dlopen(name: str) -> None:
    ctypes.CDLL(name)


def missing_libraries(names: Iterable[str], load: Callable[[str], object] | None = None) -> list[str]:
    """The libraries the system's loader cannot open (it searches as Qt's loading will);
    `load(name)` raises OSError for one it cannot (default: dlopen through ctypes)."""
    load = load or _dlopen
    missing = []
    for name in names:
        try:
            load(name)
        except OSError:
            missing.append(name)
    return missing


def _names(names: list[str]) -> str:
    """"a", "a and b", "a, b and c" in the current language."""
    if len(names) == 1:
        return names[0]
    # Translators: between the names of libraries in a list ("a, b and c")
    return tr("{names} and {last}").format(names=tr(", ").join(names[:-1]), last=names[-1])


def install_sentence(missing: list[str]) -> str:
    """What is missing, and the apt and dnf commands that install it (one line), in the language
    engine.i18n speaks (the launcher chooses it before this check)."""
    known = [n for n in missing if n in PACKAGES]
    unknown = [n for n in missing if n not in PACKAGES]
    n = len(missing)
    what = ntr("ReMUD Desktop cannot open a window: the system library {names} is missing.",
               "ReMUD Desktop cannot open a window: the system libraries {names} are missing.", n).format(
        names=_names(missing))
    if known:
        deb = " ".join(_unique(PACKAGES[name][0] for name in known))
        rpm = " ".join(_unique(PACKAGES[name][1] for name in known))
        if unknown:
            how = ntr("Install it with: sudo apt install {deb} (Fedora: sudo dnf install {rpm}); for {others}, "
                      "find the package with apt-file search or dnf provides.",
                      "Install them with: sudo apt install {deb} (Fedora: sudo dnf install {rpm}); for {others}, "
                      "find the package with apt-file search or dnf provides.", n).format(
                deb=deb, rpm=rpm, others=tr(", ").join(unknown))
        else:
            how = ntr("Install it with: sudo apt install {deb} (Fedora: sudo dnf install {rpm}).",
                      "Install them with: sudo apt install {deb} (Fedora: sudo dnf install {rpm}).", n).format(
                deb=deb, rpm=rpm)
    else:
        how = ntr("Install the package that provides it (find it with: apt-file search {name}, "
                  "or on Fedora: dnf provides '*/{name}').",
                  "Install the package that provides them (find it with: apt-file search {name}, "
                  "or on Fedora: dnf provides '*/{name}').", n).format(name=unknown[0])
    # Translators: the two sentences above, one after the other
    return tr("{problem} {remedy}").format(problem=what, remedy=how)


def qt_folders() -> tuple[Path, list[Path]] | None:
    """(the platforms plugin folder, the folders of PySide6's own Qt libraries), or None when
    PySide6 cannot be found without importing it."""
    spec = importlib.util.find_spec("PySide6")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in map(Path, locations):
        qt = root / "Qt"
        if (qt / "plugins" / "platforms").is_dir():
            return qt / "plugins" / "platforms", [qt / "lib", root]
    return None


def uses_xcb(environ: Mapping[str, str]) -> bool:
    """Whether Qt will load the xcb plugin first: QT_QPA_PLATFORM names it first, or is unset
    with an X display and no Wayland session (Qt 6 tries Wayland first in one, and xcb only
    after it fails: left to Qt)."""
    platform = environ.get("QT_QPA_PLATFORM", "").strip()
    if platform:
        return platform.split(";")[0].split(":")[0].strip() == "xcb"
    wayland = bool(environ.get("WAYLAND_DISPLAY")) or environ.get("XDG_SESSION_TYPE") == "wayland"
    return bool(environ.get("DISPLAY")) and not wayland


def check_xcb(environ: Mapping[str, str] | None = None, folders: tuple[Path, list[Path]] | None = None,
              load: Callable[[str], object] | None = None) -> str | None:
    """The sentence to print instead of Qt's messages when the xcb plugin cannot load, else None.
    Skipped (None) off Linux, without an X display, for another Qt platform, and when the
    plugin is not where PySide6 keeps it (its own search then says what is wrong)."""
    environ = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or not uses_xcb(environ):
        return None
    folders = folders or qt_folders()
    if folders is None:
        return None
    platforms, bundled = folders
    custom = environ.get("QT_QPA_PLATFORM_PLUGIN_PATH")
    plugin = next((p for p in (Path(custom) / PLUGIN if custom else None, platforms / PLUGIN)
                   if p is not None and p.is_file()), None)
    if plugin is None:
        return None
    try:
        needed = system_libraries(plugin, bundled)
    except (OSError, ValueError, struct.error):
        return None  # an unreadable plugin: Qt says what it can
    missing = missing_libraries(needed, load)
    return install_sentence(missing) if missing else None
