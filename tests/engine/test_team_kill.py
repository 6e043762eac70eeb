"""A merge killed with SIGKILL at any point (issue 17) leaves the target as it was or fully merged,
and running it again finishes it, with nothing doubled.

The merge runs in a subprocess (tests/team_worker.py) that prints each phase as it starts: copying the
source, the backup, each step inside the transaction (the last just before the commit). The test kills it
when it reads the chosen phase, at KILLS points chosen with a seed (REMUD_FAULT_SEED to try others), plus
the last step before the commit every time.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sys

import pytest

from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import Project, figures, records
from engine.store.merge import MERGES_DIR, merge_project
from engine.store.models import FigureText, NewFigure, NewRecord, RecordKind
from tests import pdf_factory
from tests.engine.test_fault_injection import Proc, wait_until
from tests.engine.test_team import assert_sound, state

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or sys.platform == "win32", reason="needs SIGKILL")

SEED = int(os.environ.get("REMUD_FAULT_SEED", "17"))
KILLS = 4
NEW_FIGURES = 6000  # enough rows that each step takes a moment: the kill lands inside it
PHASES = ["copy", "backup"] + [f"step {n} " for n in range(11)]
BEFORE_COMMIT = "step 11 "


def comparable(s: dict) -> dict:
    """The project's state without what each run of a merge writes anew (its own log entries, timings)."""
    return {**s, "edits": [e for e in s["edits"] if not e[1].startswith("merge")]}


@pytest.fixture
def scene(tmp_path):
    """A target with a part handed out; the part then gets many new figures and records, and edits."""
    target = tmp_path / "Target.remud"
    with Project.create(target) as p:
        doc = import_pdf(p, pdf_factory.text_pdf(tmp_path / "book.pdf", pages=8)).document
        ids = figures.add_figures(p, [NewFigure(doc.id, n % 8, Rect(10, 10 + n % 50, 200, 300)) for n in range(400)])
        records.add_records(p, [NewRecord(RecordKind.QA, f"q{n}", "a", figure_id=ids[n]) for n in range(200)])
        from engine.team import split_project
        (part,) = split_project(p, tmp_path / "parts", into=1)
    source = part.folder
    with Project.open(source) as s:
        new = figures.add_figures(s, [NewFigure(doc.id, n % 8, Rect(20, 20 + n % 70, 220, 320),
                                                text=FigureText(caption=f"new figure {n}")) for n in range(NEW_FIGURES)])
        records.add_records(s, [NewRecord(RecordKind.VQA, f"new q{n}", "new a", figure_id=new[n])
                                for n in range(NEW_FIGURES)])
        for f in figures.list_figures(s)[:150]:
            figures.set_status(s, f.id, "accepted")
    pristine = tmp_path / "pristine.remud"
    shutil.copytree(target, pristine)
    expected = tmp_path / "expected.remud"
    shutil.copytree(target, expected)
    with Project.open(expected) as e:
        assert merge_project(e, source).changed
    return {"target": target, "source": source, "pristine": pristine,
            "before": comparable(state(target)), "after": comparable(state(expected))}


def _reset(scene) -> None:
    shutil.rmtree(scene["target"])
    shutil.copytree(scene["pristine"], scene["target"])


def test_a_merge_killed_anywhere_leaves_the_target_unchanged_or_complete(scene):
    rng = random.Random(SEED)
    points = rng.sample(PHASES, KILLS) + [BEFORE_COMMIT]
    outcomes = []
    for phase in points:
        _reset(scene)
        proc = Proc([sys.executable, "-m", "tests.team_worker", str(scene["target"]), str(scene["source"])])
        wait_until(lambda phase=phase, proc=proc: any(line.startswith(phase) for line in proc.out),
                   f"the merge at “{phase}”",
                   proc)
        landed = proc.kill()
        proc.finish()
        if phase != BEFORE_COMMIT:  # the commit itself is a moment away from the last step: either may come first
            assert landed, f"{phase}: the merge had already ended:\n{proc.text()}"
        assert_sound(scene["target"])
        now = comparable(state(scene["target"]))
        assert now in (scene["before"], scene["after"]), f"killed at {phase}: neither as it was nor fully merged"
        outcomes.append((phase, "unchanged" if now == scene["before"] else "complete"))
        # the same merge again finishes the work exactly once
        with Project.open(scene["target"]) as p:
            merge_project(p, scene["source"])
        assert comparable(state(scene["target"])) == scene["after"], f"killed at {phase}, then merged again"
        assert len(list((scene["target"] / MERGES_DIR).glob("*.sqlite"))) == 1  # a killed run's copy is gone
        assert not [p.name for p in (scene["target"] / MERGES_DIR).iterdir() if p.name.endswith(".partial")]
    assert scene["before"] != scene["after"]
    assert any(o == "unchanged" for _, o in outcomes), outcomes
