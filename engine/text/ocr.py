"""OCR behind a small protocol, and the `TextLine` every text source produces.

`RapidOcrEngine` runs rapidocr 3 with the PP-OCRv6 small Chinese + English models that
ship inside its wheel; `shared_ocr()` is the one instance a process reads with by default.
It works on RGB numpy arrays (`ocr_image`, pixel quads out) and on PyMuPDF pages
(`ocr_page`, `TextLine`s in PDF points out). `RapidOcrV4Engine` is the PP-OCRv4 engine of
rapidocr-onnxruntime the app used before, kept for comparison when that package is installed.
The recogniser returns text-line fragments; `merge_ocr_boxes` joins fragments that sit on
the same line into one `TextLine` per visual line, keeping separate columns apart.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import pymupdf

from engine.errors import OcrError
from engine.geometry import Rect
from engine.i18n import tr
from engine.imaging import cv2
from engine.pdf.render import pixmap

Quad = list[tuple[float, float]]
OcrItem = tuple[Quad, str, float]  # (4 corner points in pixels, text, confidence)
# one line as an engine reads it: (quad, text, score, character quads, characters); the last
# two are empty when the engine gave no character boxes for the line
_RawLine = tuple[Quad, str, float, list, list[str]]


@dataclass(frozen=True)
class TextLine:
    """One visual line of text in PDF points of the page's own (rotated) rect."""

    rect: Rect
    text: str
    score: float = 1.0
    source: Literal["text", "ocr"] = "text"
    size: float = 0.0  # font size in points (OCR: estimated from the line height)
    bold: bool = False


@runtime_checkable
class OcrEngine(Protocol):
    def ocr_image(self, image: np.ndarray) -> list[OcrItem]:
        """Text fragments found in an RGB (or gray) uint8 image, pixel coordinates."""
        ...

    def ocr_page(self, page: pymupdf.Page, dpi: int = 200, clip: Rect | None = None) -> list[TextLine]:
        """Text lines of a page (or of `clip` on it), in PDF points."""
        ...


def render_rgb(page: pymupdf.Page, dpi: int, clip: Rect | None = None) -> tuple[np.ndarray, Rect]:
    """Render `clip` (default: the whole page) as an RGB array; returns it and the area it shows."""
    prect = page.rect
    area = Rect(prect.x0, prect.y0, prect.x1, prect.y1)
    if clip is not None:
        area = clip.intersect(area)
        if area.is_empty:
            raise OcrError(tr("The area to read lies outside the page."))
    # clip is in the rotated page's space, the same space as page.rect and our Rects; a huge
    # page is read at a lower resolution (fit_dpi) rather than not at all
    pix = pixmap(page, dpi, clip=pymupdf.Rect(*area.as_tuple()))
    arr = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, : pix.width * 3]
    return arr.reshape(pix.height, pix.width, 3).copy(), area


def page_ocr(engine: OcrEngine, page: pymupdf.Page, dpi: int = 200, clip: Rect | None = None) -> list[TextLine]:
    """`ocr_page` for any engine that can read images: render, read, merge, map to points."""
    image, area = render_rgb(page, dpi, clip)
    if image.size == 0:
        return []
    items = engine.ocr_image(image)
    sx, sy = area.width / image.shape[1], area.height / image.shape[0]
    lines = merge_ocr_boxes(items)
    return [
        TextLine(
            rect=Rect(area.x0 + ln.rect.x0 * sx, area.y0 + ln.rect.y0 * sy, area.x0 + ln.rect.x1 * sx, area.y0 + ln.rect.y1 * sy),
            text=ln.text,
            score=ln.score,
            source="ocr",
            size=ln.size * sy,
        )
        for ln in lines
    ]


class _RapidBase:
    """What both rapidocr engines share: lazy model loading, the lock, respacing, folding.

    The model is loaded on first use, once per instance. Calls on one instance are
    serialised by a lock; give each worker thread its own instance to read in parallel
    (`shared_ocr()` is the one instance the app uses by default).
    """

    name = "rapidocr"
    version = ""  # the models, for reports
    # what the OCR cache files this engine's readings under (engine.text.pipeline): another
    # engine's readings, or other model files', are not taken for its own
    cache_name = ""

    def __init__(
        self,
        text_score: float = 0.5,
        threads: int | None = None,
        *,
        det_model: str | Path | None = None,
        rec_model: str | Path | None = None,
        cls_model: str | Path | None = None,
    ) -> None:
        """`det_model`/`rec_model`/`cls_model`: ONNX files replacing the wheel's own."""
        self.text_score = text_score
        self.threads = threads
        self.models = {"det": det_model, "rec": rec_model, "cls": cls_model}
        custom = [f"{k}={Path(v).name}" for k, v in self.models.items() if v is not None]
        self.cache_name = type(self).cache_name + (f" ({', '.join(custom)})" if custom else "")
        self._ocr: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        raise NotImplementedError

    def _read(self, model: Any, img: np.ndarray) -> list[_RawLine]:
        raise NotImplementedError

    def _model(self) -> Any:
        if self._ocr is None:
            cv2()  # first cv2 import goes through the wrapper that keeps Qt's env clean
            self._ocr = self._load()
        return self._ocr

    def ocr_image(self, image: np.ndarray) -> list[OcrItem]:
        img = _as_bgr(image)
        with self._lock:
            model = self._model()
            try:
                raw = self._read(model, img)
            except OcrError:
                raise
            except Exception as exc:
                raise OcrError(tr("OCR failed on an image of {width}x{height} pixels ({reason}).").format(
                    width=img.shape[1], height=img.shape[0], reason=exc)) from exc
        out: list[OcrItem] = []
        for quad, text, score, char_quads, chars in raw:
            if char_quads and chars and len(char_quads) == len(chars):
                # character boxes let us put back the spaces the recogniser drops between words
                text = _respace(img, quad, char_quads, chars) or text
            text = fold_fullwidth(text).strip()
            if text:
                out.append(([(float(x), float(y)) for x, y in quad], text, score))
        return out

    def ocr_page(self, page: pymupdf.Page, dpi: int = 200, clip: Rect | None = None) -> list[TextLine]:
        return page_ocr(self, page, dpi, clip)


_RAPIDOCR_MODELS = {"det": "PP-OCRv6_det_small.onnx", "rec": "PP-OCRv6_rec_small.onnx",
                    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}


class RapidOcrEngine(_RapidBase):
    """rapidocr 3 with the PP-OCRv6 small Chinese + English models from its wheel.

    The wheel's own model files are named explicitly, so rapidocr never looks for (or
    downloads) anything else. Chosen over rapidocr-onnxruntime's PP-OCRv4 by measurement:
    tests/benchmarks/bench_ocr_engines.py.
    """

    version = "PP-OCRv6 small"
    cache_name = "rapidocr 3 PP-OCRv6 small"  # not "RapidOcrEngine": PP-OCRv4 readings were filed under that

    def _load(self) -> Any:
        try:
            import rapidocr  # heavy: onnxruntime, omegaconf
            from rapidocr import RapidOCR
        except Exception as exc:  # ImportError, or onnxruntime failing to load
            raise OcrError(tr("OCR is not available: {package} could not be imported ({reason}).").format(
                package="rapidocr", reason=exc)) from exc
        own = Path(rapidocr.__file__).parent / "models"
        params: dict[str, Any] = {"Global.log_level": "error", "Global.text_score": self.text_score}
        for task, file in _RAPIDOCR_MODELS.items():
            params[f"{task.capitalize()}.model_path"] = str(self.models[task] or own / file)
        if self.threads:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = int(self.threads)
        try:
            ocr = RapidOCR(params=params)
            # rapidocr loads each model on first use; load them now, so a broken or missing file
            # says so here and not as a failure to read some page
            for load in ("_load_det_model", "_load_cls_model", "_load_rec_model"):
                getattr(ocr, load)()
        except Exception as exc:
            raise OcrError(tr("The OCR models could not be loaded ({reason}). Reinstall {package}.").format(
                reason=exc, package="rapidocr")) from exc
        return ocr

    def _read(self, model: Any, img: np.ndarray) -> list[_RawLine]:
        res = model(img, return_word_box=True, return_single_char_box=True, text_score=self.text_score)
        txts, boxes, scores = getattr(res, "txts", None), getattr(res, "boxes", None), getattr(res, "scores", None)
        if not txts or boxes is None or scores is None:
            return []
        words = getattr(res, "word_results", None) or ()
        aligned = len(words) == len(txts)  # rapidocr drops the character boxes of a line it cannot split
        out: list[_RawLine] = []
        for i, (quad, text, score) in enumerate(zip(boxes, txts, scores)):
            text = str(text)
            char_quads: list = []
            chars: list[str] = []
            if aligned and "".join(str(w[0]) for w in words[i]) == "".join(text.split()):
                # one box per character, spaces left out: carry the recogniser's own spaces on
                # the character after them, so respacing only adds the ones it missed
                pieces, k = [], 0
                for w in words[i]:
                    ch = str(w[0])
                    while k < len(text) and text[k].isspace():
                        k += 1
                    pieces.append((" " if k and text[k - 1].isspace() else "") + ch)
                    k += len(ch)
                if len(pieces) == len(words[i]):
                    char_quads, chars = [w[2] for w in words[i]], pieces
            out.append(([(float(x), float(y)) for x, y in quad], text, float(score), char_quads, chars))
        return out


class RapidOcrV4Engine(_RapidBase):
    """rapidocr-onnxruntime 1.4.4 (PP-OCRv4), the engine the app used before; only for
    comparing (tests/benchmarks/bench_ocr_engines.py). Not a dependency: reading raises
    OcrError when the package is not installed."""

    version = "PP-OCRv4"
    cache_name = "RapidOcrEngine"  # the name its readings were filed under when it was the app's engine

    def _load(self) -> Any:
        try:
            from rapidocr_onnxruntime import RapidOCR  # heavy: onnxruntime and the OCR models
        except Exception as exc:  # ImportError, or onnxruntime failing to load
            raise OcrError(tr("OCR is not available: {package} could not be imported ({reason}).").format(
                package="rapidocr-onnxruntime", reason=exc)) from exc
        kwargs: dict[str, Any] = {"text_score": self.text_score}
        if self.threads:
            kwargs["intra_op_num_threads"] = self.threads
        kwargs.update({f"{k}_model_path": str(v) for k, v in self.models.items() if v is not None})
        try:
            return RapidOCR(**kwargs)
        except Exception as exc:
            raise OcrError(tr("The OCR models could not be loaded ({reason}). Reinstall {package}.").format(
                reason=exc, package="rapidocr-onnxruntime")) from exc

    def _read(self, model: Any, img: np.ndarray) -> list[_RawLine]:
        result, _elapsed = model(img, return_word_box=True, text_score=self.text_score)
        out: list[_RawLine] = []
        for entry in result or []:
            quad, text, score = entry[0], str(entry[1]), float(entry[2])
            char_quads, chars = [], []
            if len(entry) >= 5 and entry[3] and len(entry[3]) == len(entry[4]):
                char_quads, chars = list(entry[3]), [str(w) for w in entry[4]]
            out.append(([(float(x), float(y)) for x, y in quad], text, score, char_quads, chars))
        return out


_shared: RapidOcrEngine | None = None
_shared_lock = threading.Lock()


def shared_ocr() -> RapidOcrEngine:
    """The process's one OCR engine, made on the first call (its models load on first read).

    Loading the models costs memory and about a second; every default reader (the text
    pipeline, the figure inspector) shares this instance, whose lock serialises the reads.
    """
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = RapidOcrEngine()
    return _shared


SPACE_GAP = 0.17  # an ink-free run this many line heights wide between two Latin letters is a space


def _respace(img: np.ndarray, quad, char_quads, chars: list[str]) -> str:
    """Put back the spaces the recogniser drops between Latin words.

    The recogniser's character boxes are rough (CTC steps), so the gaps are measured in
    the image itself: columns of the line with no ink that are wider than SPACE_GAP line
    heights. A space goes between the two characters whose centres straddle such a gap,
    when both are Latin. Vertical or tilted lines are left as read.
    """
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    x0, x1, y0, y1 = int(max(0, min(xs))), int(min(img.shape[1], max(xs))), int(max(0, min(ys))), int(min(img.shape[0], max(ys)))
    height = y1 - y0
    if height <= 2 or x1 - x0 < 2 * height or abs(quad[0][1] - quad[1][1]) > 0.25 * height:
        return ""
    gray = img[y0:y1, x0:x1].mean(axis=2) if img.ndim == 3 else img[y0:y1, x0:x1]
    lo, hi = float(gray.min()), float(gray.max())
    if hi - lo < 40:
        return ""
    ink = gray < (lo + hi) / 2 if gray.mean() > (lo + hi) / 2 else gray > (lo + hi) / 2  # dark on light, or light on dark
    empty = ~ink.any(axis=0)
    runs, start = [], None  # ink-free column runs inside the line: (start, end)
    for x, e in enumerate(np.append(empty, False)):
        if e and start is None:
            start = x
        elif not e and start is not None:
            if start > 0:
                runs.append((start, x))
            start = None
    if not runs:
        return ""
    typical = float(np.median([b - a for a, b in runs]))  # most gaps are between letters
    wide = max(SPACE_GAP * height, 1.8 * typical)
    gaps = [x0 + (a + b) / 2 for a, b in runs if b - a >= wide]
    centres = [(min(p[0] for p in q) + max(p[0] for p in q)) / 2 for q in char_quads]
    text = ""
    for i, ch in enumerate(chars):
        if i and text and ch and _may_split(text, "".join(chars[i:])) and any(centres[i - 1] < g < centres[i] for g in gaps):
            text += " "
        text += ch
    return text


def _may_split(before: str, after: str) -> bool:
    """Between two letters, after a clause mark, or between a word of 3+ letters and a
    number ("Figure 3", "3-4 Sonograms"); never inside codes such as "C5-1"."""
    prev, nxt = before[-1], after[0]
    if prev.isspace() or nxt.isspace() or is_cjk(prev) or is_cjk(nxt):
        return False
    if prev.isalpha() and nxt.isalpha():
        return True
    if prev in ",;:" and nxt.isalnum():
        return True
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    word_before = len(before) - len(before.rstrip(letters))
    word_after = len(after) - len(after.lstrip(letters))
    return (prev.isalpha() and nxt.isdigit() and word_before >= 3) or (prev.isdigit() and word_after >= 3)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise OcrError(tr("OCR needs an 8-bit image."))
    cv = cv2()
    if image.ndim == 2:
        return cv.cvtColor(image, cv.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv.cvtColor(image, cv.COLOR_RGBA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image[:, :, ::-1])
    raise OcrError(tr("OCR cannot read an image of shape {shape}.").format(shape=image.shape))


def fold_fullwidth(text: str) -> str:
    """Full-width Latin letters and digits (often produced by the recogniser) to ASCII."""
    return "".join(chr(ord(c) - 0xFEE0) if ("０" <= c <= "９" or "Ａ" <= c <= "Ｚ" or "ａ" <= c <= "ｚ") else c for c in text)


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x3000 <= o <= 0x303F


def join_fragments(left: str, right: str) -> str:
    """Join two pieces of one line: no space between CJK characters, one between words."""
    if not left:
        return right
    if not right:
        return left
    if left[-1].isspace() or right[0].isspace():
        return left + right
    if is_cjk(left[-1]) or is_cjk(right[0]):
        return left + right
    return left + " " + right


@dataclass
class _Frag:
    rect: Rect
    text: str
    score: float

    @property
    def height(self) -> float:
        return self.rect.height


def merge_ocr_boxes(items: Sequence[OcrItem], max_gap: float = 1.0) -> list[TextLine]:
    """Join OCR fragments into lines (pixel space).

    Fragments are on one line when they overlap vertically by half the smaller height
    and the horizontal gap is at most `max_gap` line heights; a wider gap (a column
    gutter, or two labels far apart) keeps them as separate lines. Vertical text (a box
    much taller than wide, e.g. on a page shown rotated) stays one line per box.
    """
    frags = []
    for quad, text, score in items:
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        frags.append(_Frag(Rect(min(xs), min(ys), max(xs), max(ys)), text, score))
    vertical = [f for f in frags if len(f.text) > 1 and f.rect.height > 1.5 * f.rect.width]
    frags = [f for f in frags if f not in vertical]  # vertical text: each box is its own line
    frags.sort(key=lambda f: (f.rect.center[1], f.rect.x0))
    rows: list[list[_Frag]] = [[f] for f in vertical]
    for f in frags:  # rows: fragments overlapping vertically by half a line
        for row in reversed(rows[len(vertical):][-4:]):
            top, bottom = min(g.rect.y0 for g in row), max(g.rect.y1 for g in row)
            h = min(f.height, sorted(g.height for g in row)[len(row) // 2])
            if h > 0 and min(bottom, f.rect.y1) - max(top, f.rect.y0) >= 0.5 * h and not _stacked(f, row):
                row.append(f)
                break
        else:
            rows.append([f])
    lines: list[list[_Frag]] = []
    for row in rows:  # split a row where the gap is wide (columns, labels far apart)
        row.sort(key=lambda f: f.rect.x0)
        lines.append([row[0]])
        for f in row[1:]:
            last = lines[-1][-1]
            if f.rect.x0 - last.rect.x1 > max_gap * max(f.height, last.height):
                lines.append([f])
            else:
                lines[-1].append(f)
    out: list[TextLine] = []
    for line in lines:
        line.sort(key=lambda f: f.rect.x0)
        text, weight, total = "", 0.0, 0
        prev: _Frag | None = None
        for f in line:
            piece = f.text
            if prev is not None:
                piece = _drop_repeated_prefix(prev, f)
            text = join_fragments(text, piece) if prev is not None and f.rect.x0 - prev.rect.x1 > 0.2 * f.height else text + piece
            weight += f.score * max(1, len(f.text))
            total += max(1, len(f.text))
            prev = f
        rect = Rect.union_of(f.rect for f in line)
        heights = sorted(min(f.height, f.rect.width) if f in vertical else f.height for f in line)
        out.append(TextLine(rect, text.strip(), weight / total, "ocr", heights[len(heights) // 2] * 0.75))
    out.sort(key=lambda ln: (ln.rect.y0, ln.rect.x0))
    return out


def _stacked(f: _Frag, row: list[_Frag]) -> bool:
    """`f` sits above or below a fragment of the row (they share columns but not half a line): labels
    stacked in a frame, whose padded boxes reach into each other's line."""
    return any(min(f.rect.x1, g.rect.x1) > max(f.rect.x0, g.rect.x0)
               and min(f.rect.y1, g.rect.y1) - max(f.rect.y0, g.rect.y0) < 0.5 * min(f.height, g.height)
               for g in row)


def _drop_repeated_prefix(prev: _Frag, cur: _Frag) -> str:
    """The detector sometimes cuts a line into overlapping boxes and both read the shared
    characters ("图3" + "3-1"); drop the repeat from the right fragment."""
    overlap = prev.rect.x1 - cur.rect.x0
    if overlap <= 0 or not prev.text:
        return cur.text
    char_w = prev.rect.width / max(1, len(prev.text))
    allowed = round(overlap / max(char_w, 1e-6)) + 1
    for k in range(min(3, allowed, len(prev.text), len(cur.text)), 0, -1):
        if prev.text[-k:] == cur.text[:k]:
            return cur.text[k:]
    return cur.text
