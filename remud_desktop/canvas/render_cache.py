"""Rendered pages kept in memory, least recently used first out, bounded by bytes.

Lives in the GUI thread (workers hand their images to it through signals). Keys are
(document key, page, zoom bucket): a bucket is a render scale rounded up to a step of
2^(1/4), so small zoom changes reuse a render and a render is never blurrier than asked.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from PySide6.QtGui import QImage

DEFAULT_LIMIT_BYTES = 256 * 1024 * 1024
BUCKETS_PER_OCTAVE = 4
MAX_RENDER_PIXELS = 16_000_000  # a full-page render never exceeds this (≈48 MB in RGB)


def zoom_bucket(scale: float) -> int:
    """The bucket of a render scale (pixels per PDF point): the first step ≥ scale."""
    return math.ceil(math.log2(max(scale, 1e-3)) * BUCKETS_PER_OCTAVE - 1e-9)


def bucket_scale(bucket: int) -> float:
    return 2.0 ** (bucket / BUCKETS_PER_OCTAVE)


def render_bucket(scale: float, page_width: float, page_height: float) -> int:
    """The bucket to render a page at for `scale`, capped so one render stays affordable."""
    bucket = zoom_bucket(scale)
    while bucket > -4 * BUCKETS_PER_OCTAVE and (
        page_width * bucket_scale(bucket) * page_height * bucket_scale(bucket) > MAX_RENDER_PIXELS
    ):
        bucket -= 1
    return bucket


CacheKey = tuple[Hashable, int, int]  # (document key, page, bucket)


@dataclass(frozen=True)
class CacheStats:
    bytes_used: int
    limit_bytes: int
    entries: int
    hits: int
    misses: int
    evictions: int


class RenderCache:
    def __init__(self, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self.limit_bytes = int(limit_bytes)
        self._images: OrderedDict[CacheKey, QImage] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = self.evictions = 0

    def get(self, key: CacheKey) -> QImage | None:
        """The image for `key`, marked as just used; counts a hit or a miss."""
        image = self._images.get(key)
        if image is None:
            self.misses += 1
            return None
        self.hits += 1
        self._images.move_to_end(key)
        return image

    def contains(self, key: CacheKey) -> bool:
        return key in self._images

    def best_for(self, doc_key: Hashable, page: int, bucket: int) -> tuple[int, QImage] | None:
        """Any render of the page (the one nearest `bucket`), to show while the right one
        is made; no hit or miss is counted."""
        found = [(abs(b - bucket), b) for (d, p, b) in self._images if d == doc_key and p == page]
        if not found:
            return None
        _, b = min(found)
        return b, self._images[(doc_key, page, b)]

    def put(self, key: CacheKey, image: QImage) -> None:
        size = image.sizeInBytes()
        old = self._images.pop(key, None)
        if old is not None:
            self._bytes -= old.sizeInBytes()
        if size > self.limit_bytes:
            return  # would push out everything else and still not fit
        self._images[key] = image
        self._bytes += size
        while self._bytes > self.limit_bytes and self._images:
            _, gone = self._images.popitem(last=False)
            self._bytes -= gone.sizeInBytes()
            self.evictions += 1

    def discard_document(self, doc_key: Hashable) -> None:
        for key in [k for k in self._images if k[0] == doc_key]:
            self._bytes -= self._images.pop(key).sizeInBytes()

    def clear(self) -> None:
        self._images.clear()
        self._bytes = 0

    def reset_counters(self) -> None:
        self.hits = self.misses = self.evictions = 0

    def stats(self) -> CacheStats:
        return CacheStats(self._bytes, self.limit_bytes, len(self._images), self.hits, self.misses, self.evictions)

    def __len__(self) -> int:
        return len(self._images)
