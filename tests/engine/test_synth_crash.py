"""SIGKILL a synthesis process mid-job, restart it, and prove nothing is lost or doubled."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from engine.store import jobs as store
from engine.store.project import Project
from engine.store.records import list_records
from engine.synth.jobs import create_synth_job
from tests.engine.test_synth_jobs import KEY, MODEL, answer
from tests.servers.openai_compat import OpenAICompatServer

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

ROOT = Path(__file__).resolve().parents[2]
RUNNER = (
    "import sys; from engine.synth.jobs import run_job; "
    "r = run_job(sys.argv[1], int(sys.argv[2]), concurrency=4); print(r.state, r.requests, r.recovered)"
)
TAG = re.compile(r"ITEM-(\d{4})")


def _start(folder: Path, job_id: int) -> subprocess.Popen:
    env = {**os.environ, "OPENAI_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(folder), str(job_id)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _done(folder: Path, job_id: int) -> int:
    with Project.open(folder) as p:
        return store.job_status(p, job_id).counts["done"]


def test_sigkill_mid_job_then_restart_stores_every_item_exactly_once(tmp_path):
    def slow(req):
        resp = answer(req)
        resp.delay_s = 0.25
        return resp

    n = 60  # ~4 s of work at concurrency 4: room to kill it mid-job even on a loaded machine
    with OpenAICompatServer(api_key=KEY, default=slow) as server, Project.create(tmp_path / "Crash.remud") as p:
        texts = [(None, None, f"Passage ITEM-{i:04d}: the kidney cortex is thin.") for i in range(n)]
        job, created, _ = create_synth_job(p, kinds=["qa"], passages=texts,
                                           params={"model": MODEL, "base_url": server.base_url})
        assert created == n
        folder = p.folder

        proc = _start(folder, job.id)
        deadline = time.monotonic() + 60
        while _done(folder, job.id) < 6:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the job made no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL

        before = {i.id: i for i in store.list_items(p, job.id)}
        done_before = {TAG.search(i.passage).group(1) for i in before.values() if i.state == "done"}
        left_running = sum(1 for i in before.values() if i.state == "running")
        assert 6 <= len(done_before) < n and left_running >= 1  # it really died mid-job
        assert len(list_records(p)) == len(done_before)  # done items have their records, nothing more
        sent_before = len(server.chat_requests)

        proc = _start(folder, job.id)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        state, _requests, recovered = out.split()
        assert state == "done" and int(recovered) == left_running

        items = store.list_items(p, job.id)
        assert all(i.state == "done" for i in items)
        recs = list_records(p)
        assert len(recs) == n  # one qa record per passage, none twice
        ids = [r for i in items for r in i.record_ids]
        assert sorted(ids) == sorted(r.id for r in recs) and len(set(ids)) == n

        # a request whose body the kill cut off mid-send reaches the server without its text: not an item sent
        found = [TAG.search(r.text()) for r in server.chat_requests]
        tags = [m.group(1) if m else None for m in found]
        assert sum(t is None for t in tags[sent_before:]) == 0  # the restarted run sent whole requests only
        after = Counter(tags[sent_before:])
        complete = Counter(t for t in tags if t)
        assert not (done_before & set(after)), "an item stored before the kill was sent again"
        assert set(complete) == {f"{i:04d}" for i in range(n)}
        assert max(complete.values()) <= 2  # at most: in flight at the kill, then once more
