"""`remud`: everything the app does, from the command line.

Output is for people by default; `--json` gives machine-readable output. On error:
one clear line on stderr and a non-zero exit.

One module per command group, each adding its subcommands with an `add_*_parser(sub, common)`:
project (new, sample, import, detect, figures, search, info, repair, detectors), records,
synth, export, eval, chat, settings and team (split, merge). What they share (output, `--param` and `--pages`
parsing, progress bars, argparse types, error handling) is in engine.cli.common; they
import that and the engine, never each other or this module.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from engine import __version__
from engine.cli.chat import add_chat_parser
from engine.cli.common import run_command, shared_options
from engine.cli.eval import add_eval_parser
from engine.cli.export import add_export_parser
from engine.cli.project import add_project_parser
from engine.cli.records import add_records_parser
from engine.cli.settings import add_settings_parser
from engine.cli.synth import add_synth_parser
from engine.cli.team import add_team_parser

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="remud", description="ReMUD Desktop from the command line.")
    parser.add_argument("--version", action="version", version=f"remud {__version__}")
    common = shared_options()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_project_parser(sub, common)
    add_records_parser(sub, common)
    add_synth_parser(sub, common)
    add_export_parser(sub, common)
    add_eval_parser(sub, common)
    add_chat_parser(sub, common)
    add_settings_parser(sub, common)
    add_team_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser().parse_args(argv))
