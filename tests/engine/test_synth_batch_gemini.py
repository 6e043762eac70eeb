"""Gemini batch mode of synthesis jobs: the official google-genai SDK against a loopback batch server."""

from __future__ import annotations

import json

import pytest

from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import jobs as store
from engine.store.figures import add_figures
from engine.store.models import FigureStatus, FigureText, NewFigure
from engine.store.project import Project
from engine.store.records import list_records
from engine.synth.base import Price, Pricing
from engine.synth.batch import backend_for, cancel_batches, run_batch
from engine.synth.batch_gemini import GeminiBatch
from engine.synth.gemini_synth import GeminiSynthesizer
from engine.synth.inputs import figure_input
from engine.synth.jobs import create_synth_job
from engine.synth.prompts import build_prompt
from tests.servers.gemini_batch import GeminiBatchServer
from tests.servers.gemini_compat import generate_content, google_error

KEY = "AIza-batch-SECRET-0123456789abcdef"
MODEL = "gemini-test"
PRICING = Pricing({MODEL: Price(input=0.3, output=2.5)})  # batch_discount defaults to 0.5
VQA = {"items": [{"question": "What is shown?", "thinking": "Anechoic round area.", "answer": "A cyst."}]}


def good(req, key):
    return generate_content(json.dumps(VQA), prompt_tokens=1000, candidates_tokens=200)


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("pdf") / "sample.pdf")


@pytest.fixture
def proj(tmp_path, sample_pdf):
    with Project.create(tmp_path / "GeminiBatch.remud") as p:
        doc = import_pdf(p, sample_pdf.path).document
        add_figures(p, [NewFigure(doc.id, t.page, t.rect, status=FigureStatus.ACCEPTED, text=FigureText(caption=t.caption))
                        for t in sample_pdf.truth[:3]])
        yield p


def synth(server, key: str = KEY) -> GeminiSynthesizer:
    return GeminiSynthesizer(model=MODEL, base_url=server.base_url, api_key=key, pricing=PRICING, timeout=5)


def new_job(p):
    job, created, _ = create_synth_job(p, kinds=["vqa"], doc_ids=[1], synthesizer="gemini", params={"model": MODEL})
    assert created == 3
    return job


def test_backend_for_a_gemini_synthesizer_is_the_gemini_batch():
    s = GeminiSynthesizer(model=MODEL, api_key=KEY, pricing=PRICING)
    b = backend_for(s)
    assert isinstance(b, GeminiBatch) and b.synth is s and b.provider == "gemini"


def test_batch_job_sends_the_live_requests_and_stores_records_at_the_batch_price(proj):
    with GeminiBatchServer(api_key=KEY, answer=good, polls_to_complete=3) as server:
        job = new_job(proj)
        s = synth(server)
        seen = []
        report = run_batch(proj.folder, job.id, synthesizer=s, poll_s=0, progress=seen.append)
        assert report.state == "done" and report.stored == 3 and report.requests == 3
        assert len(server.creates) == 1
        batch = server.batches[server.creates[0]]
        assert batch.polls == 3 and batch.model == f"models/{MODEL}"
        items = store.list_items(proj, job.id)
        (row,) = store.list_batches(proj, job.id)
        assert batch.display_name == row.submission and row.batch_id == batch.name and row.state == "collected"
        assert row.status == "JOB_STATE_SUCCEEDED"
        assert batch.keys() == [it.idem_key for it in items]
        # The same request the live path sends: inline image bytes, generation config with the schema.
        inp = figure_input(proj, items[0].figure_id, "vqa")
        prompt = build_prompt(inp)
        sent = batch.requests[0]["request"]
        assert sent["model"] == f"models/{MODEL}"
        parts = sent["contents"][0]["parts"]
        assert parts[-1]["text"] == prompt.text
        assert len(parts) == len(prompt.images) + 1 and all("inlineData" in p for p in parts[:-1])
        cfg = sent["generationConfig"]
        assert cfg["responseMimeType"] == "application/json" and cfg["maxOutputTokens"] == s.max_tokens
        assert cfg["temperature"] == s.temperature and cfg["responseSchema"]["type"] == "OBJECT"
        recs = list_records(proj)
        assert len(recs) == 3 and {r.figure_id for r in recs} == {it.figure_id for it in items}
        assert all(r.answer == "A cyst." and r.model == MODEL and r.synthesizer == "gemini" for r in recs)
        st = store.job_status(proj, job.id)
        assert st.counts["done"] == 3 and (st.tokens_in, st.tokens_out) == (3000, 600)
        full = 3 * (1000 * 0.3 + 200 * 2.5) / 1e6
        assert st.cost == pytest.approx(full * 0.5) and report.cost == pytest.approx(st.cost)
        assert seen[-1].state == "done" and seen[-1].done == 3
        assert all(r.api_key == KEY for r in server.requests)
        assert all(KEY not in r.body.decode("utf-8", "replace") for r in server.requests)


def test_restart_mid_poll_resumes_the_same_batch_with_one_create_call(proj):
    with GeminiBatchServer(api_key=KEY, answer=good, polls_to_complete=4) as server:
        job = new_job(proj)
        first = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, stop=lambda: bool(server.batches))
        assert first.state == "pending" and "Waiting for 1 provider batch" in first.message
        assert store.job_status(proj, job.id).counts["running"] == 3 and not list_records(proj)
        (b,) = store.list_batches(proj, job.id, active=True)
        assert b.batch_id in server.batches and b.state == "submitted"
        assert store.recover_running(proj, job.id) == 0
        # A new process: a new synthesizer and backend, nothing remembered in memory.
        second = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert second.state == "done" and second.stored == 3 and second.requests == 0
        assert len(server.creates) == 1 and server.batches[b.batch_id].polls == 4
        assert len(list_records(proj)) == 3
        assert [x.state for x in store.list_batches(proj, job.id)] == ["collected"]


def test_killed_between_create_and_storing_the_name_finds_the_batch_by_display_name(proj):
    with GeminiBatchServer(api_key=KEY, answer=good, polls_to_complete=3) as server:
        job = new_job(proj)
        run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, stop=lambda: bool(server.batches))
        (b,) = store.list_batches(proj, job.id)
        with proj.atomic() as db:  # as if killed before the provider's name was stored
            db.execute("UPDATE job_batches SET state = 'submitting', batch_id = '' WHERE id = ?", [b.id])
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "done" and report.stored == 3
        assert len(server.creates) == 1
        assert store.get_batch(proj, b.id).batch_id == server.creates[0]
        assert any(r.method == "GET" and r.path.endswith("/batches") for r in server.requests)


def test_error_responses_and_unparsable_answers_fail_their_item_with_the_raw_kept(proj):
    def mixed(req, key):
        n = order.index(key)
        if n == 0:
            return google_error(500, "INTERNAL", "The model crashed.")
        if n == 1:
            return generate_content("this is not json at all", prompt_tokens=500, candidates_tokens=50)
        return good(req, key)

    with GeminiBatchServer(api_key=KEY, answer=mixed, polls_to_complete=2) as server:
        job = new_job(proj)
        order = [it.idem_key for it in store.list_items(proj, job.id)]
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "finished" and report.failed == 2 and report.stored == 1
        a, b, c = store.list_items(proj, job.id)
        assert a.state == b.state == "failed" and c.state == "done"
        assert "The model crashed." in a.error and "HTTP 500" in a.error
        assert "The model crashed." in a.raw_response and a.idem_key in a.raw_response
        assert b.raw_response == "this is not json at all" and (b.tokens_in, b.tokens_out) == (500, 50)
        assert b.cost == pytest.approx((500 * 0.3 + 50 * 2.5) / 1e6 * 0.5)
        assert len(list_records(proj)) == 1


def test_answers_without_echoed_metadata_are_matched_by_request_order(proj):
    def by_key(req, key):
        return good(req, key) if key != order[1] else generate_content("not json", prompt_tokens=10, candidates_tokens=1)

    with GeminiBatchServer(api_key=KEY, answer=by_key, polls_to_complete=1, echo_metadata=False) as server:
        job = new_job(proj)
        order = [it.idem_key for it in store.list_items(proj, job.id)]
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.stored == 2 and report.failed == 1
        assert [it.state for it in store.list_items(proj, job.id)] == ["done", "failed", "done"]


def test_a_failed_batch_fails_its_items_with_the_reason(proj):
    with GeminiBatchServer(api_key=KEY, answer=good, polls_to_complete=1, fail=True) as server:
        job = new_job(proj)
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "finished" and report.failed == 3
        # The SDK does not carry a Developer-API batch's Operation error over: the item says the batch failed.
        assert all(it.state == "failed" and it.error.startswith("The Gemini batch failed")
                   for it in store.list_items(proj, job.id))
        (row,) = store.list_batches(proj, job.id)
        assert row.status == "JOB_STATE_FAILED" and row.state == "collected"


def test_cancel_calls_the_provider_cancel_and_keeps_what_it_answered(proj):
    with GeminiBatchServer(api_key=KEY, answer=good, polls_to_complete=50, answer_on_cancel=1) as server:
        job = new_job(proj)
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, cancel=lambda: bool(server.batches))
        assert report.state == "cancelled"
        assert server.cancels == server.creates and len(server.cancels) == 1
        assert any(r.method == "POST" and r.path.endswith(f"{server.creates[0]}:cancel") for r in server.requests)
        st = store.job_status(proj, job.id)
        assert st.counts["done"] == 1 and st.counts["pending"] == 2 and st.counts["running"] == 0
        assert len(list_records(proj)) == 1


def test_cancel_batches_from_another_process_then_collect(proj):
    with GeminiBatchServer(api_key=KEY, answer=good, polls_to_complete=50, answer_on_cancel=2) as server:
        job = new_job(proj)
        run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, stop=lambda: bool(server.batches))
        assert cancel_batches(proj.folder, job.id, synthesizer=synth(server)) == 1
        assert store.job_state(proj, job.id) == "cancelled" and server.cancels == server.creates
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "cancelled" and report.stored == 2 and len(server.creates) == 1


def test_wrong_key_stops_the_job_and_creates_nothing(proj):
    with GeminiBatchServer(api_key=KEY, answer=good) as server:
        job = new_job(proj)
        report = run_batch(proj.folder, job.id, synthesizer=synth(server, "AIza-wrong-0000"), poll_s=0)
        assert report.state == "stopped" and "rejected the API key" in report.message and "wrong" not in report.message
        assert not server.batches
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "done" and report.stored == 3 and len(server.creates) == 1


def test_large_jobs_are_split_into_several_batches(proj):
    with GeminiBatchServer(api_key=KEY, answer=good, polls_to_complete=1) as server:
        job = new_job(proj)
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, max_items=2)
        assert report.state == "done" and report.stored == 3
        assert sorted(len(b.requests) for b in server.batches.values()) == [1, 2]
