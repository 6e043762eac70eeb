"""argparse's own words ("usage:", "options", "show this help message and exit", its errors) in the
language `remud` speaks.

argparse takes them from gettext's global domain through its module-level `_` and `ngettext`;
`install()` points those at engine.i18n, whose catalog holds the msgids listed here (argparse's own,
verbatim, so they must match the Python version's spelling; one that does not match stays English).
"""

from __future__ import annotations

import argparse

from engine.i18n import N_, ntr, tr

# Translators: argparse's own words; keep every %s, %r, %(name)s and %(name)r exactly.
MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("one of the arguments %s is required"),
    N_("unexpected option string: %s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


def _plurals(n: int) -> tuple[str, ...]:
    """Never called: argparse's plural messages, for extraction."""
    return (ntr("expected %s argument", "expected %s arguments", n),)


def install() -> None:
    """argparse speaks the current language of engine.i18n (English: its own words, unchanged)."""
    setattr(argparse, "_", tr)  # noqa: B010 - a module global argparse looks up when it speaks
    setattr(argparse, "ngettext", ntr)  # noqa: B010
