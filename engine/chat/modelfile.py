"""Checks a model file before llama.cpp sees it: present, a GGUF (magic bytes), and its key metadata.

Only the header is read (scalar values; arrays are skipped, their length kept), so this is fast
even for a multi-gigabyte model with a 150k-token vocabulary.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from engine.chat.errors import ModelFileMissingError, ModelFormatError
from engine.i18n import N_, tr

GGUF_MAGIC = b"GGUF"
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GgufInfo:
    path: Path
    size_bytes: int
    metadata: dict[str, object]   # scalars as values; arrays as their length

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def arch_value(self, key: str, default: int = 0) -> int:
        value = self.metadata.get(f"{self.architecture}.{key}", default)
        return int(value) if isinstance(value, (int, float)) else default


# Translators: what a GGUF file is, put into the sentences of read_gguf_info as {what}
WHATS = (N_("model"), N_("vision projector (mmproj)"), N_("mmproj"))


def read_gguf_info(path: Path, *, what: str = "model") -> GgufInfo:
    """Metadata of a GGUF file; raises ModelFileMissingError / ModelFormatError with a sentence for the user.
    `what` is one of WHATS (English; translated here)."""
    path = Path(path)
    shown = tr(what) if what in WHATS else what
    if not path.is_file():
        raise ModelFileMissingError(tr("The {what} file {path} does not exist; choose the .gguf file again.").format(
            what=shown, path=path))
    try:
        with path.open("rb") as f:
            if f.read(4) != GGUF_MAGIC:
                raise ModelFormatError(
                    tr("{name} is not a GGUF file; choose a .gguf {what} (convert other formats with llama.cpp "
                       "first).").format(name=path.name, what=shown)
                )
            metadata = _read_header(f)
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        raise ModelFormatError(tr("{name} is damaged or cut short ({reason}); download or convert the {what} again.")
                               .format(name=path.name, reason=exc, what=shown)) from exc
    except OSError as exc:
        raise ModelFileMissingError(tr("The {what} file {path} cannot be read ({reason}); check the file and its "
                                       "permissions.").format(what=shown, path=path, reason=exc.strerror)) from exc
    return GgufInfo(path, path.stat().st_size, metadata)


def _read_header(f: BinaryIO) -> dict[str, object]:
    version, = struct.unpack("<I", _exact(f, 4))
    if version not in (2, 3):
        raise ValueError(f"unsupported GGUF version {version}")
    _n_tensors, n_kv = struct.unpack("<QQ", _exact(f, 16))
    metadata: dict[str, object] = {}
    for _ in range(n_kv):
        key = _string(f)
        vtype, = struct.unpack("<I", _exact(f, 4))
        metadata[key] = _value(f, vtype)
    return metadata


def _value(f: BinaryIO, vtype: int) -> object:
    if vtype in _SCALARS:
        fmt = _SCALARS[vtype]
        return struct.unpack(fmt, _exact(f, struct.calcsize(fmt)))[0]
    if vtype == _STRING:
        return _string(f)
    if vtype == _ARRAY:
        item_type, count = struct.unpack("<IQ", _exact(f, 12))
        if item_type in _SCALARS:
            f.seek(struct.calcsize(_SCALARS[item_type]) * count, 1)
        elif item_type == _STRING:
            for _ in range(count):
                n, = struct.unpack("<Q", _exact(f, 8))
                f.seek(n, 1)
        else:
            raise ValueError(f"unsupported GGUF array item type {item_type}")
        return count
    raise ValueError(f"unknown GGUF value type {vtype}")


def _string(f: BinaryIO) -> str:
    n, = struct.unpack("<Q", _exact(f, 8))
    if n > 1 << 24:
        raise ValueError("implausible string length")
    return _exact(f, n).decode("utf-8")


def _exact(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ValueError("unexpected end of file")
    return data
