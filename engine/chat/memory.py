"""Checked before loading, so the user gets a clear error: a context size the model can use, and a rough
estimate of the RAM it needs."""

from __future__ import annotations

from dataclasses import dataclass

import psutil

from engine.chat.errors import ContextSizeError, NotEnoughMemoryError
from engine.chat.modelfile import GgufInfo
from engine.i18n import tr

KV_BYTES_PER_VALUE = 2          # llama.cpp keeps the KV cache in f16 by default
COMPUTE_OVERHEAD = 256 << 20    # scratch buffers, logits, the Python process itself
GIB = 1 << 30
MIN_CTX, MAX_CTX = 64, 1 << 20  # context sizes (tokens) any model may be asked for
CTX_TRAIN_FACTOR = 4            # ... and at most this many times the model's trained context


@dataclass(frozen=True)
class MemoryEstimate:
    weights_bytes: int     # the part of the model (and mmproj) files that sits in RAM
    kv_cache_bytes: int
    overhead_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.overhead_bytes


def context_limit(info: GgufInfo) -> int:
    """The largest context `info`'s model may be loaded with (its header's trained context, times CTX_TRAIN_FACTOR)."""
    trained = info.arch_value("context_length")
    return min(trained * CTX_TRAIN_FACTOR, MAX_CTX) if trained > 0 else MAX_CTX


def check_context(info: GgufInfo, n_ctx: int) -> None:
    """Raise ContextSizeError, saying what to use, unless MIN_CTX <= n_ctx <= context_limit(info)."""
    top = context_limit(info)
    if not MIN_CTX <= n_ctx <= top:
        trained = info.arch_value("context_length")
        if trained > 0:
            sentence = tr("{name} cannot use a context of {n_ctx} tokens (it was trained with {trained}); choose from "
                          "{min} to {max} tokens, e.g. {example}.")
        else:
            sentence = tr("{name} cannot use a context of {n_ctx} tokens; choose from {min} to {max} tokens, e.g. "
                          "{example}.")
        raise ContextSizeError(sentence.format(name=info.path.name, n_ctx=n_ctx, trained=trained, min=MIN_CTX, max=top,
                                               example=min(top, 8192)))


def kv_cache_bytes(info: GgufInfo, n_ctx: int) -> int:
    """K and V for every layer and every context position."""
    n_layer = info.arch_value("block_count")
    n_embd = info.arch_value("embedding_length")
    n_head = info.arch_value("attention.head_count", 1) or 1
    n_head_kv = info.arch_value("attention.head_count_kv", n_head) or n_head
    head_dim = info.arch_value("attention.key_length", n_embd // n_head) or n_embd // n_head
    return 2 * n_layer * n_ctx * n_head_kv * head_dim * KV_BYTES_PER_VALUE


def estimate_memory(model: GgufInfo, mmproj: GgufInfo | None, *, n_ctx: int, n_gpu_layers: int = 0) -> MemoryEstimate:
    n_layer = max(1, model.arch_value("block_count", 1))
    on_gpu = n_layer if n_gpu_layers < 0 else min(n_gpu_layers, n_layer)
    cpu_share = 1.0 - on_gpu / n_layer
    weights = int(model.size_bytes * cpu_share) + (mmproj.size_bytes if mmproj else 0)
    kv = int(kv_cache_bytes(model, n_ctx) * cpu_share)
    return MemoryEstimate(weights, kv, COMPUTE_OVERHEAD)


def check_memory(estimate: MemoryEstimate, *, available_bytes: int | None = None) -> None:
    """Raise NotEnoughMemoryError when the estimate does not fit in the memory available now."""
    available = psutil.virtual_memory().available if available_bytes is None else available_bytes
    if estimate.total_bytes > available:
        raise NotEnoughMemoryError(
            tr("The model needs about {needed} GiB of memory but only {free} GiB is free; close other programs, pick "
               "a smaller quantization or lower the context size.").format(needed=f"{estimate.total_bytes / GIB:.1f}",
                                                                          free=f"{available / GIB:.1f}")
        )
