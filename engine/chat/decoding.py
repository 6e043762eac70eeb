"""Token-level helpers around llama.cpp: the sampler chain and turning token bytes into text safely."""

from __future__ import annotations

import codecs
from typing import Any

from engine.chat.budget import Sampling

RANDOM_SEED = 0xFFFFFFFF  # llama.cpp's LLAMA_DEFAULT_SEED: pick a fresh random seed


class PieceDecoder:
    """Token bytes -> text; a UTF-8 character split over tokens comes out with the token that completes it."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def decode(self, piece: bytes) -> str:
        return self._decoder.decode(piece)

    def reset(self) -> None:
        self._decoder.reset()


def build_sampler(llama: Any, sampling: Sampling, seed: int) -> Any:
    """llama.cpp sampler chain: logit bias -> top-k -> top-p -> temperature -> draw (greedy at temperature 0)."""
    from llama_cpp import _internals

    sampler = _internals.LlamaSampler()
    if sampling.logit_bias:
        sampler.add_logit_bias(llama.n_vocab(), {int(k): float(v) for k, v in sampling.logit_bias.items()})
    if sampling.temperature <= 0:
        sampler.add_greedy()
        return sampler
    sampler.add_top_k(sampling.top_k)
    sampler.add_top_p(sampling.top_p, 1)
    sampler.add_temp(sampling.temperature)
    sampler.add_dist(seed)
    return sampler
