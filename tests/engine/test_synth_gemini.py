"""The gemini synthesizer through the official google-genai SDK against a loopback server
speaking Gemini's REST generateContent wire format."""

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
from engine.synth.gemini_synth import GeminiSynthesizer
from tests.servers.gemini_compat import (
    GeminiCompatServer,
    ScriptedResponse,
    generate_content,
    google_error,
    quota_exhausted,
)
from tests.servers.openai_compat import closed_port_url

KEY = "AIza-test-SECRET-0123456789"
MODEL = "gemini-test"
PRICING = Pricing({"gemini-test": Price(input=0.3, output=2.5)})


def _png(color=(30, 30, 30), size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


CROP, PAGE = _png(), _png((255, 255, 255), (50, 70))


def _inp(kind=RecordKind.VQA, image=CROP, **kw) -> SynthInput:
    base = {"kind": kind, "image": image, "page_image": PAGE if image else None, "caption": "Gallbladder stone",
                "context": "Echogenic focus with acoustic shadow.", "figure_id": 21, "doc_id": 4, "page": 9, "language": "en", "reasoning": True}
    return SynthInput(**{**base, **kw})


def _synth(server, **kw) -> GeminiSynthesizer:
    kw.setdefault("api_key", KEY)
    kw.setdefault("timeout", 5)
    return GeminiSynthesizer(model=MODEL, base_url=server.base_url, pricing=PRICING, **kw)


VQA = {"items": [{"question": "What causes the shadow?", "thinking": "Bright focus, clean shadow, in the gallbladder.", "answer": "A gallstone."}]}
MCQ = {"items": [{"question": "Finding?", "thinking": "Shadowing focus.", "options": ["Polyp", "Stone", "Sludge", "Tumour", "Air"], "correct": "B"}]}
CONV = {"items": [{"question": "Which organ?", "answer": "The gallbladder."}, {"question": "Is there a shadow?", "answer": "Yes."}, {"question": "Likely diagnosis?", "answer": "Cholelithiasis."}]}


def test_vqa_sends_inline_images_schema_key_and_model(gemini_server):
    gemini_server.enqueue(generate_content(json.dumps(VQA), prompt_tokens=2000, candidates_tokens=300, thoughts_tokens=200))
    result = _synth(gemini_server, temperature=0.2, max_tokens=1234).synthesize(_inp())
    req = gemini_server.generate_requests[0]
    assert req.model == MODEL and req.api_key == KEY
    assert req.images() == [("image/png", CROP), ("image/png", PAGE)]
    assert "Gallbladder stone" in req.text()
    cfg = req.generation_config
    assert cfg["responseMimeType"] == "application/json"
    assert cfg["temperature"] == 0.2 and cfg["maxOutputTokens"] == 1234
    item = cfg["responseSchema"]["properties"]["items"]["items"]
    assert item["required"] == ["question", "thinking", "answer"]
    (r,) = result.records
    assert (r.question, r.thinking, r.answer) == ("What causes the shadow?", VQA["items"][0]["thinking"], "A gallstone.")
    assert (r.figure_id, r.doc_id, r.page, r.synthesizer, r.model, r.prompt_version) == (21, 4, 9, "gemini", MODEL, "synth_vqa_en@1")
    assert (result.tokens_in, result.tokens_out) == (2000, 500)  # thinking tokens are billed as output
    assert result.cost == pytest.approx((2000 * 0.3 + 500 * 2.5) / 1e6)
    assert result.raw == json.dumps(VQA)


def test_mcq_conversation_and_text_only_in_chinese(gemini_server):
    gemini_server.enqueue(json.dumps(MCQ), json.dumps(CONV), json.dumps({"items": [{"question": "问?", "thinking": "想", "answer": "答"}]}))
    synth = _synth(gemini_server)
    (mcq,) = synth.synthesize(_inp(RecordKind.MCQ)).records
    assert (mcq.correct, mcq.answer, len(mcq.options)) == ("B", "B. Stone", 5)
    conv = synth.synthesize(_inp(RecordKind.QA)).records
    assert len(conv) == 3 and all(not r.reasoning and r.kind is RecordKind.QA for r in conv)
    (text,) = synth.synthesize(_inp(RecordKind.QA, image=None, figure_id=None, language="zh")).records
    assert (text.figure_id, text.language, text.prompt_version, text.reasoning) == (None, "zh", "synth_text_qa_zh@1", True)
    reqs = gemini_server.generate_requests
    assert reqs[2].images() == [] and "原文" in reqs[2].text()
    assert "thinking" not in reqs[1].generation_config["responseSchema"]["properties"]["items"]["items"]["properties"]


def test_wrong_key_is_an_auth_error_without_the_key():
    with GeminiCompatServer(api_key="the-right-key") as server:
        with pytest.raises(SynthAuthError) as info:
            _synth(server).synthesize(_inp())
        with pytest.raises(SynthAuthError):
            _synth(server).test_connection()
    assert KEY not in str(info.value)


def test_401_and_echoed_keys(gemini_server):
    gemini_server.enqueue(google_error(401, "UNAUTHENTICATED", f"Request had invalid credentials {KEY}."))
    with pytest.raises(SynthAuthError) as info:
        _synth(gemini_server).synthesize(_inp())
    assert KEY not in str(info.value)
    gemini_server.enqueue(google_error(400, "INVALID_ARGUMENT", f"Bad image for {KEY}"))
    with pytest.raises(SynthRequestError) as info:
        _synth(gemini_server).synthesize(_inp())
    assert KEY not in str(info.value) and "[key]" in str(info.value)


def test_rate_limit_with_retry_after_header(gemini_server):
    gemini_server.enqueue(google_error(429, "RESOURCE_EXHAUSTED", "Too many requests.", headers={"retry-after": "12"}))
    with pytest.raises(SynthRateLimitError) as info:
        _synth(gemini_server).synthesize(_inp())
    assert info.value.retry_after == 12.0
    assert len(gemini_server.generate_requests) == 1  # no SDK retries by default


def test_per_minute_quota_with_retry_info_is_a_rate_limit(gemini_server):
    gemini_server.enqueue(quota_exhausted(per="PerMinute", retry_delay="31s"))
    with pytest.raises(SynthRateLimitError) as info:
        _synth(gemini_server).synthesize(_inp())
    assert info.value.retry_after == 31.0


def test_daily_quota_exhausted_stops(gemini_server):
    gemini_server.enqueue(quota_exhausted(per="PerDay", retry_delay="20s"))
    with pytest.raises(SynthQuotaError, match="quota"):
        _synth(gemini_server).synthesize(_inp())


def test_server_errors_and_configurable_retries(gemini_server):
    gemini_server.enqueue(google_error(500, "INTERNAL", "An internal error has occurred."))
    with pytest.raises(SynthServerError, match="HTTP 500"):
        _synth(gemini_server).synthesize(_inp())
    gemini_server.enqueue(google_error(503, "UNAVAILABLE", "The model is overloaded."), json.dumps(VQA))
    assert _synth(gemini_server, max_retries=1).synthesize(_inp()).records  # the SDK retried once
    assert len(gemini_server.generate_requests) == 3


def test_unknown_model_is_a_request_error(gemini_server):
    gemini_server.enqueue(google_error(404, "NOT_FOUND", "models/gemini-nope is not found for API version v1beta."))
    with pytest.raises(SynthRequestError, match="no model named"):
        _synth(gemini_server).synthesize(_inp())
    with pytest.raises(SynthRequestError, match="no model named"):
        GeminiSynthesizer(model="gemini-nope", api_key=KEY, base_url=gemini_server.base_url).test_connection()


def test_hanging_request_times_out_as_server_error(gemini_server):
    gemini_server.enqueue(ScriptedResponse(200, generate_content(json.dumps(VQA)).body, delay_s=10))
    with pytest.raises(SynthServerError, match="did not answer within 0.3 seconds"):
        _synth(gemini_server, timeout=0.3).synthesize(_inp())


def test_nothing_listening_is_a_server_error():
    url = closed_port_url().removesuffix("v1")
    with pytest.raises(SynthServerError, match="Could not connect"):
        GeminiSynthesizer(model=MODEL, api_key=KEY, base_url=url, timeout=2, pricing=PRICING).synthesize(_inp())


@pytest.mark.parametrize("text", ['{"items": [{"question": "Q", "thinking": "T", "answ', "I can't do that."])
def test_malformed_or_truncated_json_keeps_raw_and_usage(gemini_server, text):
    gemini_server.enqueue(generate_content(text, prompt_tokens=100, candidates_tokens=40))
    with pytest.raises(SynthOutputError) as info:
        _synth(gemini_server).synthesize(_inp())
    assert info.value.raw == text and (info.value.tokens_in, info.value.tokens_out) == (100, 40)


def test_max_tokens_finish_is_an_output_error(gemini_server):
    gemini_server.enqueue(generate_content(json.dumps(VQA)[:40], finish_reason="MAX_TOKENS"))
    with pytest.raises(SynthOutputError, match="cut off") as info:
        _synth(gemini_server).synthesize(_inp())
    assert info.value.raw == json.dumps(VQA)[:40]


def test_safety_block_is_an_output_error(gemini_server):
    gemini_server.enqueue(generate_content(None, finish_reason="SAFETY"))
    with pytest.raises(SynthOutputError, match="SAFETY"):
        _synth(gemini_server).synthesize(_inp())


def test_fenced_json_is_rescued(gemini_server):
    gemini_server.enqueue("```json\n" + json.dumps(VQA) + "\n```")
    assert _synth(gemini_server).synthesize(_inp()).records[0].answer == "A gallstone."


@pytest.mark.parametrize("var", ["GEMINI_API_KEY", "GOOGLE_API_KEY"])
def test_key_from_environment(gemini_server, monkeypatch, var):
    monkeypatch.setattr(secrets, "_keyring", lambda: (None, Exception))
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(var, "env-key-123")
    gemini_server.enqueue(json.dumps(VQA))
    synth = GeminiSynthesizer(model=MODEL, base_url=gemini_server.base_url, pricing=PRICING, timeout=5)
    assert synth.synthesize(_inp()).records
    assert gemini_server.generate_requests[0].api_key == "env-key-123"


def test_missing_key_is_an_auth_error(monkeypatch):
    monkeypatch.setattr(secrets, "_keyring", lambda: (None, Exception))
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SynthAuthError, match="No Gemini API key"):
        GeminiSynthesizer(model=MODEL, pricing=PRICING).synthesize(_inp())


def test_test_connection_sentence(gemini_server):
    assert f"'{MODEL}' is available" in _synth(gemini_server).test_connection()
