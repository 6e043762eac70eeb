"""Budget forcing through a real llama.cpp model (a tiny random Qwen2 GGUF), made deterministic with logit bias.

`+100` on the `</think>` token makes the model close its thinking at every step; `-100` on it and on
the end-of-turn tokens makes it think forever. The counts below are exact, and llama.cpp's own
performance counters prove that a forced continuation never evaluates the prompt again.
"""

from __future__ import annotations

import pytest

from engine.chat import BudgetSettings, ChatEngine, ChatTurn, ModelSettings, Sampling
from tests.tiny_gguf import write_tiny_qwen2_gguf

QUESTION = [ChatTurn("user", "Is the kidney enlarged?")]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    path = write_tiny_qwen2_gguf(tmp_path_factory.mktemp("model") / "tiny.gguf")
    with ChatEngine(ModelSettings(path, n_ctx=2048, seed=7, n_threads=2)) as e:
        e.generate(QUESTION, sampling=Sampling(max_answer_tokens=2))  # llama.cpp's counters start real after this
        yield e


def closes_at_once(engine: ChatEngine, **kw) -> Sampling:
    return Sampling(logit_bias={engine.token_id("</think>"): 100.0}, seed=1, **kw)


def never_stops(engine: ChatEngine, **kw) -> Sampling:
    bias = {engine.token_id(t): -100.0 for t in ("</think>", "<|im_end|>", "<|endoftext|>")}
    return Sampling(logit_bias=bias, seed=1, **kw)


def test_minimum_inserts_the_wait_string_exactly_num_waits_times(engine):
    wait_len = len(engine.tokenize("Wait,"))
    events = []
    before = engine.llama_decoded_tokens()
    result = engine.generate(
        QUESTION, budget=BudgetSettings(min_thinking_tokens=96, num_waits=3),
        sampling=closes_at_once(engine, max_answer_tokens=4), on_event=events.append,
    )
    waits = [e for e in events if e.kind == "wait"]
    assert [e.waits for e in waits] == [1, 2, 3]
    assert [e.thinking_tokens for e in waits] == [wait_len, 2 * wait_len, 3 * wait_len]
    assert all(e.text == "Wait," for e in waits)
    assert result.waits_inserted == 3 and not result.max_cut_in
    assert result.thinking == "Wait,Wait,Wait," and result.thinking_tokens == 3 * wait_len
    # no re-evaluation: prompt once, each wait's tokens, the accepted tag, the answer tokens -- nothing else
    assert result.forced_tokens == 3 * wait_len
    assert result.tokens_decoded == result.prompt_tokens_evaluated + 3 * wait_len + 1 + result.answer_tokens
    assert engine.llama_decoded_tokens() - before == result.tokens_decoded


def test_minimum_already_reached_by_a_wait_stops_inserting(engine):
    wait_len = len(engine.tokenize("Wait,"))
    result = engine.generate(
        QUESTION, budget=BudgetSettings(min_thinking_tokens=wait_len, num_waits=5),
        sampling=closes_at_once(engine, max_answer_tokens=2),
    )
    assert result.waits_inserted == 1 and result.thinking_tokens == wait_len


def test_budget_off_lets_the_model_close_at_once(engine):
    result = engine.generate(QUESTION, budget=BudgetSettings.from_mode("off"), sampling=closes_at_once(engine, max_answer_tokens=2))
    assert result.waits_inserted == 0 and result.thinking_tokens == 0 and result.thinking == ""


@pytest.mark.parametrize("maximum", [1, 17, 64])
def test_maximum_cuts_in_at_exactly_m_thinking_tokens(engine, maximum):
    events = []
    before = engine.llama_decoded_tokens()
    budget = BudgetSettings.from_mode("max", max_thinking_tokens=maximum, answer_prefix="Answer:")
    result = engine.generate(QUESTION, budget=budget, sampling=never_stops(engine, max_answer_tokens=6), on_event=events.append)
    cuts = [e for e in events if e.kind == "cut"]
    assert len(cuts) == 1 and cuts[0].thinking_tokens == maximum
    assert cuts[0].text == "\n</think>\nAnswer:"
    assert result.max_cut_in and result.thinking_tokens == maximum
    assert result.answer_tokens == 6 and result.finish_reason == "length"
    assert all(e.thinking_tokens == maximum for e in events if e.kind == "answer")
    forced = len(engine.tokenize("\n</think>\nAnswer:"))
    assert result.forced_tokens == forced
    assert result.tokens_decoded == result.prompt_tokens_evaluated + maximum + forced + 6
    assert engine.llama_decoded_tokens() - before == result.tokens_decoded


def test_min_and_max_together(engine):
    wait_len = len(engine.tokenize("Wait,"))
    budget = BudgetSettings.from_mode("both", min_thinking_tokens=2 * wait_len, max_thinking_tokens=2 * wait_len, num_waits=4)
    result = engine.generate(QUESTION, budget=budget, sampling=closes_at_once(engine, max_answer_tokens=1))
    assert result.waits_inserted == 2 and result.max_cut_in and result.thinking_tokens == 2 * wait_len


def test_follow_up_turn_evaluates_only_the_new_suffix(engine):
    sampling = never_stops(engine, max_answer_tokens=5)
    budget = BudgetSettings.from_mode("max", max_thinking_tokens=8)
    first = engine.generate(QUESTION, budget=budget, sampling=sampling)
    turns = QUESTION + [ChatTurn("assistant", "Yes."), ChatTurn("user", "How long is it?")]
    before = engine.llama_decoded_tokens()
    second = engine.generate(turns, budget=budget, sampling=sampling)
    # everything up to the first answer's "<|im_start|>assistant\n" is still in the KV cache
    shared = len(engine.tokenize("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                                 "<|im_start|>user\nIs the kidney enlarged?<|im_end|>\n<|im_start|>assistant\n"))
    assert second.prompt_tokens_evaluated == second.prompt_tokens - shared
    assert second.prompt_tokens_evaluated < second.prompt_tokens / 2
    assert engine.llama_decoded_tokens() - before == second.tokens_decoded
    assert first.prompt_tokens_evaluated >= 1


def test_same_prompt_again_reevaluates_only_the_last_token(engine):
    sampling = never_stops(engine, max_answer_tokens=2)
    budget = BudgetSettings.from_mode("max", max_thinking_tokens=2)
    engine.generate(QUESTION, budget=budget, sampling=sampling)
    again = engine.generate(QUESTION, budget=budget, sampling=sampling)
    assert again.prompt_tokens_evaluated == 1



def test_closing_tag_spread_over_several_tokens_is_taken_back_whole(engine):
    # Qwen2.5's "</think>" is several tokens ("</", "think", ">"); here the tag "WaitWait" is two "Wait"
    # tokens, and +100 on "Wait" makes the model write it at every step.
    word = engine.token_id("Wait")
    budget = BudgetSettings(min_thinking_tokens=50, num_waits=2, wait="ok", think_close="WaitWait",
                            end_of_thinking="\nWaitWait\n")
    ok_len = len(engine.tokenize("ok"))
    events = []
    before = engine.llama_decoded_tokens()
    result = engine.generate(QUESTION, budget=budget, sampling=Sampling(temperature=0, logit_bias={word: 100.0},
                                                                       max_answer_tokens=3), on_event=events.append)
    assert result.waits_inserted == 2 and result.thinking == "okok"
    assert result.thinking_tokens == 2 * ok_len
    assert [e.thinking_tokens for e in events if e.kind == "wait"] == [ok_len, 2 * ok_len]
    assert "".join(e.text for e in events if e.kind in ("thinking", "wait")) == "okok"  # the half tag never showed
    # each early tag: its first token was decoded and taken back, the second never decoded
    assert result.tokens_decoded == result.prompt_tokens_evaluated + 2 * (1 + ok_len) + 2 + 3
    assert engine.llama_decoded_tokens() - before == result.tokens_decoded
    assert engine.cached_tokens == result.prompt_tokens + 2 * ok_len + 2 + 3


def test_a_maximum_that_lands_inside_the_injected_wait_is_never_passed(engine):
    # The tag "itW" starts inside the first "Wait" token, so the wait is injected as "Wa" + "ok": 3 tokens
    # ("Wa", "o", "k"), while "ok" alone is 2. With a maximum of 2 the wait must not be inserted.
    word = engine.token_id("Wait")
    assert len(engine.tokenize("ok")) == 2 and len(engine._tokenize_forced(b"Waok")) == 3
    budget = BudgetSettings.from_mode("both", min_thinking_tokens=2, max_thinking_tokens=2, num_waits=2, wait="ok",
                                      think_close="itW", end_of_thinking="\nitW\n")
    result = engine.generate(QUESTION, budget=budget,
                             sampling=Sampling(temperature=0, logit_bias={word: 100.0}, max_answer_tokens=2))
    assert result.waits_inserted == 0 and result.thinking_tokens == 0 <= 2
    assert result.forced_tokens == 0


END_TOKENS = {"closing tag": "</think>", "end of turn": "<|im_end|>", "end of text": "<|endoftext|>"}


def ends_with(engine: ChatEngine, token: str, strength: float = 100.0, **kw) -> Sampling:
    """Greedy; `strength` on the one way of ending, -100 on the other two."""
    bias = {engine.token_id(t): -100.0 for t in END_TOKENS.values() if t != token}
    bias[engine.token_id(token)] = strength
    return Sampling(logit_bias=bias, temperature=0, **kw)


@pytest.mark.parametrize("how", list(END_TOKENS))
def test_minimum_is_enforced_however_the_thinking_ends(engine, how):
    # +100 on one way of ending: the model ends its thinking at every step, as early as it can
    wait_len = len(engine.tokenize("Wait,"))
    close_len = len(engine.tokenize("\n</think>\n"))
    events = []
    before = engine.llama_decoded_tokens()
    result = engine.generate(QUESTION, budget=BudgetSettings(min_thinking_tokens=3 * wait_len, num_waits=5),
                             sampling=ends_with(engine, END_TOKENS[how], max_answer_tokens=4), on_event=events.append)
    waits = [e for e in events if e.kind == "wait"]
    assert [e.thinking_tokens for e in waits] == [wait_len, 2 * wait_len, 3 * wait_len]
    assert result.waits_inserted == 3 and result.thinking == "Wait,Wait,Wait,"
    assert result.thinking_tokens == 3 * wait_len and result.thinking_closed and not result.max_cut_in
    assert not [e for e in events if e.kind == "cut"]
    if how == "closing tag":  # the model's own tag stands once the minimum is reached
        assert result.forced_tokens == 3 * wait_len
        assert result.answer_tokens == 4 and result.finish_reason == "length"
        assert result.tokens_decoded == result.prompt_tokens_evaluated + 3 * wait_len + 1 + 4
    else:  # the turn's end counts as closing: the controller closes the thinking and the model answers
        assert result.forced_tokens == 3 * wait_len + close_len
        assert result.answer_tokens == 0 and result.finish_reason == "stop"  # it ends its turn again at once
        assert result.tokens_decoded == result.prompt_tokens_evaluated + 3 * wait_len + close_len
    assert engine.llama_decoded_tokens() - before == result.tokens_decoded


@pytest.mark.parametrize("how, strength", [("end of turn", 6.0), ("end of text", 4.0)])
def test_thinking_that_ends_its_turn_past_the_minimum_stays_thinking(engine, how, strength):
    # greedy with a moderate bias on the end token: the tiny model writes some 15 tokens, then ends its turn
    # inside the thinking without a closing tag (what made `--min-think 40` give 0 thinking tokens for some seeds)
    sampling = ends_with(engine, END_TOKENS[how], strength=strength, max_answer_tokens=3)
    natural = engine.generate(QUESTION, budget=BudgetSettings.from_mode("off"), sampling=sampling)
    n = natural.answer_tokens  # without a minimum, what it wrote is its answer
    assert natural.thinking_tokens == 0 and not natural.thinking_closed and n > 3
    close_len = len(engine.tokenize("\n</think>\n"))
    result = engine.generate(QUESTION, budget=BudgetSettings(min_thinking_tokens=n - 2, num_waits=2),
                             sampling=sampling)
    assert result.waits_inserted == 0 and result.thinking_tokens == n >= n - 2
    assert result.thinking and result.thinking_closed and result.forced_tokens == close_len
    assert result.tokens_decoded == result.prompt_tokens_evaluated + n + close_len + result.answer_tokens
    # above what it writes on its own, the waits take it there (the same ending after each wait)
    wait_len = len(engine.tokenize("Wait,"))
    longer = engine.generate(QUESTION, budget=BudgetSettings(min_thinking_tokens=n + 1, num_waits=3),
                             sampling=sampling)
    assert longer.waits_inserted >= 1 and longer.thinking_closed
    assert longer.thinking_tokens >= n + 1 or longer.waits_inserted == 3
    assert longer.thinking_tokens >= n + wait_len


def test_minimum_and_maximum_hold_for_every_seed(engine):
    # `remud chat --min-think 40 --max-think 60 --num-waits 20` with free sampling: 0 thinking tokens and no
    # wait for some seeds before; now every answer thinks at least 40 and at most 60 tokens
    budget = BudgetSettings.from_mode("both", min_thinking_tokens=40, max_thinking_tokens=60, num_waits=20)
    for seed in range(10):
        result = engine.generate(QUESTION, budget=budget, sampling=Sampling(seed=seed, max_answer_tokens=4))
        assert 40 <= result.thinking_tokens <= 60, seed
        assert result.thinking_closed, seed
