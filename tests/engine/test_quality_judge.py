"""The LLM judge through the official openai SDK against the loopback OpenAI-compatible server."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from engine.quality.judge import (
    JudgeSource,
    judge_records,
    load_judge_template,
    parse_verdict,
    render,
)
from engine.store import records
from engine.store.models import NewRecord, RecordKind
from engine.synth.base import Price, Pricing, SynthAuthError, SynthOutputError
from engine.synth.openai_synth import OpenAISynthesizer
from tests.servers.openai_compat import (
    ScriptedResponse,
    chat_completion,
    error_response,
)

PRICING = Pricing({"judge-model": Price(input=1.0, output=2.0)})
REC = NewRecord(
    kind=RecordKind.VQA, language="en", reasoning=True,
    question="What does this view of the right kidney show?",
    thinking="An anechoic round area with a thin wall and posterior enhancement.",
    answer="A simple cortical cyst {answer} in the upper pole.",
)


def _synth(server) -> OpenAISynthesizer:
    return OpenAISynthesizer(model="judge-model", base_url=server.base_url, api_key="sk-judge-0123456789",
                             pricing=PRICING, timeout=10)


def _verdict(score, grounding=None, image_match=5, reason="ok") -> ScriptedResponse:
    body = {"grounding": score if grounding is None else grounding, "image_match": image_match, "score": score, "reason": reason}
    return chat_completion(json.dumps(body), model="judge-model", prompt_tokens=50, completion_tokens=10)


def test_template_is_versioned_and_renders_source_and_record():
    tpl = load_judge_template()
    assert tpl.prompt_version == "judge_en@1"
    src = JudgeSource(caption="Right kidney cyst", context="Simple renal cysts are common.", page_text="Chapter 3 kidney")
    text = render(tpl, records.Record(**{**REC.__dict__, "id": 1}), src)
    assert "Right kidney cyst" in text and "Simple renal cysts are common." in text and "Chapter 3 kidney" in text
    assert REC.question in text and REC.thinking in text
    assert "A simple cortical cyst {answer} in the upper pole." in text  # record text is not substituted again
    assert "there is no image" in text and "The image is the figure" not in text
    with_image = render(tpl, records.Record(**{**REC.__dict__, "id": 1}), replace(src, image=b"\x89PNG"))
    assert "The image is the figure" in with_image and "there is no image" not in with_image
    assert "Text burned into the image: (none)" in text


def test_user_copy_of_the_template_wins(tmp_path):
    (tmp_path / "judge_en.md").write_text("version: 7\n---\nJudge {question}", encoding="utf-8")
    tpl = load_judge_template([tmp_path])
    assert tpl.prompt_version == "judge_en@7"


def test_parse_verdict_clamps_and_falls_back():
    v = parse_verdict({"grounding": 9, "image_match": "2", "score": 0.2, "reason": " bad\n match "})
    assert (v.score, v.grounding, v.image_match, v.reason) == (1, 5, 2, "bad match")
    assert parse_verdict({"grounding": 4, "image_match": 2}).score == 2
    with pytest.raises(SynthOutputError):
        parse_verdict({"reason": "no score"})
    with pytest.raises(SynthOutputError):
        parse_verdict(None, "nothing")


def test_scores_are_stored_and_low_scores_flagged(project, openai_server):
    ids = records.add_records(project, [
        REC, replace(REC, question="Which organ is this?", flags=("low_score", "mine")),
        replace(REC, question="Is there flow in the lesion?"),
    ])
    by_question = {REC.question: 5, "Which organ is this?": 4, "Is there flow in the lesion?": 2}

    def answer(req):
        for q, s in by_question.items():
            if f"Question: {q}" in req.text():
                return _verdict(s)
        return error_response(400, "unexpected")

    openai_server.default = answer
    report = judge_records(project, _synth(openai_server), with_images=False, concurrency=2)
    assert report.judged == 3 and report.low == 1 and not report.failed
    assert report.scores == {2: 1, 4: 1, 5: 1}
    assert report.prompt_version == "judge_en@1"
    assert (report.tokens_in, report.tokens_out) == (150, 30)
    assert report.cost == pytest.approx((150 * 1.0 + 30 * 2.0) / 1e6)
    got = [records.get_record(project, i) for i in ids]
    assert [r.score for r in got] == [5.0, 4.0, 2.0]
    assert got[0].flags == ()
    assert got[1].flags == ("mine",)  # a good score clears low_score, keeps other flags
    assert got[2].flags == ("low_score",)
    sent = openai_server.chat_requests[0].json
    assert sent["model"] == "judge-model"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["temperature"] == 0


def test_figure_source_and_image_reach_the_judge(project, openai_server):
    rid = records.add_records(project, [REC])[0]
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    openai_server.enqueue(_verdict(3))

    def source(p, rec):
        return JudgeSource(caption="CAPTION-XYZ", page_text="PAGE-TEXT-XYZ", image=png)

    judge_records(project, _synth(openai_server), [rid], source=source, threshold=4)
    req = openai_server.chat_requests[0]
    assert "CAPTION-XYZ" in req.text() and "PAGE-TEXT-XYZ" in req.text()
    assert req.images() == [("image/png", png)]
    rec = records.get_record(project, rid)
    assert rec.score == 3.0 and rec.flags == ("low_score",)


def test_lenient_answer_and_structured_fallback(project, openai_server):
    rid = records.add_records(project, [REC])[0]
    openai_server.enqueue(
        error_response(400, "response_format json_schema is not supported"),
        chat_completion('Sure!\n```json\n{"grounding": 4, "image_match": 4, "score": 4, "reason": "fine",}\n```'),
    )
    synth = _synth(openai_server)
    report = judge_records(project, synth, [rid], with_images=False)
    assert report.judged == 1 and records.get_record(project, rid).score == 4.0
    assert synth.structured is False
    assert "response_format" not in openai_server.chat_requests[1].json


def test_bad_answers_are_counted_and_the_pass_goes_on(project, openai_server):
    ids = records.add_records(project, [REC, replace(REC, question="Second question about the image?")])
    openai_server.enqueue(chat_completion("I cannot judge this."), _verdict(5))
    report = judge_records(project, _synth(openai_server), ids, with_images=False, concurrency=1)
    assert report.judged == 1 and len(report.failed) == 1 and report.failed[0][0] == ids[0]
    assert records.get_record(project, ids[0]).score is None
    assert records.get_record(project, ids[1]).score == 5.0


def test_wrong_key_stops_the_pass(project, openai_server):
    ids = records.add_records(project, [REC, REC])
    openai_server.default = error_response(401, "Incorrect API key provided", code="invalid_api_key")
    with pytest.raises(SynthAuthError) as err:
        judge_records(project, _synth(openai_server), ids, with_images=False, concurrency=1)
    assert "sk-judge" not in str(err.value)
    assert all(records.get_record(project, i).score is None for i in ids)
