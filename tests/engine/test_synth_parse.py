"""Prompt templates, lenient parsing and validation, prices and cards of engine.synth."""

from __future__ import annotations

import json

import pytest

from engine.llm.images import image_mime
from engine.llm.lenient_json import first_json_value
from engine.llm.retry import parse_retry_after
from engine.resources import resource
from engine.store.models import RecordKind, RecordStatus
from engine.synth import registry
from engine.synth.base import (
    Price,
    Pricing,
    SynthConfigError,
    SynthInput,
    SynthOutputError,
    load_pricing,
)
from engine.synth.parse import gemini_schema, json_schema, parse_records
from engine.synth.prompts import (
    PromptTemplate,
    build_prompt,
    load_template,
    template_for,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 16
TEMPLATES = ("vqa", "mcq", "conversation", "text_qa", "text_mcq")


def _inp(kind=RecordKind.VQA, image=PNG, **kw) -> SynthInput:
    return SynthInput(kind=kind, image=image, figure_id=7, doc_id=2, page=4, **kw)


# ----------------------------------------------------------------------------- prompts


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_shipped_template_loads_with_a_version(template, language):
    tpl = load_template(template, language)
    assert tpl.version
    assert tpl.prompt_version == f"synth_{template}_{language}@{tpl.version}"
    text = tpl.render(_inp(caption="Cap", context="Ctx"), reasoning=True, with_page=True)
    assert "[[" not in text and "{context}" not in text and "{caption}" not in text
    assert "Ctx" in text


def test_template_choice_follows_kind_and_image():
    assert [template_for(_inp(k)) for k in (RecordKind.VQA, RecordKind.MCQ, RecordKind.QA)] == ["vqa", "mcq", "conversation"]
    assert template_for(_inp(RecordKind.QA, image=None)) == "text_qa"
    assert template_for(_inp(RecordKind.MCQ, image=None)) == "text_mcq"
    with pytest.raises(SynthConfigError, match="needs a figure image"):
        template_for(_inp(RecordKind.VQA, image=None))


def test_blocks_follow_reasoning_and_page():
    tpl = PromptTemplate.parse("t", "version: 3\nempty: NONE\n---\nA[[reasoning]]R[[/reasoning]][[plain]]P[[/plain]][[page]]G[[/page]][[nopage]]N[[/nopage]] {caption}")
    assert tpl.render(_inp(), reasoning=True, with_page=False) == "ARN NONE"
    assert tpl.render(_inp(caption="c  d"), reasoning=False, with_page=True) == "APG c d"
    assert tpl.prompt_version == "t@3"


def test_build_prompt_orders_images_and_forces_plain_conversation():
    page = b"\xff\xd8\xff" + b"1" * 8
    p = build_prompt(_inp(RecordKind.VQA, page_image=page, reasoning=True))
    assert p.images == (PNG, page) and p.reasoning and "thinking" in p.text
    p = build_prompt(_inp(RecordKind.VQA, reasoning=False))
    assert p.images == (PNG,) and not p.reasoning and '"thinking"' not in p.text
    assert not build_prompt(_inp(RecordKind.QA, reasoning=True)).reasoning
    text_only = build_prompt(_inp(RecordKind.QA, image=None, page_image=page, context="Passage text"))
    assert text_only.images == () and "Passage text" in text_only.text


def test_user_copies_win_and_bad_templates_are_refused(tmp_path):
    (tmp_path / "synth_vqa_en.md").write_text("version: 9-mine\n---\nMy prompt {caption}", encoding="utf-8")
    assert build_prompt(_inp(caption="x"), [tmp_path]).prompt_version == "synth_vqa_en@9-mine"
    (tmp_path / "synth_mcq_en.md").write_text("no header here", encoding="utf-8")
    with pytest.raises(SynthConfigError, match="no header"):
        load_template("mcq", "en", [tmp_path])
    (tmp_path / "synth_mcq_en.md").write_text("empty: -\n---\nbody", encoding="utf-8")
    with pytest.raises(SynthConfigError, match="no version"):
        load_template("mcq", "en", [tmp_path])
    with pytest.raises(SynthConfigError, match="Unknown language"):
        load_template("vqa", "fr")


# ----------------------------------------------------------------------------- schemas


def test_schemas_are_strict_and_follow_reasoning():
    s = json_schema("mcq", True)
    item = s["properties"]["items"]["items"]
    assert item["required"] == ["question", "thinking", "options", "correct"]
    assert item["additionalProperties"] is False and s["additionalProperties"] is False
    assert json_schema("vqa", False)["properties"]["items"]["items"]["required"] == ["question", "answer"]
    assert json_schema("conversation", True)["properties"]["items"]["items"]["required"] == ["question", "answer"]
    g = gemini_schema("vqa", True)
    assert "additionalProperties" not in json.dumps(g)
    assert g["properties"]["items"]["items"]["propertyOrdering"] == ["question", "thinking", "answer"]


# ----------------------------------------------------------------------------- parsing


def _parse(raw, template="vqa", reasoning=True, inp=None, **kw):
    inp = inp or _inp({"mcq": RecordKind.MCQ, "text_mcq": RecordKind.MCQ}.get(template, RecordKind.VQA))
    return parse_records(raw, template=template, reasoning=reasoning, inp=inp, synthesizer="s", model="m", prompt_version="v@1", **kw)


def test_vqa_record_has_provenance():
    recs, dropped = _parse('{"items": [{"question": " Q? ", "thinking": "T", "answer": "A"}]}')
    (r,) = recs
    assert (r.question, r.thinking, r.answer) == ("Q?", "T", "A")
    assert (r.figure_id, r.doc_id, r.page, r.kind, r.status) == (7, 2, 4, RecordKind.VQA, RecordStatus.DRAFT)
    assert (r.synthesizer, r.model, r.prompt_version, r.reasoning) == ("s", "m", "v@1", True)
    assert dropped == []


def test_lenient_parsing_rescues_fences_think_and_trailing_commas():
    raw = "<think>hmm {not json}</think>Sure!\n```json\n{'items': [{'question': 'Q', 'thinking': 'T', 'answer': 'A',},],}\n```\nDone."
    (r,), _ = _parse(raw)
    assert r.answer == "A"
    (r,), _ = _parse('Here: [{"question": "Q", "thinking": "T", "answer": "A"}]')
    assert r.question == "Q"
    assert first_json_value("no json at all") is None


def test_conversation_turns_become_one_record_each_without_thinking():
    raw = json.dumps({"items": [{"question": f"Q{i}", "answer": f"A{i}"} for i in range(3)]})
    recs, _ = _parse(raw, template="conversation", inp=_inp(RecordKind.QA))
    assert [r.question for r in recs] == ["Q0", "Q1", "Q2"]
    assert all(r.kind is RecordKind.QA and not r.reasoning and r.thinking == "" for r in recs)


@pytest.mark.parametrize("correct", ["C", "c", "(C)", "C.", "C. third", "C) third", "C: third", "third"])
def test_mcq_correct_letter_is_read_leniently(correct):
    item = {"question": "Q", "thinking": "T", "options": ["A. first", "B) second", "third", "（D）fourth"], "correct": correct}
    (r,), _ = _parse(json.dumps({"items": [item]}), template="mcq")
    assert r.options == ("first", "second", "third", "fourth")
    assert (r.correct, r.answer) == ("C", "C. third")


@pytest.mark.parametrize(
    "item, reason",
    [
        ({"question": "Q", "thinking": "T", "options": ["a", "b", "c", "d"], "correct": "E"}, "correct letter"),
        ({"question": "Q", "thinking": "T", "options": ["a", "b", "c"], "correct": "A"}, "3 options"),
        ({"question": "Q", "thinking": "T", "options": list("abcdef"), "correct": "A"}, "6 options"),
        ({"question": "Q", "thinking": "T", "options": ["a", "a", "c", "d"], "correct": "A"}, "repeated"),
        ({"question": "Q", "options": ["a", "b", "c", "d"], "correct": "A"}, "no thinking"),
        ({"thinking": "T", "options": ["a", "b", "c", "d"], "correct": "A"}, "no question"),
    ],
)
def test_invalid_mcq_is_an_output_error_keeping_raw(item, reason):
    raw = json.dumps({"items": [item]})
    with pytest.raises(SynthOutputError, match=reason) as info:
        _parse(raw, template="mcq")
    assert info.value.raw == raw


def test_invalid_items_beside_valid_ones_are_dropped():
    raw = json.dumps({"items": [{"question": "Q", "thinking": "T", "answer": "A"}, {"question": "Q2", "answer": "A2"}]})
    recs, dropped = _parse(raw)
    assert len(recs) == 1 and dropped == ["an item has no thinking"]
    recs, dropped = _parse(raw, reasoning=False)
    assert len(recs) == 2 and not recs[0].reasoning and recs[0].thinking == "" and dropped == []


@pytest.mark.parametrize(
    "raw, match",
    [
        ('{"items": [{"question": "Q", "thinking": "T", "answer": "A long answer tha', "no readable JSON"),
        ("I cannot help with that.", "no readable JSON"),
        ("", "empty"),
        ('{"items": []}', "no question items"),
        ('{"result": "ok"}', "no question items"),
    ],
)
def test_malformed_and_truncated_answers_raise_with_raw(raw, match):
    with pytest.raises(SynthOutputError, match=match) as info:
        _parse(raw)
    assert info.value.raw == raw


def test_cut_off_answer_is_refused_even_when_it_parses():
    raw = '{"items": [{"question": "Q", "thinking": "T", "answer": "A"}]}'
    with pytest.raises(SynthOutputError, match="cut off") as info:
        _parse(raw, truncated=True)
    assert info.value.raw == raw


# ----------------------------------------------------------------------------- helpers


def test_pricing_matches_exact_then_longest_prefix():
    p = Pricing({"gpt-4o": Price(2.5, 10.0), "gpt-4o-mini": Price(0.15, 0.6)})
    assert p.cost("gpt-4o", 1_000_000, 1_000_000) == pytest.approx(12.5)
    assert p.price("gpt-4o-mini-2024-07-18") == Price(0.15, 0.6)
    assert p.price("gpt-4o-2024-08-06") == Price(2.5, 10.0)
    assert p.price("models/gpt-4o") == Price(2.5, 10.0)
    assert p.cost("llama-3", 10, 10) is None


def test_shipped_pricing_and_bad_pricing(tmp_path):
    shipped = load_pricing()
    assert shipped.price("gemini-2.5-flash") and shipped.price("gpt-4o")
    bad = tmp_path / "p.toml"
    bad.write_text('[models."x"]\ninput = "cheap"\n', encoding="utf-8")
    with pytest.raises(SynthConfigError, match="must be numbers"):
        load_pricing(bad)
    bad.write_text("[[[", encoding="utf-8")
    with pytest.raises(SynthConfigError, match="not valid TOML"):
        load_pricing(bad)


def test_retry_after_forms():
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # a date in the past
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_image_mime():
    assert image_mime(PNG) == "image/png"
    assert image_mime(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert image_mime(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"


def test_cards_build_named_synthesizers():
    cards = registry.load_cards()
    assert {"openai", "gemini", "local"} <= set(cards)
    local = registry.create("local")
    assert local.name == "local" and local.model == cards["local"].params["model"]
    g = registry.create("gemini", api_key="k", model="gemini-x")
    assert (g.name, g.model) == ("gemini", "gemini-x")
    with pytest.raises(SynthConfigError, match="no synthesizer called"):
        registry.create("nope")
    with pytest.raises(SynthConfigError, match="no setting colour"):
        registry.create("openai", colour="red")
    with pytest.raises(SynthConfigError, match="must be numbers"):
        registry.create("openai", temperature="hot")
    assert resource("synthesizers.toml").is_file()
