"""Figure crops for an export: rendered once, cached in the project, linked into the folder.

A crop is cached as cache/export-crops/<figure id>-<settings key>-<sha256 of its PNG>.png;
the key hashes everything the pixels depend on (source document, page, rect, the masks of
the page reaching into it, image xref, last edit, pixel cap), so a second export of
unchanged figures renders nothing. Many cold renders run in a small process pool. Crops
enter the export as images/<first 24 hex of the sha256>.png, by hard link when the export
lies on the same file system as the project, else by copy.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import multiprocessing
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from engine.errors import CancelledError
from engine.geometry import Rect
from engine.i18n import tr
from engine.pdf.crops import figure_raster
from engine.pdf.opener import DocumentCache
from engine.store import documents, figures
from engine.store.models import Figure
from engine.store.project import Project

CACHE_DIR = "export-crops"
DPI = 200
NAME_HEX = 24
WORKERS = min(2, os.cpu_count() or 1)  # render processes for a cold export
POOL_MIN = 1000  # fewer crops than this render in-process (spawning workers costs seconds)
POOL_BATCH = 50
PART_NAME = re.compile(r"\d+-[0-9a-f]{16}-[0-9a-f]{64}\.\d+\.part")  # a render being written (CropCache.render)


@dataclass(frozen=True)
class CropFile:
    path: str  # relative to the export folder: images/<hash>.png
    sha256: str


def settings_key(fig: Figure, doc_sha256: str, max_pixels: int | None, masks: Sequence[Rect]) -> str:
    """`masks`: the masks of the figure's page that reach into it (other figures' masks black out this crop too)."""
    data = [doc_sha256, fig.page, fig.rect.as_tuple(), [m.as_tuple() for m in masks], fig.image_xref,
            fig.updated_at, max_pixels, DPI]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def png_bytes(raster, max_pixels: int | None) -> bytes:
    img = raster.to_pil()
    if max_pixels and img.width * img.height > max_pixels:
        scale = math.sqrt(max_pixels / (img.width * img.height))
        size = (max(1, int(img.width * scale)), max(1, int(img.height * scale)))
        img = img.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def _place(source: Path, target: Path) -> None:
    """Hard link (same file system) or copy `source` to `target`."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


class CropCache:
    """The project's cache of rendered export crops."""

    def __init__(self, project: Project, max_pixels: int | None) -> None:
        self.project = project
        self.max_pixels = max_pixels
        self.folder = project.cache_dir / CACHE_DIR
        self.renders = 0
        self._entries: dict[str, str] | None = None  # "<fid>-<key>" -> file name
        self._doc_sha: dict[int, str] = {}
        self._masks: dict[int, dict[int, tuple[Rect, ...]]] = {}  # doc id -> {page: masks}

    def remove_stale_parts(self, max_age: float) -> None:
        """Delete half-written renders older than `max_age` seconds: a killed export leaves them. Only
        files named as `render` names them (<figure>-<key>-<sha256>.<pid>.part) are touched."""
        cutoff = time.time() - max_age
        for part in self.folder.glob("*.part"):
            try:
                if PART_NAME.fullmatch(part.name) and part.stat().st_mtime < cutoff:
                    part.unlink()
            except OSError:
                continue

    def _scan(self) -> dict[str, str]:
        if self._entries is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._entries = {}
            with os.scandir(self.folder) as it:
                for entry in it:
                    parts = entry.name.removesuffix(".png").split("-")
                    if entry.name.endswith(".png") and len(parts) == 3:
                        self._entries[f"{parts[0]}-{parts[1]}"] = entry.name
        return self._entries

    def _masks_on(self, fig: Figure) -> tuple[Rect, ...]:
        """The masks of the figure's page (any figure's) that reach into its crop."""
        if fig.doc_id not in self._masks:
            self._masks[fig.doc_id] = figures.masks_by_page(self.project, fig.doc_id)
        return tuple(m for m in self._masks[fig.doc_id].get(fig.page, ()) if not m.intersect(fig.rect).is_empty)

    def _stem(self, fig: Figure) -> str:
        if fig.doc_id not in self._doc_sha:
            self._doc_sha[fig.doc_id] = documents.get_document(self.project, fig.doc_id).sha256
        return f"{fig.id}-{settings_key(fig, self._doc_sha[fig.doc_id], self.max_pixels, self._masks_on(fig))}"

    def lookup(self, fig: Figure) -> tuple[Path, str] | None:
        """(cached file, sha256 of its bytes), or None when the figure must be rendered."""
        name = self._scan().get(self._stem(fig))
        if name is not None and (self.folder / name).is_file():
            return self.folder / name, name.removesuffix(".png").split("-")[2]
        return None

    def render(self, fig: Figure, docs: DocumentCache) -> tuple[Path, str]:
        """Render the crop into the cache (replacing older renderings of the figure)."""
        entries, stem = self._scan(), self._stem(fig)
        data = png_bytes(figure_raster(self.project, fig, dpi=DPI, cache=docs, masks=self._masks_on(fig)),
                         self.max_pixels)
        self.renders += 1
        digest = hashlib.sha256(data).hexdigest()
        path = self.folder / f"{stem}-{digest}.png"
        tmp = path.with_suffix(f".{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        for old_stem in [s for s in entries if s.startswith(f"{fig.id}-") and s != stem]:
            (self.folder / entries.pop(old_stem)).unlink(missing_ok=True)  # an older rendering: no longer wanted
        entries[stem] = path.name
        return path, digest


def _render_in_worker(folder: str, max_pixels: int | None, figure_ids: list[int]) -> list[tuple[int, str, str]]:
    """Pool worker: render figures into the project's crop cache; [(figure id, file, sha256)]."""
    with Project.open(folder) as project:
        cache, docs = CropCache(project, max_pixels), DocumentCache()
        try:
            out = []
            for fid in figure_ids:
                path, digest = cache.render(figures.get_figure(project, fid), docs)
                out.append((fid, str(path), digest))
            return out
        finally:
            docs.close_all()


def _cancelled() -> CancelledError:
    return CancelledError(tr("Export cancelled while writing the figure crops; nothing was written."))


def _render_pool(cache: CropCache, missing: list[Figure], workers: int, tick: Callable[[], None],
                 cancel: Callable[[], bool]) -> dict[int, tuple[Path, str]]:
    """Render in `workers` processes (spawned: safe next to the GUI's threads). PyMuPDF holds
    the GIL, so threads would not help; on 2 cores two processes render ~1.3-1.8x faster."""
    done: dict[int, tuple[Path, str]] = {}
    batches = [[f.id for f in missing[i:i + POOL_BATCH]] for i in range(0, len(missing), POOL_BATCH)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        futures = [pool.submit(_render_in_worker, str(cache.project.folder), cache.max_pixels, b) for b in batches]
        try:
            for future in as_completed(futures):
                for fid, path, digest in future.result():
                    done[fid] = (Path(path), digest)
                    tick()
                if cancel():
                    raise _cancelled()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    cache.renders += len(done)
    return done


def write_crops(
    project: Project,
    figure_ids: Iterable[int],
    out_dir: Path,
    cache: CropCache,
    *,
    workers: int = WORKERS,
    pool_min: int = POOL_MIN,
    progress: Callable[[str, int, int], None] | None = None,
    cancel: Callable[[], bool] = lambda: False,
) -> dict[int, CropFile]:
    """Every figure's crop as images/<hash>.png under `out_dir`: {figure id: CropFile}.
    Cached crops are reused; missing ones are rendered (in a process pool when there are many)."""
    ids = [int(i) for i in figure_ids]
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    count = [0]

    def tick() -> None:
        count[0] += 1
        if progress:
            progress("images", count[0], len(ids))

    if progress:
        progress("images", 0, len(ids))
    found: dict[int, tuple[Path, str]] = {}
    missing: list[Figure] = []
    for fid in ids:
        if cancel():
            raise _cancelled()
        fig = figures.get_figure(project, fid)
        hit = cache.lookup(fig)
        if hit is None:
            missing.append(fig)
        else:
            found[fid] = hit
            tick()
    if workers > 1 and len(missing) >= pool_min:
        try:
            found.update(_render_pool(cache, missing, workers, tick, cancel))
        except BrokenProcessPool:  # workers could not start (e.g. a frozen app without freeze_support)
            count[0] = len(found)
    docs = DocumentCache()
    try:
        for fig in missing:
            if fig.id in found:
                continue
            if cancel():
                raise _cancelled()
            found[fig.id] = cache.render(fig, docs)
            tick()
    finally:
        docs.close_all()
    placed: dict[str, CropFile] = {}
    out: dict[int, CropFile] = {}
    for fid in ids:
        source, digest = found[fid]
        crop = placed.get(digest)
        if crop is None:
            rel = f"images/{digest[:NAME_HEX]}.png"
            _place(source, out_dir / rel)
            crop = placed[digest] = CropFile(rel, digest)
        out[fid] = crop
    return out
