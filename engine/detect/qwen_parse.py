"""Pure helpers for the qwen-vl detector: Qwen2.5-VL's resize rule and a lenient
parser for the grounding answers the model writes (its JSON leniency is engine.llm.lenient_json).

Nothing here touches the network, PyMuPDF or PIL, so all of it is cheap to test.

Qwen2.5-VL sees an image resized so both sides are multiples of 28 (14 px patches
merged 2x2) and the pixel count lies within [min_pixels, max_pixels]; it answers with
absolute pixel boxes in that resized image. Qwen2-VL and Qwen-VL instead wrote
`<|box_start|>(x1,y1),(x2,y2)<|box_end|>` with coordinates on a 0..1000 grid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, Literal

from engine.geometry import Rect
from engine.llm.lenient_json import fenced_blocks, loads_lenient, without_thinking

IMAGE_FACTOR = 28
DEFAULT_MIN_PIXELS = 56 * 56  # 4 * 28 * 28, the processor's default
DEFAULT_MAX_PIXELS = 1280 * 28 * 28  # the usual grounding budget (~1 megapixel)
MAX_ASPECT_RATIO = 200

Coords = Literal["pixels", "norm1000"]

_BOX_KEYS = ("bbox_2d", "bbox", "box", "bbox2d", "bounding_box", "coordinates")
_LABEL_KEYS = ("label", "category", "type", "name", "class")
_CAPTION_KEYS = ("caption", "description", "text", "title")
_SCORE_KEYS = ("score", "confidence", "conf", "probability")


# ----------------------------------------------------------------------------- resize


def smart_resize(
    height: int,
    width: int,
    factor: int = IMAGE_FACTOR,
    min_pixels: int = DEFAULT_MIN_PIXELS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[int, int]:
    """The (height, width) Qwen2.5-VL's processor resizes a height x width image to.

    Each side is rounded to the nearest multiple of `factor` (Python's round, so halves
    go to even); if that leaves too many pixels both sides are scaled down by one
    factor and floored, if too few they are scaled up and ceiled. Raises ValueError for
    empty images and for aspect ratios beyond 200:1, as the processor does.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, got {height}x{width}")
    if min_pixels > max_pixels:
        raise ValueError(f"min_pixels ({min_pixels}) is larger than max_pixels ({max_pixels})")
    ratio = max(height, width) / min(height, width)
    if ratio > MAX_ASPECT_RATIO:
        raise ValueError(f"absolute aspect ratio must be smaller than {MAX_ASPECT_RATIO}, got {ratio}")
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def box_to_page(
    bbox: list[float] | tuple[float, float, float, float],
    image_size: tuple[int, int],
    page: Rect,
    coords: Coords = "pixels",
) -> Rect:
    """Map a model box back to page points; corners may come in any order.

    `image_size` is (width, height) of the resized image the model saw, which covered
    `page` (the page's own rect) edge to edge. The result is not clipped.
    """
    x1, y1, x2, y2 = (float(v) for v in bbox)
    if coords == "norm1000":
        sx = page.width / 1000.0
        sy = page.height / 1000.0
    else:
        w, h = image_size
        sx = page.width / w
        sy = page.height / h
    return Rect.normalized(page.x0 + x1 * sx, page.y0 + y1 * sy, page.x0 + x2 * sx, page.y0 + y2 * sy)


def page_to_box(rect: Rect, image_size: tuple[int, int], page: Rect) -> list[float]:
    """Inverse of box_to_page for pixel coordinates (what the model should answer)."""
    w, h = image_size
    sx = w / page.width
    sy = h / page.height
    return [(rect.x0 - page.x0) * sx, (rect.y0 - page.y0) * sy, (rect.x1 - page.x0) * sx, (rect.y1 - page.y0) * sy]


# ----------------------------------------------------------------------------- parsing

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Qwen2-VL: <|object_ref_start|>label<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>
# Qwen-VL:  <ref>label</ref><box>(x1,y1),(x2,y2)</box>
_SPECIAL_BOX = re.compile(
    r"(?:(?:<\|object_ref_start\|>|<ref>)(?P<label>.*?)(?:<\|object_ref_end\|>|</ref>)\s*)?"
    r"(?:<\|box_start\|>|<box>)\s*\(\s*(?P<x1>[-\d.]+)\s*,\s*(?P<y1>[-\d.]+)\s*\)\s*,?\s*"
    r"\(\s*(?P<x2>[-\d.]+)\s*,\s*(?P<y2>[-\d.]+)\s*\)\s*(?:<\|box_end\|>|</box>)",
    re.S,
)


def parse_grounding(text: Any) -> list[dict]:
    """Every box the model wrote, as dicts with normalized keys.

    Each dict has "bbox_2d" (four floats, corners as written), "label" (str, may be
    ""), "caption" (str), "score" (float or None) and "coords" ("pixels" for JSON
    answers, "norm1000" for Qwen2-VL special-token boxes). Accepts fenced or bare
    JSON, prose around it, one object or a list, {"objects": [...]}-style wrappers,
    single quotes, trailing commas and answers cut off mid-object (every complete
    object is kept). Never raises: unreadable input gives [].
    """
    try:
        return _parse(text)
    except Exception:  # a parser for model output must not take the page down
        return []


def _parse(text: Any) -> list[dict]:
    if not isinstance(text, str) or not text.strip():
        return []
    text = without_thinking(text)
    special = _parse_special_tokens(text)
    if special:
        return special
    fenced = fenced_blocks(text)
    items: list[dict] = []
    for segment in fenced or [text]:
        items.extend(_parse_segment(segment))
    if not items and fenced:
        items = _parse_segment(text)
    return items


def _parse_special_tokens(text: str) -> list[dict]:
    items = []
    for m in _SPECIAL_BOX.finditer(text):
        try:
            bbox = [float(m.group(k)) for k in ("x1", "y1", "x2", "y2")]
        except ValueError:
            continue
        label = (m.group("label") or "").strip()
        items.append({"bbox_2d": bbox, "label": label, "caption": "", "score": None, "coords": "norm1000"})
    return items


def _parse_segment(segment: str) -> list[dict]:
    starts = [i for i in (segment.find("["), segment.find("{")) if i >= 0]
    if starts:
        value = loads_lenient(segment[min(starts):])
        if value is not None:
            items = list(_collect(value))
            if items:
                return items
    return _scan_objects(segment)


def _object_spans(s: str) -> list[tuple[int, int]]:
    """(start, end) of every {...} outside string literals, in order of start.

    One pass with a stack; an object that never closes (the answer was cut off inside
    it) gets end -1.
    """
    spans: dict[int, int] = {}
    stack: list[int] = []
    quote = ""
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'":
            # an apostrophe between letters is prose (or a caption), not a quote
            if not (c == "'" and 0 < i < n - 1 and s[i - 1].isalnum() and s[i + 1].isalnum()):
                quote = c
        elif c in "[{":
            stack.append(i)
            if c == "{":
                spans[i] = -1
        elif c in "]}" and stack:
            start = stack.pop()
            if start in spans:
                spans[start] = i + 1
        i += 1
    return sorted(spans.items())


def _scan_objects(s: str) -> list[dict]:
    """Salvage every complete {...} object that holds a box, at any depth.

    An object that never closes is skipped and the scan moves into it, so objects
    nested in a truncated wrapper are still found.
    """
    items: list[dict] = []
    done_until = 0
    for start, end in _object_spans(s):
        if start < done_until or end < 0:
            continue
        value = loads_lenient(s[start:end])
        found = list(_collect(value)) if value is not None else []
        if found:
            items.extend(found)
            done_until = end
    return items


def _collect(value: Any) -> Iterator[dict]:
    if isinstance(value, dict):
        item = _item_from_dict(value)
        if item is not None:
            yield item
            return
        for v in value.values():
            if isinstance(v, (dict, list)):
                yield from _collect(v)
    elif isinstance(value, list):
        bbox = _as_bbox(value)
        if bbox is not None:
            yield {"bbox_2d": bbox, "label": "", "caption": "", "score": None, "coords": "pixels"}
            return
        for v in value:
            yield from _collect(v)


def _item_from_dict(d: dict) -> dict | None:
    lowered = {str(k).strip().lower(): v for k, v in d.items()}
    bbox = None
    for key in _BOX_KEYS:
        if key in lowered:
            bbox = _as_bbox(lowered[key])
            if bbox is not None:
                break
    if bbox is None:
        bbox = _as_bbox({k: v for k, v in lowered.items() if k in _CORNER_KEYS})
    if bbox is None:
        return None
    return {
        "bbox_2d": bbox,
        "label": _first_text(lowered, _LABEL_KEYS),
        "caption": _first_text(lowered, _CAPTION_KEYS),
        "score": _score(lowered),
        "coords": "pixels",
    }


_CORNER_KEYS = ("x1", "y1", "x2", "y2", "xmin", "ymin", "xmax", "ymax", "x_min", "y_min", "x_max", "y_max")


def _as_bbox(v: Any) -> list[float] | None:
    """Four finite numbers from a list, a pair of points, a string or a corner dict."""
    nums: list[Any]
    if isinstance(v, str):
        nums = _NUMBER.findall(v)
    elif isinstance(v, (list, tuple)):
        if len(v) == 2 and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in v):
            nums = [v[0][0], v[0][1], v[1][0], v[1][1]]
        elif len(v) == 1 and isinstance(v[0], (list, tuple, str)):
            return _as_bbox(v[0])
        else:
            nums = list(v)
    elif isinstance(v, dict):
        for names in (("x1", "y1", "x2", "y2"), ("xmin", "ymin", "xmax", "ymax"), ("x_min", "y_min", "x_max", "y_max")):
            if all(k in v for k in names):
                nums = [v[k] for k in names]
                break
        else:
            return None
    else:
        return None
    if len(nums) != 4:
        return None
    out = []
    for x in nums:
        if isinstance(x, bool):
            return None
        try:
            f = float(x)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(f):
            return None
        out.append(f)
    return out


def _first_text(d: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        v = d.get(key)
        if isinstance(v, str) and v.strip():
            return " ".join(v.split())
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(v)
    return ""


def _score(d: dict) -> float | None:
    for key in _SCORE_KEYS:
        v = d.get(key)
        if isinstance(v, bool) or v is None:
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(f) or f < 0:
            continue
        if f <= 1.0:
            return f
        if f <= 100.0:
            return f / 100.0  # a percentage
    return None
