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

import hashlib
import io
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.chat.errors import ChatError, ImageFileError, VisionProjectorError
from engine.chat.llama_adapter import ABORTED, ImageChunks, ImageSpan, ImageTokenizeError, LlamaModel, VisionContext
from engine.i18n import tr

CACHE_SIZE = 16


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
    chunks: ImageChunks            # mtmd's chunks of the image (freed when evicted)


def downscale(image_bytes: bytes, max_pixels: int) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) with width x height <= max_pixels, aspect ratio kept."""
    try:
        with Image.open(io.BytesIO(image_bytes)) as img:
            rgb = img.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageFileError(tr("The attached file is not an image this app can read; attach a PNG or JPEG.")) from exc
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

    def __init__(self, mmproj_path: Path, model: LlamaModel, *, max_image_pixels: int, n_threads: int, use_gpu: bool) -> None:
        self.max_image_pixels = max_image_pixels
        self._prepared: OrderedDict[str, PreparedImage] = OrderedDict()
        self._embeddings: OrderedDict[str, np.ndarray] = OrderedDict()
        self._pinned: set[str] = set()  # keys of the prompt being evaluated: never evicted
        self.encodes = 0  # how many times the vision encoder ran (for tests and statistics)
        context = VisionContext.open(mmproj_path, model, n_threads=n_threads, use_gpu=use_gpu)
        if context is None:
            raise VisionProjectorError(
                tr("The vision projector {name} does not fit this model or is damaged; choose the mmproj file that "
                   "was released with the model.").format(name=Path(mmproj_path).name)
            )
        self._context: VisionContext | None = context
        if not context.supports_vision:
            self.close()
            raise VisionProjectorError(
                tr("{name} has no image encoder; choose the vision mmproj of the model.").format(
                    name=Path(mmproj_path).name)
            )

    def prepare(self, path: Path) -> PreparedImage:
        """Read, downscale and tokenize an image (cached by content); it stays cached until `release`."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ImageFileError(tr("The image {name} cannot be read ({reason}); attach it again.").format(
                name=Path(path).name, reason=exc.strerror)) from exc
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

    def grid(self, path: Path) -> tuple[int, int] | None:
        """(columns, rows) of the embeddings mtmd makes of the image at `path` (prepared as `prepare` does,
        so the same chunks are encoded when a prompt holds it); None when the projector reports no 2-D grid."""
        return self._open().image_grid(self.prepare(path).chunks)

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
        embd = self._open().encode(self._prepared[item.key].chunks)
        if embd is None:
            raise ChatError(tr("The vision encoder failed on this image; try a smaller image or restart the chat."))
        self.encodes += 1
        self._embeddings[item.key] = embd
        self._evict()
        return embd

    def decode(self, item: ImageItem, embd: np.ndarray, cancel: Callable[[], bool] | None = None) -> bool:
        """Put the image's embeddings into the model's KV cache after what it holds; False if `cancel`
        stopped it (part of the image may then be in the cache)."""
        rc = self._open().decode(self._prepared[item.key].chunks, embd, cancel)
        if rc == ABORTED:
            return False
        if rc != 0:
            raise ChatError(tr("The model could not take in the image (out of context or memory); raise the context "
                               "size or use a smaller image."))
        return True

    def _evict(self) -> None:
        """Drop the least recently used images beyond CACHE_SIZE, never a pinned one."""
        for cache in (self._prepared, self._embeddings):
            unpinned = [key for key in cache if key not in self._pinned]  # oldest first
            for key in unpinned[:max(0, len(cache) - CACHE_SIZE)]:
                old = cache.pop(key)
                if isinstance(old, PreparedImage):
                    self._open().free(old.chunks)

    def close(self) -> None:
        if self._context is None:
            return
        for prepared in self._prepared.values():
            self._context.free(prepared.chunks)
        self._prepared.clear()
        self._embeddings.clear()
        self._context.close()
        self._context = None

    def _open(self) -> VisionContext:
        if self._context is None:
            raise ChatError(tr("The vision projector has been unloaded; load the model again to chat."))
        return self._context

    def _tokenize(self, key: str, width: int, height: int, rgb: bytes) -> PreparedImage:
        try:
            chunks = self._open().tokenize(width, height, rgb)
        except ImageTokenizeError as exc:
            sentence = (tr("The image could not be prepared for the model; attach a PNG or JPEG.") if exc.bitmap
                        else tr("The image could not be prepared for the model; try another image."))
            raise ImageFileError(sentence) from None
        items = [ImageItem(key, p.n_tokens, p.n_pos) if isinstance(p, ImageSpan) else p for p in chunks.pieces]
        return PreparedImage(key, items, chunks)
