"""The qwen-vl detector: Qwen2.5-VL grounding through an OpenAI-compatible endpoint.

As in the ReMUD paper, the model sees the whole page and boxes every ultrasound image
(and other medical figure) on it, with its caption. The page is rendered, resized with
Qwen2.5-VL's own rule (sides multiples of 28, pixel count within min/max pixels), sent
as a data URI, and the absolute pixel boxes of the answer are mapped back to points of
the page's own rect through the same resize.

Servers that resize again with the same rule (vLLM, llama.cpp, SGLang serving
Qwen2.5-VL) leave such an image untouched, provided their max_pixels is not smaller
than ours. Models that answer on a 0..1000 grid (Qwen2-VL, Qwen3-VL) need
coordinates="norm1000".
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openai
import pymupdf
from PIL import Image

from engine.detect.base import Box, page_rect
from engine.detect.qwen_parse import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MIN_PIXELS,
    Coords,
    box_to_page,
    parse_grounding,
    smart_resize,
)
from engine.errors import DetectorError, EndpointError
from engine.geometry import Rect
from engine.i18n import tr
from engine.imaging import Raster
from engine.llm.errors import FailureKind, LLMCallError
from engine.llm.openai_chat import OpenAIChat
from engine.llm.urls import safe_url
from engine.pdf.render import apply_masks, pixmap
from engine.pdf.resolution import MAX_RENDER_PIXELS, check_dpi
from engine.resources import resource
from engine.secrets import get_secret

NAME = "qwen-vl"
PROMPT_FILE = ("prompts", "qwen_vl_grounding.txt")


class EndpointAuthError(EndpointError):
    """The endpoint refused the API key (401/403)."""


class EndpointUnreachableError(EndpointError):
    """Nothing answered at the base URL, or it did not answer in time."""


class EndpointModelError(EndpointError):
    """The endpoint does not know the model, or refused the request as malformed."""


# ----------------------------------------------------------------------------- prompt


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    text: str

    def render(self, width: int, height: int) -> str:
        return self.text.replace("{width}", str(width)).replace("{height}", str(height))

    @classmethod
    def parse(cls, raw: str, default_version: str = "custom") -> PromptTemplate:
        """Leading "#" lines are a header; "# version: X" names the version."""
        version = default_version
        lines = raw.splitlines()
        i = 0
        while i < len(lines) and lines[i].startswith("#"):
            key, _, value = lines[i].lstrip("#").partition(":")
            if key.strip().lower() == "version" and value.strip():
                version = value.strip()
            i += 1
        text = "\n".join(lines[i:]).strip()
        if not text:
            raise DetectorError(tr("The qwen-vl prompt template is empty."))
        return cls(version, text)


def load_prompt(path: Path | None = None) -> PromptTemplate:
    path = path or resource(*PROMPT_FILE)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DetectorError(tr("The qwen-vl prompt template {path} could not be read ({reason}).").format(
            path=path, reason=exc.strerror)) from exc
    return PromptTemplate.parse(raw)


# ----------------------------------------------------------------------------- errors


def endpoint_error(error: LLMCallError) -> EndpointError:
    """The EndpointError a failed call to the endpoint stands for (the same sentence)."""
    message = str(error)
    if error.kind is FailureKind.AUTH:
        return EndpointAuthError(message)
    if error.kind in (FailureKind.TIMEOUT, FailureKind.UNREACHABLE):
        return EndpointUnreachableError(message)
    if error.kind in (FailureKind.NO_MODEL, FailureKind.REFUSED):
        return EndpointModelError(message)
    return EndpointError(message)


# ----------------------------------------------------------------------------- image


@dataclass(frozen=True)
class PageImage:
    """The page as the model sees it: resized to Qwen2.5-VL's size, plus the page rect."""

    image: Image.Image
    page: Rect

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size  # (width, height)

    def data_uri(self, fmt: Literal["png", "jpeg"] = "png", quality: int = 90) -> str:
        buf = io.BytesIO()
        if fmt == "jpeg":
            self.image.save(buf, format="JPEG", quality=quality)
        else:
            self.image.save(buf, format="PNG", optimize=False)
        return f"data:image/{fmt};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def render_page(
    page: pymupdf.Page,
    *,
    dpi: float = 144.0,
    min_pixels: int = DEFAULT_MIN_PIXELS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    masks: Sequence[Rect] = (),
) -> PageImage:
    """Render the page, black out `masks` (PDF points: the page's redaction masks), then
    resize it to exactly the smart_resize size of the render.

    The render is capped at four times max_pixels so a poster-sized page does not
    allocate gigabytes before it is scaled down anyway.
    """
    rect = page_rect(page)
    if rect.width <= 0 or rect.height <= 0:
        raise DetectorError(tr("This page has no area to look at."))
    pix = pixmap(page, dpi, max_pixels=min(4 * max_pixels, MAX_RENDER_PIXELS))
    try:
        target_h, target_w = smart_resize(pix.height, pix.width, min_pixels=min_pixels, max_pixels=max_pixels)
    except ValueError as exc:
        raise DetectorError(
            tr("This page is too long and narrow ({width} x {height} pt) for the {detector} detector.").format(
                width=f"{rect.width:.0f}", height=f"{rect.height:.0f}", detector=NAME)
        ) from exc
    image = apply_masks(Raster.from_pixmap(pix), rect, masks).to_pil().convert("RGB")
    del pix
    if image.size != (target_w, target_h):
        image = image.resize((target_w, target_h), Image.Resampling.BICUBIC)
    return PageImage(image, rect)


# ----------------------------------------------------------------------------- detector


def _number(name: str, value: Any, kind: type) -> Any:
    try:
        number = kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError, OverflowError):
        raise DetectorError(tr("The {detector} setting {name} must be a number, not '{value}'.").format(
            detector=NAME, name=name, value=value)) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise DetectorError(tr("The {detector} setting {name} must be a finite number.").format(
            detector=NAME, name=name))
    return number


@dataclass(frozen=True)
class GroundingResult:
    boxes: list[Box]
    raw: str  # the model's answer, kept for anything that failed to parse
    image_size: tuple[int, int]
    truncated: bool = False  # finish_reason == "length"
    usage: dict = field(default_factory=dict)


class QwenVLDetector:
    name = NAME
    sends_page = True  # the page leaves the machine: detect_page hands it the page's masks

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        min_pixels: int = DEFAULT_MIN_PIXELS,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        timeout: float = 120.0,
        max_tokens: int = 2048,
        temperature: float = 0.0,
        max_retries: int = 2,
        dpi: float = 144.0,
        image_format: Literal["png", "jpeg"] = "png",
        coordinates: Coords = "pixels",
        min_box_pt: float = 8.0,
        prompt: PromptTemplate | None = None,
        prompt_file: str | Path | None = None,
        api_key_env: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        client: openai.OpenAI | None = None,
    ) -> None:
        """Settings may arrive as strings (card overrides, --param key=value).

        The key is `api_key`, else the keyring entry "qwen-vl", else the variable
        named by `api_key_env`, else OPENAI_API_KEY (as the SDK itself would), else
        "EMPTY" (what local servers expect). `prompt_file`
        replaces the shipped prompt template.
        """
        if not base_url:
            raise DetectorError(tr("The qwen-vl detector needs the base URL of an OpenAI-compatible endpoint."))
        if not model:
            raise DetectorError(tr("The qwen-vl detector needs a model name."))
        if image_format not in ("png", "jpeg"):
            raise DetectorError(tr("The qwen-vl detector cannot send images as '{format}'; use png or jpeg.").format(
                format=image_format))
        if coordinates not in ("pixels", "norm1000"):
            raise DetectorError(tr("Unknown box coordinates '{value}'; use pixels or norm1000.").format(value=coordinates))
        self.base_url = str(base_url)
        self.model = str(model)
        env_vars = ([api_key_env] if api_key_env else []) + ["OPENAI_API_KEY"]
        api_key = api_key or get_secret(self.name, *env_vars) or "EMPTY"
        self.min_pixels = _number("min_pixels", min_pixels, int)
        self.max_pixels = _number("max_pixels", max_pixels, int)
        self.timeout = _number("timeout", timeout, float)
        self.max_tokens = _number("max_tokens", max_tokens, int)
        self.temperature = _number("temperature", temperature, float)
        self.max_retries = _number("max_retries", max_retries, int)
        self.dpi = check_dpi(dpi, tr("The {detector} detector's dpi").format(detector=NAME), DetectorError)
        self.min_box_pt = _number("min_box_pt", min_box_pt, float)
        if not 0 < self.min_pixels <= self.max_pixels:
            raise DetectorError(tr("The qwen-vl detector's min_pixels must be positive and at most max_pixels."))
        if self.timeout <= 0 or self.max_tokens <= 0 or self.max_retries < 0:
            raise DetectorError(
                tr("The qwen-vl detector's timeout and max_tokens must be positive, max_retries not negative."))
        self.image_format = image_format
        self.coordinates: Coords = coordinates
        if prompt is None:
            prompt = load_prompt(Path(prompt_file) if prompt_file else None)
        self.prompt = prompt
        self.extra_body = dict(extra_body or {})
        self.chat = OpenAIChat(model=self.model, base_url=self.base_url, api_key=api_key, timeout=self.timeout,
                               max_retries=self.max_retries, client=client)  # shared by detect() in several workers

    def __repr__(self) -> str:  # never show the key
        return f"QwenVLDetector(base_url={safe_url(self.base_url)!r}, model={self.model!r})"

    @property
    def client(self) -> openai.OpenAI:
        return self.chat.client

    def close(self) -> None:
        self.chat.close()

    def detect(self, page: pymupdf.Page, masks: Sequence[Rect] = ()) -> list[Box]:
        return self.ground(page, masks).boxes

    def ground(self, page: pymupdf.Page, masks: Sequence[Rect] = ()) -> GroundingResult:
        """Detect, keeping the raw answer and the image size for inspection. The page leaves
        the machine: it is sent black under `masks` (its redaction masks)."""
        shot = render_page(page, dpi=self.dpi, min_pixels=self.min_pixels, max_pixels=self.max_pixels, masks=masks)
        raw, truncated, usage = self._ask(shot)
        boxes = self.boxes_from_answer(raw, shot.size, shot.page)
        return GroundingResult(boxes, raw, shot.size, truncated, usage)

    def messages(self, shot: PageImage) -> list[dict]:
        w, h = shot.size
        return [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": shot.data_uri(self.image_format)}},
                    {"type": "text", "text": self.prompt.render(w, h)},
                ],
            }
        ]

    def _ask(self, shot: PageImage) -> tuple[str, bool, dict]:
        try:
            response = self.chat.create(
                model=self.model,
                messages=self.messages(shot),
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                extra_body=self.extra_body or None,
            )
        except LLMCallError as exc:
            raise endpoint_error(exc) from None
        where = safe_url(self.base_url)
        try:
            choice = response.choices[0]
            content = choice.message.content
            truncated = choice.finish_reason == "length"
        except (AttributeError, TypeError, IndexError, KeyError):
            raise EndpointError(
                tr("The endpoint at {where} did not answer like an OpenAI-compatible server; check the base URL.").format(
                    where=where)
            ) from None
        if content is not None and not isinstance(content, str):
            raise EndpointError(tr("The model endpoint at {where} answered with something other than text.").format(
                where=where))
        usage_model = getattr(response, "usage", None)
        usage = usage_model.model_dump(exclude_none=True) \
            if usage_model is not None and hasattr(usage_model, "model_dump") else {}
        return content or "", truncated, usage

    def boxes_from_answer(self, raw: str, image_size: tuple[int, int], page: Rect) -> list[Box]:
        """Parse the answer and map its boxes to page points: clipped, deduplicated."""
        return grounded_boxes(raw, image_size, page, coordinates=self.coordinates, min_box_pt=self.min_box_pt,
                              source=NAME, extra={"model": self.model, "prompt_version": self.prompt.version})


def grounded_boxes(raw: str, image_size: tuple[int, int], page: Rect, *, coordinates: Coords, min_box_pt: float,
                   source: str, extra: Mapping[str, Any]) -> list[Box]:
    """The boxes of a grounding answer in points of `page`, which the image of `image_size` (width, height)
    covered edge to edge: clipped, smaller than `min_box_pt` dropped, repeats dropped. Each box's extra holds
    the box as written, its coordinates, the image size and `extra`."""
    boxes: list[Box] = []
    for item in parse_grounding(raw):
        coords: Coords = "norm1000" if item["coords"] == "norm1000" else coordinates
        rect = box_to_page(item["bbox_2d"], image_size, page, coords).clip(page)
        if rect.width < min_box_pt or rect.height < min_box_pt:
            continue
        if any(rect.iou(b.rect) >= 0.9 for b in boxes):
            continue  # models in a repetition loop write the same box again
        score = item["score"] if item["score"] is not None else 1.0
        label = " ".join(item["label"].lower().split())[:40] or "figure"
        boxes.append(
            Box(
                rect=rect,
                label=label,
                score=float(score),
                source=source,
                caption=item["caption"],
                extra={"bbox_px": item["bbox_2d"], "coords": coords, "image_size": image_size, **extra},
            )
        )
    return boxes
