"""Qwen2.5-VL resize math and the lenient grounding parser."""

from __future__ import annotations

import pytest

from engine.detect.qwen_parse import box_to_page, page_to_box, parse_grounding, smart_resize
from engine.geometry import Rect

MAX = 1280 * 28 * 28  # 1_003_520


# ----------------------------------------------------------------------------- smart_resize
# Each expected value below was worked out by hand from the processor's rule:
# round each side to a multiple of 28; if the area is above max_pixels, divide both
# sides by beta = sqrt(h*w/max) and floor to 28; if below min_pixels, multiply by
# beta = sqrt(min/(h*w)) and ceil to 28.


@pytest.mark.parametrize(
    ("height", "width", "max_pixels", "expected"),
    [
        # in range: 100/28=3.57 -> 4*28, 200/28=7.14 -> 7*28
        (100, 200, MAX, (112, 196)),
        # halves round to even (Python's round): 70/28=2.5 -> 2, 98/28=3.5 -> 4
        (70, 98, MAX, (56, 112)),
        # letter page rendered at 144 dpi: 1596x1232 is too big; beta=sqrt(1584*1224/MAX)=1.38997,
        # 1584/beta/28=40.70 -> 40*28, 1224/beta/28=31.45 -> 31*28
        (1584, 1224, MAX, (1120, 868)),
        # beta=sqrt(6e6/MAX)=2.44519: 2000/beta/28=29.21 -> 29*28, 3000/beta/28=43.82 -> 43*28
        (2000, 3000, MAX, (812, 1204)),
        # exactly a multiple of 28 and in range: unchanged
        (840, 588, MAX, (840, 588)),
        # the aspect-ratio limit itself (200:1) is allowed; the short side is at least 28
        (10, 2000, MAX, (28, 1988)),
        # a smaller budget: 256*28*28 = 200704; beta=sqrt(1000*1000/200704)=2.23214,
        # 1000/beta/28 = 16.0000 -> 16*28 on both sides
        (1000, 1000, 256 * 28 * 28, (448, 448)),
    ],
)
def test_smart_resize_known_values(height: int, width: int, max_pixels: int, expected: tuple[int, int]) -> None:
    assert smart_resize(height, width, max_pixels=max_pixels) == expected


def test_smart_resize_scales_tiny_images_up_to_min_pixels() -> None:
    # 28x28 = 784 < 3136: beta = sqrt(3136/800) = 1.9799; 20*beta/28 = 1.41 -> 2*28, 40*beta/28 = 2.83 -> 3*28
    assert smart_resize(20, 40) == (56, 84)
    # a larger minimum: beta = sqrt(100352/5000) = 4.4800; 50*beta/28 = 8.0 (just above) -> ceil
    h, w = smart_resize(50, 100, min_pixels=128 * 28 * 28)
    assert h * w >= 128 * 28 * 28 and h % 28 == 0 and w % 28 == 0


@pytest.mark.parametrize(("height", "width"), [(10, 2001), (3000, 14), (1, 201)])
def test_smart_resize_rejects_extreme_aspect_ratio(height: int, width: int) -> None:
    with pytest.raises(ValueError, match="aspect ratio"):
        smart_resize(height, width)


def test_smart_resize_rejects_empty_images_and_bad_budgets() -> None:
    with pytest.raises(ValueError):
        smart_resize(0, 100)
    with pytest.raises(ValueError):
        smart_resize(100, 100, min_pixels=10_000, max_pixels=5_000)


@pytest.mark.parametrize("size", [(842, 595), (595, 842), (3508, 2480), (300, 9000), (61, 47), (1, 150), (7000, 7000)])
def test_smart_resize_invariants(size: tuple[int, int]) -> None:
    h, w = smart_resize(*size, max_pixels=MAX)
    assert h % 28 == 0 and w % 28 == 0
    assert 56 * 56 <= h * w <= MAX
    # the aspect ratio survives within one factor step per side
    assert abs(h / w - size[0] / size[1]) <= (28 / min(h, w)) * max(1.0, size[0] / size[1]) + 1e-9


# ----------------------------------------------------------------------------- mapping


def test_box_to_page_maps_pixels_through_the_resize_and_offset() -> None:
    page = Rect(10, 20, 610, 820)  # 600 x 800 pt, not at the origin
    image = (868, 1120)
    rect = Rect(110, 220, 310, 520)
    px = page_to_box(rect, image, page)
    back = box_to_page(px, image, page)
    assert back.as_tuple() == pytest.approx(rect.as_tuple())
    # reversed corners are fixed
    assert box_to_page([px[2], px[3], px[0], px[1]], image, page).as_tuple() == pytest.approx(rect.as_tuple())


def test_box_to_page_norm1000() -> None:
    page = Rect(0, 0, 500, 300)
    assert box_to_page([100, 200, 300, 400], (0, 0), page, "norm1000") == Rect(50, 60, 150, 120)


# ----------------------------------------------------------------------------- parser


def boxes(items: list[dict]) -> list[list[float]]:
    return [it["bbox_2d"] for it in items]


def test_fenced_json_as_qwen_writes_it() -> None:
    text = (
        "```json\n[\n"
        '\t{"bbox_2d": [84, 112, 436, 398], "label": "ultrasound", "caption": "Figure 2.1 Normal liver."},\n'
        '\t{"bbox_2d": [460, 112, 812, 398], "label": "ultrasound", "caption": "Figure 2.2\\nFatty liver."}\n'
        "]\n```"
    )
    items = parse_grounding(text)
    assert boxes(items) == [[84, 112, 436, 398], [460, 112, 812, 398]]
    assert items[0]["label"] == "ultrasound"
    assert items[0]["caption"] == "Figure 2.1 Normal liver."
    assert items[1]["caption"] == "Figure 2.2 Fatty liver."  # whitespace collapsed
    assert all(it["coords"] == "pixels" and it["score"] is None for it in items)


def test_prose_before_and_after_unfenced_json() -> None:
    text = (
        "Sure! Here's what I found on the page:\n"
        '[{"bbox_2d": [10, 20, 30, 40], "label": "ct"}]\n'
        "Let me know if you'd like the [captions] too."
    )
    assert boxes(parse_grounding(text)) == [[10, 20, 30, 40]]


def test_prose_with_brackets_before_the_json() -> None:
    text = 'I see two images [one is small]:\n[{"bbox_2d": [1, 2, 3, 4]}, {"bbox_2d": [5, 6, 7, 8]}]'
    assert boxes(parse_grounding(text)) == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_single_object_instead_of_list() -> None:
    items = parse_grounding('```json\n{"bbox_2d": [5, 6, 70, 80], "label": "ultrasound", "caption": "Fig. 9"}\n```')
    assert boxes(items) == [[5, 6, 70, 80]] and items[0]["caption"] == "Fig. 9"


def test_truncated_mid_object_keeps_every_complete_object() -> None:
    text = (
        "```json\n[\n"
        '  {"bbox_2d": [10, 10, 200, 150], "label": "ultrasound", "caption": "Fig 1"},\n'
        '  {"bbox_2d": [210, 10, 400, 150], "label": "ultrasound", "caption": "Fig 2 {with braces}"},\n'
        '  {"bbox_2d": [10, 160, 200, 3'
    )
    items = parse_grounding(text)
    assert boxes(items) == [[10, 10, 200, 150], [210, 10, 400, 150]]
    assert items[1]["caption"] == "Fig 2 {with braces}"


def test_truncated_inside_a_string() -> None:
    text = '[{"bbox_2d": [1, 2, 3, 4], "caption": "ok"}, {"bbox_2d": [5, 6, 7, 8], "caption": "Longitudinal sca'
    assert boxes(parse_grounding(text)) == [[1, 2, 3, 4]]


def test_truncated_inside_a_wrapper_object() -> None:
    text = '{"objects": [{"bbox_2d": [1, 2, 3, 4]}, {"bbox_2d": [5, 6, 7, 8]}, {"bbox_2d": [9, 10'
    assert boxes(parse_grounding(text)) == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_trailing_commas_single_quotes_and_python_literals() -> None:
    text = "[{'bbox_2d': [1, 2, 3, 4], 'label': 'ultrasound', 'caption': 'The \"double\" view', 'ok': True,},]"
    items = parse_grounding(text)
    assert boxes(items) == [[1, 2, 3, 4]]
    assert items[0]["caption"] == 'The "double" view'


def test_bbox_key_variants_and_string_boxes() -> None:
    text = """[
      {"bbox": [1, 2, 3, 4], "category": "mri"},
      {"Bbox_2D": "[5, 6, 7, 8]"},
      {"box": "(9,10),(11,12)"},
      {"bbox_2d": [[13, 14], [15, 16]]},
      {"bbox_2d": ["17", "18", "19", "20"]},
      {"x1": 21, "y1": 22, "x2": 23, "y2": 24},
      {"bbox_2d": [[25, 26, 27, 28]]}
    ]"""
    items = parse_grounding(text)
    assert boxes(items) == [
        [1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16], [17, 18, 19, 20], [21, 22, 23, 24], [25, 26, 27, 28]
    ]
    assert items[0]["label"] == "mri"


def test_nested_wrappers() -> None:
    text = '{"page": 3, "objects": [{"bbox_2d": [1, 2, 3, 4], "label": "ultrasound"}], "extra": {"figures": [{"bbox": [5, 6, 7, 8]}]}}'
    assert boxes(parse_grounding(text)) == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_bare_list_of_boxes() -> None:
    assert boxes(parse_grounding("[[1, 2, 3, 4], [5, 6, 7, 8]]")) == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_reversed_and_out_of_range_boxes_are_returned_as_written() -> None:
    # the parser keeps what the model wrote; the detector fixes and clips
    items = parse_grounding('[{"bbox_2d": [400, 300, 100, 50]}, {"bbox_2d": [-20, -5, 99999, 120]}]')
    assert boxes(items) == [[400, 300, 100, 50], [-20, -5, 99999, 120]]


def test_wrong_arity_non_numbers_and_non_finite_boxes_are_skipped() -> None:
    text = """[{"bbox_2d": [1, 2, 3]}, {"bbox_2d": [1, 2, 3, 4, 5]}, {"bbox_2d": ["a", "b", "c", "d"]},
               {"bbox_2d": [true, 2, 3, 4]}, {"bbox_2d": [1e999, 2, 3, 4]}, {"bbox_2d": null},
               {"bbox_2d": [10, 20, 30, 40], "label": "ok"}]"""
    items = parse_grounding(text)
    assert boxes(items) == [[10, 20, 30, 40]] and items[0]["label"] == "ok"


def test_scores_from_the_model() -> None:
    text = '[{"bbox_2d": [1,2,3,4], "score": 0.8}, {"bbox_2d": [1,2,3,4], "confidence": "92"}, {"bbox_2d": [1,2,3,4], "score": -1}]'
    assert [it["score"] for it in parse_grounding(text)] == [pytest.approx(0.8), pytest.approx(0.92), None]


def test_multiple_fenced_blocks_and_thinking() -> None:
    text = (
        "<think>The page has [two] images {maybe}.</think>\n"
        '```json\n[{"bbox_2d": [1, 2, 3, 4]}]\n```\nand also\n```json\n{"bbox_2d": [5, 6, 7, 8]}\n```'
    )
    assert boxes(parse_grounding(text)) == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_unclosed_fence() -> None:
    assert boxes(parse_grounding('```json\n[{"bbox_2d": [1, 2, 3, 4]}, {"bbox_2d": [5, ')) == [[1, 2, 3, 4]]


def test_qwen2_special_token_boxes_are_on_a_1000_grid() -> None:
    text = (
        "<|object_ref_start|>ultrasound image<|object_ref_end|><|box_start|>(102,215),(498,601)<|box_end|>"
        "<|box_start|>(510, 215), (900, 601)<|box_end|> and <ref>ct</ref><box>(1,2),(3,4)</box>"
    )
    items = parse_grounding(text)
    assert boxes(items) == [[102, 215, 498, 601], [510, 215, 900, 601], [1, 2, 3, 4]]
    assert [it["label"] for it in items] == ["ultrasound image", "", "ct"]
    assert all(it["coords"] == "norm1000" for it in items)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "[]",
        "```json\n[]\n```",
        "{}",
        "There are no ultrasound images on this page.",
        "```json\n```",
        "[{",
        '{"bbox_2d": ',
        "{" * 5000,
        "[" * 5000 + "]" * 5000,
        "\x00\xff garbage \ufffd",
        '[{"label": "ultrasound", "caption": "no box"}]',
        None,
        42,
        b'[{"bbox_2d": [1, 2, 3, 4]}]',
    ],
)
def test_garbage_and_empty_answers_give_no_boxes(text: object) -> None:
    assert parse_grounding(text) == []
