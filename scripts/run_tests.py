"""Runs the whole test suite; pytest's "no tests collected" (exit 5) is reported as its own failure."""

import subprocess
import sys

NO_TESTS_COLLECTED = 5

rc = subprocess.call([sys.executable, "-m", "pytest", *sys.argv[1:]])
if rc == NO_TESTS_COLLECTED:
    print("run_tests: pytest collected no tests — the suite is missing or mis-configured.", file=sys.stderr)
    sys.exit(1)
sys.exit(rc)
