"""Synthesis job throughput against a loopback OpenAI server with 300 ms latency per call.

    .venv/bin/python tests/benchmarks/bench_synth_throughput.py [--items 2000] [--concurrency 32]

Baseline: the ideal rate, concurrency ÷ latency. Prints the achieved rate as a ratio of it
(target ≥ 0.9), the runner process's CPU seconds per item (the runner runs in a child
process so the server's CPU is not counted), and, after SIGKILL of a second run mid-job,
the time from restarting the process to its first new request.
Text-only items keep the requests small.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.store import jobs as store
from engine.store.project import Project
from engine.synth.jobs import create_synth_job
from tests.engine.test_synth_jobs import KEY, MODEL, answer
from tests.servers.openai_compat import OpenAICompatServer

ROOT = Path(__file__).resolve().parents[2]
RUNNER = (
    "import sys, time; from engine.synth.jobs import run_job; t = time.perf_counter(); "
    "r = run_job(sys.argv[1], int(sys.argv[2]), concurrency=int(sys.argv[3])); "
    "print(r.state, r.requests, time.perf_counter() - t)"
)


def start(folder: Path, job_id: int, concurrency: int) -> subprocess.Popen:
    env = {**os.environ, "OPENAI_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(folder), str(job_id), str(concurrency)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def make_job(p: Project, server: OpenAICompatServer, n: int, tag: str) -> int:
    texts = [(None, None, f"Passage {tag}-{i:05d}: the liver is homogeneous.") for i in range(n)]
    job, _, _ = create_synth_job(p, kinds=["qa"], passages=texts, params={"model": MODEL, "base_url": server.base_url})
    return job.id


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.3)
    args = ap.parse_args()
    first_at: list[float] = []
    lock = threading.Lock()

    def slow(req):
        with lock:
            if not first_at:
                first_at.append(time.perf_counter())
        resp = answer(req)
        resp.delay_s = args.latency
        return resp

    with tempfile.TemporaryDirectory() as tmp, OpenAICompatServer(api_key=KEY, default=slow) as server:
        server.start()
        p = Project.create(Path(tmp) / "Bench.remud")
        job_id = make_job(p, server, args.items, "A")
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = start(p.folder, job_id, args.concurrency)
        out, err = proc.communicate()
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode:
            raise SystemExit(err)
        state, requests, run_s = out.split()
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        ideal = args.concurrency / args.latency
        achieved = args.items / float(run_s)
        print(f"items {args.items}, concurrency {args.concurrency}, latency {args.latency * 1000:.0f} ms: state {state}, requests {requests}")
        print(f"run_job time {float(run_s):.2f} s (process wall incl. start-up {wall:.2f} s)")
        print(f"throughput {achieved:.1f} items/s vs ideal {ideal:.1f} items/s: ratio {achieved / ideal:.3f}")
        print(f"CPU of the runner process: {cpu:.2f} s total, {cpu / args.items * 1000:.2f} ms per item")

        # Resume after kill: time from starting a new process to its first new request.
        job2 = make_job(p, server, max(args.items // 4, 64), "B")
        proc = start(p.folder, job2, args.concurrency)
        while store.job_status(p, job2).counts["done"] < args.concurrency:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        first_at.clear()
        t0 = time.perf_counter()
        proc = start(p.folder, job2, args.concurrency)
        while not first_at:
            time.sleep(0.001)
        print(f"resume after SIGKILL: first new request {(first_at[0] - t0) * 1000:.0f} ms after the process started")
        out, err = proc.communicate()
        st = store.job_status(p, job2)
        print(f"resumed job: {out.split()[0]}, {st.counts['done']}/{st.total} done")
        p.close()


if __name__ == "__main__":
    main()
