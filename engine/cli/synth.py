"""`remud synth run | status | retry | cancel`: headless synthesis jobs.

Wired into engine.cli with `add_synth_parser(sub, common)`; each subcommand sets
`func(args) -> int` like the other commands.

`run` and `retry` exit 0 when every item is done (a `run` whose items all exist already makes no
job and says so), EXIT_FAILED_ITEMS when the job finished with
failed items (the counts, and how to retry them, on stderr), EXIT_UNFINISHED when it stopped,
was cancelled or waits for provider batches, and 1 on an error. `run` without --job, --doc or --figure
exits 2 (EXIT_USAGE) with one sentence: a new job needs a selection.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from engine.cli.common import EXIT_USAGE, add_command, emit, error_line, parse_params
from engine.errors import RemudError
from engine.i18n import ntr, tr
from engine.store.jobs import ItemState, list_jobs
from engine.store.project import Project
from engine.synth import jobs

EXIT_UNFINISHED = 2
EXIT_FAILED_ITEMS = 3


def _status_text(st) -> str:
    c = st.counts
    lines = [tr("job {id} [{state}] {synthesizer}/{model}: {done}/{total} done, {failed} failed, {todo} to do; "
                "tokens {tokens_in}+{tokens_out}, cost ${cost}").format(
        id=st.job.id, state=st.job.state, synthesizer=st.job.synthesizer, model=st.job.model, done=c["done"],
        total=st.total, failed=c["failed"], todo=c["pending"] + c["running"], tokens_in=st.tokens_in,
        tokens_out=st.tokens_out, cost=f"{st.cost:.4f}")]
    if st.job.message:
        lines.append(f"  {st.job.message}")
    lines += [tr("  item {id}: {error}").format(id=f.item_id, error=f.error) for f in st.failures[:20]]
    return "\n".join(lines)


def _run(args, p: Project, job_id: int) -> int:
    def progress(pr: jobs.JobProgress) -> None:
        if not args.quiet and not args.json and sys.stderr.isatty():
            print("\r" + tr("{done}/{total} done, {failed} failed, ${cost}").format(
                done=pr.done, total=pr.total, failed=pr.failed, cost=f"{pr.cost:.4f}"), end="", file=sys.stderr)

    if getattr(args, "batch", False):
        from engine.synth.batch import run_batch  # deferred: batch mode adds about 10 ms to every `remud` start

        report = run_batch(p.folder, job_id, poll_s=args.poll, progress=progress)
    else:
        report = jobs.run_job(p.folder, job_id, concurrency=args.concurrency, rpm=args.rpm, tpm=args.tpm,
                              max_attempts=args.max_attempts, progress=progress)
    st = jobs.job_status(p, job_id)
    failed = st.counts[ItemState.FAILED]
    data = {**st.as_dict(), "requests": report.requests, "recovered": report.recovered,
            "done": st.counts[ItemState.DONE],
            "failed": failed, "stored_now": report.stored, "failed_now": report.failed}
    emit(args, data, _status_text(st))
    if failed:
        retry = shlex.join(["remud", "synth", "retry", str(p.folder), str(job_id)])
        print(ntr("{failed} of {total} item failed; run `{retry}` to try them again.",
                  "{failed} of {total} items failed; run `{retry}` to try them again.", st.total).format(
            failed=failed, total=st.total, retry=retry), file=sys.stderr)
    if report.state == "done":
        return 0
    return EXIT_FAILED_ITEMS if report.state == "finished" else EXIT_UNFINISHED


def cmd_run(args) -> int:
    if args.job is None and not args.doc and not args.figure:
        # no selection: a usage error, as argparse exits for a bad flag
        print(error_line(tr("no figures chosen: name them with --doc ID (the accepted figures of a document) or "
                            "--figure ID (both repeatable), or run an existing job with --job ID.")), file=sys.stderr)
        return EXIT_USAGE
    with Project.open(args.project) as p:
        if args.job is None:
            if not args.kinds:
                raise RemudError(tr("Give --kinds (e.g. vqa,mcq) for a new job, or --job ID to run an existing one."))
            try:
                job, created, skipped = jobs.create_synth_job(
                    p, kinds=args.kinds.split(","), languages=args.languages.split(","), synthesizer=args.synth,
                    params=parse_params(args.param), figure_ids=args.figure or None, doc_ids=args.doc or None,
                    reasoning=not args.no_reasoning, with_page=not args.no_page, name=args.name or "",
                    batch=args.batch,
                )
            except jobs.NothingToSendError as exc:
                if exc.reason != jobs.NothingToSend.ALL_EXIST:
                    raise
                # done already: no job is made, and that is no error
                emit(args, {"job": None, "created": 0, "skipped": exc.skipped, "items": 0, "cost": 0.0}, str(exc))
                return 0
            items, cost = jobs.estimate(p, job.id, batch=args.batch)
            est = tr("unknown (no price for this model)") if cost is None else f"${cost:.4f}"
            if not args.json:
                print(tr("job {id}: {created} new item(s), {skipped} already in this project (synthesized, or "
                         "waiting in an earlier job: run that one with --job ID); estimated cost {cost}").format(
                    id=job.id, created=created, skipped=skipped, cost=est))
            if args.estimate_only:
                if args.json:
                    emit(args, {"job": job.id, "created": created, "skipped": skipped, "items": items, "cost": cost}, "")
                return 0
            job_id = job.id
        else:
            job_id = args.job
        return _run(args, p, job_id)


def cmd_status(args) -> int:
    with Project.open(args.project) as p:
        if args.job is None:
            sts = [jobs.job_status(p, j.id) for j in list_jobs(p)]
            emit(args, [s.as_dict() for s in sts], "\n".join(_status_text(s) for s in sts) or tr("no jobs"))
        else:
            st = jobs.job_status(p, args.job)
            emit(args, st.as_dict(), _status_text(st))
    return 0


def cmd_retry(args) -> int:
    with Project.open(args.project) as p:
        n = jobs.retry_failed(p, args.job)
        if args.no_run:
            emit(args, {"job": args.job, "reset": n},
                 tr("{n} failed item(s) of job {job} will be sent again.").format(n=n, job=args.job))
            return 0
        return _run(args, p, args.job)


def cmd_cancel(args) -> int:
    """Cancels the job; provider batches it has out are cancelled at the provider too."""
    from engine.synth.batch import cancel_batches  # deferred: batch mode adds about 10 ms to every `remud` start

    with Project.open(args.project) as p:
        jobs.cancel_job(p, args.job)
    batches = cancel_batches(args.project, args.job)
    note = ntr(" ({n} provider batch cancelled)", " ({n} provider batches cancelled)", batches).format(n=batches) \
        if batches else ""
    emit(args, {"job": args.job, "state": "cancelled", "batches_cancelled": batches},
         tr("job {job} cancelled{note}").format(job=args.job, note=note))
    return 0


def _run_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--concurrency", type=int, default=8)
    sp.add_argument("--rpm", type=float, help=tr("requests per minute limit"))
    sp.add_argument("--tpm", type=float, help=tr("tokens per minute limit"))
    sp.add_argument("--max-attempts", type=int, default=5)


def add_synth_parser(subparsers, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds `synth` with run / status / retry / cancel under `subparsers`."""
    synth = subparsers.add_parser("synth", parents=[common], help=tr("synthesize records (jobs)"),
                                  description=tr("Create, run and inspect synthesis jobs."))
    sub = synth.add_subparsers(dest="synth_command", required=True, metavar="ACTION")

    def add(name, func, help_text):
        return add_command(sub, common, name, func, help_text)

    sp = add("run", cmd_run, tr("create a job from a selection and run it, or run --job ID"))
    sp.add_argument("--job", type=int, help=tr("run (resume) this existing job"))
    sp.add_argument("--doc", type=int, action="append", default=[], help=tr("all accepted figures of this document"))
    sp.add_argument("--figure", type=int, action="append", default=[], help=tr("this figure id"))
    sp.add_argument("--kinds", help=tr("comma list of qa, vqa, mcq"))
    sp.add_argument("--languages", default="en", help=tr("comma list of en, zh"))
    sp.add_argument("--synth", default="openai", help=tr("synthesizer card name"))
    sp.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help=tr("synthesizer setting (never a key)"))
    sp.add_argument("--name", help=tr("job name"))
    sp.add_argument("--no-reasoning", action="store_true", help=tr("no thinking traces"))
    sp.add_argument("--no-page", action="store_true", help=tr("do not send the page image"))
    sp.add_argument("--estimate-only", action="store_true", help=tr("create the job and show its cost; do not run"))
    sp.add_argument("--batch", action="store_true",
                    help=tr("use the provider's batch API (lower price, answers within 24 h); run again to resume "
                            "polling"))
    sp.add_argument("--poll", type=float, default=60.0, help=tr("seconds between batch status checks (with --batch)"))
    _run_options(sp)
    sp = add("status", cmd_status, tr("counts, tokens, cost and failures of a job (or all jobs)"))
    sp.add_argument("--job", type=int)
    sp = add("retry", cmd_retry, tr("send the failed items of a job again"))
    sp.add_argument("job", type=int)
    sp.add_argument("--no-run", action="store_true", help=tr("only reset them"))
    _run_options(sp)
    sp = add("cancel", cmd_cancel, tr("cancel a job (a running one stops scheduling)"))
    sp.add_argument("job", type=int)
    return synth
