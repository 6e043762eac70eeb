"""Decontamination: training records that share an n-gram with a given test file are dropped.

N-grams are words in Latin-script text and characters in CJK text (the quality
module's shingles with n for both); only full-length n-grams count, so short phrases
such as "what does this show" never match on their own. The file is read once (with the
evaluation's reader, engine.jsonfiles) and hashed from the same bytes, so the manifest's
checksum names exactly the file the n-grams came from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.export.errors import DecontaminationFileError
from engine.i18n import tr
from engine.jsonfiles import JsonItemsError, parse_items
from engine.quality.dedup import shingles
from engine.store.search import CJK_RANGES

_CJK_ONLY = re.compile(f"^[{CJK_RANGES}]+$")
_SKIP_KEYS = {"id", "image", "images", "path", "file_name", "answer_label", "doc_sha256", "split", "language"}


@dataclass(frozen=True)
class TestGrams:
    grams: frozenset[str]
    sha256: str  # of the bytes the n-grams were read from

    __test__ = False


def _full(gram: str, n: int) -> bool:
    return gram.count(" ") == n - 1 or (len(gram) == n and bool(_CJK_ONLY.match(gram)))


def ngrams(text: str, n: int) -> set[str]:
    return {g for g in shingles(text, n, n) if _full(g, n)}


def _strings(value, key: str = "") -> Iterator[str]:
    if key in _SKIP_KEYS:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


def load_test_ngrams(path: Path, n: int) -> TestGrams:
    """Every full n-gram of the texts (questions, options, answers, messages) in a JSON/JSONL test file."""
    if not path.is_file():
        raise DecontaminationFileError(tr("The test file {path} does not exist; give the path of a JSON or JSONL "
                                          "file.").format(path=path))
    grams: set[str] = set()
    try:
        data = path.read_bytes()
        for _, item in parse_items(data.decode("utf-8-sig"), path.name):
            for s in _strings(item):
                grams |= ngrams(s, n)
    except JsonItemsError as exc:
        raise DecontaminationFileError(tr("{error} Give a JSON or JSONL test file.").format(error=exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DecontaminationFileError(tr("Cannot read the test file {name} ({reason}); give a UTF-8 JSON or JSONL "
                                          "file.").format(name=path.name, reason=exc)) from exc
    if not grams:
        raise DecontaminationFileError(
            tr("The test file {name} holds no text with {n} words in a row; check the file or lower the n-gram "
               "length.").format(name=path.name, n=n)
        )
    return TestGrams(frozenset(grams), hashlib.sha256(data).hexdigest())


def contaminated(text: str, test_grams: frozenset[str], n: int) -> bool:
    return not test_grams.isdisjoint(ngrams(text, n))
