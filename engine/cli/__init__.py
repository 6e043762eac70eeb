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
import sys
from collections.abc import Sequence

from engine import __version__, argparse_i18n, i18n
from engine.cli.chat import add_chat_parser
from engine.cli.common import EXIT_USAGE, error_line, run_command, shared_options
from engine.cli.eval import add_eval_parser
from engine.cli.export import add_export_parser
from engine.cli.project import add_project_parser
from engine.cli.records import add_records_parser
from engine.cli.settings import add_settings_parser
from engine.cli.synth import add_synth_parser
from engine.cli.team import add_team_parser
from engine.i18n import tr

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The `remud` parser, its help in the current language (choose it first: see main)."""
    parser = argparse.ArgumentParser(prog="remud", description=tr("ReMUD Desktop from the command line."))
    parser.add_argument("--version", action="version", version=f"remud {__version__}",
                        help=tr("show program's version number and exit"))
    choices = ", ".join([i18n.SYSTEM, *i18n.LANGUAGES])
    parser.add_argument("--lang", metavar="LANG",
                        help=tr("the language to speak: {choices} (default: the app's setting, else the "
                                "system's)").format(choices=choices))
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


LANG_OPTION = "--lang"


def lang_flag(argv: Sequence[str]) -> str | None:
    """The value of the global --lang (also --lang=X, or a prefix argparse accepts such as --la), read
    before the parser exists, so its help and errors are in that language. Only what comes before
    the command counts: `records list --lang zh` is that command's own filter."""
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == "--" or not arg.startswith("-"):
            return None  # the command (or the end of the options)
        name, sep, value = arg.partition("=")
        if len(name) >= 3 and LANG_OPTION.startswith(name):
            if sep:
                return value
            return args[i + 1] if i + 1 < len(args) else None
    return None


def choose_language(argv: Sequence[str]) -> int | None:
    """Speak the language --lang, the settings or the system ask for; EXIT_USAGE (after one sentence on
    stderr) when --lang names none the app speaks."""
    flag = lang_flag(argv)
    try:
        language = i18n.chosen_language(flag)
    except i18n.LanguageError:
        i18n.set_language(i18n.chosen_language())  # say it in the language the settings or the system ask for
        try:
            i18n.parse_choice(flag or "")
        except i18n.LanguageError as exc:
            print(error_line(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    i18n.set_language(language)
    argparse_i18n.install()
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    refused = choose_language(argv)
    if refused is not None:
        return refused
    return run_command(build_parser().parse_args(argv))
