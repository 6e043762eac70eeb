"""The image path: downscale, tokenize with llama.cpp's mtmd, encode once per image, decode into the KV cache.

llama-cpp-python's chat handlers reset the context and re-encode every image on every call. Here each
image is keyed by the hash of its bytes (and the pixel limit): its mtmd chunks and its encoder output
(the image embeddings) are kept, so an image the conversation already contains is neither encoded nor
decoded again (the engine keeps it in the KV cache), and one that must be decoded at a new position
(an earlier turn changed) skips the vision encoder.

Both caches hold at most CACHE_SIZE images, but never evict an image of the prompt being evaluated:
`prepare` pins the image until `release` (the engine releases after each generate call), so a prompt
with more images than CACHE_SIZE keeps all of them until it is done.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.chat.errors import ChatError, ImageFileError, VisionProjectorError

CACHE_SIZE = 16
ABORTED = 2  # llama_decode's return code when the abort callback stopped it


@dataclass(frozen=True)
class ImageItem:
    """One image in a token sequence: `n_tokens` embeddings occupying `n_pos` positions (M-RoPE packs them)."""

    key: str
    n_tokens: int
    n_pos: int


@dataclass
class PreparedImage:
    key: str
    items: list[int | ImageItem]   # <|vision_start|> tokens, the image, <|vision_end|> tokens
    chunks: Any = field(repr=False)        # owning mtmd_input_chunks pointer
    image_chunk: Any = field(repr=False)   # borrowed pointer to the image chunk inside `chunks`


def downscale(image_bytes: bytes, max_pixels: int) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) with width x height <= max_pixels, aspect ratio kept."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image_bytes)) as img:
            rgb = img.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageFileError("The attached file is not an image this app can read; attach a PNG or JPEG.") from exc
    w, h = rgb.size
    if w * h > max_pixels:
        scale = math.sqrt(max_pixels / (w * h))
        w, h = max(1, int(w * scale)), max(1, int(h * scale))
        rgb = rgb.resize((w, h), Image.Resampling.BICUBIC)
    return w, h, rgb.tobytes()


def image_key(image_bytes: bytes, max_pixels: int) -> str:
    return hashlib.sha256(image_bytes).hexdigest() + f":{max_pixels}"


class VisionEncoder:
    """An mtmd context for one loaded model, with per-image caches."""

    def __init__(self, mmproj_path: Path, llama: Any, *, max_image_pixels: int, n_threads: int, use_gpu: bool) -> None:
        from llama_cpp import _logger, mtmd_cpp

        # mtmd and clip log through llama-cpp-python's own callback, which is quiet unless verbose
        mtmd_cpp.mtmd_helper_log_set(_logger.llama_log_callback, ctypes.c_void_p(0))
        self._mtmd = mtmd_cpp
        self._llama = llama
        self.max_image_pixels = max_image_pixels
        self._prepared: OrderedDict[str, PreparedImage] = OrderedDict()
        self._embeddings: OrderedDict[str, np.ndarray] = OrderedDict()
        self._pinned: set[str] = set()  # keys of the prompt being evaluated: never evicted
        self.encodes = 0  # how many times the vision encoder ran (for tests and statistics)
        params = mtmd_cpp.mtmd_context_params_default()
        params.use_gpu = use_gpu
        params.print_timings = False
        params.n_threads = n_threads
        params.warmup = False
        self._ctx = mtmd_cpp.mtmd_init_from_file(str(mmproj_path).encode(), llama.model, params)
        if not self._ctx:
            raise VisionProjectorError(
                f"The vision projector {Path(mmproj_path).name} does not fit this model or is damaged; "
                "choose the mmproj file that was released with the model."
            )
        if not mtmd_cpp.mtmd_support_vision(self._ctx):
            self.close()
            raise VisionProjectorError(
                f"{Path(mmproj_path).name} has no image encoder; choose the vision mmproj of the model."
            )
        import llama_cpp

        self._n_embd = llama_cpp.llama_model_n_embd_inp(llama.model)

    def prepare(self, path: Path) -> PreparedImage:
        """Read, downscale and tokenize an image (cached by content); it stays cached until `release`."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ImageFileError(f"The image {Path(path).name} cannot be read ({exc.strerror}); attach it again.") from exc
        key = image_key(data, self.max_image_pixels)
        self._pinned.add(key)
        if key in self._prepared:
            self._prepared.move_to_end(key)
            return self._prepared[key]
        width, height, rgb = downscale(data, self.max_image_pixels)
        prepared = self._tokenize(key, width, height, rgb)
        self._prepared[key] = prepared
        self._evict()
        return prepared

    def release(self) -> None:
        """The prompt is done: its images may be evicted again."""
        self._pinned.clear()
        self._evict()

    def encode(self, item: ImageItem) -> np.ndarray:
        """The image's embeddings: from the cache, or from one run of the vision encoder."""
        embd = self._embeddings.get(item.key)
        if embd is not None:
            self._embeddings.move_to_end(item.key)
            return embd
        if self._mtmd.mtmd_encode_chunk(self._ctx, self._prepared[item.key].image_chunk) != 0:
            raise ChatError("The vision encoder failed on this image; try a smaller image or restart the chat.")
        self.encodes += 1
        out = self._mtmd.mtmd_get_output_embd(self._ctx)
        embd = np.ctypeslib.as_array(out, shape=(item.n_tokens * self._n_embd,)).copy()
        self._embeddings[item.key] = embd
        self._evict()
        return embd

    def decode(self, item: ImageItem, embd: np.ndarray, n_past: int, n_batch: int) -> int | None:
        """Put the image's embeddings into the KV cache at `n_past`; the position after it, None if aborted."""
        import llama_cpp

        mtmd = self._mtmd
        new_n_past = llama_cpp.llama_pos(0)
        rc = mtmd.mtmd_helper_decode_image_chunk(
            self._ctx, self._llama.ctx, self._prepared[item.key].image_chunk,
            embd.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
            n_past, 0, n_batch, ctypes.byref(new_n_past), mtmd.mtmd_helper_post_decode_callback(), None,
        )
        if rc == ABORTED:
            return None
        if rc != 0:
            raise ChatError("The model could not take in the image (out of context or memory); raise the context size or use a smaller image.")
        return int(new_n_past.value)

    def _evict(self) -> None:
        """Drop the least recently used images beyond CACHE_SIZE, never a pinned one."""
        for cache in (self._prepared, self._embeddings):
            unpinned = [key for key in cache if key not in self._pinned]  # oldest first
            for key in unpinned[:max(0, len(cache) - CACHE_SIZE)]:
                old = cache.pop(key)
                if isinstance(old, PreparedImage):
                    self._mtmd.mtmd_input_chunks_free(old.chunks)

    def close(self) -> None:
        for prepared in self._prepared.values():
            self._mtmd.mtmd_input_chunks_free(prepared.chunks)
        self._prepared.clear()
        self._embeddings.clear()
        if self._ctx:
            self._mtmd.mtmd_free(self._ctx)
            self._ctx = None

    def _tokenize(self, key: str, width: int, height: int, rgb: bytes) -> PreparedImage:
        mtmd = self._mtmd
        buffer = (ctypes.c_uint8 * len(rgb)).from_buffer_copy(rgb)
        bitmap = mtmd.mtmd_bitmap_init(width, height, buffer)
        if not bitmap:
            raise ImageFileError("The image could not be prepared for the model; attach a PNG or JPEG.")
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
                raise ImageFileError("The image could not be prepared for the model; try another image.")
        except BaseException:
            mtmd.mtmd_input_chunks_free(chunks)
            raise
        finally:
            mtmd.mtmd_bitmap_free(bitmap)
        items: list[int | ImageItem] = []
        image_chunk = None
        for i in range(mtmd.mtmd_input_chunks_size(chunks)):
            chunk = mtmd.mtmd_input_chunks_get(chunks, i)
            if mtmd.mtmd_input_chunk_get_type(chunk) == mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT:
                n = ctypes.c_size_t()
                tokens = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(n))
                items.extend(int(tokens[j]) for j in range(n.value))
            else:
                image_chunk = chunk
                items.append(ImageItem(key, mtmd.mtmd_input_chunk_get_n_tokens(chunk), mtmd.mtmd_input_chunk_get_n_pos(chunk)))
        return PreparedImage(key, items, chunks, image_chunk)
