"""Longest GUI event-loop stall while a chat answer streams into the Chat tab.

A QTimer ticks every 5 ms in the GUI thread; the longest gap between two ticks is the
longest time the window could not react. The tiny real llama.cpp model (tests/tiny_gguf.py)
writes a long thinking section and answer (its end-of-turn tokens biased away), three ways,
in the same run and the same tab:

  baseline   the model generates in its thread, the GUI does not show the stream
  coalesced  the Chat tab as shipped: stream events coalesced to at most ~30 updates a second
  every      every token its own update (no coalescing), for comparison

and then the last answer is replayed into the view without the model running, to show what the
updates cost the GUI thread itself (on a busy machine the rest of a stall is waiting for a CPU that
llama.cpp and other processes hold). Target: coalesced < 30 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_chat_gui_stall.py [--tokens 1500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from engine.chat import Sampling
from engine.store import chats
from remud_desktop.chat import ChatTab
from remud_desktop.chat.worker import StreamDelta
from remud_desktop.session import Session
from tests.benchmarks._timing import percentile
from tests.desktop.gui_helpers import StallMeter
from tests.tiny_gguf import vocabulary, write_tiny_qwen2_gguf

TARGET_MS = 30.0


class GapMeter(StallMeter):
    """StallMeter that keeps every gap, so one scheduler hiccup can be told from a pattern."""

    def __init__(self) -> None:
        super().__init__()
        self.gaps: list[float] = []

    def _tick(self) -> None:
        now = self._now()
        if self._last is not None:
            self.gaps.append(now - self._last)
        super()._tick()


def wait_until(condition, timeout_s: float = 600.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


SPACE_BIAS, NEWLINE_BIAS = 3.0, 1.3


def english_like_bias() -> dict[int, float]:
    """Make the random model write text shaped like prose: printable ASCII only (random bytes make Qt
    look for fallback fonts on every layout, which no real answer does), spaces and line breaks made
    likelier so words and paragraphs get prose-like lengths (printed with the results). Its thinking
    and its turn never end by themselves: the maximum and the answer limit end them."""
    tokens, _ = vocabulary()
    keep = set(range(0x20, 0x7F)) | {0x0A}
    bias = {i: -100.0 for i in range(256) if i not in keep}  # the first 256 ids are the byte tokens
    bias.update({i: -100.0 for i, t in enumerate(tokens) if i >= 256 and t.startswith("<") and t.endswith(">")})
    bias[0x20], bias[0x0A] = SPACE_BIAS, NEWLINE_BIAS
    return bias


def text_shape(text: str) -> str:
    words = text.split()
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    mean_word = sum(map(len, words)) / max(1, len(words))
    return f"{len(text)} characters, {len(words)} words of {mean_word:.1f} characters, {len(paragraphs)} paragraphs"


def run_once(tab, mode: str) -> dict[str, float]:
    """One streamed answer; returns the stall, the GUI updates and the generation speed."""
    updates = {"n": 0}
    counter = lambda _d: updates.__setitem__("n", updates["n"] + 1)  # noqa: E731 - a one-line callback, kept where it is used
    tab.worker.repaint_interval = 0.0 if mode == "every" else 1 / 30
    connected = mode != "baseline"
    if not connected:
        tab.worker.delta.disconnect(tab._delta)
    tab.worker.delta.connect(counter)
    tab.conversations.create()
    meter = GapMeter().start()
    started = time.perf_counter()
    assert tab.send("Describe this kidney in detail.")
    wait_until(lambda: not tab.generating())
    elapsed = time.perf_counter() - started
    stall = meter.stop()
    tab.worker.delta.disconnect(counter)
    if not connected:
        tab.worker.delta.connect(tab._delta)

    answer = chats.list_messages(tab.project, tab.session_id)[-1]
    generated = answer.stats["thinking_tokens"] + answer.stats["answer_tokens"]
    run_once.shape = text_shape(answer.content)
    return {"stall_ms": stall * 1000, "p99_ms": percentile(meter.gaps, 99) * 1000,
            "over_30ms": sum(g > TARGET_MS / 1000 for g in meter.gaps), "updates": updates["n"], "elapsed_s": elapsed,
            "tokens": generated, "tok_s": generated / elapsed}


def replay(tab, text: str, updates: int) -> list[float]:
    """GUI seconds per update when the same answer is fed to the view in `updates` steps with no model
    running: what the streaming costs the GUI thread itself, apart from competing for the CPU."""
    tab.view.begin_stream(256)
    step = max(1, len(text) // updates)
    costs = []
    for i in range(0, len(text), step):
        started = time.perf_counter()
        tab.view.apply_delta(StreamDelta(0, "", text[i:i + step], 256, i, 0, True))
        QApplication.processEvents()
        costs.append(time.perf_counter() - started)
    tab.view.end_stream()
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=1500, help="answer tokens per run (plus 256 thinking)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7, help="sampling seed: every run writes the same text")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["REMUD_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ["REMUD_DATA_DIR"] = str(Path(tmp) / "data")

        model = write_tiny_qwen2_gguf(Path(tmp) / "tiny.gguf", n_embd=512, n_layer=4, n_head=8, n_head_kv=4, n_ff=1024)
        tab = ChatTab(Session())
        tab.resize(1200, 800)
        tab.show()
        tab.controls.fields.mode.setCurrentIndex(2)  # maximum only: the thinking runs to exactly 256 tokens
        tab.controls.fields.max_tokens.setValue(256)
        tab.controls.fields.n_ctx.setValue(max(4096, args.tokens + 1024))
        tab.controls.flush()
        tab.controls.sampling = lambda: Sampling(max_answer_tokens=args.tokens, seed=args.seed, logit_bias=english_like_bias())
        tab.model_bar.model.set_path(str(model))
        tab.load_model(str(model), "")
        wait_until(lambda: tab.worker.model is not None or tab.model_bar.load.isEnabled())
        if tab.worker.model is None:
            raise SystemExit(f"model did not load: {tab.model_bar.state.text()}")
        run_once(tab, "coalesced")  # warm-up: first decode, caches, fonts
        results: dict[str, list[dict]] = {"baseline": [], "coalesced": [], "every": []}
        for _ in range(args.rounds):
            for mode in results:
                results[mode].append(run_once(tab, mode))

        answer = chats.list_messages(tab.project, tab.session_id)[-1].content
        costs = replay(tab, answer, round(sum(r["updates"] for r in results["coalesced"]) / args.rounds))
        tab.shutdown()
        del app

    print(f"Chat tab: longest event-loop stall while streaming ({args.rounds} rounds, "
          f"256 thinking + {args.tokens} answer tokens, tiny llama.cpp model, offscreen)")
    base = max(r["stall_ms"] for r in results["baseline"])
    base_speed = sum(r["tok_s"] for r in results["baseline"]) / args.rounds
    for mode, runs in results.items():
        worst = max(r["stall_ms"] for r in runs)
        p99 = max(r["p99_ms"] for r in runs)
        over = sum(r["over_30ms"] for r in runs)
        updates = sum(r["updates"] for r in runs) / args.rounds
        speed = sum(r["tok_s"] for r in runs) / args.rounds
        per_s = sum(r["updates"] / r["elapsed_s"] for r in runs) / args.rounds
        print(f"  {mode:<10} max stall {worst:6.1f} ms ({worst / base:4.2f}x baseline) · p99 gap {p99:5.1f} ms"
              f" · {over:3d} gaps > {TARGET_MS:.0f} ms"
              f" · {updates:6.0f} updates ({per_s:5.1f}/s) · {speed:6.1f} tokens/s ({speed / base_speed:4.2f}x baseline)")
    print(f"  the last answer: {run_once.shape}")
    print(f"  replayed without the model ({len(costs)} updates): GUI time per update median"
          f" {percentile(costs, 50) * 1000:.1f} ms, p90 {percentile(costs, 90) * 1000:.1f} ms,"
          f" max {max(costs) * 1000:.1f} ms (the rest of a stall is waiting for a CPU)")
    coalesced = max(r["stall_ms"] for r in results["coalesced"])
    verdict = "meets" if coalesced < TARGET_MS else "misses"
    print(f"  coalesced {verdict} the {TARGET_MS:.0f} ms target ({coalesced:.1f} ms)"
          f" · load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a busy machine adds scheduler stalls)")


if __name__ == "__main__":
    main()
