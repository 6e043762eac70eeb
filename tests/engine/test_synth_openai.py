"""The openai synthesizer through the official SDK against a loopback OpenAI-compatible server."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from engine import secrets
from engine.store.models import RecordKind
from engine.synth.base import (
    Price,
    Pricing,
    SynthAuthError,
    SynthInput,
    SynthOutputError,
    SynthQuotaError,
    SynthRateLimitError,
    SynthRequestError,
    SynthServerError,
)
from engine.synth.openai_synth import OpenAISynthesizer
from tests.servers.openai_compat import (
    OpenAICompatServer,
    ScriptedResponse,
    chat_completion,
    closed_port_url,
    error_response,
)

KEY = "sk-test-SECRET-0123456789"
PRICING = Pricing({"scripted-model": Price(input=2.0, output=8.0)})


def _png(color=(40, 40, 40), size=(32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


CROP, PAGE = _png(), _png((250, 250, 250), (60, 80))


def _inp(kind=RecordKind.VQA, image=CROP, **kw) -> SynthInput:
    base = {"kind": kind, "image": image, "page_image": PAGE if image else None, "caption": "Liver cyst", "context": "Anechoic lesion.",
                "figure_id": 11, "doc_id": 3, "page": 5, "language": "en", "reasoning": True}
    return SynthInput(**{**base, **kw})


def _synth(server, **kw) -> OpenAISynthesizer:
    kw.setdefault("api_key", KEY)
    return OpenAISynthesizer(model="scripted-model", base_url=server.base_url, pricing=PRICING, timeout=5, **kw)


VQA = {"items": [{"question": "What is shown?", "thinking": "Round anechoic area with posterior enhancement.", "answer": "A simple cyst."}]}
MCQ = {"items": [{"question": "Diagnosis?", "thinking": "Anechoic, thin wall.", "options": ["Cyst", "Abscess", "Haemangioma", "Metastasis"], "correct": "A"}]}
CONV = {"items": [{"question": "Which organ?", "answer": "The liver."}, {"question": "Is the lesion solid?", "answer": "No, it is cystic."}]}


def test_vqa_sends_images_schema_and_model_and_fills_provenance(openai_server):
    openai_server.enqueue(chat_completion(json.dumps(VQA), prompt_tokens=1000, completion_tokens=500))
    result = _synth(openai_server).synthesize(_inp())
    req = openai_server.chat_requests[0]
    assert req.json["model"] == "scripted-model"
    assert req.images() == [("image/png", CROP), ("image/png", PAGE)]
    assert "Liver cyst" in req.text()
    fmt = req.json["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["properties"]["items"]["items"]["required"] == ["question", "thinking", "answer"]
    assert req.json["max_tokens"] == 4096
    (r,) = result.records
    assert (r.question, r.answer, r.kind, r.reasoning) == ("What is shown?", "A simple cyst.", RecordKind.VQA, True)
    assert (r.figure_id, r.doc_id, r.page) == (11, 3, 5)
    assert (r.synthesizer, r.model, r.prompt_version) == ("openai", "scripted-model", "synth_vqa_en@1")
    assert (result.tokens_in, result.tokens_out) == (1000, 500)
    assert result.cost == pytest.approx((1000 * 2.0 + 500 * 8.0) / 1e6)
    assert result.raw == json.dumps(VQA) and result.structured


def test_mcq_and_conversation_and_text_only(openai_server):
    openai_server.enqueue(chat_completion(json.dumps(MCQ)), chat_completion(json.dumps(CONV)), chat_completion(json.dumps(MCQ)))
    synth = _synth(openai_server)
    (mcq,) = synth.synthesize(_inp(RecordKind.MCQ, language="zh")).records
    assert (mcq.correct, mcq.answer, mcq.language, mcq.prompt_version) == ("A", "A. Cyst", "zh", "synth_mcq_zh@1")
    conv = synth.synthesize(_inp(RecordKind.QA)).records
    assert [r.question for r in conv] == ["Which organ?", "Is the lesion solid?"]
    assert all(r.kind is RecordKind.QA and not r.reasoning for r in conv)
    text = synth.synthesize(_inp(RecordKind.MCQ, image=None, figure_id=None)).records
    assert text[0].figure_id is None and text[0].prompt_version == "synth_text_mcq_en@1"
    reqs = openai_server.chat_requests
    assert reqs[1].json["response_format"]["json_schema"]["name"] == "remud_conversation"
    assert reqs[2].images() == [] and "Anechoic lesion." in reqs[2].text()


def test_wrong_key_is_an_auth_error_without_the_key():
    with OpenAICompatServer(api_key="the-right-key") as server, pytest.raises(SynthAuthError) as info:
        _synth(server).synthesize(_inp())
    assert "401" in str(info.value) and KEY not in str(info.value)


def test_a_key_echoed_by_the_server_is_redacted(openai_server):
    openai_server.enqueue(error_response(400, f"Bad thing for key {KEY}", retry_after_ms=None))
    with pytest.raises(SynthRequestError) as info:
        _synth(openai_server, structured=False).synthesize(_inp())
    assert KEY not in str(info.value) and "[key]" in str(info.value)


def test_rate_limit_carries_retry_after(openai_server):
    openai_server.enqueue(ScriptedResponse(429, {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}, {"retry-after": "7"}))
    with pytest.raises(SynthRateLimitError) as info:
        _synth(openai_server).synthesize(_inp())
    assert info.value.retry_after == 7.0 and "429" in str(info.value)
    assert len(openai_server.chat_requests) == 1  # no SDK retries by default


def test_insufficient_quota_stops(openai_server):
    openai_server.enqueue(error_response(429, "You exceeded your current quota.", type="insufficient_quota", code="insufficient_quota"))
    with pytest.raises(SynthQuotaError, match="no quota"):
        _synth(openai_server).synthesize(_inp())


def test_server_error_is_retryable_and_sdk_retries_are_configurable(openai_server):
    openai_server.enqueue(error_response(500, "boom", type="server_error"))
    with pytest.raises(SynthServerError, match="HTTP 500"):
        _synth(openai_server).synthesize(_inp())
    openai_server.enqueue(error_response(503, "busy", type="server_error"), chat_completion(json.dumps(VQA)))
    assert _synth(openai_server, max_retries=1).synthesize(_inp()).records


def test_hanging_request_times_out_as_server_error(openai_server):
    openai_server.enqueue(ScriptedResponse(200, chat_completion(json.dumps(VQA)).body, delay_s=10))
    synth = OpenAISynthesizer(model="scripted-model", base_url=openai_server.base_url, api_key=KEY, timeout=0.3, pricing=PRICING)
    with pytest.raises(SynthServerError, match="did not answer within 0.3 seconds"):
        synth.synthesize(_inp())


def test_nothing_listening_is_a_server_error():
    synth = OpenAISynthesizer(model="m", base_url=closed_port_url(), api_key=KEY, timeout=2, pricing=PRICING)
    with pytest.raises(SynthServerError, match="Could not connect"):
        synth.synthesize(_inp())


@pytest.mark.parametrize("content", ['{"items": [{"question": "Q", "thinking": "T", "ans', "Sorry, I can't.", None])
def test_malformed_or_truncated_output_keeps_raw_and_usage(openai_server, content):
    openai_server.enqueue(chat_completion(content, prompt_tokens=10, completion_tokens=5))
    with pytest.raises(SynthOutputError) as info:
        _synth(openai_server).synthesize(_inp())
    assert info.value.raw == (content or "")
    assert (info.value.tokens_in, info.value.tokens_out) == (10, 5) and info.value.cost == pytest.approx(60 / 1e6)


def test_length_cut_answer_is_an_output_error(openai_server):
    openai_server.enqueue(chat_completion(json.dumps(VQA), finish_reason="length"))
    with pytest.raises(SynthOutputError, match="cut off"):
        _synth(openai_server).synthesize(_inp())


def test_server_refusing_response_format_falls_back_to_lenient_parsing(openai_server):
    def reply(req):
        if "response_format" in req.json:
            return error_response(400, "response_format json_schema is not supported", retry_after_ms=None)
        return chat_completion("Here you go:\n```json\n" + json.dumps(VQA) + "\n```")

    openai_server.default = reply
    synth = _synth(openai_server)
    result = synth.synthesize(_inp())
    assert result.records[0].answer == "A simple cyst." and not result.structured
    assert synth.synthesize(_inp()).records  # remembered: no second refusal
    assert ["response_format" in r.json for r in openai_server.chat_requests] == [True, False, False]


def test_key_comes_from_the_environment_and_base_url_too(openai_server, monkeypatch):
    monkeypatch.setattr(secrets, "_keyring", lambda: (None, Exception))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-123")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.enqueue(chat_completion(json.dumps(VQA)))
    synth = OpenAISynthesizer(model="scripted-model", pricing=PRICING, timeout=5)
    assert synth.synthesize(_inp()).records
    assert openai_server.chat_requests[0].bearer == "sk-from-env-123"
    assert "sk-from-env" not in repr(synth)


def test_missing_key_for_openai_itself_is_an_auth_error(monkeypatch):
    monkeypatch.setattr(secrets, "_keyring", lambda: (None, Exception))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(SynthAuthError, match="No OpenAI API key"):
        OpenAISynthesizer(model="gpt-4o", pricing=PRICING).synthesize(_inp())


def test_test_connection_sentences(openai_server):
    assert "'scripted-model' is available" in _synth(openai_server).test_connection()
    other = OpenAISynthesizer(model="gpt-x", base_url=openai_server.base_url, api_key=KEY)
    assert "does not list the model 'gpt-x'" in other.test_connection()
    with OpenAICompatServer(api_key="right") as server, pytest.raises(SynthAuthError):
        _synth(server).test_connection()
