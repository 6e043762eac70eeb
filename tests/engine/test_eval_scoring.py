"""Scoring math: the unbiased pass@k estimator against brute-force enumeration, and summaries."""

from __future__ import annotations

from itertools import combinations

import pytest

from engine.eval.errors import EvalConfigError
from engine.eval.scoring import SampleResult, pass_at_k, score


def brute_force_pass_at_k(n: int, c: int, k: int) -> float:
    """The share of all k-subsets of n samples (c correct) that hold a correct one."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    return sum(any(samples[i] for i in subset) for subset in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 8))
def test_pass_at_k_matches_enumeration(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_force_pass_at_k(n, c, k), abs=1e-12), (n, c, k)


def test_pass_at_1_is_the_fraction_correct():
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 0, 4) == 0.0
    assert pass_at_k(4, 1, 4) == 1.0


@pytest.mark.parametrize("n, c, k", [(2, 1, 3), (4, 0, 5), (0, 0, 1), (3, 1, 0), (3, 4, 1)])
def test_impossible_inputs_are_refused(n, c, k):
    with pytest.raises(EvalConfigError):
        pass_at_k(n, c, k)


def _r(qid: str, sample: int, gold: str, extracted: str | None, thinking_tokens: int = 0) -> SampleResult:
    return SampleResult(id=qid, sample=sample, gold=gold, extracted=extracted, text="", thinking_tokens=thinking_tokens,
                        tokens=thinking_tokens + 5, seconds=0.5)


def test_summary_of_k_samples_with_unparseable():
    results = [
        # q1: 2 of 4 correct, one unparseable
        _r("q1", 0, "B", "B", 100), _r("q1", 1, "B", "A", 100), _r("q1", 2, "B", None, 100), _r("q1", 3, "B", "B", 100),
        # q2: none correct, all parsed
        _r("q2", 0, "C", "A"), _r("q2", 1, "C", "A"), _r("q2", 2, "C", "D"), _r("q2", 3, "C", "B"),
        # q3: all correct
        *[_r("q3", i, "A", "A", 50) for i in range(4)],
    ]
    s = score(results, k=4)
    assert s.questions == 3 and s.complete_questions == 3 and s.samples == 12
    assert s.accuracy == pytest.approx((2 / 4 + 0 + 1) / 3)
    assert s.pass_at_k == pytest.approx((1.0 + 0.0 + 1.0) / 3)
    assert s.any_correct == pytest.approx(2 / 3)
    assert s.unparseable == 1
    assert s.unparseable_rate == pytest.approx(1 / 12)
    assert s.mean_thinking_tokens == pytest.approx((400 + 0 + 200) / 12)
    assert s.seconds == pytest.approx(6.0)


def test_unparseable_is_never_counted_as_a_letter():
    # an unparseable sample on a question whose gold is missing must not count as correct
    r = _r("q", 0, "A", None)
    assert not r.correct and not r.parseable
    assert score([r], k=1).accuracy == 0.0


def test_pass_at_k_only_over_questions_with_k_samples():
    results = [_r("q1", 0, "A", "A"), _r("q1", 1, "A", "B"), _r("q2", 0, "A", "A")]
    s = score(results, k=2)
    assert s.complete_questions == 1
    assert s.pass_at_k == pytest.approx(1.0)
    assert s.accuracy == pytest.approx((0.5 + 1.0) / 2)


def test_result_lines_round_trip():
    r = _r("q1", 2, "B", None)
    data = r.to_dict()
    assert data["correct"] is False and data["parseable"] is False
    assert SampleResult.from_dict(data) == r
