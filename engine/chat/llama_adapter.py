"""The one module that reaches below llama-cpp-python's public `Llama` API.

The chat engine drives llama.cpp token by token (decode one batch, sample one token, take tokens
back out of the KV cache, decode image embeddings it cached itself), which the public `Llama`
methods do not offer. Everything it needs for that is here, behind small named methods:

* `LlamaModel`: a loaded model and its context: tokenize, decode a batch at the end of the KV cache,
  forget the cache from a position on, sample, end-of-generation test, performance counters, and
  llama.cpp's abort callback around long decodes;
* `TokenSampler`: llama.cpp's sampler chain (logit bias -> top-k -> top-p -> temperature -> draw);
* `VisionContext`: llama.cpp's mtmd (the vision projector): turn an image into chunks, report the
  grid of embeddings mtmd made of it, run the vision encoder, decode the embeddings into the model's
  KV cache.

No other module imports `llama_cpp` or touches a private member of its objects.

Checked against llama-cpp-python 0.3.36 (the version pyproject.toml pins for the `chat` extra).
What to re-check when upgrading it (run tests/engine/test_chat_*.py, test_eval_gguf.py and
test_detect_qwen_vl_local.py, which exercise every line here on a tiny model, and a real Qwen2.5-VL
GGUF with its mmproj by hand):

* private members of `llama_cpp.Llama`: `_ctx.kv_cache_seq_rm(seq_id, p0, p1)`,
  `_batch.set_batch(batch=, n_past=, logits_all=)` and `_batch.batch`, `_model.vocab`;
* its public bookkeeping, which `LlamaModel.decode` keeps the way `Llama.eval` does: `n_tokens`
  (tokens in the KV cache) and `input_ids` (whose length is the context size asked for);
* `llama_cpp._internals.LlamaSampler`: `add_logit_bias(n_vocab, {token: bias})`, `add_greedy()`,
  `add_top_k`, `add_top_p(p, min_keep)`, `add_temp`, `add_dist(seed)`, `sample(ctx, idx)`;
* low-level functions: `llama_decode` (and its return code 2 when the abort callback stopped it),
  `llama_vocab_is_eog`, `llama_synchronize`, `llama_perf_context` (fields `n_p_eval`, `n_eval`),
  `llama_set_abort_callback`, `ggml_abort_callback`, `llama_model_n_embd_inp`, `llama_pos`;
* `llama_cpp.mtmd_cpp` (its signatures follow llama.cpp's tools/mtmd headers, which change often):
  context params (`use_gpu`, `print_timings`, `n_threads`, `warmup`), `mtmd_init_from_file`,
  `mtmd_support_vision`, bitmaps, `mtmd_tokenize`, the input-chunk accessors, `mtmd_encode_chunk`,
  `mtmd_input_chunk_get_tokens_image`, `mtmd_image_tokens_get_n_tokens` and
  `mtmd_image_tokens_get_decoder_pos` (its `x`, `y`: the image grid the qwen-vl-local detector maps boxes through),
  `mtmd_get_output_embd`, `mtmd_helper_decode_image_chunk` and `mtmd_helper_post_decode_callback`;
* `llama_cpp._logger.llama_log_callback`, passed to `mtmd_helper_log_set` so mtmd and clip stay
  quiet unless llama-cpp-python is verbose.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # llama-cpp-python is the optional chat extra: imported where it is used
    import llama_cpp
    from llama_cpp import _internals

from engine.chat.budget import Sampling

CHECKED_AGAINST = "0.3.36"  # the llama-cpp-python version this module was last checked against
RANDOM_SEED = 0xFFFFFFFF  # llama.cpp's LLAMA_DEFAULT_SEED: pick a fresh random seed
ABORTED = 2  # llama_decode's (and mtmd's image decode's) return code when the abort callback stopped it

Cancel = Callable[[], bool]


class LlamaModel:
    """A loaded GGUF model and its llama.cpp context, with the calls the chat engine makes on them."""

    def __init__(self, llama: llama_cpp.Llama) -> None:
        self._llama = llama
        self._abort = _AbortCallback(llama.ctx)

    @classmethod
    def load(cls, path: Path, *, n_ctx: int, n_batch: int, n_gpu_layers: int, n_threads: int | None,
             seed: int) -> LlamaModel:
        """Load a model; ImportError without llama-cpp-python, ValueError or RuntimeError when llama.cpp refuses it."""
        import llama_cpp  # optional: the chat extra (llama-cpp-python)

        return cls(llama_cpp.Llama(str(path), n_ctx=n_ctx, n_batch=n_batch, n_gpu_layers=n_gpu_layers,
                                   n_threads=n_threads, seed=seed, verbose=False))

    def close(self) -> None:
        self._llama.close()

    # -- sizes and the KV cache ----------------------------------------------------------------------

    @property
    def n_ctx(self) -> int:
        """Usable context: llama.cpp may round its context up; the token buffer keeps the size asked for."""
        return min(self._llama.n_ctx(), len(self._llama.input_ids))

    @property
    def n_batch(self) -> int:
        return self._llama.n_batch

    @property
    def n_threads(self) -> int:
        return self._llama.n_threads

    @property
    def n_past(self) -> int:
        """KV cache positions in use (the position the next decode starts at)."""
        return self._llama.n_tokens

    def forget_from(self, pos: int) -> None:
        """Remove every KV cache entry at position `pos` and after."""
        self._llama._ctx.kv_cache_seq_rm(-1, pos, -1)
        self._llama.n_tokens = pos

    def decode(self, tokens: Sequence[int], cancel: Cancel | None = None) -> int:
        """Decode at most n_batch tokens after the KV cache; llama_decode's return code (0: done, ABORTED:
        `cancel` said stop during it; otherwise out of context or memory). On failure part of the batch
        may be in the cache: forget it with `forget_from(n_past)`."""
        import llama_cpp  # optional: the chat extra (llama-cpp-python)

        llama = self._llama
        batch = list(tokens)
        n_past = llama.n_tokens
        llama._batch.set_batch(batch=batch, n_past=n_past, logits_all=False)
        with self.aborting_on(cancel):
            rc: int = llama_cpp.llama_decode(llama.ctx, llama._batch.batch)
        if rc == 0:
            llama.input_ids[n_past:n_past + len(batch)] = batch
            llama.n_tokens += len(batch)
        return rc

    @contextmanager
    def aborting_on(self, cancel: Cancel | None) -> Iterator[None]:
        """llama.cpp asks `cancel` between the graph nodes of the decodes inside (None: nothing asked)."""
        with self._abort.asking(cancel):
            yield

    # -- tokens --------------------------------------------------------------------------------------

    def tokenize(self, data: bytes, *, special: bool) -> list[int]:
        """Tokens of `data` (no BOS); `special`: special tokens such as <|im_end|> are recognised."""
        return self._llama.tokenize(data, add_bos=False, special=special)

    def detokenize(self, token: int) -> bytes:
        return self._llama.detokenize([token])

    def is_end_of_generation(self, token: int) -> bool:
        import llama_cpp  # optional: the chat extra (llama-cpp-python)

        return bool(llama_cpp.llama_vocab_is_eog(self._llama._model.vocab, token))

    def sampler(self, sampling: Sampling, seed: int) -> TokenSampler:
        """The sampler chain for `sampling`: logit bias -> top-k -> top-p -> temperature -> draw
        (greedy at temperature 0)."""
        from llama_cpp import _internals  # optional: the chat extra (llama-cpp-python)

        # llama-cpp-python leaves LlamaSampler.__init__ and add_greedy unannotated
        chain = _internals.LlamaSampler()  # type: ignore[no-untyped-call]
        if sampling.logit_bias:
            chain.add_logit_bias(self._llama.n_vocab(), {int(k): float(v) for k, v in sampling.logit_bias.items()})
        if sampling.temperature <= 0:
            chain.add_greedy()  # type: ignore[no-untyped-call]  # unannotated there, as above
        else:
            chain.add_top_k(sampling.top_k)
            chain.add_top_p(sampling.top_p, 1)
            chain.add_temp(sampling.temperature)
            chain.add_dist(seed)
        return TokenSampler(chain, self._llama._ctx)

    def decoded_tokens(self) -> int:
        """Tokens llama.cpp reports having decoded since loading (its performance counters).

        llama.cpp reports each of its two counters as at least 1, so the count is exact once the model
        has decoded both a batch and a single token.
        """
        import llama_cpp  # optional: the chat extra (llama-cpp-python)

        llama_cpp.llama_synchronize(self._llama.ctx)
        perf = llama_cpp.llama_perf_context(self._llama.ctx)
        return int(perf.n_p_eval + perf.n_eval)


class TokenSampler:
    """A llama.cpp sampler chain bound to a model's context."""

    def __init__(self, chain: _internals.LlamaSampler, ctx: _internals.LlamaContext) -> None:
        self._chain, self._ctx = chain, ctx

    def sample(self) -> int:
        """A token drawn from the logits of the last decoded position."""
        return self._chain.sample(self._ctx, -1)


class _AbortCallback:
    """llama.cpp's abort callback, asking a `cancel` callable between the graph nodes of a decode.

    It is installed only around the long decodes (prompt batches, images): the single-token decodes
    of generation stay free of Python calls, and `cancel` is asked between them anyway.
    """

    def __init__(self, ctx: Any) -> None:
        import llama_cpp  # optional: the chat extra (llama-cpp-python)

        self._ctx = ctx
        self._set = llama_cpp.llama_set_abort_callback
        self._callback = llama_cpp.ggml_abort_callback(self._check)  # kept alive as long as the context
        self._none = llama_cpp.ggml_abort_callback()                  # NULL: no callback
        self._cancel: Cancel | None = None

    def _check(self, _data: Any) -> bool:
        return self._cancel is not None and bool(self._cancel())

    @contextmanager
    def asking(self, cancel: Cancel | None) -> Iterator[None]:
        if cancel is None:
            yield
            return
        self._cancel = cancel
        self._set(self._ctx, self._callback, None)
        try:
            yield
        finally:
            self._set(self._ctx, self._none, None)
            self._cancel = None


# -- vision (mtmd) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageSpan:
    """The image in a tokenized image: `n_tokens` embeddings occupying `n_pos` positions (M-RoPE packs them)."""

    n_tokens: int
    n_pos: int


@dataclass
class ImageChunks:
    """One image tokenized by mtmd: `pieces` are its text tokens and its ImageSpan, in order.
    Holds mtmd memory until VisionContext.free."""

    pieces: list[int | ImageSpan]
    _chunks: Any = field(repr=False)        # owning mtmd_input_chunks pointer
    _image_chunk: Any = field(repr=False)   # borrowed pointer to the image chunk inside `_chunks`


class ImageTokenizeError(Exception):
    """mtmd could not tokenize an image; `bitmap`: it could not even make the bitmap."""

    def __init__(self, *, bitmap: bool) -> None:
        super().__init__("bitmap" if bitmap else "tokenize")
        self.bitmap = bitmap


class VisionContext:
    """An mtmd context: a vision projector (mmproj) loaded for one model."""

    def __init__(self, ctx: Any, model: LlamaModel) -> None:
        from llama_cpp import mtmd_cpp  # optional: the chat extra (llama-cpp-python)

        self._mtmd = mtmd_cpp
        self._ctx = ctx
        self._model = model
        self._n_embd = _n_embd_inp(model)

    @classmethod
    def open(cls, mmproj_path: Path, model: LlamaModel, *, n_threads: int, use_gpu: bool) -> VisionContext | None:
        """The projector loaded for `model`; None when mtmd refuses it (damaged, or made for another model)."""
        from llama_cpp import _logger, mtmd_cpp  # optional: the chat extra (llama-cpp-python)

        # mtmd and clip log through llama-cpp-python's own callback, which is quiet unless verbose
        mtmd_cpp.mtmd_helper_log_set(_logger.llama_log_callback, ctypes.c_void_p(0))
        params = mtmd_cpp.mtmd_context_params_default()
        params.use_gpu = use_gpu
        params.print_timings = False
        params.n_threads = n_threads
        params.warmup = False
        ctx = mtmd_cpp.mtmd_init_from_file(str(mmproj_path).encode(), model._llama.model, params)
        return cls(ctx, model) if ctx else None

    @property
    def supports_vision(self) -> bool:
        return bool(self._mtmd.mtmd_support_vision(self._ctx))

    def tokenize(self, width: int, height: int, rgb: bytes) -> ImageChunks:
        """The chunks of an RGB image (the model's image markers around it); ImageTokenizeError on failure."""
        mtmd = self._mtmd
        buffer = (ctypes.c_uint8 * len(rgb)).from_buffer_copy(rgb)
        bitmap = mtmd.mtmd_bitmap_init(width, height, buffer)
        if not bitmap:
            raise ImageTokenizeError(bitmap=True)
        chunks = mtmd.mtmd_input_chunks_init()
        try:
            text = mtmd.mtmd_input_text()
            marker = mtmd.mtmd_default_marker()
            text.text = marker
            text.text_len = len(marker)
            text.add_special = False
            text.parse_special = True
            bitmaps = (mtmd.mtmd_bitmap_p_ctypes * 1)(bitmap)
            if mtmd.mtmd_tokenize(self._ctx, chunks, ctypes.byref(text), bitmaps, 1) != 0:
                raise ImageTokenizeError(bitmap=False)
        except BaseException:
            mtmd.mtmd_input_chunks_free(chunks)
            raise
        finally:
            mtmd.mtmd_bitmap_free(bitmap)
        pieces: list[int | ImageSpan] = []
        image_chunk = None
        for i in range(mtmd.mtmd_input_chunks_size(chunks)):
            chunk = mtmd.mtmd_input_chunks_get(chunks, i)
            if mtmd.mtmd_input_chunk_get_type(chunk) == mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT:
                n = ctypes.c_size_t()
                tokens = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(n))
                pieces.extend(int(tokens[j]) for j in range(n.value))
            else:
                image_chunk = chunk
                pieces.append(ImageSpan(mtmd.mtmd_input_chunk_get_n_tokens(chunk), mtmd.mtmd_input_chunk_get_n_pos(chunk)))
        return ImageChunks(pieces, chunks, image_chunk)

    def image_grid(self, image: ImageChunks) -> tuple[int, int] | None:
        """(columns, rows) of the image's embeddings as mtmd laid them out: the 2-D decoder position it
        gives each embedding (one per merged patch of the image mtmd preprocessed, after its own resize).
        None when the positions do not form a full grid (a projector without a 2-D layout)."""
        mtmd = self._mtmd
        tokens = mtmd.mtmd_input_chunk_get_tokens_image(image._image_chunk)
        if not tokens:
            return None
        n = int(mtmd.mtmd_image_tokens_get_n_tokens(tokens))
        cells = {(int(p.x), int(p.y)) for p in (mtmd.mtmd_image_tokens_get_decoder_pos(tokens, 0, i) for i in range(n))}
        if not cells:
            return None
        columns = max(x for x, _ in cells) + 1
        rows = max(y for _, y in cells) + 1
        return (columns, rows) if columns * rows == n == len(cells) else None

    def encode(self, image: ImageChunks) -> np.ndarray | None:
        """Run the vision encoder on the image: its embeddings (a copy, flat), None if the encoder failed."""
        if self._mtmd.mtmd_encode_chunk(self._ctx, image._image_chunk) != 0:
            return None
        n_tokens = self._mtmd.mtmd_input_chunk_get_n_tokens(image._image_chunk)
        out = self._mtmd.mtmd_get_output_embd(self._ctx)
        return np.ctypeslib.as_array(out, shape=(n_tokens * self._n_embd,)).copy()

    def decode(self, image: ImageChunks, embeddings: np.ndarray, cancel: Cancel | None = None) -> int:
        """Decode the image's embeddings into the model's KV cache after what it holds, in n_batch steps;
        the return code (0: done, ABORTED: `cancel` said stop; otherwise out of context or memory).
        On failure part of the image may be in the cache: forget it with `LlamaModel.forget_from`."""
        import llama_cpp  # optional: the chat extra (llama-cpp-python)

        model = self._model
        llama = model._llama
        new_n_past = llama_cpp.llama_pos(0)
        with model.aborting_on(cancel):
            rc: int = self._mtmd.mtmd_helper_decode_image_chunk(
                self._ctx, llama.ctx, image._image_chunk,
                embeddings.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                llama.n_tokens, 0, llama.n_batch, ctypes.byref(new_n_past),
                self._mtmd.mtmd_helper_post_decode_callback(), None,
            )
        if rc == 0:
            llama.n_tokens = int(new_n_past.value)
        return rc

    def free(self, image: ImageChunks) -> None:
        self._mtmd.mtmd_input_chunks_free(image._chunks)

    def close(self) -> None:
        if self._ctx:
            self._mtmd.mtmd_free(self._ctx)
            self._ctx = None


def _n_embd_inp(model: LlamaModel) -> int:
    """Width of one input embedding of the model (what the vision encoder's output rows hold)."""
    import llama_cpp  # optional: the chat extra (llama-cpp-python)

    return int(llama_cpp.llama_model_n_embd_inp(model._llama.model))
