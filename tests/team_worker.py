"""The process tests/engine/test_team_kill.py kills: a merge that says where it is.

    python -m tests.team_worker TARGET SOURCE

Prints one line as each phase starts ("copy", "backup", "step N NAME" inside the transaction, the last
one just before the commit) and "committed" at the end, each flushed, so the test can SIGKILL it there.
"""

from __future__ import annotations

import sys


def main(target: str, source: str) -> int:
    from engine.store import Project, backups
    from engine.store import merge as merge_module

    def say(text: str) -> None:
        print(text, flush=True)

    copy, backup = merge_module._copy_source, backups.backup_before

    def copy_source(*args, **kwargs):
        say("copy")
        return copy(*args, **kwargs)

    def backup_before(*args, **kwargs):
        say("backup")
        return backup(*args, **kwargs)

    merge_module._copy_source = copy_source  # type: ignore[assignment]  # a test's hook on the phases
    merge_module.backups.backup_before = backup_before  # type: ignore[assignment]
    with Project.open(target) as p:
        report = merge_module.merge_project(p, source, progress=lambda n, total, text: say(f"step {n} {text}"))
    say("committed" if report.changed else "unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
