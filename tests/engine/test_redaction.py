"""Masks bind everything that leaves the machine: crops, page images, prompts, judge calls,
the page a remote detector sees, and exports. Every request is caught by a loopback fake of
the provider and decoded: the pixels under every mask of the page are black (an unmasked
control region is not), and the text the masks cover, read by OCR before the masks were
drawn, is nowhere in it."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pymupdf
import pytest
from PIL import Image

from engine.detect.qwen_vl import QwenVLDetector
from engine.detect.run import detect_document
from engine.export.options import ExportOptions
from engine.export.writer import export_dataset
from engine.geometry import Rect
from engine.pdf.importer import import_pdf
from engine.quality.judge import judge_records
from engine.redaction import TextFilter, covered_texts
from engine.store import figures, records
from engine.store.models import FigureStatus, NewFigure, NewRecord, RecordKind, RecordStatus
from engine.synth.base import Price, Pricing
from engine.synth.batch import run_batch
from engine.synth.gemini_synth import GeminiSynthesizer
from engine.synth.inputs import figure_input
from engine.synth.jobs import create_synth_job, run_job
from engine.synth.openai_synth import OpenAISynthesizer
from engine.text.ocr import TextLine
from engine.text.pipeline import fill_figure_text
from tests.pdf_factory import dark_png
from tests.servers.gemini_compat import GeminiCompatServer, generate_content
from tests.servers.openai_batch import OpenAIBatchServer
from tests.servers.openai_compat import OpenAICompatServer, chat_completion

KEY = "sk-mask-0123456789abcdef"
MODEL = "scripted-model"
PRICING = Pricing({MODEL: Price(input=1.0, output=2.0)})

# Page 1 (a scan: no text layer): frame A, and frame B overlapping its lower right corner.
FRAME_A = Rect(100, 100, 400, 325)
FRAME_B = Rect(250, 200, 500, 450)
MASK_A = Rect(100, 100, 400, 128)  # drawn on A over its burned-in patient strip
MASK_B = Rect(255, 288, 395, 318)  # drawn on B, over an ID that lies in A's box too
CONTROL = Rect(110, 140, 160, 152)  # the "LONG" label in frame A: never masked
MARGIN = Rect(20, 700, 80, 760)  # white paper
SECRETS = ("ZHANG", "Zhang", "ID 99817", "右肾")  # no hex digits alone: hashes in a manifest
OCR_LINES = (  # what OCR read on page 1, before any mask was drawn
    TextLine(Rect(105, 103, 395, 124), "RK：右肾 ZHANG SAN 0042", 0.9, "ocr", 12),
    TextLine(CONTROL, "LONG", 0.9, "ocr", 10),
    TextLine(Rect(262, 292, 380, 312), "ID 99817", 0.9, "ocr", 12),
    TextLine(Rect(100, 470, 420, 484), "图1 纵切面 Figure 1 Kidney, long axis", 0.9, "ocr", 11),
    TextLine(Rect(100, 520, 480, 534), "Follow-up for ID 99817 in March.", 0.9, "ocr", 11),
)
# Page 2 (born-digital): frame C with the patient's name in the text layer over it.
FRAME_C = Rect(100, 100, 400, 325)


class ScriptedOcr:
    """An OCR engine that 'reads' OCR_LINES on page 1 (those inside `clip` when one is given)."""

    def ocr_image(self, image):
        return []

    def ocr_page(self, page, dpi=200, clip=None):
        if page.number != 0:
            return []
        return [ln for ln in OCR_LINES if clip is None or ln.rect.overlap_fraction(clip) >= 0.5]


def _pdf(path: Path) -> Path:
    doc = pymupdf.open()
    scan = doc.new_page(width=595, height=842)
    scan.insert_image(pymupdf.Rect(*FRAME_A.as_tuple()), stream=dark_png(320, 240, seed=1))
    scan.insert_image(pymupdf.Rect(*FRAME_B.as_tuple()), stream=dark_png(320, 320, seed=2))
    page = doc.new_page(width=595, height=842)
    page.insert_image(pymupdf.Rect(*FRAME_C.as_tuple()), stream=dark_png(300, 200, seed=3))
    page.insert_text((110, 120), "Patient: ZHANG SAN", fontsize=12, color=(1, 1, 1))
    page.insert_text((100, 360), "Figure 2 The right kidney of an adult, long axis.", fontsize=11)
    doc.save(str(path))
    return path


@dataclass
class Masked:
    project: object
    doc_id: int
    a: int
    b: int
    c: int
    pdf: Path
    name_rect: Rect  # "ZHANG SAN" in page 2's text layer


@pytest.fixture
def masked(project, tmp_path) -> Masked:
    doc = import_pdf(project, _pdf(tmp_path / "kidney.pdf")).document
    a, b, c = figures.add_figures(project, [
        NewFigure(doc.id, 0, FRAME_A, status=FigureStatus.ACCEPTED),
        NewFigure(doc.id, 0, FRAME_B, status=FigureStatus.ACCEPTED),
        NewFigure(doc.id, 1, FRAME_C, status=FigureStatus.ACCEPTED),
    ])
    fill_figure_text(project, doc.id, ocr=ScriptedOcr())  # the text is read before any mask is drawn
    assert "ZHANG SAN" in figures.get_figure(project, a).text.burned_text
    path = project.source_path(doc.file)
    with pymupdf.open(path) as pdf:
        found = pdf[1].search_for("ZHANG SAN")[0]
    name = Rect(found.x0, found.y0, found.x1, found.y1).expanded(1)
    figures.set_redactions(project, a, [MASK_A])
    figures.set_redactions(project, b, [MASK_B])
    figures.set_redactions(project, c, [name])
    return Masked(project, doc.id, a, b, c, path, name)


# ----------------------------------------------------------------------------- checks


def _region(img: Image.Image, shows: Rect, rect: Rect, inset: float = 2.0) -> np.ndarray:
    """The pixels of `img` (which shows `shows` on the page) under `rect`, `inset` points inside it."""
    arr = np.asarray(img.convert("L"))
    sx, sy = img.width / shows.width, img.height / shows.height
    r = rect.intersect(shows).expanded(-inset)
    x0, y0 = int((r.x0 - shows.x0) * sx), int((r.y0 - shows.y0) * sy)
    x1, y1 = int((r.x1 - shows.x0) * sx), int((r.y1 - shows.y0) * sy)
    assert x1 > x0 and y1 > y0
    return arr[y0:y1, x0:x1]


def assert_masked(img: Image.Image, shows: Rect, masks: list[Rect], controls: list[Rect]) -> None:
    for m in masks:
        assert _region(img, shows, m).max() <= 8, f"pixels under the mask {m} are not black"
    for c in controls:
        assert _region(img, shows, c).max() > 10, f"the unmasked region {c} is black too"


def sent_text(body) -> str:
    """Every string of a request body, images left out."""
    if isinstance(body, dict):
        return "\n".join(sent_text(v) for k, v in body.items() if k not in ("image_url", "inlineData", "inline_data"))
    if isinstance(body, list):
        return "\n".join(sent_text(v) for v in body)
    return body if isinstance(body, str) else ""


def assert_no_secrets(text: str) -> None:
    for word in SECRETS:
        assert word not in text, f"{word!r} left the machine"


def images_of(messages: list[dict]) -> list[Image.Image]:
    out = []
    for m in messages:
        for part in m.get("content") if isinstance(m.get("content"), list) else []:
            if part.get("type") == "image_url":
                out.append(Image.open(io.BytesIO(base64.b64decode(part["image_url"]["url"].partition(",")[2]))))
    return out


PAGE = Rect(0, 0, 595, 842)


def assert_crop_and_page(images: list[Image.Image]) -> None:
    """The crop of frame A and page 1: black under both masks of the page."""
    crop, page = images
    assert page.size == (595, 842)
    assert_masked(crop, FRAME_A, [MASK_A, MASK_B], [CONTROL])
    assert_masked(page, PAGE, [MASK_A, MASK_B], [CONTROL, MARGIN])


ANSWERS = {
    "vqa": {"items": [{"question": "What is shown?", "thinking": "A kidney.", "answer": "A normal kidney."}]},
    "conversation": {"items": [{"question": "Which organ?", "answer": "Kidney."}]},
    "text_qa": {"items": [{"question": "When is the follow-up?", "thinking": "It says so.", "answer": "In March."}]},
}


def _answer(req):
    name = req.json["response_format"]["json_schema"]["name"].removeprefix("remud_")
    return chat_completion(json.dumps(ANSWERS[name]))


# ----------------------------------------------------------------------------- what masks cover


def test_text_filter_cuts_covered_text_wherever_it_stands():
    scrub = TextFilter({"RK：右肾 ZHANG SAN 0042", "ID 99817", "A"})
    assert scrub("RK：右肾 ZHANG SAN 0042\nLONG") == "LONG"  # a covered line of burned-in text
    assert scrub("Follow-up for ID 99817 in March.") == "Follow-up for in March."
    assert scrub("follow-up for id  99817") == "follow-up for"  # any case, any spacing
    assert scrub("ID 998170 and XID 99817") == "ID 998170 and XID 99817"  # never inside a number or word
    assert scrub("A\nA simple cyst") == "A simple cyst"  # a lone letter only goes where it stands alone
    assert TextFilter()("ID 99817") == "ID 99817" and not TextFilter()


def test_covered_texts_are_text_layer_words_and_ocr_lines(masked):
    with pymupdf.open(masked.pdf) as pdf:
        assert covered_texts(pdf[1], [masked.name_rect], []) == {"ZHANG SAN"}  # not "Patient:", beside it
        ocr = [(ln.rect, ln.text) for ln in OCR_LINES]
        assert covered_texts(pdf[0], [MASK_A, MASK_B], ocr) == {"RK：右肾 ZHANG SAN 0042", "ID 99817"}


def test_stored_text_stays_for_the_inspector_but_reading_again_drops_what_masks_cover(masked):
    p = masked.project
    assert "ZHANG SAN" in figures.get_figure(p, masked.a).text.burned_text  # read before the masks: kept locally
    fill_figure_text(p, masked.doc_id, ocr=ScriptedOcr())
    a, c = figures.get_figure(p, masked.a), figures.get_figure(p, masked.c)
    assert_no_secrets(a.text.burned_text + c.text.burned_text)
    assert "LONG" in a.text.burned_text and "Patient:" in c.text.burned_text
    for fid in (masked.a, masked.b, masked.c):  # masks gone (undo): reading again gives the text back
        figures.set_redactions(p, fid, [])
    fill_figure_text(p, masked.doc_id, ocr=ScriptedOcr())
    assert "ZHANG SAN 0042" in figures.get_figure(p, masked.a).text.burned_text


# ----------------------------------------------------------------------------- what leaves


def test_synthesis_job_sends_masked_crops_pages_prompts_and_passages(masked):
    p = masked.project
    with OpenAICompatServer(api_key=KEY, default=_answer) as server:
        job, created, _ = create_synth_job(
            p, figure_ids=[masked.a], kinds=["vqa", "qa"], passages=[(masked.doc_id, 0, OCR_LINES[-1].text)],
            params={"model": MODEL, "base_url": server.base_url})
        assert created == 3
        synth = OpenAISynthesizer(model=MODEL, base_url=server.base_url, api_key=KEY, pricing=PRICING, timeout=5)
        assert run_job(p.folder, job.id, synthesizer=synth).state == "done"
        reqs = server.chat_requests
    assert len(reqs) == 3
    with_images = [r for r in reqs if r.images()]
    assert len(with_images) == 2  # the figure's vqa and qa: crop + page each
    for req in with_images:
        assert_crop_and_page(req.pil_images())
        assert "LONG" in req.text()  # the unmasked burned-in text still goes
    passage = next(r for r in reqs if not r.images())
    assert "Follow-up for in March." in passage.text()
    for req in reqs:
        assert_no_secrets(sent_text(req.json))


def test_batch_requests_are_masked(masked):
    p = masked.project
    good = lambda body, custom_id: chat_completion(json.dumps(ANSWERS["vqa"]))  # noqa: E731 - a one-line callback, kept where it is used
    with OpenAIBatchServer(api_key=KEY, answer=good, polls_to_complete=1) as server:
        job, created, _ = create_synth_job(p, figure_ids=[masked.a], kinds=["vqa"], params={"model": MODEL})
        synth = OpenAISynthesizer(model=MODEL, base_url=server.base_url, api_key=KEY, pricing=PRICING, timeout=5)
        assert run_batch(p.folder, job.id, synthesizer=synth, poll_s=0).state == "done"
        (bid,) = server.batches
        (line,) = server.input_lines(bid)
    assert_crop_and_page(images_of(line["body"]["messages"]))
    assert_no_secrets(sent_text(line["body"]))


def test_gemini_requests_are_masked(masked):
    with GeminiCompatServer(api_key=KEY, default=generate_content(json.dumps(ANSWERS["vqa"]))) as server:
        synth = GeminiSynthesizer(model="gemini-test", api_key=KEY, base_url=server.base_url, timeout=5)
        synth.synthesize(figure_input(masked.project, masked.a, "vqa"))
        (req,) = server.generate_requests
    assert_crop_and_page([Image.open(io.BytesIO(data)) for _, data in req.images()])
    assert_no_secrets(sent_text(req.json))


def test_judge_sees_the_masked_crop_and_no_covered_text(masked):
    p = masked.project
    records.add_records(p, [NewRecord(  # written before the masks were drawn: it quotes the strip
        kind=RecordKind.VQA, figure_id=masked.a, question="What does the strip RK：右肾 ZHANG SAN 0042 say?",
        answer="A normal right kidney; follow-up for ID 99817.")])
    verdict = {"grounding": 4, "image_match": 4, "score": 4, "reason": "ok"}
    with OpenAICompatServer(default=chat_completion(json.dumps(verdict))) as server:
        synth = OpenAISynthesizer(model=MODEL, base_url=server.base_url, api_key=KEY, pricing=PRICING, timeout=5)
        assert judge_records(p, synth).judged == 1
        (req,) = server.chat_requests
    (crop,) = req.pil_images()
    assert_masked(crop, FRAME_A, [MASK_A, MASK_B], [CONTROL])
    assert "A normal right kidney; follow-up for ." in req.text() and "LONG" in req.text()
    assert_no_secrets(sent_text(req.json))


def test_remote_detector_sees_the_page_masked(masked):
    with OpenAICompatServer(default=chat_completion("[]")) as server:
        detector = QwenVLDetector(server.base_url, "qwen2.5-vl", api_key=KEY, max_retries=0)
        detect_document(masked.project, masked.doc_id, detector, [0], force=True)
        (req,) = server.chat_requests
    (page,) = req.pil_images()
    assert_masked(page, PAGE, [MASK_A, MASK_B], [CONTROL, MARGIN])
    assert [f.id for f in figures.list_figures(masked.project, masked.doc_id, page=0)] == [masked.a, masked.b]


def test_export_writes_masked_crops_and_no_covered_text(masked, tmp_path):
    p = masked.project
    records.add_records(p, [NewRecord(
        kind=RecordKind.VQA, figure_id=masked.a, status=RecordStatus.ACCEPTED,
        question="What does the strip RK：右肾 ZHANG SAN 0042 say?", thinking="The label says LONG.",
        answer="A normal right kidney; follow-up for ID 99817."),
        NewRecord(kind=RecordKind.VQA, figure_id=masked.c, status=RecordStatus.ACCEPTED,
                  question="Whose kidney is it?", answer="It belongs to Zhang San, an adult.")])
    out = export_dataset(p, ExportOptions(dedup_threshold=None), tmp_path / "export").folder
    texts = [f.read_text(encoding="utf-8") for f in out.rglob("*") if f.suffix in (".json", ".jsonl", ".md", ".yaml")]
    texts += [json.dumps(pq.read_table(f).to_pylist(), ensure_ascii=False, default=str) for f in out.rglob("*.parquet")]
    everything = "\n".join(texts)
    assert "follow-up for ." in everything and "It belongs to , an adult." in everything
    assert_no_secrets(everything)
    crops = {Image.open(f).size: Image.open(f) for f in (out / "images").glob("*.png")}
    assert_masked(crops[(320, 240)], FRAME_A, [MASK_A, MASK_B], [CONTROL])
