"""Scores from samples: accuracy (pass@1), unbiased pass@k, "any correct", unparseable.

pass@k for one question with n samples of which c are correct is the chance that k samples
drawn without replacement hold at least one correct: 1 - C(n-c, k) / C(n, k) (Chen et al.,
2021). Averaged over questions. Unparseable samples count as wrong and are reported apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from math import comb

from engine.eval.errors import EvalConfigError
from engine.i18n import tr


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimate from n samples with c correct (k <= n)."""
    if n < 1 or k < 1:
        raise EvalConfigError(tr("pass@k needs at least one sample and k of 1 or more."))
    if not 0 <= c <= n:
        raise EvalConfigError(tr("A question cannot have {c} correct samples out of {n}.").format(c=c, n=n))
    if k > n:
        raise EvalConfigError(tr("pass@{k} needs at least {k} samples per question, but only {n} were taken; "
                                 "raise --k.").format(k=k, n=n))
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


@dataclass(frozen=True)
class SampleResult:
    """One line of results.jsonl: one sample of one question."""

    id: str
    sample: int
    gold: str
    extracted: str | None
    text: str
    thinking: str = ""
    thinking_tokens: int = 0
    tokens: int = 0
    seconds: float = 0.0
    finish_reason: str = ""

    @property
    def correct(self) -> bool:
        return self.extracted is not None and self.extracted == self.gold

    @property
    def parseable(self) -> bool:
        return self.extracted is not None

    def to_dict(self) -> dict:
        return {**asdict(self), "correct": self.correct, "parseable": self.parseable}

    @classmethod
    def from_dict(cls, data: dict) -> SampleResult:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})


@dataclass(frozen=True)
class Scores:
    k: int
    questions: int  # questions with at least one sample
    complete_questions: int  # questions with k samples (pass@k is over these)
    samples: int
    accuracy: float  # mean over questions of the fraction of correct samples (pass@1)
    pass_at_k: float  # mean unbiased pass@k over complete questions
    any_correct: float  # fraction of questions with at least one correct sample
    unparseable: int  # samples with no answer letter found
    unparseable_rate: float
    mean_thinking_tokens: float
    mean_tokens: float
    seconds: float  # summed generation time

    def to_dict(self) -> dict:
        return asdict(self)


def score(results: Iterable[SampleResult], k: int) -> Scores:
    """Scores of the samples taken so far; pass@k over questions that have k samples."""
    if k < 1:
        raise EvalConfigError(tr("k must be 1 or more."))
    by_question: dict[str, list[SampleResult]] = {}
    for r in results:
        by_question.setdefault(r.id, []).append(r)
    samples = [r for rs in by_question.values() for r in rs]
    fractions, passes, any_correct = [], [], 0
    for rs in by_question.values():
        n, c = len(rs), sum(r.correct for r in rs)
        fractions.append(c / n)
        any_correct += c > 0
        if n >= k:
            passes.append(pass_at_k(n, c, k))
    unparseable = sum(not r.parseable for r in samples)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    return Scores(
        k=k,
        questions=len(by_question),
        complete_questions=len(passes),
        samples=len(samples),
        accuracy=mean(fractions),
        pass_at_k=mean(passes),
        any_correct=any_correct / len(by_question) if by_question else 0.0,
        unparseable=unparseable,
        unparseable_rate=unparseable / len(samples) if samples else 0.0,
        mean_thinking_tokens=mean([float(r.thinking_tokens) for r in samples]),
        mean_tokens=mean([float(r.tokens) for r in samples]),
        seconds=sum(r.seconds for r in samples),
    )
