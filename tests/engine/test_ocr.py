"""OCR with the real rapidocr models, and the line merging / reading order around it.

Each full-page OCR costs about a second or two on a CPU, so only a few pages are read
here, with one engine shared by the whole module.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pymupdf
import pytest

from engine.errors import OcrError
from engine.geometry import Rect
from engine.text import RapidOcrEngine, TextLine, group_blocks, merge_ocr_boxes, page_lines
from engine.text import ocr as ocr_module
from engine.text.lines import needs_ocr, text_layer_lines
from engine.text.ocr import fold_fullwidth, render_rgb, shared_ocr
from tests.engine.test_captions import CJK, H, W, paragraph, put, similar
from tests.ocr_pages import assign, char_error_rate, make_scan_page, normalize, read_fragments


@pytest.fixture(scope="module")
def ocr() -> RapidOcrEngine:
    return RapidOcrEngine()


def quad(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


# --- merging fragments (no model needed) -------------------------------------------------------


def test_merge_joins_fragments_of_a_line_and_keeps_columns_apart() -> None:
    items = [
        (quad(500, 100, 700, 130), "second column", 0.9),
        (quad(100, 102, 180, 131), "16-1-3", 0.99),
        (quad(190, 98, 260, 130), "肾动脉", 0.97),
        (quad(100, 150, 300, 178), "Right kidney", 0.95),
        (quad(306, 151, 380, 179), "length", 0.9),
    ]
    lines = merge_ocr_boxes(items)
    assert [ln.text for ln in lines] == ["16-1-3肾动脉", "second column", "Right kidney length"]
    assert lines[0].rect == Rect(100, 98, 260, 131)
    assert all(ln.source == "ocr" for ln in lines)
    # the score is the confidence weighted by characters
    assert lines[2].score == pytest.approx((0.95 * 12 + 0.9 * 6) / 18)


def test_merge_keeps_labels_stacked_in_a_frame_on_their_own_lines() -> None:
    """The detector pads its boxes: two labels stacked a line apart overlap, but are two lines, in order."""
    items = [(quad(10, 6, 30, 21), "PV", 0.95), (quad(220, 12, 300, 27), "C5-1 3.0MHz", 0.93),  # a lower probe label
             (quad(10, 19, 50, 34), "LONG", 0.9), (quad(56, 20, 98, 35), "RT", 0.9)]
    assert [ln.text for ln in merge_ocr_boxes(items)] == ["PV", "C5-1 3.0MHz", "LONG RT"]


def test_merge_drops_characters_read_twice_by_overlapping_boxes() -> None:
    lines = merge_ocr_boxes([(quad(32, 115, 96, 147), "图3", 0.93), (quad(87, 118, 157, 143), "3-1", 0.99)])
    assert [ln.text for ln in lines] == ["图3-1"]


def test_fullwidth_letters_and_digits_fold_to_ascii() -> None:
    assert fold_fullwidth("Ｆiｇuｒｅ３－１：左肾") == "Figure3－1：左肾"


# --- real OCR ----------------------------------------------------------------------------------


def sample_page(doc: pymupdf.Document) -> pymupdf.Page:
    page = doc.new_page(width=W, height=H)
    put(page, 72, 80, "肾动脉血流频谱呈低阻型", 14)
    put(page, 72, 110, "Right kidney, longitudinal view", 14)
    return page


def test_ocr_page_reads_chinese_and_english_in_pdf_points(ocr: RapidOcrEngine) -> None:
    doc = pymupdf.open()
    page = sample_page(doc)
    truth = text_layer_lines(page)
    t0 = time.perf_counter()
    lines = ocr.ocr_page(page, dpi=200, clip=Rect(50, 60, 400, 140))
    print(f"\nOCR of a 350x80 pt clip at 200 dpi: {time.perf_counter() - t0:.2f} s")
    assert len(lines) == 2
    for got, want in zip(lines, truth):
        assert similar(got.text, want.text) >= 0.8, (got.text, want.text)
        assert abs(got.rect.center[0] - want.rect.center[0]) < 8
        assert abs(got.rect.center[1] - want.rect.center[1]) < 4
        assert got.source == "ocr" and 0.5 <= got.score <= 1.0


def test_ocr_page_maps_back_on_a_rotated_page(ocr: RapidOcrEngine) -> None:
    doc = pymupdf.open()
    page = sample_page(doc)
    page.set_rotation(90)
    truth = text_layer_lines(page)  # in the rotated page's space, like every Rect we store
    assert all(page.rect.contains(pymupdf.Rect(*ln.rect.as_tuple())) for ln in truth)
    clip = Rect.union_of(ln.rect for ln in truth).expanded(10)
    lines = ocr.ocr_page(page, dpi=150, clip=clip)
    # shown rotated, the text runs top to bottom: one line per text-layer line, found
    # where the text layer says it is
    assert len(lines) == 2
    for want in truth:
        got = max(lines, key=lambda ln: ln.rect.iou(want.rect))
        assert got.rect.iou(want.rect) > 0.6, (got.rect, want.rect)
        assert similar(got.text, want.text) >= 0.8, (got.text, want.text)


def test_ocr_image_returns_pixel_quads(ocr: RapidOcrEngine) -> None:
    doc = pymupdf.open()
    page = sample_page(doc)
    image, area = render_rgb(page, 100, Rect(50, 100, 400, 140))
    h, w = image.shape[:2]
    assert image.shape[2] == 3 and abs(w - 350 * 100 / 72) <= 1.5 and abs(h - 40 * 100 / 72) <= 1.5
    assert area == Rect(50, 100, 400, 140)
    items = ocr.ocr_image(image)
    assert len(items) >= 1
    corners, _text, score = items[0]
    assert len(corners) == 4 and all(0 <= x <= w and 0 <= y <= h for x, y in corners) and 0.5 <= score <= 1
    assert similar(" ".join(t for _, t, _ in items), "Right kidney, longitudinal view") >= 0.8
    assert ocr.ocr_image(np.full((40, 200, 3), 255, np.uint8)) == []  # blank: nothing, no error


def test_image_only_page_is_read_by_ocr_in_column_order(ocr: RapidOcrEngine) -> None:
    born = pymupdf.open()
    src = born.new_page(width=W, height=H)
    put(src, (W - CJK.text_length("第五章 胆道系统", 16)) / 2, 60, "第五章 胆道系统", 16)
    paragraph(src, 50, 110, 230, "胆囊位于肝脏下面的胆囊窝内，呈梨形。")
    paragraph(src, 315, 110, 230, "The common bile duct runs in front of the portal vein.")
    scan = pymupdf.open()
    page = scan.new_page(width=W, height=H)
    page.insert_image(page.rect, pixmap=src.get_pixmap(dpi=150))
    assert text_layer_lines(page) == [] and needs_ocr(page, [])
    assert page_lines(page) == []  # no engine: nothing to read
    t0 = time.perf_counter()
    lines = page_lines(page, ocr, dpi=150)
    print(f"\nOCR of a full A4 page at 150 dpi: {time.perf_counter() - t0:.2f} s")
    texts = [ln.text for ln in lines]
    assert similar(texts[0], "第五章 胆道系统") >= 0.8
    left = next(i for i, t in enumerate(texts) if similar(t[:6], "胆囊位于肝脏") >= 0.8)
    right = next(i for i, t in enumerate(texts) if similar(t[:14], "The common bil") >= 0.8)
    assert left < right
    assert similar("".join(texts[left:right]), "胆囊位于肝脏下面的胆囊窝内，呈梨形。") >= 0.8
    assert similar(" ".join(texts[right:]), "The common bile duct runs in front of the portal vein.") >= 0.8


# Bounds measured with tests/benchmarks/bench_ocr_engines.py: PP-OCRv6 small read these pages
# with no error at all (zh, en, mixed) and missed at most one 2-letter label of a page's 12
# frames; rapidocr-onnxruntime's PP-OCRv4 read 肾盂 as 肾孟 on every zh page (about 1% CER).
SCAN_BOUNDS = [("zh", 150, 0.02), ("en", 150, 0.02), ("mixed", 150, 0.02), ("labels", 150, 0.08), ("labels", 200, 0.08)]


@pytest.mark.parametrize(("category", "dpi", "bound"), SCAN_BOUNDS)
def test_scanned_pages_are_read_within_the_measured_error(ocr: RapidOcrEngine, category, dpi, bound) -> None:
    page = make_scan_page(category, dpi, seed=3)  # soft, noisy, turned about a degree, JPEG
    read = read_fragments(ocr, page.page)
    cer = char_error_rate(read, page.truth)
    got = assign(read, page.truth)
    assert cer <= bound, [(t.text, r) for t, r in zip(page.truth, got) if normalize(r) != normalize(t.text)]
    if category == "zh":  # the terms the old recogniser got wrong
        for term in ("肾盂", "肾窦", "声影", "皮髓质"):
            assert sum(t.text.count(term) for t in page.truth) == sum(r.count(term) for r in got), term
    if category == "en":  # the recogniser's spaces, and respacing, keep words apart
        assert char_error_rate(read, page.truth, spaces=True) <= bound


def test_shared_ocr_is_one_engine_made_once(monkeypatch) -> None:
    assert shared_ocr() is shared_ocr()
    assert isinstance(shared_ocr(), RapidOcrEngine)
    monkeypatch.setattr(ocr_module, "_shared", None)  # as in a fresh process, many threads at once
    made: list[RapidOcrEngine] = []
    start = threading.Barrier(8)

    def get() -> None:
        start.wait()
        made.append(shared_ocr())

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 8 and all(m is made[0] for m in made)


def test_readings_are_cached_apart_from_the_old_engines() -> None:
    # PP-OCRv4 readings were filed under the class name; the new engine must not take them for its own
    assert RapidOcrEngine().cache_name not in ("", "RapidOcrEngine")
    assert RapidOcrEngine(rec_model="other.onnx").cache_name != RapidOcrEngine().cache_name


def test_broken_model_file_raises_ocr_error(tmp_path) -> None:
    bad = tmp_path / "det.onnx"
    bad.write_bytes(b"this is not an onnx model")
    with pytest.raises(OcrError, match="OCR models could not be loaded"):
        RapidOcrEngine(det_model=bad).ocr_image(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(OcrError):
        RapidOcrEngine(rec_model=tmp_path / "missing.onnx").ocr_image(np.zeros((32, 32, 3), np.uint8))


def test_text_lines_carry_size_and_stay_split_at_wide_gaps() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=W, height=H)
    tw = pymupdf.TextWriter(page.rect)
    tw.append((72, 100), "A", font=CJK, fontsize=10)
    tw.append((300, 100), "B", font=CJK, fontsize=10)  # same baseline, far apart
    tw.write_text(page)
    lines = text_layer_lines(page)
    assert sorted(ln.text for ln in lines) == ["A", "B"]
    assert all(isinstance(ln, TextLine) and ln.size == 10 and ln.source == "text" for ln in lines)


def test_gibberish_text_layer_counts_as_scanned() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=W, height=H)
    page.insert_text((72, 72), "Real words on a real page, long enough to count.", fontsize=11)
    assert not needs_ocr(page, text_layer_lines(page))
    broken = [TextLine(Rect(72, 60, 300, 72), "\ue001\ue002\ue003\ufffd\ufffd\ue004\ue005 ok")]
    assert needs_ocr(page, broken)


def test_group_blocks_splits_paragraphs_at_gaps_and_size_changes() -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=W, height=H)
    put(page, 72, 50, "16-1-3 肾动脉", 14)
    y = paragraph(page, 72, 80, 200, "肾动脉起自腹主动脉两侧，右肾动脉较长，走行于下腔静脉后方。")
    paragraph(page, 72, y + 14, 200, "Both renal arteries are examined in a transverse plane from the front.")
    blocks = group_blocks(page_lines(page))
    assert [b.text for b in blocks] == [
        "16-1-3 肾动脉",
        "肾动脉起自腹主动脉两侧，右肾动脉较长，走行于下腔静脉后方。",
        "Both renal arteries are examined in a transverse plane from the front.",
    ]
