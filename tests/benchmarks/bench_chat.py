"""Offline chat engine: throughput with budget forcing, stop latency, follow-up time to first token.

Model: a small random Qwen2 GGUF written by the script (no download), run by llama.cpp on the CPU.

1. tokens/s through ChatEngine.generate with budget forcing on (min + max: the controller watches every
   token, the maximum cuts in and forces the end of thinking) vs a bare `Llama.create_completion` on a
   second instance of the same model, same prompt, same sampling (target ratio >= 0.95). Both run
   with the prompt already cached, so both measure generation; runs alternate, and the ratio is the
   median over adjacent (engine, bare) pairs, which a shared machine's background load disturbs least.
2. stop latency: time from the user's "stop" (a flag set by another thread) to generate() returning,
   i.e. the backend idle (target < 100 ms).
3. time to first token of a follow-up question about the same image vs the first question (target
   <= 0.2x), through a tiny random Qwen2.5-VL vision projector written by the script (or a real one
   given with --model/--mmproj), and the same for a long text-only first turn.

Run: .venv/bin/python tests/benchmarks/bench_chat.py [--model M.gguf --mmproj P.gguf] [--image I.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import llama_cpp
import numpy as np
from PIL import Image

from engine.chat import BudgetSettings, ChatEngine, ChatTurn, ModelSettings, Sampling
from tests.benchmarks._timing import median, percentile
from tests.tiny_gguf import write_tiny_qwen2_gguf, write_tiny_qwen25vl_mmproj

N_TOKENS = 256
ROUNDS = 11
QUESTION = [ChatTurn("user", "Describe the echogenicity of the renal cortex compared with the liver.")]


def endless(engine: ChatEngine, **kw) -> Sampling:
    names = ("</think>", "<|im_end|>", "<|endoftext|>")
    bias = {ids[0]: -100.0 for ids in (engine.tokenize(n) for n in names) if len(ids) == 1}
    return Sampling(logit_bias=bias, seed=42, **kw)


def throughput(engine: ChatEngine, model_path: Path, n_threads: int) -> None:
    budget = BudgetSettings.from_mode("both", min_thinking_tokens=96, max_thinking_tokens=N_TOKENS // 2)
    sampling = endless(engine, max_answer_tokens=N_TOKENS // 2)
    engine.generate(QUESTION, budget=budget, sampling=sampling)  # warm: prompt in the KV cache

    bare = llama_cpp.Llama(str(model_path), n_ctx=engine.n_ctx, n_threads=n_threads, verbose=False)
    prompt = engine.tokenize("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                             f"{QUESTION[0].content}<|im_end|>\n<|im_start|>assistant\n<think>\n")
    kwargs = {"max_tokens": N_TOKENS, "temperature": sampling.temperature, "top_p": sampling.top_p,
              "top_k": sampling.top_k, "min_p": 0.0, "repeat_penalty": 1.0, "seed": 42,
              "logit_bias": dict(sampling.logit_bias or {})}
    bare.create_completion(prompt, **kwargs)  # warm

    engine_rates, bare_rates = [], []
    for _ in range(ROUNDS):  # alternating pairs, so background load hits both alike
        t = time.perf_counter()
        result = engine.generate(QUESTION, budget=budget, sampling=sampling)
        elapsed = time.perf_counter() - t
        engine_rates.append((result.thinking_tokens + result.answer_tokens + result.forced_tokens) / elapsed)
        t = time.perf_counter()
        out = bare.create_completion(prompt, **kwargs)
        elapsed = time.perf_counter() - t
        bare_rates.append(out["usage"]["completion_tokens"] / elapsed)
    bare.close()
    pair_ratios = [e / b for e, b in zip(engine_rates, bare_rates)]
    print(f"tokens/s (median of {ROUNDS})  engine with budget forcing {median(engine_rates):7.1f}   "
          f"bare create_completion {median(bare_rates):7.1f}   ratio {median(pair_ratios):.3f} "
          f"(median of paired runs; best-of ratio {max(engine_rates) / max(bare_rates):.3f}; target >= 0.95; "
          f"max cut in: {result.max_cut_in})")


def stop_latency(engine: ChatEngine) -> None:
    latencies = []
    for _ in range(15):
        stop, seen = threading.Event(), threading.Event()
        done: list[float] = []

        def on_event(event, seen=seen):
            if event.answer_tokens >= 20:
                seen.set()

        def work(stop=stop, done=done, on_event=on_event):
            engine.generate(QUESTION, budget=BudgetSettings.from_mode("off", think_open=""),
                            sampling=endless(engine, max_answer_tokens=100_000), on_event=on_event, cancel=stop.is_set)
            done.append(time.perf_counter())

        worker = threading.Thread(target=work)
        worker.start()
        seen.wait(60)
        t_stop = time.perf_counter()
        stop.set()
        worker.join()
        latencies.append(done[0] - t_stop)
    print(f"stop -> idle  median {median(latencies) * 1000:6.2f} ms   p95 {percentile(latencies, 95) * 1000:6.2f} ms   "
          "(target < 100 ms)")


def stop_during_prompt(engine: ChatEngine) -> None:
    """Stop while a ~2,000-token prompt is evaluated: the wait is at most one aborted graph node, not a batch."""
    budget, sampling = BudgetSettings.from_mode("off", think_open=""), Sampling(max_answer_tokens=1, seed=1)

    def prompt(i: int) -> list[ChatTurn]:  # a new prompt each time, so nothing of it is in the KV cache
        return [ChatTurn("user", f"Case {i}. " + " ".join(f"lesion {j} measures {j % 7 + 1} mm;" for j in range(76)))]

    full = engine.generate(prompt(-1), budget=budget, sampling=sampling)
    n_batch = engine.settings.n_batch
    evals = []
    for i in (-2, -3):
        t = time.perf_counter()
        engine.generate(prompt(i), budget=budget, sampling=sampling)
        evals.append(time.perf_counter() - t)
    prompt_s = median(evals)
    batch_s = prompt_s * min(1.0, n_batch / full.prompt_tokens)  # one n_batch decode: the old worst-case wait
    latencies, stopped = [], []
    for i in range(9):
        stop, done = threading.Event(), []

        def work(i=i, stop=stop, done=done):
            done.append(engine.generate(prompt(i), budget=budget, sampling=sampling, cancel=stop.is_set))
            done.append(time.perf_counter())

        worker = threading.Thread(target=work)
        worker.start()
        time.sleep(prompt_s * (0.05 + 0.06 * i))  # stop somewhere inside the prompt
        t_stop = time.perf_counter()
        stop.set()
        worker.join()
        if done[0].stopped:  # a run that finished before the stop measures nothing
            latencies.append(done[1] - t_stop)
        stopped.append(done[0].stopped)
    print(f"stop during a {full.prompt_tokens:,}-token prompt -> idle  median {median(latencies) * 1000:6.2f} ms   "
          f"p95 {percentile(latencies, 95) * 1000:6.2f} ms   one {n_batch}-token batch {batch_s * 1000:6.1f} ms   "
          f"ratio {median(latencies) / batch_s:.3f} (stopped {sum(stopped)} of {len(stopped)}; target < 100 ms)")


def follow_up_text(engine: ChatEngine) -> None:
    context = " ".join(f"Finding {i}: hypoechoic lesion, {i % 9 + 1} mm, posterior enhancement." for i in range(35))
    first_turn = [ChatTurn("user", context + "\nSummarise.")]
    budget = BudgetSettings.from_mode("max", max_thinking_tokens=16)
    sampling = endless(engine, max_answer_tokens=16)
    ratios = []
    firsts, seconds = [], []
    for i in range(3):
        # a different first question each round, so the first call really evaluates the whole prompt
        turns = [ChatTurn("user", f"Case {i}. " + first_turn[0].content)]
        first = engine.generate(turns, budget=budget, sampling=sampling)
        follow = turns + [ChatTurn("assistant", first.answer), ChatTurn("user", "Which finding is largest?")]
        second = engine.generate(follow, budget=budget, sampling=sampling)
        firsts.append(first.time_to_first_token_s)
        seconds.append(second.time_to_first_token_s)
        ratios.append(second.time_to_first_token_s / first.time_to_first_token_s)
    print(f"follow-up TTFT (text, {first.prompt_tokens} prompt tokens): first {median(firsts) * 1000:7.1f} ms  "
          f"follow-up {median(seconds) * 1000:7.1f} ms (evaluated {second.prompt_tokens_evaluated} of "
          f"{second.prompt_tokens})   ratio {median(ratios):.3f} (target <= 0.2)")


def noise_image(path: Path, seed: int) -> Path:
    Image.fromarray((np.random.default_rng(seed).random((600, 800, 3)) * 255).astype("uint8")).save(path)
    return path


def follow_up_image(engine: ChatEngine, images: list[Path]) -> None:
    budget = BudgetSettings.from_mode("max", max_thinking_tokens=16)
    sampling = endless(engine, max_answer_tokens=16)
    ratios, firsts, seconds = [], [], []
    for image in images:  # a new image each round: the first question pays for encoding it
        turns = [ChatTurn("user", "What organ is this?", image=image)]
        first = engine.generate(turns, budget=budget, sampling=sampling)
        follow = turns + [ChatTurn("assistant", first.answer), ChatTurn("user", "Is there a lesion?")]
        second = engine.generate(follow, budget=budget, sampling=sampling)
        firsts.append(first.time_to_first_token_s)
        seconds.append(second.time_to_first_token_s)
        ratios.append(second.time_to_first_token_s / first.time_to_first_token_s)
    print(f"follow-up TTFT (image, {first.prompt_tokens} prompt tokens, vision encoder runs {first.images_encoded} then "
          f"{second.images_encoded}; follow-up evaluated {second.prompt_tokens_evaluated}): first "
          f"{median(firsts) * 1000:7.1f} ms  follow-up {median(seconds) * 1000:7.1f} ms   "
          f"ratio {median(ratios):.3f} (target <= 0.2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--mmproj", type=Path)
    parser.add_argument("--image", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model, mmproj = args.model, args.mmproj
        if model is None:
            model = write_tiny_qwen2_gguf(folder / "bench-vl.gguf", n_embd=512, n_layer=6, n_head=8, n_head_kv=2,
                                          n_ff=1536, seed=1, arch="qwen2vl")
            mmproj = write_tiny_qwen25vl_mmproj(folder / "bench-mmproj.gguf", projection_dim=512, n_embd=128,
                                                n_ff=256, n_layer=4)
        images = [args.image] if args.image else [noise_image(folder / f"frame{i}.png", i) for i in range(3)]
        settings = ModelSettings(model, mmproj_path=mmproj, n_ctx=4096, n_threads=args.threads, seed=1)
        with ChatEngine(settings) as engine:
            print(f"model {model.name}: {model.stat().st_size / 1e6:.0f} MB, {args.threads} threads")
            throughput(engine, model, args.threads)
            stop_latency(engine)
            stop_during_prompt(engine)
            follow_up_text(engine)
            if engine.has_vision:
                follow_up_image(engine, images)


if __name__ == "__main__":
    main()
