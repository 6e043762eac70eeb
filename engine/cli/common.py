"""What every `remud` command module shares: output (`emit`), `--param` and `--pages` parsing,
progress bars, argparse types, the subcommand helper and the one-line error handling of `main`.

Imports nothing from the command modules, so each of them can import it.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from engine.errors import RemudError
from engine.i18n import N_, tr
from engine.pdf.resolution import check_dpi
from engine.store.faults import store_error

EXIT_USAGE = 2  # a usage error, as argparse exits for a bad flag


# -- output -----------------------------------------------------------------------------
def error_line(message: str) -> str:
    """`error: message` in the current language: how every command reports an error on stderr."""
    return tr("error: {message}").format(message=message)


def warning_line(message: str) -> str:
    return tr("warning: {message}").format(message=message)


# Figure and record statuses (and search hit kinds) as stored: shown translated, matched in English.
SHOWN_WORDS = (N_("proposed"), N_("accepted"), N_("rejected"), N_("draft"), N_("figure"), N_("record"))


def shown(word: str) -> str:
    """A stored status or kind (one of SHOWN_WORDS) in the current language; anything else as it is."""
    return tr(word) if word in SHOWN_WORDS else word


def emit(args, data: Any, text: str) -> None:
    """`data` as JSON with `--json`, else `text` for people."""
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


def progress_bar(desc: str, total: int | None, quiet: bool, unit: str = "page"):
    """A tqdm bar on stderr, hidden when `quiet` or when stderr is not a terminal."""
    return tqdm(total=total, desc=desc, unit=unit, disable=quiet or not sys.stderr.isatty(), leave=False)


# -- arguments --------------------------------------------------------------------------
def parse_pages(spec: str | None, page_count: int) -> list[int] | None:
    """'1-3,7' (1-based, inclusive) -> [0, 1, 2, 6]. None means all pages."""
    if not spec:
        return None
    pages: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise RemudError(tr("“{part}” is not a page or page range (use e.g. 1-5,8).").format(part=part)) from None
        if a > b:
            raise RemudError(tr("“{part}” is not a valid range: the first page comes after the last.").format(part=part))
        if a < 1 or b > page_count:
            raise RemudError(tr("Pages {part} are outside 1–{count}.").format(part=part, count=page_count))
        pages.update(range(a - 1, b))
    return sorted(pages)


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    """Repeated `--param key=value` -> {key: value}; a value that is JSON is decoded, else kept as text."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise RemudError(tr("--param needs key=value, got “{item}”.").format(item=item))
        try:
            params[key.replace("-", "_")] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.replace("-", "_")] = raw
    return params


# argparse `type=`s: a value out of range is refused before anything runs, with one sentence that says what to use.
def positive_int(text: str) -> int:
    """A whole number, 1 or more (counts, limits, context sizes)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("needs a whole number of 1 or more, not “{text}”").format(text=text)) from None
    if value < 1:
        raise argparse.ArgumentTypeError(tr("must be 1 or more, not {value}").format(value=value))
    return value


def dpi(text: str) -> float:
    """A resolution in dots per inch within engine.pdf.resolution's MIN_DPI..MAX_DPI."""
    # Translators: fills {what} in engine.pdf.resolution's sentences about a resolution out of range
    return check_dpi(text, tr("the resolution"), argparse.ArgumentTypeError)


# -- parser -----------------------------------------------------------------------------
def shared_options() -> argparse.ArgumentParser:
    """The parent parser every command takes: --json and -q/--quiet."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help=tr("machine-readable output"))
    common.add_argument("-q", "--quiet", action="store_true", help=tr("no progress bars"))
    return common


def add_command(sub, common: argparse.ArgumentParser, name: str, func: Callable[[Any], int], help_text: str,
                project: bool = True) -> argparse.ArgumentParser:
    """A subcommand with the shared options, a PROJECT argument (unless `project` is False) and `func` to run."""
    sp = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
    if project:
        sp.add_argument("project", help=tr("project folder"))
    sp.set_defaults(func=func)
    return sp


# -- errors -----------------------------------------------------------------------------
def run_command(args) -> int:
    """Runs `args.func(args)`; an error becomes one line on stderr and a non-zero exit code."""
    try:
        return args.func(args)
    except RemudError as exc:
        print(error_line(str(exc)), file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # a read that met a damaged, locked or vanished database
        print(error_line(str(store_error(exc, Path(getattr(args, 'project', None) or '.')))), file=sys.stderr)
        return 1
    except OSError as exc:  # disk full, permissions, a path that is a file...
        where = f": {exc.filename}" if exc.filename else ""
        print(error_line(f"{exc.strerror or exc}{where}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(error_line(tr("interrupted; work finished so far is saved.")), file=sys.stderr)
        return 130
