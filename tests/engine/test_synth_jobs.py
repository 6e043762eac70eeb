"""Durable synthesis jobs through OpenAISynthesizer (real SDK) against a loopback server."""

from __future__ import annotations

import argparse
import json
import threading
import time

import pytest

from engine.cli.synth import add_synth_parser
from engine.llm.retry import Backoff
from engine.pdf.importer import import_pdf
from engine.resources import resource
from engine.samplegen import make_sample_pdf
from engine.store import jobs as store
from engine.store.figures import add_figures
from engine.store.models import FigureStatus, FigureText, NewFigure
from engine.store.project import Project
from engine.store.records import list_records
from engine.synth.base import Price, Pricing, SynthConfigError
from engine.synth.jobs import (
    NothingToSend,
    NothingToSendError,
    cancel_job,
    create_synth_job,
    estimate,
    preview_job,
    retry_failed,
    run_job,
)
from engine.synth.openai_synth import OpenAISynthesizer
from engine.synth.ratelimit import RateLimiter
from tests.servers.openai_compat import OpenAICompatServer, ScriptedResponse, chat_completion, error_response

KEY = "sk-jobs-SECRET-9876543210abcdef"
MODEL = "scripted-model"
PRICING = Pricing({MODEL: Price(input=2.0, output=8.0)})
FAST = Backoff(base=0.01, cap=0.05)

ANSWERS = {
    "vqa": {"items": [{"question": "What is shown?", "thinking": "Anechoic round area.", "answer": "A cyst."}]},
    "mcq": {"items": [{"question": "Diagnosis?", "thinking": "Thin wall.", "options": ["Cyst", "Abscess", "Tumour", "Normal"], "correct": "A"}]},
    "conversation": {"items": [{"question": "Which organ?", "answer": "Liver."}]},
    "text_qa": {"items": [{"question": "What is echogenicity?", "thinking": "Definition.", "answer": "Brightness."}]},
    "text_mcq": {"items": [{"question": "Probe?", "thinking": "Depth.", "options": ["Linear", "Convex", "Phased", "Endo"], "correct": "B"}]},
}


def answer(req) -> ScriptedResponse:
    """A valid answer for whatever template the request used."""
    name = req.json["response_format"]["json_schema"]["name"].removeprefix("remud_")
    return chat_completion(json.dumps(ANSWERS[name]), prompt_tokens=1000, completion_tokens=200)


def slowish(req) -> ScriptedResponse:
    """`answer`, 100 ms late: a loopback answer is otherwise so fast that a whole small job
    can finish between two polls of the runner's pause/cancel callbacks."""
    resp = answer(req)
    resp.delay_s = 0.1
    return resp


@pytest.fixture
def server():
    with OpenAICompatServer(api_key=KEY, default=answer) as s:
        yield s


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory):
    return make_sample_pdf(tmp_path_factory.mktemp("pdf") / "sample.pdf")


@pytest.fixture
def proj(tmp_path, sample_pdf):
    with Project.create(tmp_path / "Jobs.remud") as p:
        doc = import_pdf(p, sample_pdf.path).document
        figs = [NewFigure(doc.id, t.page, t.rect, status=FigureStatus.ACCEPTED, text=FigureText(caption=t.caption))
                for t in sample_pdf.truth[:3]]
        figs.append(NewFigure(doc.id, sample_pdf.truth[3].page, sample_pdf.truth[3].rect))  # proposed: not selected
        add_figures(p, figs)
        yield p


def synth(server, **kw) -> OpenAISynthesizer:
    kw.setdefault("api_key", KEY)
    return OpenAISynthesizer(model=MODEL, base_url=server.base_url, pricing=PRICING, timeout=5, **kw)


def passages(n: int, tag: str = "P") -> list[tuple[None, None, str]]:
    return [(None, None, f"Passage {tag}-{i:04d}: the liver is homogeneous.") for i in range(n)]


def text_job(p, server, n, kinds=("qa",), **kw):
    return create_synth_job(p, kinds=kinds, passages=passages(n), params={"model": MODEL, "base_url": server.base_url}, **kw)


def test_a_job_with_nothing_to_send_is_never_made_and_says_why(proj):
    params = {"model": MODEL}
    # a document whose figures are all proposed (or rejected): none accepted
    with proj.atomic() as db:
        db.execute("UPDATE figures SET status = 'proposed' WHERE doc_id = 1")
        db.execute("UPDATE figures SET status = 'rejected' WHERE id = (SELECT MIN(id) FROM figures)")
    for make in (create_synth_job, preview_job):
        with pytest.raises(NothingToSendError) as nothing:
            make(proj, doc_ids=[1], kinds=["vqa"], params=params)
        assert nothing.value.reason == NothingToSend.NONE_ACCEPTED
        assert (nothing.value.proposed, nothing.value.rejected) == (3, 1)
        assert "no figure is accepted (3 proposed, 1 rejected)" in str(nothing.value)
    # a document with no figures at all
    with proj.atomic() as db:
        db.execute("DELETE FROM figures")
    with pytest.raises(NothingToSendError) as nothing:
        create_synth_job(proj, doc_ids=[1], kinds=["vqa"], params=params)
    assert nothing.value.reason == NothingToSend.NO_FIGURES
    # text passages only with vqa (figures only): nothing either
    with pytest.raises(NothingToSendError):
        create_synth_job(proj, kinds=["vqa"], passages=passages(2), params=params)
    assert store.list_jobs(proj) == []
    assert proj.db.execute("SELECT COUNT(*) FROM job_items").fetchone()[0] == 0


def test_every_item_existing_already_makes_no_job(proj):
    params = {"model": MODEL}
    job, created, _ = create_synth_job(proj, doc_ids=[1], kinds=["vqa"], params=params)  # waiting, not yet run
    assert created == 3
    todo, skipped, _ = preview_job(proj, doc_ids=[1], kinds=["vqa", "mcq"], params=params)
    assert (todo, skipped) == (3, 3)
    with pytest.raises(NothingToSendError) as nothing:
        preview_job(proj, doc_ids=[1], kinds=["vqa"], params=params)
    assert nothing.value.reason == NothingToSend.ALL_EXIST and nothing.value.skipped == 3
    with pytest.raises(NothingToSendError) as nothing:
        create_synth_job(proj, figure_ids=[1, 2], doc_ids=[1], kinds=["vqa"], params=params)
    assert nothing.value.reason == NothingToSend.ALL_EXIST and "all 3 item(s) already exist" in str(nothing.value)
    assert [j.id for j in store.list_jobs(proj)] == [job.id]
    assert len(store.list_items(proj, job.id)) == 3  # the earlier job is untouched
    # a new kind is new work: only its items go into the new job
    job2, created, skipped = create_synth_job(proj, doc_ids=[1], kinds=["vqa", "mcq"], params=params)
    assert (created, skipped) == (3, 3) and len(store.list_items(proj, job2.id)) == 3


# ----------------------------------------------------------------------------- the happy path


def test_job_over_figures_stores_records_with_provenance_and_never_pays_twice(proj, server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)  # the runner builds the synthesizer from the card
    params = {"model": MODEL, "base_url": server.base_url}
    job, created, skipped = create_synth_job(proj, doc_ids=[1], kinds=["vqa", "mcq"], params=params)
    assert (created, skipped) == (6, 0)  # 3 accepted figures × 2 kinds
    seen = []
    report = run_job(proj.folder, job.id, concurrency=4, progress=seen.append)
    assert report.state == "done" and report.requests == 6 and len(server.chat_requests) == 6
    assert seen[-1].done == 6 and seen[-1].remaining == 0
    assert all(len(r.images()) == 2 for r in server.chat_requests)  # crop + page
    recs = list_records(proj)
    assert len(recs) == 6
    figs = {i.figure_id: i for i in store.list_items(proj, job.id)}
    for rec in recs:
        item = figs[rec.figure_id]
        assert (rec.doc_id, rec.page) == (item.doc_id, item.page)
        assert (rec.synthesizer, rec.model) == ("openai", MODEL)
        assert rec.prompt_version in ("synth_vqa_en@1", "synth_mcq_en@1") and rec.reasoning
    items = store.list_items(proj, job.id)
    assert all(i.state == "done" and i.attempts == 1 and len(i.record_ids) == 1 for i in items)
    assert sorted(r for i in items for r in i.record_ids) == sorted(r.id for r in recs)
    st = store.job_status(proj, job.id)
    assert (st.tokens_in, st.tokens_out, st.counts["done"]) == (6000, 1200, 6)

    # running again, or creating the same job again, sends nothing
    assert run_job(proj.folder, job.id).requests == 0
    with pytest.raises(NothingToSendError) as nothing:
        create_synth_job(proj, doc_ids=[1], kinds=["vqa", "mcq"], params=params)
    assert nothing.value.reason == NothingToSend.ALL_EXIST and nothing.value.skipped == 6
    assert [j.id for j in store.list_jobs(proj)] == [job.id]  # no empty job left behind
    # a new language is new work
    _, created, skipped = create_synth_job(proj, doc_ids=[1], kinds=["vqa"], languages=["en", "zh"], params=params)
    assert (created, skipped) == (3, 3)
    assert len(server.chat_requests) == 6 and len(list_records(proj)) == 6

    proj.close()
    for f in proj.folder.glob("project.sqlite*"):
        assert KEY.encode() not in f.read_bytes()


def test_a_key_in_params_is_refused(proj, server):
    with pytest.raises(SynthConfigError, match="keyring"):
        create_synth_job(proj, doc_ids=[1], kinds=["vqa"], params={"model": MODEL, "api_key": KEY})


def test_a_key_in_the_base_url_is_refused_and_never_stored(proj, server):
    for url in (f"http://user:{KEY}@127.0.0.1/v1", f"{server.base_url}?api_key={KEY}"):
        with pytest.raises(SynthConfigError, match="not in the URL") as caught:
            create_synth_job(proj, doc_ids=[1], kinds=["vqa"], params={"model": MODEL, "base_url": url})
        assert KEY not in str(caught.value)
    # and stripped where job settings are stored, should a caller skip the check
    settings = {"params": {"model": MODEL, "base_url": f"https://u:{KEY}@host/v1?api-version=2&key={KEY}"}}
    job, _, _ = store.create_job(proj, synthesizer="openai", model=MODEL, items=[], settings=settings)
    assert store.get_job(proj, job.id).settings["params"]["base_url"] == "https://host/v1?api-version=2"
    proj.close()
    for f in proj.folder.glob("project.sqlite*"):
        assert KEY.encode() not in f.read_bytes()


def test_text_passages_become_text_only_records(proj, server):
    job, created, _ = text_job(proj, server, 3, kinds=("qa", "mcq", "vqa"))
    assert created == 6  # vqa is skipped for text
    report = run_job(proj.folder, job.id, synthesizer=synth(server))
    assert report.state == "done"
    assert all(not r.images() for r in server.chat_requests)
    recs = list_records(proj)
    assert len(recs) == 6 and all(r.figure_id is None for r in recs)
    assert {r.prompt_version for r in recs} == {"synth_text_qa_en@1", "synth_text_mcq_en@1"}


# ----------------------------------------------------------------------------- errors


def test_429_with_retry_after_then_success(proj, server):
    job, _, _ = text_job(proj, server, 1)
    server.enqueue(ScriptedResponse(429, {"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}},
                                    {"retry-after": "0.2"}))
    report = run_job(proj.folder, job.id, synthesizer=synth(server), backoff=FAST)
    (item,) = store.list_items(proj, job.id)
    assert report.retries == [(item.id, "SynthRateLimitError", 0.2)]  # the server's Retry-After, not the backoff
    assert (item.state, item.attempts, report.requests) == ("done", 2, 2)
    assert len(list_records(proj)) == 1


def test_500_then_success_and_giving_up_after_max_attempts(proj, server):
    job, _, _ = text_job(proj, server, 1)
    server.enqueue(error_response(500, "boom", type="server_error"))
    report = run_job(proj.folder, job.id, synthesizer=synth(server), backoff=FAST)
    assert report.state == "done" and report.requests == 2 and report.retries[0][1] == "SynthServerError"

    job2, _, _ = create_synth_job(proj, kinds=["qa"], passages=passages(1, "Q"), params={"model": MODEL})
    server.enqueue(*[error_response(503, "down", type="server_error")] * 3)
    report = run_job(proj.folder, job2.id, synthesizer=synth(server), backoff=FAST, max_attempts=3)
    (item,) = store.list_items(proj, job2.id)
    assert report.state == "finished" and report.requests == 3
    assert item.state == "failed" and "503" in item.error and item.attempts == 3


def test_wrong_key_stops_the_job_after_one_request(proj, server):
    job, _, _ = text_job(proj, server, 5)
    report = run_job(proj.folder, job.id, synthesizer=synth(server, api_key="sk-wrong"), concurrency=8, backoff=FAST)
    assert report.state == "stopped" and "API key" in report.message
    assert len(server.chat_requests) == 1
    st = store.job_status(proj, job.id)
    assert st.job.state == "stopped" and "rejected the API key" in st.job.message
    assert st.counts["pending"] == 5 and st.counts["failed"] == 0
    # with the right key, the same job resumes and completes
    assert run_job(proj.folder, job.id, synthesizer=synth(server)).state == "done"


def test_quota_error_stops_the_job(proj, server):
    job, _, _ = text_job(proj, server, 3)
    server.enqueue(error_response(429, "You exceeded your current quota.", type="insufficient_quota", code="insufficient_quota"))
    report = run_job(proj.folder, job.id, synthesizer=synth(server), backoff=FAST)
    assert report.state == "stopped" and "quota" in report.message and report.requests == 1


def test_malformed_output_gets_one_repair_then_fails_with_raw_kept(proj, server):
    job, _, _ = text_job(proj, server, 1)
    server.enqueue(chat_completion("I cannot answer in JSON, sorry.", prompt_tokens=10, completion_tokens=5),
                   chat_completion("{\"items\": [ {\"question\": ", prompt_tokens=10, completion_tokens=5))
    report = run_job(proj.folder, job.id, synthesizer=synth(server), backoff=FAST)
    (item,) = store.list_items(proj, job.id)
    assert report.requests == 2 and report.state == "finished"
    assert item.state == "failed" and item.raw_response == "{\"items\": [ {\"question\": "
    assert (item.tokens_in, item.tokens_out) == (20, 10)
    st = store.job_status(proj, job.id)
    assert st.failures[0].item_id == item.id and st.failures[0].raw == item.raw_response
    # a repair that works stores the records
    assert retry_failed(proj, job.id) == 1
    server.enqueue(chat_completion("not json"))
    assert run_job(proj.folder, job.id, synthesizer=synth(server)).state == "done"
    assert store.get_item(proj, item.id).state == "done" and len(list_records(proj)) == 1


# ----------------------------------------------------------------------------- concurrency, cancel, pause


def test_concurrency_bound_is_respected(proj, server):
    lock, live, peak = threading.Lock(), [0], [0]

    def slow(req):
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        time.sleep(0.05)
        with lock:
            live[0] -= 1
        return answer(req)

    server.default = slow
    job, _, _ = text_job(proj, server, 20)
    assert run_job(proj.folder, job.id, synthesizer=synth(server), concurrency=3).state == "done"
    assert 2 <= peak[0] <= 3
    assert len(server.chat_requests) == 20 and len(list_records(proj)) == 20


def test_cancel_then_resume_stores_each_item_once(proj, server):
    job, _, _ = text_job(proj, server, 30)
    report = run_job(proj.folder, job.id, synthesizer=synth(server), concurrency=2,
                     cancel=lambda: len(server.chat_requests) >= 4)
    assert report.state == "cancelled"
    st = store.job_status(proj, job.id)
    assert st.counts["running"] == 0 and st.counts["pending"] > 0 and st.job.state == "cancelled"
    run_job(proj.folder, job.id, synthesizer=synth(server))
    assert store.job_status(proj, job.id).counts["done"] == 30
    assert len(list_records(proj)) == 30 and len(server.chat_requests) == 30


def test_cancel_from_another_handle_stops_a_running_job(proj, server):
    job, _, _ = text_job(proj, server, 40)

    server.default = slowish  # the run must still be going when the other handle cancels it

    def progress(pr):
        if pr.done >= 3 and store.get_job(proj, job.id).state is not store.JobState.CANCELLED:
            with Project.open(proj.folder) as other:
                cancel_job(other, job.id)

    report = run_job(proj.folder, job.id, synthesizer=synth(server), concurrency=1, progress=progress)
    assert report.state == "cancelled" and report.stored < 40


def test_pause_sends_nothing_while_paused(proj, server):
    job, _, _ = text_job(proj, server, 6)
    server.default = slowish  # still running when pause() first sees 2 done
    calls = {"n": 0, "at_start": None, "at_end": None}

    def pause():
        if store.job_status(proj, job.id).counts["done"] < 2:
            return False
        calls["n"] += 1
        if calls["n"] == 1:
            calls["at_start"] = len(server.chat_requests)
        if calls["n"] <= 10:
            calls["at_end"] = len(server.chat_requests)
            return True
        return False

    report = run_job(proj.folder, job.id, synthesizer=synth(server), concurrency=1, pause=pause)
    assert report.state == "done" and calls["n"] > 10
    assert calls["at_end"] - calls["at_start"] <= 1  # only the call already in flight
    assert len(server.chat_requests) == 6


# ----------------------------------------------------------------------------- estimate, limiter, CLI


def test_estimate_counts_items_and_prices_them(proj, server):
    job, _, _ = create_synth_job(proj, doc_ids=[1], kinds=["vqa"], params={"model": MODEL})
    items, cost = estimate(proj, job.id, pricing=PRICING)
    assert items == 3 and cost > 0
    assert estimate(proj, job.id, pricing=Pricing({}))[1] is None
    run_job(proj.folder, job.id, synthesizer=synth(server))
    assert estimate(proj, job.id, pricing=PRICING) == (0, 0.0)
    job2, _, _ = create_synth_job(proj, doc_ids=[1], kinds=["mcq"], params={"model": MODEL})
    items, cost = estimate(proj, job2.id, pricing=PRICING)  # now from the mean usage of done items
    assert items == 3 and cost == pytest.approx(3 * (1000 * 2.0 + 200 * 8.0) / 1e6)
    _, batch_cost = estimate(proj, job2.id, pricing=PRICING, batch=True)  # the provider's batch price
    assert batch_cost == pytest.approx(cost * PRICING.batch_discount) and batch_cost < cost


def test_rate_limiter_buckets_with_a_fake_clock():
    t = [0.0]
    rl = RateLimiter(rpm=60, burst_s=10, clock=lambda: t[0])
    assert [rl.reserve(0) for _ in range(10)] == [0.0] * 10
    assert rl.reserve(0) == pytest.approx(1.0)
    t[0] += 1.0
    assert rl.reserve(0) == 0.0
    tl = RateLimiter(tpm=600, burst_s=10, clock=lambda: t[0])  # 10 tokens/s, 100 at most
    assert tl.reserve(80) == 0.0
    assert tl.reserve(80) == pytest.approx(6.0)
    tl.correct(50)  # the call used 50 more than estimated
    assert tl.reserve(80) == pytest.approx(11.0)
    slept = []
    assert rl.acquire(0, lambda s: slept.append(s) or True) is False and slept == [0.25]


def test_backoff_grows_with_jitter_and_honours_retry_after():
    b = Backoff(base=1.0, cap=8.0, jitter=0.5)
    for n, top in ((1, 1), (2, 2), (3, 4), (4, 8), (9, 8)):
        d = b.delay(n)
        assert top * 0.5 <= d <= top
    assert b.delay(3, retry_after=7.0) == 7.0


def test_cli_run_status_retry_cancel(proj, server, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    parser = argparse.ArgumentParser()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true")
    common.add_argument("-q", "--quiet", action="store_true")
    add_synth_parser(parser.add_subparsers(dest="command"), common)

    def cli(*argv):
        args = parser.parse_args(list(argv))
        rc = args.func(args)
        return rc, capsys.readouterr().out

    folder = str(proj.folder)
    rc, out = cli("synth", "run", folder, "--doc", "1", "--kinds", "vqa", "--param", f"model={MODEL}",
                  "--param", f"base_url={server.base_url}", "--json")
    data = json.loads(out)
    assert rc == 0 and data["state"] == "done" and data["counts"]["done"] == 3 and data["requests"] == 3
    rc, out = cli("synth", "run", folder, "--doc", "1", "--kinds", "vqa", "--param", f"model={MODEL}",
                  "--param", f"base_url={server.base_url}")
    assert rc == 0 and "all 3 item(s) already exist" in out and len(store.list_jobs(proj)) == 1  # no new job
    rc, out = cli("synth", "status", folder, "--job", str(data["id"]), "--json")
    assert json.loads(out)["counts"]["done"] == 3
    rc, out = cli("synth", "retry", folder, str(data["id"]), "--json")
    assert json.loads(out)["requests"] == 0
    rc, out = cli("synth", "cancel", folder, str(data["id"]), "--json")
    assert json.loads(out)["state"] == "cancelled"


def test_the_projects_own_prompt_copy_is_used(proj, server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    shipped = (resource("prompts") / "synth_vqa_en.md").read_text(encoding="utf-8")
    edited = shipped.replace("version: 1", "version: 7", 1).replace(
        "You are an experienced sonographer", "You are a paediatric sonographer (project copy)", 1)
    (proj.folder / "prompts").mkdir()
    (proj.folder / "prompts" / "synth_vqa_en.md").write_text(edited, encoding="utf-8")
    job, created, _ = create_synth_job(proj, figure_ids=[1], kinds=["vqa"],
                                       params={"model": MODEL, "base_url": server.base_url})
    assert created == 1
    assert run_job(proj.folder, job.id).state == "done"
    assert "paediatric sonographer (project copy)" in server.chat_requests[0].text()
    assert list_records(proj)[0].prompt_version == "synth_vqa_en@7"
