"""The qwen-vl detector, end to end: real PDF pages, the real `openai` SDK, and a real
HTTP server on 127.0.0.1 that speaks the chat.completions wire format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openai
import pymupdf
import pytest

from engine.detect.base import Detector
from engine.detect.qwen_parse import page_to_box, smart_resize
from engine.detect.qwen_vl import (
    EndpointAuthError,
    EndpointModelError,
    EndpointUnreachableError,
    PromptTemplate,
    QwenVLDetector,
    load_prompt,
    render_page,
)
from engine.errors import DetectorError, EndpointError
from engine.geometry import Rect
from tests.servers.openai_compat import (
    OpenAICompatServer,
    RecordedRequest,
    ScriptedResponse,
    chat_completion,
    closed_port_url,
    error_response,
)

MODEL = "Qwen/Qwen2.5-VL-7B-Instruct"
SECRET = "sk-test-SECRET-9f8e7d6c5b4a"

# Three "ultrasound images" in unrotated page points, each a flat colour the fake
# model can find again in the picture it is sent.
FIGURES = [
    (Rect(60, 80, 300, 260), (255, 0, 0), "Figure 1.1 Normal liver."),
    (Rect(320, 96, 540, 300), (0, 160, 0), "Figure 1.2 Gallbladder."),
    (Rect(100, 500, 480, 760), (0, 0, 255), "Figure 1.3 Right kidney."),
]


def make_doc(tmp_path: Path, rotation: int = 0) -> pymupdf.Document:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    for rect, rgb, caption in FIGURES:
        color = tuple(c / 255 for c in rgb)
        page.draw_rect(pymupdf.Rect(*rect.as_tuple()), color=color, fill=color, width=0)
        page.insert_text((rect.x0, rect.y1 + 14), caption, fontsize=9)
    if rotation:
        page.set_rotation(rotation)
    path = tmp_path / f"page-{rotation}.pdf"
    doc.save(path)
    doc.close()
    return pymupdf.open(path)


def expected_rects(page: pymupdf.Page) -> list[Rect]:
    """The figures in the page's own (rotated) coordinates."""
    out = []
    for rect, _, _ in FIGURES:
        r = pymupdf.Rect(*rect.as_tuple()) * page.rotation_matrix
        out.append(Rect.normalized(r.x0, r.y0, r.x1, r.y1))
    return out


def fenced(items: list[dict]) -> str:
    return "Here are the images I found:\n```json\n" + json.dumps(items, indent=2) + "\n```"


def colour_reader(request: RecordedRequest) -> str:
    """A fake Qwen: boxes each coloured figure in the pixels of the image it received."""
    image = np.asarray(request.pil_images()[0].convert("RGB")).astype(int)
    items = []
    for _, rgb, caption in FIGURES:
        mask = np.abs(image - np.array(rgb)).sum(axis=2) < 120
        ys, xs = np.nonzero(mask)
        items.append({"bbox_2d": [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1],
                      "label": "ultrasound", "caption": caption})
    return fenced(items)


def detector(server: OpenAICompatServer | str, **kw) -> QwenVLDetector:
    base_url = server if isinstance(server, str) else server.base_url
    kw.setdefault("api_key", SECRET)
    return QwenVLDetector(base_url, MODEL, **kw)


def assert_rects_close(got: list[Rect], want: list[Rect], tol: float) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.as_tuple() == pytest.approx(w.as_tuple(), abs=tol), (g, w)


# ----------------------------------------------------------------------------- happy path


def test_scripted_pixel_boxes_map_back_to_pdf_rects(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    page = doc[0]
    page_r = Rect(0, 0, 595, 842)

    def answer(request: RecordedRequest) -> str:
        size = request.pil_images()[0].size
        items = [{"bbox_2d": [round(v) for v in page_to_box(rect, size, page_r)], "label": "ultrasound", "caption": cap}
                 for rect, _, cap in FIGURES]
        return fenced(items)

    openai_server.enqueue(answer)
    det = detector(openai_server)
    assert isinstance(det, Detector) and det.name == "qwen-vl"
    boxes = det.detect(page)

    assert_rects_close([b.rect for b in boxes], [f[0] for f in FIGURES], tol=1.0)
    assert [b.caption for b in boxes] == [f[2] for f in FIGURES]
    assert all(b.source == "qwen-vl" and b.label == "ultrasound" and b.score == 1.0 for b in boxes)

    (request,) = openai_server.chat_requests
    assert request.bearer == SECRET
    assert request.json["model"] == MODEL
    assert request.json["temperature"] == 0
    assert request.json["max_tokens"] == det.max_tokens
    # A4 rendered at 144 dpi is 1190 x 1684 px; by hand: 1596 x 1176 is too many pixels,
    # beta = sqrt(1684*1190/1003520) = 1.41312, so 42*28 x 30*28.
    pix = page.get_pixmap(matrix=pymupdf.Matrix(2, 2))
    assert (pix.width, pix.height) == (1190, 1684)
    assert smart_resize(pix.height, pix.width) == (1176, 840)
    ((mime, _),) = request.images()
    assert mime == "image/png"
    assert request.pil_images()[0].size == (840, 1176)
    text = request.text()
    assert "ultrasound" in text and "bbox_2d" in text and "840x1176" in text
    assert "# version" not in text
    assert boxes[0].extra["image_size"] == (840, 1176)
    assert boxes[0].extra["prompt_version"] == det.prompt.version == load_prompt().version


@pytest.mark.parametrize("rotation", [0, 90, 270])
def test_model_reading_the_pixels_finds_the_figures_on_rotated_pages(
    tmp_path: Path, openai_server: OpenAICompatServer, rotation: int
) -> None:
    doc = make_doc(tmp_path, rotation)
    page = doc[0]
    openai_server.enqueue(colour_reader)
    result = detector(openai_server, max_pixels=512 * 28 * 28).ground(page)
    w, h = result.image_size
    assert w % 28 == 0 and h % 28 == 0 and w * h <= 512 * 28 * 28
    assert (w > h) == (rotation in (90, 270))
    px_pt = page.rect.width / w  # one pixel of the resized image, in points
    assert_rects_close([b.rect for b in result.boxes], expected_rects(page), tol=2 * px_pt)
    assert "```json" in result.raw and not result.truncated
    assert result.usage["total_tokens"] == 120


def test_jpeg_images_and_a_custom_prompt(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue(colour_reader)
    prompt = PromptTemplate.parse("# version: mine/7\nBox the scans in this {width} by {height} image.")
    boxes = detector(openai_server, image_format="jpeg", prompt=prompt).detect(doc[0])
    assert len(boxes) == 3 and boxes[0].extra["prompt_version"] == "mine/7"
    (request,) = openai_server.chat_requests
    assert request.images()[0][0] == "image/jpeg"
    assert request.pil_images()[0].format == "JPEG"
    assert request.text() == "Box the scans in this 840 by 1176 image."


def test_corners_reversed_out_of_bounds_tiny_and_repeated_boxes(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    # the image is 840 x 1176 px for 595 x 842 pt
    items = [
        {"bbox_2d": [424, 369, 85, 113], "label": "Ultrasound"},  # reversed corners
        {"bbox_2d": [-50, 700, 5000, 1500], "label": "diagram"},  # runs off the page
        {"bbox_2d": [10, 10, 14, 400]},  # 4 px wide: too thin
        {"bbox_2d": [425, 369, 85, 112], "label": "ultrasound"},  # the same box again
        {"bbox_2d": [900, 1200, 1000, 1300]},  # entirely outside
    ]
    openai_server.enqueue(fenced(items))
    boxes = detector(openai_server).detect(doc[0])
    s = 595 / 840
    assert_rects_close(
        [b.rect for b in boxes],
        [Rect(85 * s, 113 * 842 / 1176, 424 * s, 369 * 842 / 1176), Rect(0, 700 * 842 / 1176, 595, 842)],
        tol=0.01,
    )
    assert [b.label for b in boxes] == ["ultrasound", "diagram"]


def test_truncated_answer_gives_the_complete_boxes(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    cut = '```json\n[\n {"bbox_2d": [85, 113, 424, 369], "label": "ultrasound", "caption": "Figure 1.1"},\n {"bbox_2d": [452, 136, 76'
    openai_server.enqueue(chat_completion(cut, finish_reason="length"))
    result = detector(openai_server).ground(doc[0])
    assert result.truncated
    assert len(result.boxes) == 1 and result.boxes[0].caption == "Figure 1.1"


@pytest.mark.parametrize("content", ["[]", "There are no ultrasound images on this page.", None, ""])
def test_pages_without_figures(tmp_path: Path, openai_server: OpenAICompatServer, content: str | None) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue(chat_completion(content))
    assert detector(openai_server).detect(doc[0]) == []


def test_norm1000_coordinates_and_qwen2_special_tokens(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue(
        '[{"bbox_2d": [100, 100, 500, 300], "label": "ultrasound"}]',
        "<|object_ref_start|>ultrasound<|object_ref_end|><|box_start|>(100,100),(500,300)<|box_end|>",
    )
    want = [Rect(59.5, 84.2, 297.5, 252.6)]
    det = detector(openai_server, coordinates="norm1000")
    assert_rects_close([b.rect for b in det.detect(doc[0])], want, tol=0.01)
    # special-token boxes are on the 0..1000 grid whatever the setting
    assert_rects_close([b.rect for b in detector(openai_server).detect(doc[0])], want, tol=0.01)


def test_score_from_the_model(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue('[{"bbox_2d": [85, 113, 424, 369], "confidence": 0.7}]')
    (box,) = detector(openai_server).detect(doc[0])
    assert box.score == pytest.approx(0.7) and box.label == "figure"


# ----------------------------------------------------------------------------- keys


def test_api_key_falls_back_to_environment_then_empty(
    tmp_path: Path, openai_server: OpenAICompatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue("[]", "[]", "[]")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    QwenVLDetector(openai_server.base_url, MODEL).detect(doc[0])
    monkeypatch.setenv("DASHSCOPE_KEY", "sk-named-env")
    QwenVLDetector(openai_server.base_url, MODEL, api_key_env="DASHSCOPE_KEY").detect(doc[0])
    monkeypatch.delenv("OPENAI_API_KEY")
    QwenVLDetector(openai_server.base_url, MODEL).detect(doc[0])
    assert [r.bearer for r in openai_server.chat_requests] == ["sk-from-env", "sk-named-env", "EMPTY"]


def test_wrong_key_is_reported_without_the_key(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    with OpenAICompatServer(api_key="sk-the-right-one") as server:
        det = detector(server)
        with pytest.raises(EndpointAuthError) as info:
            det.detect(doc[0])
    message = str(info.value)
    assert "API key" in message and "401" in message
    assert SECRET not in message and SECRET not in repr(info.value) and SECRET not in repr(det)
    assert message.count(".") >= 1 and "\n" not in message
    assert len(server.chat_requests) == 1  # a 401 is not retried


# ----------------------------------------------------------------------------- failures


def test_server_down(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    url = closed_port_url()
    with pytest.raises(EndpointUnreachableError) as info:
        detector(url, max_retries=1).detect(doc[0])
    assert "Could not connect" in str(info.value) and url in str(info.value)
    assert SECRET not in str(info.value)


def test_timeout(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    late = chat_completion("[]")
    late.delay_s = 30
    openai_server.enqueue(late)
    with pytest.raises(EndpointUnreachableError, match="did not answer within 0.5 seconds"):
        detector(openai_server, timeout=0.5, max_retries=0).detect(doc[0])


def test_server_errors_are_retried(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue(error_response(500, "overloaded", type="server_error"), error_response(429, "slow down"), colour_reader)
    boxes = detector(openai_server, max_retries=2).detect(doc[0])
    assert len(boxes) == 3
    assert len(openai_server.chat_requests) == 3


def test_persistent_server_error(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue(*[error_response(502, f"bad gateway {SECRET}", type="server_error")] * 3)
    with pytest.raises(EndpointError) as info:
        detector(openai_server, max_retries=2).detect(doc[0])
    assert "HTTP 502" in str(info.value) and "bad gateway" in str(info.value)
    assert SECRET not in str(info.value)  # even when the server echoes it


def test_unknown_model(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue(error_response(404, "The model `nope` does not exist.", code="model_not_found"))
    with pytest.raises(EndpointModelError, match="no model named 'nope'"):
        QwenVLDetector(openai_server.base_url, "nope").detect(doc[0])


def test_bad_request_keeps_the_server_reason(tmp_path: Path, openai_server: OpenAICompatServer) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue(error_response(400, "This model does not accept images."))
    with pytest.raises(EndpointModelError, match="HTTP 400.*does not accept images"):
        detector(openai_server).detect(doc[0])


@pytest.mark.parametrize(
    "response",
    [
        ScriptedResponse(200, "<html><body>Welcome to nginx!</body></html>", {"content-type": "text/html"}),
        ScriptedResponse(200, {"status": "ok"}),
        ScriptedResponse(200, {"choices": []}),
    ],
)
def test_answers_that_are_not_chat_completions(tmp_path: Path, openai_server: OpenAICompatServer, response) -> None:
    doc = make_doc(tmp_path)
    openai_server.enqueue(response)
    with pytest.raises(EndpointError, match="OpenAI-compatible"):
        detector(openai_server).detect(doc[0])


# ----------------------------------------------------------------------------- settings


def test_settings_arrive_as_strings() -> None:
    det = QwenVLDetector("http://127.0.0.1:1/v1", MODEL, max_pixels="200704", timeout="30", dpi="100")
    assert (det.max_pixels, det.timeout, det.dpi) == (200704, 30.0, 100.0)


@pytest.mark.parametrize(
    "kw",
    [
        {"max_pixels": "lots"},
        {"min_pixels": 10_000, "max_pixels": 5_000},
        {"timeout": 0},
        {"image_format": "webp"},
        {"coordinates": "relative"},
        {"timeout": "inf"},
    ],
)
def test_bad_settings(kw: dict) -> None:
    with pytest.raises(DetectorError):
        QwenVLDetector("http://127.0.0.1:1/v1", MODEL, **kw)


def test_missing_prompt_file(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match="could not be read"):
        QwenVLDetector("http://127.0.0.1:1/v1", MODEL, prompt_file=tmp_path / "missing.txt")


def test_shipped_prompt_has_a_version_and_placeholders() -> None:
    prompt = load_prompt()
    assert prompt.version.startswith("qwen_vl_grounding/")
    assert "{width}" in prompt.text and "bbox_2d" in prompt.text and not prompt.text.startswith("#")


def test_render_page_is_exactly_the_smart_resize_size(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    page = doc[0]
    for dpi, max_pixels in [(72, 1280 * 28 * 28), (300, 256 * 28 * 28), (36, 16384 * 28 * 28)]:
        shot = render_page(page, dpi=dpi, max_pixels=max_pixels)
        pix = page.get_pixmap(matrix=pymupdf.Matrix(dpi / 72, dpi / 72))
        h, w = smart_resize(pix.height, pix.width, max_pixels=max_pixels)
        assert shot.size == (w, h)


def test_too_narrow_page(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=2, height=842)
    with pytest.raises(DetectorError, match="too long and narrow"):
        render_page(page)


# ----------------------------------------------------------------------------- the server itself


def test_server_lists_models_and_streams(openai_server: OpenAICompatServer) -> None:
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", max_retries=0)
    assert [m.id for m in client.models.list()] == ["scripted-model"]
    openai_server.enqueue(lambda req: f"you said: {req.text()}")
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "a fairly long message to split into chunks"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream) == "you said: a fairly long message to split into chunks"
    # an empty script answers 500 instead of hanging
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert [r.path for r in openai_server.requests] == ["/v1/models"] + ["/v1/chat/completions"] * 2
