"""ChatEngine: a GGUF model (and optional mmproj) run offline with llama.cpp, streaming, with budget forcing.

Generation is driven token by token (decode one token, sample one token), so `cancel` stops the
computation between two tokens. The long steps ask `cancel` too: before each prompt batch, image
encode and image decode, and, through llama.cpp's abort callback, during each prompt batch or image
decode (so stop waits for one graph node, not a whole batch). Every string the budget controller forces (a wait, the end of
thinking, an answer prefix) is decoded on top of the KV cache: the prompt is never evaluated again.

The engine remembers what its KV cache holds (text tokens and images, in order). A new call evaluates
only the part of its prompt after the longest common prefix with that sequence: a follow-up question
about the same image evaluates the previous answer and the new question, not the image.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self

from engine.chat.budget import Action, ActionKind, BudgetController, BudgetSettings, Phase, Sampling
from engine.chat.decoding import PieceDecoder
from engine.chat.errors import (
    ChatError,
    ContextTooSmallError,
    DecodeError,
    EngineClosedError,
    ModelFormatError,
    NoVisionError,
    VisionProjectorError,
    WrongArchitectureError,
)
from engine.chat.llama_adapter import ABORTED, RANDOM_SEED, LlamaModel
from engine.chat.memory import check_context, check_memory, estimate_memory
from engine.chat.modelfile import GgufInfo, read_gguf_info
from engine.chat.prompt import ImageSlot, build_prompt, images_of
from engine.chat.types import ChatTurn, FinishReason, GenerationResult, ModelSettings, StreamEvent, StreamKind
from engine.chat.vision import ImageItem, VisionEncoder
from engine.i18n import tr

Item = int | ImageItem


DEFAULT_BUDGET = BudgetSettings()
DEFAULT_SAMPLING = Sampling()


def _no_cancel() -> bool:
    return False


class ChatEngine:
    def __init__(self, settings: ModelSettings, *, progress: Callable[[float], None] | None = None) -> None:
        report = progress or (lambda fraction: None)
        self.settings = settings
        self._lock = threading.Lock()
        self._seq: list[Item] = []       # what the KV cache holds, in order
        self._kv_cells = 0               # KV cells in use: one per text token or image embedding
        self._vision: VisionEncoder | None = None
        report(0.0)
        self.model_info = _check_model(settings.model_path)
        mmproj_info = _check_mmproj(settings.mmproj_path) if settings.mmproj_path else None
        check_context(self.model_info, settings.n_ctx)
        check_memory(estimate_memory(self.model_info, mmproj_info, n_ctx=settings.n_ctx, n_gpu_layers=settings.n_gpu_layers))
        report(0.1)
        self._llama: LlamaModel | None = _load_llama(settings, self.model_info)
        report(0.8 if mmproj_info else 0.95)
        try:
            if settings.mmproj_path is not None:
                self._vision = VisionEncoder(
                    settings.mmproj_path, self._llama, max_image_pixels=settings.max_image_pixels,
                    n_threads=self._llama.n_threads, use_gpu=settings.n_gpu_layers != 0,
                )
        except BaseException:
            self._llama.close()
            raise
        report(1.0)

    # -- public ------------------------------------------------------------------------------------

    @property
    def has_vision(self) -> bool:
        return self._vision is not None

    @property
    def n_ctx(self) -> int:
        return self._model.n_ctx

    @property
    def cached_tokens(self) -> int:
        """Tokens (text tokens and image embeddings) the KV cache holds for the conversation so far."""
        return self._kv_cells

    def tokenize(self, text: str) -> list[int]:
        """The model's tokens for `text` (special tokens such as <|im_end|> recognised)."""
        return self._model.tokenize(text.encode("utf-8"), special=True)

    def token_id(self, text: str) -> int:
        """The id of a text that is a single token (e.g. "</think>" in some vocabularies)."""
        ids = self.tokenize(text)
        if len(ids) != 1:
            raise ValueError(f"{text!r} is {len(ids)} tokens, not one")
        return ids[0]

    def image_grid(self, image: Path) -> tuple[int, int] | None:
        """(columns, rows) of the embeddings the vision encoder makes of the image file `image`: llama.cpp's
        mtmd resizes it to its projector's patch grid, one embedding per merged patch. None when the
        projector reports no 2-D grid. The image is prepared (and cached) as a prompt holding it would be."""
        with self._lock:
            if self._llama is None:
                raise EngineClosedError(tr("The model has been unloaded; load it again to chat."))
            if self._vision is None:
                raise NoVisionError()
            try:
                return self._vision.grid(image)
            finally:
                self._vision.release()

    def llama_decoded_tokens(self) -> int:
        """Tokens llama.cpp itself reports having decoded since loading (its performance counters).

        llama.cpp reports each of its two counters as at least 1, so the count is exact once the model
        has decoded both a batch and a single token (any generate() call does).
        """
        return self._model.decoded_tokens()

    def generate(
        self,
        turns: Sequence[ChatTurn],
        *,
        budget: BudgetSettings = DEFAULT_BUDGET,
        sampling: Sampling = DEFAULT_SAMPLING,
        on_event: Callable[[StreamEvent], None] | None = None,
        cancel: Callable[[], bool] = _no_cancel,
    ) -> GenerationResult:
        with self._lock:
            if self._llama is None:
                raise EngineClosedError(tr("The model has been unloaded; load it again to chat."))
            try:
                return _Generation(self, budget, sampling, on_event, cancel).run(turns)
            finally:
                if self._vision is not None:
                    self._vision.release()  # the images of this prompt may be evicted again

    def close(self) -> None:
        """Free the model; waits for a running generate() to return (cancel it first)."""
        with self._lock:
            if self._vision is not None:
                self._vision.close()
                self._vision = None
            if self._llama is not None:
                self._llama.close()
                self._llama = None
            self._seq = []
            self._kv_cells = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- KV bookkeeping used by _Generation ------------------------------------------------------------

    @property
    def _model(self) -> LlamaModel:
        """The loaded model; EngineClosedError once close() has unloaded it."""
        if self._llama is None:
            raise EngineClosedError(tr("The model has been unloaded; load it again to chat."))
        return self._llama

    def _tokenize_forced(self, data: bytes) -> list[int]:
        """Tokens of a string the budget controller injects (special tokens not recognised, as in model text)."""
        return self._model.tokenize(data, special=False)

    def _prompt_items(self, turns: Sequence[ChatTurn], opening: str) -> list[Item]:
        segments = build_prompt(turns, opening=opening)
        if images_of(segments) and self._vision is None:
            raise NoVisionError()
        items: list[Item] = []
        for segment in segments:
            if isinstance(segment, ImageSlot):
                assert self._vision is not None  # checked above
                items.extend(self._vision.prepare(segment.path).items)
            else:
                items.extend(self.tokenize(segment))
        return items

    def _truncate(self, n_items: int) -> None:
        """Forget everything after the first `n_items` of the cached sequence (KV cache included)."""
        del self._seq[n_items:]
        pos = sum(item.n_pos if isinstance(item, ImageItem) else 1 for item in self._seq)
        self._kv_cells = sum(item.n_tokens if isinstance(item, ImageItem) else 1 for item in self._seq)
        self._model.forget_from(pos)

    def _eval(self, tokens: Sequence[int], cancel: Callable[[], bool] | None = None) -> bool:
        """Decode text tokens after the cache in batches of n_batch, keeping the bookkeeping.

        With `cancel`, it is asked before each batch and, through llama.cpp's abort callback, during
        each decode. Returns False when stopped: the cache then holds the batches decoded whole.
        """
        llama = self._model
        for start in range(0, len(tokens), llama.n_batch):
            if cancel is not None and cancel():
                return False
            batch = list(tokens[start:start + llama.n_batch])
            rc = llama.decode(batch, cancel)
            if rc != 0:
                # an aborted or failed decode can leave part of the batch in the KV cache: forget it
                self._truncate(len(self._seq))
                if rc == ABORTED and cancel is not None:
                    return False
                raise _decode_error(rc)
            self._seq.extend(batch)
            self._kv_cells += len(batch)
        return True

    def _decode_image(self, item: ImageItem, cancel: Callable[[], bool]) -> bool:
        """Encode (unless cached) and decode an image after the cache; False when stopped."""
        assert self._vision is not None
        if cancel():
            return False
        embeddings = self._vision.encode(item)
        if cancel():
            return False
        if not self._vision.decode(item, embeddings, cancel):  # aborted: forget what part of it reached the KV cache
            self._truncate(len(self._seq))
            return False
        self._seq.append(item)
        self._kv_cells += item.n_tokens
        return True


def _decode_error(rc: int) -> DecodeError:
    return DecodeError(
        tr("The model could not evaluate the conversation (llama.cpp error {code}: out of context or memory); "
           "lower the context size or image pixel limit, or load the model again.").format(code=rc)
    )


class _Generation:
    """One call of ChatEngine.generate: prompt (reusing the cache), then the token loop."""

    def __init__(self, engine: ChatEngine, budget: BudgetSettings, sampling: Sampling,
                 on_event: Callable[[StreamEvent], None] | None, cancel: Callable[[], bool]) -> None:
        self.engine, self.llama = engine, engine._model
        self.sampling, self.cancel = sampling, cancel
        self.on_event = on_event or (lambda event: None)
        self.controller = BudgetController(budget, count_tokens=lambda data: len(engine._tokenize_forced(data)))
        self.answer = ""
        self.answer_tokens = 0
        self.generated = 0          # tokens sampled and kept or taken back (end-of-turn excluded)
        self.forced = 0
        self.decoded = 0
        self.t_first: float | None = None

    def run(self, turns: Sequence[ChatTurn]) -> GenerationResult:
        t_start = time.perf_counter()
        engine = self.engine
        items = engine._prompt_items(turns, self.controller.opening)
        prompt_tokens = sum(i.n_tokens if isinstance(i, ImageItem) else 1 for i in items)
        if prompt_tokens >= self.engine.n_ctx:
            if any(isinstance(i, ImageItem) for i in items):
                sentence = tr("The image and conversation needs {tokens} tokens but the context holds {n_ctx}; raise "
                              "the context size, lower the image pixel limit or start a new chat.")
            else:
                sentence = tr("The conversation needs {tokens} tokens but the context holds {n_ctx}; raise the "
                              "context size, lower the image pixel limit or start a new chat.")
            raise ContextTooSmallError(sentence.format(tokens=prompt_tokens, n_ctx=self.engine.n_ctx))
        encodes_before = engine._vision.encodes if engine._vision else 0
        evaluated, finished = self._evaluate_prompt(items)
        self.decoded += evaluated
        finish = FinishReason.STOP if finished else FinishReason.CANCELLED
        t_gen = time.perf_counter()
        if finished:
            finish = self._loop()
        t_end = time.perf_counter()
        self._flush_thinking()
        if self.controller.unclosed_answer:  # the model answered without ever closing its thinking
            self.answer_tokens += self.generated
            self._answer_text(self.controller.answer_start)
        elapsed = t_end - t_gen
        return GenerationResult(
            answer=self.answer.strip(),
            thinking=self.controller.thinking_text.strip(),
            thinking_tokens=self.controller.thinking_tokens,
            answer_tokens=self.answer_tokens,
            waits_inserted=self.controller.waits,
            max_cut_in=self.controller.max_cut_in,
            thinking_closed=self.controller.closed,
            stopped=finish == FinishReason.CANCELLED,
            finish_reason=finish,
            time_to_first_token_s=(self.t_first - t_start) if self.t_first is not None else 0.0,
            tokens_per_second=self.generated / elapsed if elapsed > 0 and self.generated else 0.0,
            prompt_tokens=prompt_tokens,
            prompt_tokens_evaluated=evaluated,
            forced_tokens=self.forced,
            tokens_decoded=self.decoded,
            images_encoded=(engine._vision.encodes - encodes_before) if engine._vision else 0,
        )

    def _evaluate_prompt(self, items: list[Item]) -> tuple[int, bool]:
        """Evaluate what the cache lacks; returns (prompt tokens evaluated, finished without cancel)."""
        engine = self.engine
        common = 0
        for cached, new in zip(engine._seq, items):
            if cached != new:
                break
            common += 1
        common = min(common, len(items) - 1)  # the last prompt token is decoded again for fresh logits
        engine._truncate(common)
        cells_before = engine._kv_cells
        finished = True
        run: list[int] = []
        for item in items[common:] + [None]:
            if isinstance(item, int):
                run.append(item)
                continue
            finished = engine._eval(run, self.cancel) and (item is None or engine._decode_image(item, self.cancel))
            if not finished:
                break
            run = []
        return engine._kv_cells - cells_before, finished

    def _loop(self) -> FinishReason:
        llama, controller = self.llama, self.controller
        sampler = llama.sampler(self.sampling, self._seed())
        decoder = PieceDecoder()
        n_ctx = self.engine.n_ctx
        while True:
            if self.cancel():
                return FinishReason.CANCELLED
            if self.engine._kv_cells >= n_ctx:
                return FinishReason.LENGTH
            token = sampler.sample()
            if self.t_first is None:
                self.t_first = time.perf_counter()
            if llama.is_end_of_generation(token):
                if controller.phase == Phase.THINKING:
                    action = controller.feed_end()
                    if action is not None:
                        if not self._apply(action, sampled=None, decoder=decoder):
                            return FinishReason.LENGTH
                        continue
                return FinishReason.STOP
            self.generated += 1
            raw = llama.detokenize(token)
            piece = decoder.decode(raw)
            if controller.phase == Phase.THINKING:
                action = controller.feed(piece, raw)
                if action is None:
                    self._decode([token])
                    self._flush_thinking()
                    if controller.answering:  # feed() saw the closing tag
                        self._answer_text(controller.answer_start)
                elif not self._apply(action, sampled=token, decoder=decoder):
                    return FinishReason.LENGTH
                continue
            self._decode([token])
            self.answer_tokens += 1
            self._answer_text(piece)
            if self.answer_tokens >= self.sampling.max_answer_tokens:
                return FinishReason.LENGTH

    def _apply(self, action: Action | None, *, sampled: int | None, decoder: PieceDecoder) -> bool:
        """Carry out the controller's action, and any action that follows from it; False if the context is full."""
        while action is not None:
            if action.drop_tokens:
                # the just-sampled token was never decoded; the others are taken out of the KV cache
                self.engine._truncate(len(self.engine._seq) - (action.drop_tokens - 1))
                decoder.reset()
            elif sampled is not None:
                self._decode([sampled])
            sampled = None
            if action.kind in (ActionKind.CUT, ActionKind.CLOSE):
                self._flush_thinking()
            tokens = self.engine._tokenize_forced(action.evaluate)
            if self.engine._kv_cells + len(tokens) >= self.engine.n_ctx:
                return False
            self._decode(tokens)
            self.forced += len(tokens)
            following = self.controller.injected(action.inject, len(tokens))
            if action.kind == ActionKind.WAIT:
                self._emit(StreamKind.WAIT, self.controller.take_display_text())
            elif action.kind == ActionKind.CUT:
                self._emit(StreamKind.CUT, action.inject)
            # CLOSE (the turn ended inside the thinking): nothing to show, the answer follows
            action = following
        return True

    def _decode(self, tokens: list[int]) -> None:
        self.engine._eval(tokens)
        self.decoded += len(tokens)

    def _flush_thinking(self) -> None:
        text = self.controller.take_display_text()
        if text:
            self._emit(StreamKind.THINKING, text)

    def _answer_text(self, text: str) -> None:
        if text:
            self.answer += text
            self._emit(StreamKind.ANSWER, text)

    def _emit(self, kind: StreamKind, text: str) -> None:
        c = self.controller
        self.on_event(StreamEvent(kind, text, c.thinking_tokens, self.answer_tokens, c.waits))

    def _seed(self) -> int:
        if self.sampling.seed is not None:
            return self.sampling.seed & 0xFFFFFFFF
        return self.engine.settings.seed if self.engine.settings.seed >= 0 else RANDOM_SEED


def _check_model(path: Path) -> GgufInfo:
    info = read_gguf_info(path, what="model")
    if info.architecture == "clip":
        raise WrongArchitectureError(
            tr("{name} is a vision projector (mmproj), not a language model; choose it as the mmproj "
               "and pick the model's main .gguf file as the model.").format(name=path.name)
        )
    return info


def _check_mmproj(path: Path) -> GgufInfo:
    try:
        info = read_gguf_info(path, what="vision projector (mmproj)")
    except ChatError as exc:
        raise VisionProjectorError(str(exc)) from exc
    if info.architecture != "clip" or not info.metadata.get("clip.has_vision_encoder", False):
        raise VisionProjectorError(
            tr("{name} is not a vision projector (mmproj) file; choose the mmproj .gguf released with the model.")
            .format(name=path.name)
        )
    return info


def _load_llama(settings: ModelSettings, info: GgufInfo) -> LlamaModel:
    try:
        return LlamaModel.load(
            settings.model_path,
            n_ctx=settings.n_ctx,
            n_batch=settings.n_batch,
            n_gpu_layers=settings.n_gpu_layers,
            n_threads=settings.n_threads,
            seed=settings.seed if settings.seed >= 0 else RANDOM_SEED,
        )
    except ImportError as exc:  # pragma: no cover - the desktop build always ships it
        raise ChatError(tr("The offline chat needs llama-cpp-python, which is not installed: run "
                           "pip install 'remud-desktop[chat]' (it compiles llama.cpp once, about 10 minutes).")) from exc
    except (ValueError, RuntimeError) as exc:
        import gguf  # optional: the chat extra; only to tell an unknown architecture from a damaged file

        if info.architecture not in gguf.MODEL_ARCH_NAMES.values():
            raise WrongArchitectureError(
                tr("{name} is a '{architecture}' model, which llama.cpp cannot run; choose a Qwen2.5-VL (or other "
                   "llama.cpp-supported) GGUF.").format(name=settings.model_path.name, architecture=info.architecture)
            ) from exc
        raise ModelFormatError(
            tr("llama.cpp could not load {name} (a '{architecture}' model); the file may be damaged or need a newer "
               "app version: download or convert it again.").format(name=settings.model_path.name,
                                                                     architecture=info.architecture)
        ) from exc
