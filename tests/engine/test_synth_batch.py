"""Batch mode of synthesis jobs: the official openai SDK against a loopback Files + Batch server."""

from __future__ import annotations

import argparse
import json

import pytest

from engine.cli.synth import add_synth_parser
from engine.pdf.importer import import_pdf
from engine.samplegen import make_sample_pdf
from engine.store import jobs as store
from engine.store.figures import add_figures
from engine.store.models import FigureStatus, FigureText, NewFigure
from engine.store.project import Project
from engine.store.records import list_records
from engine.synth.base import Price, Pricing, load_pricing
from engine.synth.batch import cancel_batches, run_batch
from engine.synth.inputs import figure_input
from engine.synth.jobs import create_synth_job
from engine.synth.openai_synth import OpenAISynthesizer
from engine.synth.prompts import build_prompt
from tests.servers.openai_batch import OpenAIBatchServer
from tests.servers.openai_compat import chat_completion, error_response

KEY = "sk-batch-SECRET-0123456789abcdef"
MODEL = "scripted-model"
PRICING = Pricing({MODEL: Price(input=2.0, output=8.0)})  # batch_discount defaults to 0.5
VQA = {"items": [{"question": "What is shown?", "thinking": "Anechoic round area.", "answer": "A cyst."}]}


def good(body, custom_id):
    return chat_completion(json.dumps(VQA), prompt_tokens=1000, completion_tokens=200)


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("pdf") / "sample.pdf")


@pytest.fixture
def proj(tmp_path, sample_pdf):
    with Project.create(tmp_path / "Batch.remud") as p:
        doc = import_pdf(p, sample_pdf.path).document
        add_figures(p, [NewFigure(doc.id, t.page, t.rect, status=FigureStatus.ACCEPTED, text=FigureText(caption=t.caption))
                        for t in sample_pdf.truth[:3]])
        yield p


def synth(server) -> OpenAISynthesizer:
    return OpenAISynthesizer(model=MODEL, base_url=server.base_url, api_key=KEY, pricing=PRICING, timeout=5)


def new_job(p):
    job, created, _ = create_synth_job(p, kinds=["vqa"], doc_ids=[1], synthesizer="openai", params={"model": MODEL})
    assert created == 3
    return job


def test_pricing_has_a_batch_discount():
    assert load_pricing().batch_discount == 0.5
    assert PRICING.batch_cost(MODEL, 1000, 200) == pytest.approx(PRICING.cost(MODEL, 1000, 200) / 2)
    assert Pricing.from_dict({"batch_discount": 0.25, "models": {"m": {"input": 4, "output": 0}}}).batch_cost("m", 10**6, 0) == 1.0


def test_batch_job_submits_one_line_per_item_and_stores_records(proj):
    with OpenAIBatchServer(api_key=KEY, answer=good, polls_to_complete=3) as server:
        job = new_job(proj)
        s = synth(server)
        seen = []
        report = run_batch(proj.folder, job.id, synthesizer=s, poll_s=0, progress=seen.append)
        assert report.state == "done" and report.stored == 3 and report.requests == 3
        assert len(server.uploads) == 1 and len(server.batches) == 1
        (bid,) = server.batches
        assert server.batches[bid].polls == 3 and server.batches[bid].metadata["remud_job"] == str(job.id)
        lines = server.input_lines(bid)
        items = store.list_items(proj, job.id)
        assert [ln["custom_id"] for ln in lines] == [it.idem_key for it in items]
        # The same request the live path sends.
        inp = figure_input(proj, items[0].figure_id, "vqa")
        live = s.request(build_prompt(inp), structured=True)
        body = lines[0]["body"]
        assert lines[0]["url"] == "/v1/chat/completions" and lines[0]["method"] == "POST"
        assert body["model"] == MODEL and body["response_format"] == live["response_format"]
        assert body["messages"] == live["messages"] and body["max_tokens"] == 4096
        recs = list_records(proj)
        assert len(recs) == 3 and {r.figure_id for r in recs} == {it.figure_id for it in items}
        assert all(r.answer == "A cyst." and r.model == MODEL for r in recs)
        st = store.job_status(proj, job.id)
        assert st.counts["done"] == 3 and (st.tokens_in, st.tokens_out) == (3000, 600)
        assert st.cost == pytest.approx(3 * (1000 * 2.0 + 200 * 8.0) / 1e6 * 0.5)
        assert report.cost == pytest.approx(st.cost)
        assert seen[-1].state == "done" and seen[-1].done == 3
        assert all(KEY not in (r.body.decode("utf-8", "replace")) for r in server.requests)


def test_restart_mid_poll_resumes_the_same_batch_without_uploading_again(proj):
    with OpenAIBatchServer(api_key=KEY, answer=good, polls_to_complete=4) as server:
        job = new_job(proj)
        first = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, stop=lambda: bool(server.batches))
        assert first.state == "pending" and "Waiting for 1 provider batch" in first.message
        assert store.job_status(proj, job.id).counts["running"] == 3 and not list_records(proj)
        (b,) = store.list_batches(proj, job.id, active=True)
        assert b.batch_id in server.batches and b.state == "submitted"
        # A live run meanwhile must not send the batch's items again.
        assert store.recover_running(proj, job.id) == 0
        second = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert second.state == "done" and second.stored == 3 and second.requests == 0
        assert len(server.uploads) == 1 and len(server.batches) == 1
        assert len(list_records(proj)) == 3
        assert [x.state for x in store.list_batches(proj, job.id)] == ["collected"]


def test_killed_between_submit_and_storing_the_batch_id_finds_it_by_metadata(proj):
    with OpenAIBatchServer(api_key=KEY, answer=good, polls_to_complete=3) as server:
        job = new_job(proj)
        run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, stop=lambda: bool(server.batches))
        (b,) = store.list_batches(proj, job.id)
        with proj.atomic() as db:  # as if killed before the provider's id was stored
            db.execute("UPDATE job_batches SET state = 'submitting', batch_id = '' WHERE id = ?", [b.id])
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "done" and report.stored == 3
        assert len(server.uploads) == 1 and len(server.batches) == 1
        assert store.get_batch(proj, b.id).batch_id == next(iter(server.batches))


def test_submission_that_never_reached_the_provider_is_sent_again(proj):
    with OpenAIBatchServer(api_key=KEY, answer=good, polls_to_complete=2) as server:
        job = new_job(proj)
        ids = [it.id for it in store.list_items(proj, job.id)]
        row, taken = store.reserve_batch(proj, job.id, "openai", "remud-lost", ids)
        assert taken == ids
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "done" and report.stored == 3
        assert store.get_batch(proj, row).state == "abandoned" and len(server.batches) == 1


def test_error_lines_and_unparsable_answers_fail_their_item_with_the_raw_text(proj):
    def mixed(body, custom_id):
        n = order.index(custom_id)
        if n == 0:
            return {"code": "server_error", "message": "The model crashed."}
        if n == 1:
            return chat_completion("this is not json at all", prompt_tokens=500, completion_tokens=50)
        return error_response(400, "Image could not be decoded.", retry_after_ms=None)

    with OpenAIBatchServer(api_key=KEY, answer=mixed, polls_to_complete=2) as server:
        job = new_job(proj)
        order = [it.idem_key for it in store.list_items(proj, job.id)]
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "finished" and report.failed == 3 and report.stored == 0
        a, b, c = store.list_items(proj, job.id)
        assert a.state == b.state == c.state == "failed"
        assert "The model crashed." in a.error and "The model crashed." in a.raw_response and a.idem_key in a.raw_response
        assert b.raw_response == "this is not json at all" and (b.tokens_in, b.tokens_out) == (500, 50)
        assert b.cost == pytest.approx((500 * 2.0 + 50 * 8.0) / 1e6 * 0.5)
        assert "HTTP 400" in c.error and "Image could not be decoded." in c.raw_response
        assert not list_records(proj)


def test_a_broken_output_line_fails_its_item_when_its_custom_id_can_be_read(proj):
    def broken(body, custom_id):
        return f'{{"custom_id": "{custom_id}", "response": {{truncated' if custom_id == first else good(body, custom_id)

    with OpenAIBatchServer(api_key=KEY, answer=broken, polls_to_complete=1) as server:
        job = new_job(proj)
        first = store.list_items(proj, job.id)[0].idem_key
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.stored == 2 and report.failed == 1
        bad = store.list_items(proj, job.id)[0]
        assert bad.state == "failed" and "truncated" in bad.raw_response


def test_cancel_cancels_the_provider_batch_and_keeps_what_it_answered(proj):
    with OpenAIBatchServer(api_key=KEY, answer=good, polls_to_complete=50, answer_on_cancel=1) as server:
        job = new_job(proj)
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, cancel=lambda: bool(server.batches))
        assert report.state == "cancelled"
        assert server.cancels == list(server.batches)
        st = store.job_status(proj, job.id)
        assert st.counts["done"] == 1 and st.counts["pending"] == 2 and st.counts["running"] == 0
        assert len(list_records(proj)) == 1


def test_cancel_batches_from_another_process_then_collect(proj):
    with OpenAIBatchServer(api_key=KEY, answer=good, polls_to_complete=50, answer_on_cancel=2) as server:
        job = new_job(proj)
        run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, stop=lambda: bool(server.batches))
        assert cancel_batches(proj.folder, job.id, synthesizer=synth(server)) == 1
        assert store.job_state(proj, job.id) == "cancelled" and len(server.cancels) == 1
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "cancelled" and report.stored == 2 and len(server.uploads) == 1


def test_wrong_key_stops_the_job_and_sends_nothing_twice(proj):
    with OpenAIBatchServer(api_key=KEY, answer=good) as server:
        job = new_job(proj)
        bad = OpenAISynthesizer(model=MODEL, base_url=server.base_url, api_key="sk-wrong-0000", pricing=PRICING, timeout=5)
        report = run_batch(proj.folder, job.id, synthesizer=bad, poll_s=0)
        assert report.state == "stopped" and "rejected the API key" in report.message and "sk-wrong" not in report.message
        assert not server.batches
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0)
        assert report.state == "done" and report.stored == 3 and len(server.batches) == 1


def test_large_jobs_are_split_into_several_batches(proj):
    with OpenAIBatchServer(api_key=KEY, answer=good, polls_to_complete=1) as server:
        job = new_job(proj)
        report = run_batch(proj.folder, job.id, synthesizer=synth(server), poll_s=0, max_items=2)
        assert report.state == "done" and report.stored == 3
        assert sorted(len(server.input_lines(b)) for b in server.batches) == [1, 2]


def test_cli_run_batch(proj, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    parser = argparse.ArgumentParser()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true")
    common.add_argument("-q", "--quiet", action="store_true")
    add_synth_parser(parser.add_subparsers(dest="command"), common)
    with OpenAIBatchServer(api_key=KEY, answer=good, polls_to_complete=2) as server:
        args = parser.parse_args(["synth", "run", str(proj.folder), "--doc", "1", "--kinds", "vqa", "--param", f"model={MODEL}",
                                  "--param", f"base_url={server.base_url}", "--batch", "--poll", "0", "--json"])
        rc = args.func(args)
        data = json.loads(capsys.readouterr().out)
        assert rc == 0 and data["state"] == "done" and data["counts"]["done"] == 3 and data["requests"] == 3
        assert len(server.batches) == 1 and not any(r.path.endswith("/chat/completions") for r in server.requests)
