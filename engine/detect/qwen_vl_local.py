"""The qwen-vl-local detector: Qwen2.5-VL grounding offline, with the GGUF model and mmproj set for Chat.

It asks what the `qwen-vl` endpoint detector asks (the same prompt template, the same lenient parsing),
through the Chat tab's own llama.cpp engine (engine.chat.ChatEngine), so no server is needed. The model
is loaded on the first page of a detection run and released when the run ends (engine.detect.run
closes the detectors it builds), cancelled or not. The app detects in a child process, so this is a
copy of its own, next to the one the Chat tab may hold: before loading, the memory it needs is
checked against the memory free now, and the run is refused with one sentence when both cannot fit.
A chat answer being written meanwhile is never touched; the two only share the machine.

Coordinates. Qwen2.5-VL answers in pixels of the image its vision encoder saw. llama.cpp's mtmd does
not use Hugging Face's processor: it resizes the bitmap with its own rule (its own rounding, its own
pixel limits from the mmproj, and it may letterbox), so the size it feeds the encoder is not assumed.
It is read from mtmd: the grid of embeddings it made of the page (columns x rows, from the decoder
position of each embedding; one embedding per merged patch of `cell` = patch size x merge pixels, both
from the mmproj's header). The page is rendered, resized to Qwen2.5-VL's size as a first guess, and
tokenized; if mtmd's grid times `cell` is not the image's own size, the render is resized to that
size and tokenized again, until mtmd takes the image exactly as it is (it then copies it unchanged:
no resize, no padding). The boxes are mapped back through that size, which covered the page edge to
edge. The resize is done here, with antialiasing, which mtmd's own resize lacks.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pymupdf
from PIL import Image

from engine import settings
from engine.chat import (
    BudgetSettings,
    ChatEngine,
    ChatError,
    ChatTurn,
    FinishReason,
    GenerationResult,
    ModelFormatError,
    ModelSettings,
    Role,
    Sampling,
    WrongArchitectureError,
)
from engine.chat.memory import GIB, estimate_memory
from engine.chat.modelfile import GgufInfo, read_gguf_info
from engine.detect import registry
from engine.detect.base import Box, page_rect
from engine.detect.qwen_parse import Coords, smart_resize
from engine.detect.qwen_vl import GroundingResult, PromptTemplate, grounded_boxes, load_prompt
from engine.errors import CancelledError, DetectorError
from engine.geometry import Rect
from engine.i18n import N_, tr
from engine.imaging import Raster
from engine.pdf.render import pixmap
from engine.pdf.resolution import MAX_RENDER_PIXELS, check_dpi

NAME = "qwen-vl-local"
CANCELLED = N_("Detection cancelled; pages done so far are kept.")  # shown with tr()
DEFAULT_MERGE = 2                # Qwen2/2.5-VL merge 2 x 2 patches into one embedding (mmproj may say otherwise)
TEMPLATE_ALLOWANCE = 64          # context for the chat template around the prompt and the image
FIT_TRIES = 4                    # resizes to mtmd's grid before giving up
NO_THINKING = BudgetSettings(use_min=False, use_max=False, think_open="")

Grid = tuple[int, int]           # (columns, rows) of image embeddings


def available_memory() -> int:
    """Bytes of memory free now (tests replace it)."""
    return int(psutil.virtual_memory().available)


def chat_model_files() -> tuple[str, str]:
    """(model, mmproj) paths set in the Chat settings ("" where none)."""
    opts = settings.chat_options()
    return str(opts.get("model_path") or ""), str(opts.get("mmproj_path") or "")


def offered() -> bool:
    """Whether the detector can be offered: a model and its vision projector are set (in Chat settings
    or in this detector's own saved settings)."""
    saved = settings.detector_params(NAME)
    model, mmproj = chat_model_files()
    return bool(saved.get("model_path") or model) and bool(saved.get("mmproj_path") or mmproj)


@dataclass(frozen=True)
class RunMemory:
    """What a detection run would load (its own copy of `model`) and the memory free now, in bytes."""

    model: Path
    needed: int
    free: int

    @property
    def fits(self) -> bool:
        return self.needed <= self.free


def run_memory() -> RunMemory:
    """The memory a run with the saved settings (the Chat model, this detector's own settings) would need,
    and the memory free now; DetectorError when the settings are wrong."""
    detector = registry.create(NAME)
    if not isinstance(detector, QwenVLLocalDetector):  # pragma: no cover - the card names this class
        raise DetectorError(tr("The {name} card does not build the {name} detector.").format(name=NAME))
    try:
        needed = detector.memory_needed()
    except ChatError as exc:
        raise DetectorError(str(exc)) from exc
    return RunMemory(detector.model_path, needed, available_memory())


def memory_needed(model_path: str | Path, mmproj_path: str | Path, *, n_ctx: int, n_gpu_layers: int = 0) -> int:
    """Bytes of memory a detection run's own copy of the model needs (weights in RAM, KV cache, buffers)."""
    model = read_gguf_info(Path(model_path), what=tr("model"))
    mmproj = read_gguf_info(Path(mmproj_path), what=tr("vision projector (mmproj)"))
    return estimate_memory(model, mmproj, n_ctx=n_ctx, n_gpu_layers=n_gpu_layers).total_bytes


def cell_size(mmproj: GgufInfo) -> int:
    """Pixels per side of the image area one embedding stands for: the projector's patch size times its
    merge (both from the mmproj's header)."""
    patch = mmproj.metadata.get("clip.vision.patch_size")
    merge = mmproj.metadata.get("clip.vision.spatial_merge_size", DEFAULT_MERGE)
    if not isinstance(patch, int) or patch <= 0 or not isinstance(merge, int) or merge <= 0:
        raise DetectorError(
            tr("{name} does not say its patch size; choose the Qwen2.5-VL mmproj released with the model.").format(
                name=mmproj.path.name)
        )
    return patch * merge


def fit_to_grid(render: Image.Image, cell: int, first: tuple[int, int],
                grid_of: Callable[[Image.Image], Grid | None]) -> tuple[Image.Image, Grid]:
    """The render resized so that mtmd feeds it to the vision encoder exactly as it is, and mtmd's grid.

    `first` (width, height) is the first guess; `grid_of` tokenizes an image and returns the grid mtmd
    made of it. An image is taken as it is when its size is the grid times `cell`; otherwise the render is
    resized to that size and tokenized again.
    """
    size = first
    for _ in range(FIT_TRIES):
        image = render if render.size == size else render.resize(size, Image.Resampling.LANCZOS)
        grid = grid_of(image)
        if grid is None:
            raise DetectorError(tr("The vision projector does not report an image grid, so boxes cannot be mapped "
                                   "back to the page; use a Qwen2.5-VL model with its own mmproj."))
        fed = (grid[0] * cell, grid[1] * cell)
        if fed == image.size:
            return image, grid
        size = fed
    raise DetectorError(tr("llama.cpp keeps resizing this page for the vision encoder, so its boxes cannot be mapped "
                           "back; use the Qwen2.5-VL mmproj released with the model."))


@dataclass(frozen=True)
class PageShot:
    """The page as the vision encoder sees it: the image file, its size (the grid times the cell), the grid."""

    path: Path
    size: tuple[int, int]
    grid: Grid
    page: Rect


def _number(name: str, value: Any, kind: type, *, minimum: float) -> Any:
    try:
        number = kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError, OverflowError):
        raise DetectorError(tr("The {detector} setting {name} must be a number, not '{value}'.").format(
            detector=NAME, name=name, value=value)) from None
    if (isinstance(number, float) and not math.isfinite(number)) or number < minimum:
        raise DetectorError(tr("The {detector} setting {name} must be a number of at least {minimum}.").format(
            detector=NAME, name=name, minimum=f"{minimum:g}"))
    return number


class QwenVLLocalDetector:
    name = NAME
    takes_cancel = True  # detect_page hands it the run's cancel: it is asked during the page

    def __init__(
        self,
        model_path: str | Path = "",
        mmproj_path: str | Path = "",
        *,
        n_ctx: int = 0,
        n_gpu_layers: int | None = None,
        n_threads: int | None = None,
        min_image_tokens: int = 1024,
        max_image_tokens: int = 1280,
        dpi: float = 144.0,
        max_tokens: int = 1024,
        coordinates: Coords = "pixels",
        min_box_pt: float = 8.0,
        prompt_file: str | Path | None = None,
        prompt: PromptTemplate | None = None,
    ) -> None:
        """Empty `model_path` / `mmproj_path`: the model set in Chat settings; `n_gpu_layers` and `n_threads`
        None: the Chat settings' too. `n_ctx` 0: room for the largest page image, the prompt and `max_tokens`.
        The page image holds `min_image_tokens` (at most `max_image_tokens`) to `max_image_tokens`
        embeddings (llama.cpp's mtmd may choose otherwise within its own limits; its choice is what the
        boxes are mapped through). Nothing is loaded until the first page."""
        chat = settings.chat_options()
        model_path = str(model_path or chat.get("model_path") or "")
        mmproj_path = str(mmproj_path or chat.get("mmproj_path") or "")
        if not model_path:
            raise DetectorError(tr("The {detector} detector uses the Chat model: choose a Qwen2.5-VL GGUF and its "
                                   "mmproj in the Chat tab (or in this detector's settings) first.").format(detector=NAME))
        if not mmproj_path:
            raise DetectorError(tr("The {detector} detector needs the model's vision projector: choose its mmproj "
                                   ".gguf in the Chat tab next to the model.").format(detector=NAME))
        if coordinates not in ("pixels", "norm1000"):
            raise DetectorError(tr("Unknown box coordinates '{value}'; use pixels or norm1000.").format(value=coordinates))
        self.model_path, self.mmproj_path = Path(model_path), Path(mmproj_path)
        if not self.model_path.is_file():
            raise DetectorError(tr("The model {path} of the {detector} detector does not exist; choose it again in the "
                                   "Chat tab.").format(path=self.model_path, detector=NAME))
        if not self.mmproj_path.is_file():
            raise DetectorError(tr("The vision projector (mmproj) {path} of the {detector} detector does not exist; "
                                   "choose it again in the Chat tab.").format(path=self.mmproj_path, detector=NAME))
        gpu = chat.get("n_gpu_layers", 0) if n_gpu_layers is None else n_gpu_layers
        threads = chat.get("n_threads", 0) if n_threads is None else n_threads
        self.n_gpu_layers = _number("n_gpu_layers", gpu, int, minimum=-1)
        self.n_threads = _number("n_threads", threads, int, minimum=0) or None
        self.max_image_tokens = _number("max_image_tokens", max_image_tokens, int, minimum=4)
        self.min_image_tokens = min(_number("min_image_tokens", min_image_tokens, int, minimum=4), self.max_image_tokens)
        self.max_tokens = _number("max_tokens", max_tokens, int, minimum=1)
        self.dpi = check_dpi(dpi, tr("The {detector} detector's dpi").format(detector=NAME), DetectorError)
        self.min_box_pt = _number("min_box_pt", min_box_pt, float, minimum=0)
        self.coordinates: Coords = coordinates
        self.prompt = prompt or load_prompt(Path(prompt_file) if prompt_file else None)
        self.n_ctx = _number("n_ctx", n_ctx, int, minimum=0) or _auto_context(
            self.max_image_tokens, len(self.prompt.render(99999, 99999).encode("utf-8")), self.max_tokens)
        self.sampling = Sampling(temperature=0.0, max_answer_tokens=self.max_tokens)
        self.loads = 0  # how many times the model was loaded (once per run)
        self._engine: ChatEngine | None = None
        self._cell = 0
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def __repr__(self) -> str:
        return f"QwenVLLocalDetector(model={self.model_path.name!r}, mmproj={self.mmproj_path.name!r})"

    # -- the model: loaded on the first page, released by close() ------------------------------------

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    @property
    def cell(self) -> int:
        """Pixels per side of one embedding's image area (known once loaded)."""
        return self._cell

    def memory_needed(self) -> int:
        return memory_needed(self.model_path, self.mmproj_path, n_ctx=self.n_ctx, n_gpu_layers=self.n_gpu_layers)

    def load(self) -> ChatEngine:
        """The loaded model (loading it the first time): refused with one sentence when its copy does not fit
        in the memory free now (the Chat tab may hold one too)."""
        if self._engine is not None:
            return self._engine
        try:
            mmproj = read_gguf_info(self.mmproj_path, what=tr("vision projector (mmproj)"))
            cell = cell_size(mmproj)
            need, free = self.memory_needed(), available_memory()
            if need > free:
                raise DetectorError(
                    tr("Detecting with {detector} loads its own copy of {model} (about {need} GiB) but only {free} GiB "
                       "of memory is free; unload the model in the Chat tab or close other programs, then detect "
                       "again.").format(detector=NAME, model=self.model_path.name, need=f"{need / GIB:.1f}",
                                        free=f"{free / GIB:.1f}")
                )
            engine = ChatEngine(ModelSettings(
                self.model_path, mmproj_path=self.mmproj_path, n_ctx=self.n_ctx, n_gpu_layers=self.n_gpu_layers,
                n_threads=self.n_threads, seed=0, max_image_pixels=MAX_RENDER_PIXELS,
            ))
        except ModelFormatError as exc:
            if self.n_gpu_layers != 0 and not isinstance(exc, WrongArchitectureError):
                raise DetectorError(
                    tr("llama.cpp could not load its own copy of {model} with layers on the GPU, whose memory the Chat "
                       "tab's copy may hold; unload the model in the Chat tab or set this detector's n_gpu_layers to 0, "
                       "then detect again.").format(model=self.model_path.name)
                ) from exc
            raise DetectorError(str(exc)) from exc
        except ChatError as exc:
            raise DetectorError(str(exc)) from exc
        if not engine.has_vision:  # pragma: no cover - an mmproj is always passed
            engine.close()
            raise DetectorError(tr("{name} gave the model no vision; choose the model's own mmproj.").format(
                name=self.mmproj_path.name))
        self._engine, self._cell = engine, cell
        self._folder = tempfile.TemporaryDirectory(prefix="remud-qwen-vl-local-")
        self.loads += 1
        return engine

    def close(self) -> None:
        """Release the model and its page images (the run is over); the next page loads it again."""
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()
        folder, self._folder = self._folder, None
        if folder is not None:
            folder.cleanup()

    # -- one page ----------------------------------------------------------------------------------

    def detect(self, page: pymupdf.Page, cancel: Callable[[], bool] | None = None) -> list[Box]:
        return self.ground(page, cancel).boxes

    def ground(self, page: pymupdf.Page, cancel: Callable[[], bool] | None = None) -> GroundingResult:
        """Detect, keeping the raw answer and the image size; CancelledError when `cancel` says stop."""
        stop = cancel or _never
        if stop():
            raise CancelledError(tr(CANCELLED))
        engine = self.load()
        shot = self.page_shot(page)
        width, height = shot.size
        turns = [ChatTurn(Role.USER, self.prompt.render(width, height), image=shot.path)]
        try:
            result = self.answer(engine, turns, stop)
        except ChatError as exc:  # the page image does not fit the context, llama.cpp out of memory
            raise DetectorError(str(exc)) from exc
        if result.stopped:
            raise CancelledError(tr(CANCELLED))
        boxes = grounded_boxes(result.answer, shot.size, shot.page, coordinates=self.coordinates,
                               min_box_pt=self.min_box_pt, source=NAME,
                               extra={"model": self.model_path.name, "prompt_version": self.prompt.version,
                                      "grid": shot.grid})
        usage = {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.answer_tokens,
                 "image_tokens": shot.grid[0] * shot.grid[1]}
        return GroundingResult(boxes, result.answer, shot.size, result.finish_reason == FinishReason.LENGTH, usage)

    def answer(self, engine: ChatEngine, turns: list[ChatTurn], cancel: Callable[[], bool]) -> GenerationResult:
        """The model's answer about the page: the one place text is generated (tests script the text here;
        the image still goes through mtmd and the vision encoder)."""
        return engine.generate(turns, budget=NO_THINKING, sampling=self.sampling, cancel=cancel)

    def page_shot(self, page: pymupdf.Page) -> PageShot:
        """Render the page and fit it to the grid mtmd gives it (see the module's docstring); the image is
        written where the chat engine reads it."""
        engine = self.load()
        assert self._folder is not None
        rect = page_rect(page)
        if rect.width <= 0 or rect.height <= 0:
            raise DetectorError(tr("This page has no area to look at."))
        cell = self._cell
        pix = pixmap(page, self.dpi, max_pixels=min(4 * self.max_image_tokens * cell * cell, MAX_RENDER_PIXELS))
        render = Raster.from_pixmap(pix).to_pil().convert("RGB")
        del pix
        try:
            height, width = smart_resize(render.height, render.width, factor=cell,
                                         min_pixels=self.min_image_tokens * cell * cell,
                                         max_pixels=self.max_image_tokens * cell * cell)
        except ValueError as exc:
            raise DetectorError(
                tr("This page is too long and narrow ({width} x {height} pt) for the {detector} detector.").format(
                    width=f"{rect.width:.0f}", height=f"{rect.height:.0f}", detector=NAME)
            ) from exc
        path = Path(self._folder.name) / "page.png"

        def grid_of(image: Image.Image) -> Grid | None:
            image.save(path, format="PNG", compress_level=1)
            try:
                return engine.image_grid(path)
            except ChatError as exc:
                raise DetectorError(str(exc)) from exc

        image, grid = fit_to_grid(render, cell, (width, height), grid_of)
        return PageShot(path, image.size, grid, rect)


def _never() -> bool:
    return False


def _auto_context(max_image_tokens: int, prompt_bytes: int, max_tokens: int) -> int:
    """Room for the largest page image, the prompt (a byte-level tokenizer makes at most one token per
    byte), the chat template and the answer, in steps of 256."""
    need = max_image_tokens + prompt_bytes + TEMPLATE_ALLOWANCE + max_tokens
    return -(-need // 256) * 256
