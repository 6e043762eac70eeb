"""qwen-vl-local: Qwen2.5-VL grounding through the chat engine's llama.cpp, on a tiny random model + mmproj.

The weights are random, so the model's own text is noise: where a test needs a reply it scripts the text
at the one place the detector generates it (`QwenVLLocalDetector.answer`), after calling the real
generation, so the page image really goes through llama.cpp's mtmd and the vision encoder. The grid the
boxes are mapped through is checked against the grid mtmd reports when the test tokenizes the same
image itself, for pages of several sizes and aspect ratios.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from engine import settings
from engine.chat import ModelFormatError
from engine.chat.llama_adapter import LlamaModel, VisionContext
from engine.detect import qwen_vl_local, registry
from engine.detect.base import Box, detect_page
from engine.detect.qwen_parse import page_to_box, smart_resize
from engine.detect.qwen_vl import PromptTemplate, load_prompt
from engine.detect.qwen_vl_local import NAME, QwenVLLocalDetector, fit_to_grid
from engine.detect.run import iter_detect
from engine.errors import CancelledError, DetectorError
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.store import figures
from tests.tiny_gguf import write_tiny_qwen2_gguf, write_tiny_qwen25vl_mmproj

PATCH = 14
CELL = 2 * PATCH  # Qwen2.5-VL merges 2 x 2 patches; the tiny mmproj's header says patch size 14
ROOT = Path(__file__).resolve().parents[2]
SMALL = {"n_threads": 2, "max_tokens": 4, "min_image_tokens": 64, "max_image_tokens": 256}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vl-local")
    model = write_tiny_qwen2_gguf(folder / "tiny-vl.gguf", arch="qwen2vl")
    mmproj = write_tiny_qwen25vl_mmproj(folder / "mmproj.gguf", patch_size=PATCH)
    return model, mmproj


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.ENV_DIR, str(tmp_path / "config"))


@pytest.fixture(scope="module")
def mtmd(files):
    """The test's own mtmd context, to ask which grid mtmd makes of an image."""
    model, mmproj = files
    llama = LlamaModel.load(model, n_ctx=256, n_batch=256, n_gpu_layers=0, n_threads=2, seed=0)
    vision = VisionContext.open(mmproj, llama, n_threads=2, use_gpu=False)
    assert vision is not None
    yield vision
    vision.close()
    llama.close()


def grid_of(vision: VisionContext, image: Image.Image) -> tuple[int, int] | None:
    rgb = image.convert("RGB")
    chunks = vision.tokenize(rgb.width, rgb.height, rgb.tobytes())
    try:
        return vision.image_grid(chunks)
    finally:
        vision.free(chunks)


def make_detector(files, **kw) -> QwenVLLocalDetector:
    model, mmproj = files
    return QwenVLLocalDetector(model, mmproj, **{**SMALL, **kw})


class Scripted:
    """Replaces the detector's text generation: runs the real one (the image goes through mtmd and the
    vision encoder), keeps what was asked, and answers with `reply(turns)` instead of the model's noise."""

    def __init__(self, detector: QwenVLLocalDetector, reply):
        self.real, self.reply = detector.answer, reply
        self.calls: list[dict] = []
        self.before = lambda: None  # called as each page reaches the chat engine
        detector.answer = self  # type: ignore[method-assign]  # the test seam: a scripted reply replaces the generation

    def __call__(self, engine, turns, cancel):
        image = turns[0].image
        with Image.open(image) as img:
            img.load()
            shown = img.copy()
        self.before()
        result = self.real(engine, turns, cancel)
        self.calls.append({"turns": turns, "image": shown, "result": result, "engine": weakref.ref(engine)})
        return dataclasses.replace(result, answer=self.reply(turns, shown))


def one_page(width: float, height: float) -> pymupdf.Document:
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    page.draw_rect(pymupdf.Rect(width * 0.1, height * 0.2, width * 0.7, height * 0.6), color=(0, 0, 0), fill=(0.3, 0.3, 0.3))
    page.insert_text((width * 0.1, height * 0.65), "Figure 1. Kidney.", fontsize=8)
    return doc


# -- the card and its settings ---------------------------------------------------------------------------


def test_the_card_uses_the_chat_model_and_is_offered_only_when_one_is_set(files):
    model, mmproj = files
    assert "qwen-vl-local" in registry.load_cards()
    assert not qwen_vl_local.offered()
    with pytest.raises(DetectorError, match="Chat"):
        registry.create(NAME)
    settings.set_chat_options(model_path=str(model))
    assert not qwen_vl_local.offered()  # no vision projector yet
    with pytest.raises(DetectorError, match="mmproj"):
        registry.create(NAME)
    settings.set_chat_options(mmproj_path=str(mmproj), n_threads=3, n_gpu_layers=0)
    assert qwen_vl_local.offered()
    detector = registry.create(NAME)
    assert isinstance(detector, QwenVLLocalDetector)
    assert (detector.model_path, detector.mmproj_path, detector.n_threads) == (model, mmproj, 3)
    assert not detector.loaded  # nothing is loaded before the first page
    other = registry.create(NAME, n_threads=2, max_image_tokens=300)
    assert isinstance(other, QwenVLLocalDetector)
    assert (other.n_threads, other.max_image_tokens) == (2, 300)


def test_wrong_settings_are_refused_with_a_sentence(files, tmp_path):
    model, mmproj = files
    with pytest.raises(DetectorError, match="does not exist"):
        QwenVLLocalDetector(tmp_path / "gone.gguf", mmproj)
    with pytest.raises(DetectorError, match="max_tokens must be a number"):
        make_detector(files, max_tokens="many")
    assert make_detector(files, min_image_tokens=500, max_image_tokens=400).min_image_tokens == 400
    with pytest.raises(DetectorError, match="coordinates"):
        make_detector(files, coordinates="inches")


# -- the prompt sent and the reply parsed -------------------------------------------------------------------


def test_the_prompt_sent_and_the_reply_parsed(files):
    detector = make_detector(files)
    width_pt, height_pt = 612.0, 792.0
    truth = Rect(61.2, 158.4, 428.4, 475.2)

    def reply(turns, image):
        box = [round(v, 1) for v in page_to_box(truth, image.size, Rect(0, 0, width_pt, height_pt))]
        # what Qwen2.5-VL writes, with prose around it, single quotes and a trailing comma
        return ("Here are the images:\n```json\n[{'bbox_2d': " + json.dumps(box) + ", 'label': 'Ultrasound', "
                "'caption': 'Figure 1. Kidney.'},\n {\"bbox_2d\": [2, 2, 4, 4], \"label\": \"other\"},]\n```")

    scripted = Scripted(detector, reply)
    doc = one_page(width_pt, height_pt)
    try:
        result = detector.ground(doc[0])
    finally:
        detector.close()
    call = scripted.calls[0]
    turn, image, generated = call["turns"][0], call["image"], call["result"]
    prompt = load_prompt()
    assert turn.role == "user" and turn.content == prompt.render(*image.size)
    assert f"({image.size[0]}x{image.size[1]} pixels)" in turn.content
    assert result.image_size == image.size
    # the image went through mtmd and the vision encoder: its embeddings are part of the prompt
    assert generated.images_encoded == 1
    columns, rows = result.boxes[0].extra["grid"]
    assert result.usage["image_tokens"] == columns * rows
    text_tokens = generated.prompt_tokens - columns * rows
    assert text_tokens > len(prompt.text) // 2  # the prompt text itself was sent
    # the reply: one box kept (the 2 x 2 px one is below min_box_pt), mapped back to the page
    assert len(result.boxes) == 1
    box = result.boxes[0]
    assert (box.label, box.caption, box.source) == ("ultrasound", "Figure 1. Kidney.", NAME)
    assert box.rect.iou(truth) > 0.99
    assert box.extra["model"] == files[0].name and box.extra["prompt_version"] == prompt.version
    assert "Here are the images" in result.raw


def test_a_custom_prompt_is_sent_as_written(files):
    detector = make_detector(files, prompt=PromptTemplate("mine/1", "Box the scans of this {width} by {height} page."))
    scripted = Scripted(detector, lambda turns, image: "[]")
    try:
        assert detector.detect(one_page(300, 300)[0]) == []
    finally:
        detector.close()
    w, h = scripted.calls[0]["image"].size
    assert scripted.calls[0]["turns"][0].content == f"Box the scans of this {w} by {h} page."


# -- the coordinate mapping ---------------------------------------------------------------------------------

PAGE_SIZES = [
    (612, 792),    # US letter, portrait
    (842, 595),    # A4, landscape
    (517, 733),    # an odd trim size
    (300, 1200),   # tall and narrow (1:4)
    (1400, 350),   # wide (4:1)
    (150, 150),    # small and square: the minimum pixel count pulls it up
]


@pytest.mark.parametrize(("width_pt", "height_pt"), PAGE_SIZES)
def test_boxes_are_mapped_back_through_the_grid_mtmd_reports(files, mtmd, width_pt, height_pt):
    page_box = Rect(0, 0, width_pt, height_pt)
    truths = [Rect(width_pt * 0.1, height_pt * 0.2, width_pt * 0.7, height_pt * 0.6),
              Rect(width_pt * 0.55, height_pt * 0.05, width_pt * 0.95, height_pt * 0.3)]
    seen: dict = {}

    def reply(turns, image):
        # the grid mtmd makes of the very image the detector sent, asked by the test itself
        seen["grid"] = grid_of(mtmd, image)
        seen["size"] = image.size
        fed = (seen["grid"][0] * CELL, seen["grid"][1] * CELL)
        items = [{"bbox_2d": page_to_box(t, fed, page_box), "label": "ultrasound"} for t in truths]
        items.append({"bbox_2d": [0, 0, fed[0], fed[1]], "label": "page"})
        return json.dumps(items)

    detector = make_detector(files)
    Scripted(detector, reply)
    try:
        result = detector.ground(one_page(width_pt, height_pt)[0])
    finally:
        detector.close()
    columns, rows = seen["grid"]
    # the image the encoder saw is exactly mtmd's grid times the cell: mtmd took it as it was (no resize, no padding)
    assert seen["size"] == result.image_size == (columns * CELL, rows * CELL)
    assert result.boxes[0].extra["grid"] == (columns, rows)
    # its aspect ratio is the page's, within one cell
    assert abs(columns * CELL / (rows * CELL) - width_pt / height_pt) <= (width_pt / height_pt) * CELL / min(seen["size"])
    # 64 .. 256 embeddings asked for (mtmd may go its own way; whatever it did is what the mapping used)
    assert 64 <= columns * rows <= 256
    rects = [b.rect for b in result.boxes]
    for truth, rect in zip(truths, rects, strict=False):
        assert max(abs(a - b) for a, b in zip(truth.as_tuple(), rect.as_tuple(), strict=True)) < 1e-6
    assert rects[2] == page_box  # the whole image is the whole page


@pytest.mark.parametrize(("width", "height"), [(70, 308), (126, 182), (350, 490)])
def test_the_fit_follows_mtmd_even_where_hugging_face_rounds_otherwise(mtmd, width, height):
    """Sides at an odd multiple of half a cell: Python's round (Hugging Face's smart_resize) goes to even,
    llama.cpp's std::round away from zero. Starting from the raw size, the fit ends where mtmd says."""
    render = Image.new("RGB", (width, height), (200, 200, 200))
    hf_height, hf_width = smart_resize(height, width, factor=CELL)
    asked: list[tuple[int, int]] = []

    def ask(image):
        asked.append(image.size)
        return grid_of(mtmd, image)

    image, grid = fit_to_grid(render, CELL, (width, height), ask)
    assert image.size == (grid[0] * CELL, grid[1] * CELL)
    assert grid_of(mtmd, image) == grid  # a fixed point: mtmd takes this image as it is
    assert image.size != (hf_width, hf_height)  # the size Hugging Face's rule would have assumed is wrong here
    assert len(asked) == 2 and asked[0] == (width, height)


@pytest.mark.parametrize(("width", "height"), [(308, 392), (70, 308), (1000, 200), (56, 56)])
def test_the_grid_agrees_with_mtmd_s_own_grid_accessors(mtmd, width, height):
    """image_grid reads the decoder position of every embedding; mtmd's older nx/ny accessors and its token
    count say the same (the test reaches into the chunk for them)."""
    from llama_cpp import mtmd_cpp

    chunks = mtmd.tokenize(width, height, bytes(width * height * 3))
    try:
        tokens = mtmd_cpp.mtmd_input_chunk_get_tokens_image(chunks._image_chunk)
        nx, ny = mtmd_cpp.mtmd_image_tokens_get_nx(tokens), mtmd_cpp.mtmd_image_tokens_get_ny(tokens)
        assert mtmd.image_grid(chunks) == (nx, ny)
        assert nx * ny == mtmd_cpp.mtmd_image_tokens_get_n_tokens(tokens)
    finally:
        mtmd.free(chunks)


def test_a_projector_without_a_grid_is_refused():
    with pytest.raises(DetectorError, match="does not report an image grid"):
        fit_to_grid(Image.new("RGB", (56, 56)), CELL, (56, 56), lambda image: None)
    with pytest.raises(DetectorError, match="keeps resizing"):
        fit_to_grid(Image.new("RGB", (56, 56)), CELL, (56, 56), lambda image: (image.width // CELL + 1, 2))


# -- cancel ------------------------------------------------------------------------------------------------------


def counting_cancel(stop_at: int):
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] >= stop_at

    return cancel, calls


def test_cancel_stops_the_page_where_it_is(files):
    """Generation runs for real (noise, 48 tokens); cancel is asked throughout: before the page, between
    prompt batches, through llama.cpp's abort callback inside each decode, and between generated tokens.
    Each page is new to the model (no cached prompt), and cancel says stop after a given number of asks."""
    doc = pymupdf.open()
    for n in range(7):
        page = doc.new_page(width=612, height=792)
        page.draw_rect(pymupdf.Rect(50 + 20 * n, 80, 400, 300 + 30 * n), fill=(0.1 * n, 0.2, 0.3))
    detector = make_detector(files, max_tokens=48)
    results: list = []
    real = detector.answer

    def keep(engine, turns, cancel):
        results.append(real(engine, turns, cancel))
        return results[-1]

    detector.answer = keep  # type: ignore[method-assign]
    try:
        detector.detect(doc[0])  # the first page also evaluates the system prompt, which later pages reuse
        full, counted = counting_cancel(10**9)
        detector.detect(doc[1], cancel=full)  # a whole page, to count how often cancel is asked
        total, whole = counted["n"], results[-1]
        assert whole.answer_tokens == 48 and not whole.stopped and total > 100
        stops = {"before the page": 1, "before the prompt": 2, "inside the prompt": total // 3,
                 "while writing": total - 30}
        for n, (where, stop_at) in enumerate(stops.items(), 2):
            cancel, calls = counting_cancel(stop_at)
            with pytest.raises(CancelledError, match="cancelled"):
                detector.detect(doc[n], cancel=cancel)
            # it stopped at the first "yes" (llama.cpp's threads may each ask once more inside a decode)
            assert stop_at <= calls["n"] <= stop_at + 4, where
            if stop_at > 1:
                assert results[-1].stopped, where
        early, late = results[-2], results[-1]
        assert early.prompt_tokens_evaluated < whole.prompt_tokens_evaluated and early.answer_tokens == 0
        assert 0 < late.answer_tokens < 48
        assert detector.detect(doc[6]) == []  # the next page runs in full after all that (the noise holds no box)
        assert results[-1].answer_tokens == 48 and detector.loads == 1
    finally:
        detector.close()


def test_detect_page_hands_cancel_only_to_detectors_that_take_it():
    class Plain:
        name = "plain"

        def detect(self, page):
            return [Box(Rect(0, 0, 10, 10))]

    class Long:
        name = "long"
        takes_cancel = True

        def detect(self, page, cancel=None):
            if cancel is not None and cancel():
                raise CancelledError("stopped")
            return []

    page = one_page(100, 100)[0]
    assert len(detect_page(Plain(), page, cancel=lambda: True)) == 1
    with pytest.raises(CancelledError):
        detect_page(Long(), page, cancel=lambda: True)


# -- a detection run: loaded once, released after, cancellable, refused when it cannot fit --------------------------


def three_page_pdf(path):
    doc = pymupdf.open()
    for width, height in ((612, 792), (595, 842), (842, 595)):
        page = doc.new_page(width=width, height=height)
        page.draw_rect(pymupdf.Rect(60, 80, 300, 260), color=(0, 0, 0), fill=(0.2, 0.2, 0.2))
    doc.save(path)
    return path


@pytest.fixture
def run_setup(files, project, tmp_path, monkeypatch):
    """A project with a three-page PDF, the chat settings pointing at the tiny model, and the detectors the
    run builds by name kept for inspection (each answering with one box)."""
    model, mmproj = files
    settings.set_chat_options(model_path=str(model), mmproj_path=str(mmproj), n_threads=2)
    settings.set_detector_params(NAME, {k: v for k, v in SMALL.items() if k != "n_threads"})
    doc = import_pdf(project, three_page_pdf(tmp_path / "three.pdf")).document
    assert doc is not None
    built: list[tuple[QwenVLLocalDetector, Scripted]] = []
    create = registry.create

    def keep(name, *args, **kw):
        detector = create(name, *args, **kw)
        assert isinstance(detector, QwenVLLocalDetector)
        built.append((detector, Scripted(detector, lambda turns, image: json.dumps(
            [{"bbox_2d": [0.1 * image.width, 0.1 * image.height, 0.5 * image.width, 0.4 * image.height],
              "label": "ultrasound"}]))))
        return detector

    monkeypatch.setattr(registry, "create", keep)
    return project, doc, built


def test_a_run_loads_the_model_once_and_releases_it_after(run_setup):
    project, doc, built = run_setup
    results = list(iter_detect(project, doc.id, NAME))
    assert [len(r.figure_ids) for r in results] == [1, 1, 1]
    assert {f.detector for f in figures.list_figures(project, doc.id, 0)} == {NAME}
    ((detector, scripted),) = built
    calls = scripted.calls
    assert len(calls) == 3 and len({id(call["engine"]()) for call in calls}) == 1  # one model for the whole run
    assert detector.loads == 1 and not detector.loaded
    gc.collect()
    assert all(call["engine"]() is None for call in calls)  # the chat engine and its llama.cpp model are gone


def test_a_run_cancelled_mid_page_keeps_the_pages_before_and_releases_the_model(run_setup):
    project, doc, built = run_setup
    inside = [False]  # page 2 has reached the chat engine
    asked_inside = []

    def cancel() -> bool:
        if inside[0]:
            asked_inside.append(True)
        return inside[0]

    run = iter_detect(project, doc.id, NAME, cancel=cancel)
    first = next(run)
    ((detector, scripted),) = built
    scripted.before = lambda: inside.__setitem__(0, True)
    with pytest.raises(CancelledError):
        next(run)
    assert first.page == 0 and len(figures.list_figures(project, doc.id, 0)) == 1
    assert figures.list_figures(project, doc.id, 1) == []  # the cancelled page was left as it was
    assert asked_inside  # the chat engine asked, and stopped
    assert len(scripted.calls) == 2 and scripted.calls[1]["result"].stopped
    assert detector.loads == 1 and not detector.loaded


def test_a_run_that_cannot_fit_next_to_the_chat_copy_is_refused_in_one_sentence(run_setup, monkeypatch):
    project, doc, built = run_setup
    monkeypatch.setattr(qwen_vl_local, "available_memory", lambda: 1 << 20)
    with pytest.raises(DetectorError) as caught:
        list(iter_detect(project, doc.id, NAME))
    message = str(caught.value)
    assert "loads its own copy" in message and "Chat tab" in message
    assert message.count(". ") == 0 and message.endswith(".")
    ((detector, _),) = built
    assert not detector.loaded and detector.loads == 0


def test_a_second_copy_that_the_gpu_cannot_take_is_explained(files, monkeypatch):
    def refuse(*args, **kw):
        raise ModelFormatError("llama.cpp could not load tiny-vl.gguf; the file may be damaged.")

    monkeypatch.setattr(qwen_vl_local, "ChatEngine", refuse)
    with pytest.raises(DetectorError, match="with layers on the GPU.*n_gpu_layers to 0"):
        make_detector(files, n_gpu_layers=-1).load()
    with pytest.raises(DetectorError, match="may be damaged"):
        make_detector(files, n_gpu_layers=0).load()


MEMORY_PROBE = """
import gc, json, sys
import psutil, pymupdf
from engine.detect.qwen_vl import PromptTemplate
from engine.detect.qwen_vl_local import QwenVLLocalDetector

detector = QwenVLLocalDetector(sys.argv[1], sys.argv[2], n_threads=2, max_tokens=2, min_image_tokens=16,
                               max_image_tokens=64, prompt=PromptTemplate("short/1", "Box the scans ({width}x{height})."))
doc = pymupdf.open()
page = doc.new_page(width=400, height=400)
process = psutil.Process()
gc.collect()
before = process.memory_info().rss
detector.detect(page)
held = process.memory_info().rss
detector.close()
gc.collect()
print(json.dumps({"before": before, "held": held, "after": process.memory_info().rss}))
"""


def test_memory_goes_back_near_where_it_was_after_the_run(files, tmp_path):
    """A model with ~100 MB of weights, in a fresh process: resident while the run holds it, given back when it
    ends (what stays is Python's and llama.cpp's small one-time state)."""
    model = write_tiny_qwen2_gguf(tmp_path / "wider.gguf", arch="qwen2vl", n_ff=8192, n_layer=4)
    env = {**os.environ, settings.ENV_DIR: str(tmp_path / "config"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(model), str(files[1])], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rss = json.loads(done.stdout.strip().splitlines()[-1])
    assert rss["held"] - rss["before"] > 80e6
    assert rss["after"] - rss["before"] < 0.25 * (rss["held"] - rss["before"])


def test_the_command_detects_with_the_chat_model_and_releases_it(files, project, tmp_path, monkeypatch, capsys):
    from engine.cli import main

    model, mmproj = files
    settings.set_chat_options(model_path=str(model), mmproj_path=str(mmproj))
    doc = import_pdf(project, three_page_pdf(tmp_path / "three.pdf")).document
    assert doc is not None
    closed: list[QwenVLLocalDetector] = []
    close = QwenVLLocalDetector.close

    def recording_close(self):
        closed.append(self)
        close(self)

    monkeypatch.setattr(QwenVLLocalDetector, "close", recording_close)
    params = [arg for key, value in {**SMALL, "max_tokens": 2}.items() for arg in ("--param", f"{key}={value}")]
    code = main(["detect", str(project.folder), "--detector", NAME, "--pages", "1-2", "--no-text", "--json", *params])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report[0]["document_id"] == doc.id and report[0]["pages_done"] == 2
    # the pages were detected in a page worker process (engine.isolation), which loaded the model once and
    # ended with the command; the command's own copy of the detector never loaded it, and was closed
    assert len(closed) == 1 and closed[0].loads == 0 and not closed[0].loaded
