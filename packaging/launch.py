"""Entry point of the frozen app. One folder holds two executables built from this script:
`remud` (console) runs the command line, any other name (`remud-desktop`) the desktop app.

`freeze_support()` comes first: detection and crop export run in spawned child processes,
which start this same executable with `--multiprocessing-fork`; they must run the child's
work and exit, never open a second window or parse the command line.
"""

import multiprocessing
import sys
from pathlib import Path

CLI_NAME = "remud"


def main() -> int:
    # The only freeze_support() call: remud_desktop.app.main runs after it (or not at all, for `remud`),
    # and when not frozen (the pip-installed entry points) freeze_support() does nothing.
    multiprocessing.freeze_support()
    if Path(sys.executable).stem.lower() == CLI_NAME:
        from engine.cli import main as cli_main

        return cli_main()
    from remud_desktop.app import main as app_main

    return app_main()


if __name__ == "__main__":
    sys.exit(main())
