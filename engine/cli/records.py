"""`remud records list|show|accept|reject|reset|check|judge`: review records from the command line.

Wired into engine.cli with `add_records_parser(subparsers, common)`. Output is for people
by default, `--json` gives machine-readable output; errors are RemudError and reach the
one-line error handler, engine.cli.common.run_command.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from engine.cli.common import EXIT_USAGE, add_command, emit, error_line, parse_params, positive_int, shown
from engine.errors import RemudError
from engine.i18n import ntr, tr
from engine.quality.dedup import DedupConfig
from engine.quality.rules import RuleConfig
from engine.quality.run import check_records
from engine.store import records
from engine.store.models import Record, RecordKind, RecordStatus
from engine.store.project import Project
from engine.synth.registry import create

LOW_SCORE_FLAG = "low_score"  # engine.quality.judge.LOW_SCORE (not imported here: it pulls in openai)


def record_dict(rec: Record) -> dict:
    data = asdict(rec)
    data["kind"] = str(rec.kind)
    data["status"] = str(rec.status)
    data["options"] = list(rec.options)
    data["flags"] = list(rec.flags)
    return data


def flag_matches(flags, wanted: str) -> bool:
    """`wanted` is a whole flag ("near_duplicate:12") or a flag's name ("near_duplicate");
    "any" matches records with any flag, "none" records with none."""
    if wanted == "any":
        return bool(flags)
    if wanted == "none":
        return not flags
    return any(f == wanted or f.split(":", 1)[0] == wanted for f in flags)


def select(project: Project, args) -> list[Record]:
    recs = records.list_records(project, status=args.status)
    if args.kind:
        recs = [r for r in recs if r.kind == args.kind]
    if args.language:
        recs = [r for r in recs if r.language == args.language]
    if args.doc is not None:
        recs = [r for r in recs if r.doc_id == args.doc]
    if args.figure is not None:
        recs = [r for r in recs if r.figure_id == args.figure]
    for wanted in args.flag or ():
        recs = [r for r in recs if flag_matches(r.flags, wanted)]
    if args.min_score is not None:
        recs = [r for r in recs if r.score is not None and r.score >= args.min_score]
    if args.max_score is not None:
        recs = [r for r in recs if r.score is not None and r.score <= args.max_score]
    return recs[: args.limit] if args.limit else recs


def _line(rec: Record) -> str:
    score = f"{rec.score:g}" if rec.score is not None else "-"
    flags = f"  [{', '.join(rec.flags)}]" if rec.flags else ""
    question = " ".join(rec.question.split())
    question = question[:69] + "…" if len(question) > 70 else question
    return f"#{rec.id:<6} {rec.kind:<4} {rec.language:<3} {shown(rec.status):<9} {score:>3}  {question}{flags}"


def cmd_list(args) -> int:
    with Project.open(args.project) as p:
        recs = select(p, args)
    emit(args, [record_dict(r) for r in recs], "\n".join(_line(r) for r in recs) or tr("No records."))
    return 0


def cmd_show(args) -> int:
    with Project.open(args.project) as p:
        rec = records.get_record(p, args.id)
    letters = "ABCDE"
    kind = tr("{kind} (reasoning)").format(kind=rec.kind) if rec.reasoning else str(rec.kind)
    header = tr("Record #{id}  {kind}  {language}  {status}").format(
        id=rec.id, kind=kind, language=rec.language, status=shown(rec.status))
    # Translators: `remud records show`; the first words of these lines are aligned in English
    lines = [
        header + (tr("  score {score}").format(score=f"{rec.score:g}") if rec.score is not None else ""),
        tr("Source    figure {figure}, document {document}, page {page}").format(
            figure=rec.figure_id if rec.figure_id is not None else "-",
            document=rec.doc_id if rec.doc_id is not None else "-",
            page=rec.page + 1 if rec.page is not None else "-"),
        tr("Written   {synthesizer} / {model} / {prompt}").format(
            synthesizer=rec.synthesizer or "-", model=rec.model or "-", prompt=rec.prompt_version or "-"),
        tr("Flags     {flags}").format(flags=", ".join(rec.flags) or tr("none")),
        "",
        tr("Question: {question}").format(question=rec.question),
    ]
    lines += [f"  {letters[i]}. {o}" + ("  ✓" if letters[i] == rec.correct else "") for i, o in enumerate(rec.options[:5])]
    if rec.thinking:
        lines += ["", tr("Thinking: {thinking}").format(thinking=rec.thinking)]
    lines += ["", tr("Answer: {answer}").format(answer=rec.answer)]
    emit(args, record_dict(rec), "\n".join(lines))
    return 0


FILTERS = ("status", "kind", "language", "doc", "figure", "flag", "min_score", "max_score", "limit")


def _has_filter(args) -> bool:
    return any(getattr(args, name) not in (None, []) for name in FILTERS)


def _chosen(p: Project, args) -> list[Record] | None:
    """The records a status change applies to: the ids given (each must exist), narrowed by any filter of
    `records list`; else the records the filters select; else every record with --all; None: nothing named."""
    if args.ids:
        chosen = [records.get_record(p, rid) for rid in dict.fromkeys(args.ids)]  # every id must exist first
        if not _has_filter(args):
            return chosen
        wanted = {r.id for r in select(p, args)}
        return [r for r in chosen if r.id in wanted]
    if _has_filter(args) or args.all:
        return select(p, args)
    return None


def _set_status(args, status: RecordStatus) -> int:
    with Project.open(args.project) as p:
        chosen = _chosen(p, args)
        if chosen is None:  # no records named: a usage error, as argparse exits
            print(error_line(_name_them(status)), file=sys.stderr)
            return EXIT_USAGE
        changed = [r.id for r in chosen if r.status != status]
        with p.atomic():
            for rid in changed:
                records.update_record(p, rid, status=status)
    ids = [r.id for r in chosen]
    emit(args, {"status": str(status), "ids": ids, "changed": changed}, _changed_text(status, len(changed), len(ids)))
    return 0


def _name_them(status: RecordStatus) -> str:
    options = "--status, --kind, --language, --doc, --figure, --flag, --min-score, --max-score"
    sentence = {
        RecordStatus.ACCEPTED: tr("name the records to accept: give their ids, a filter of `records list` ({options}) "
                                  "or --all."),
        RecordStatus.REJECTED: tr("name the records to reject: give their ids, a filter of `records list` ({options}) "
                                  "or --all."),
    }.get(status) or tr("name the records to reset: give their ids, a filter of `records list` ({options}) or --all.")
    return sentence.format(options=options)


def _changed_text(status: RecordStatus, changed: int, chosen: int) -> str:
    """"Accepted 3 records (1 already accepted)." and the like."""
    if status == RecordStatus.ACCEPTED:
        text = ntr("Accepted {n} record{already}.", "Accepted {n} records{already}.", changed)
        already = tr(" ({n} already accepted)")
    elif status == RecordStatus.REJECTED:
        text = ntr("Rejected {n} record{already}.", "Rejected {n} records{already}.", changed)
        already = tr(" ({n} already rejected)")
    else:
        text = ntr("Reset to draft {n} record{already}.", "Reset to draft {n} records{already}.", changed)
        already = tr(" ({n} already draft)")
    return text.format(n=changed, already=already.format(n=chosen - changed) if changed < chosen else "")


def cmd_accept(args) -> int:
    return _set_status(args, RecordStatus.ACCEPTED)


def cmd_reject(args) -> int:
    return _set_status(args, RecordStatus.REJECTED)


def cmd_reset(args) -> int:
    return _set_status(args, RecordStatus.DRAFT)


def cmd_check(args) -> int:
    if not 0.0 < args.threshold <= 1.0:
        raise RemudError(tr("--threshold is a Jaccard similarity between 0 and 1 (e.g. 0.8)."))
    with Project.open(args.project) as p:
        report = check_records(
            p, args.ids or None, rules=RuleConfig(), dedup=DedupConfig(threshold=args.threshold),
            use_dedup=not args.no_dedup,
        )
    lines = [tr("Checked {checked} records: {flagged} flagged, {duplicates} near-duplicates, {changed} changed.").format(
        checked=report.checked, flagged=report.flagged, duplicates=report.duplicates, changed=report.changed)]
    lines += [f"  {name:<17} {count}" for name, count in report.by_flag.items()]
    emit(args, report.as_dict(), "\n".join(lines))
    return 0


_SECRET_PARAMS = ("api_key", "key", "token", "password", "secret")


def cmd_judge(args) -> int:
    """Score records with a second model (LLM judge); store `score` and the low_score flag."""
    # heavy: both import openai (about half a second); only `remud records judge` needs them
    from engine.quality.judge import judge_records
    from engine.synth.openai_synth import OpenAISynthesizer

    params = parse_params(args.param)
    secret = [k for k in params if k.lower() in _SECRET_PARAMS or k.lower().endswith("_key")]
    if secret:
        raise RemudError(tr("--param {name} is not accepted: API keys come from the OS keyring or the provider's "
                            "environment variable (e.g. OPENAI_API_KEY), never from the command line.").format(
            name=secret[0]))
    if not 1 <= args.threshold <= 5:
        raise RemudError(tr("--threshold is a judge score between 1 and 5 (records scoring below it are flagged "
                            "low_score)."))
    synth = create(args.synth, **params)
    try:
        if not isinstance(synth, OpenAISynthesizer):
            raise RemudError(tr("The judge speaks the OpenAI chat API; the synthesizer “{name}” does not. "
                                "Choose an OpenAI-compatible card (e.g. openai or local).").format(name=args.synth))
        with Project.open(args.project) as p:
            report = judge_records(p, synth, args.ids or None, threshold=args.threshold,
                                   with_images=not args.no_images, concurrency=args.concurrency,
                                   search_dirs=synth.prompt_dirs)
    finally:
        close = getattr(synth, "close", None)
        if close is not None:
            close()
    cost = tr(", cost {cost}").format(cost=f"{report.cost:.4f}") if report.cost else ""
    lines = [ntr("Judged {n} record with {model}: {low} below {threshold} (flagged {flag}), {failed} failed; "
                 "tokens {tokens_in} in / {tokens_out} out{cost}.",
                 "Judged {n} records with {model}: {low} below {threshold} (flagged {flag}), {failed} failed; "
                 "tokens {tokens_in} in / {tokens_out} out{cost}.", report.judged).format(
        n=report.judged, model=synth.model, low=report.low, threshold=f"{args.threshold:g}", flag=LOW_SCORE_FLAG,
        failed=len(report.failed), tokens_in=report.tokens_in, tokens_out=report.tokens_out, cost=cost)]
    lines += [tr("  score {score}: {count}").format(score=score, count=count) for score, count in sorted(report.scores.items())]
    lines += [tr("  #{id} failed: {reason}").format(id=rid, reason=why) for rid, why in report.failed]
    emit(args, {"synthesizer": args.synth, "model": synth.model, "threshold": args.threshold, **report.as_dict()},
          "\n".join(lines))
    return 0


def add_records_parser(subparsers, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add `records` and its subcommands to the `remud` subparsers; each sets `func`."""
    help_text = tr("list, show, accept, reject and check synthesized records")
    rp = subparsers.add_parser("records", help=help_text, description=help_text)
    sub = rp.add_subparsers(dest="records_command", required=True, metavar="ACTION")

    def add(name: str, func, text: str) -> argparse.ArgumentParser:
        return add_command(sub, common, name, func, text)

    def filters(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--status", choices=[s.value for s in RecordStatus])
        sp.add_argument("--kind", choices=[k.value for k in RecordKind])
        sp.add_argument("--language", "--lang", choices=["zh", "en"])
        sp.add_argument("--flag", action="append", metavar="FLAG",
                        help=tr("a flag or flag name (e.g. near_duplicate), 'any' or 'none'; repeat to require several"))
        sp.add_argument("--doc", type=int, help=tr("document id"))
        sp.add_argument("--figure", type=int, help=tr("figure id"))
        sp.add_argument("--min-score", type=float)
        sp.add_argument("--max-score", type=float)
        sp.add_argument("--limit", type=positive_int)

    filters(add("list", cmd_list, tr("list records, filtered")))
    sp = add("show", cmd_show, tr("show one record in full"))
    sp.add_argument("id", type=int)
    for name, func, text in (
            ("accept", cmd_accept, tr("accept records: by id, by the filters of `records list`, or --all; prints how "
                                      "many changed")),
            ("reject", cmd_reject, tr("reject records: by id, by the filters of `records list`, or --all; prints how "
                                      "many changed")),
            ("reset", cmd_reset, tr("set records back to draft: by id, by the filters of `records list`, or --all; "
                                    "prints how many changed"))):
        sp = add(name, func, text)
        sp.add_argument("ids", type=int, nargs="*", metavar="ID", help=tr("these records (the filters narrow them)"))
        filters(sp)
        sp.add_argument("--all", action="store_true", help=tr("every record (the filters narrow them)"))
    sp = add("check", cmd_check, tr("run the rule checks and near-duplicate detection; flag, never delete"))
    sp.add_argument("ids", type=int, nargs="*", metavar="ID", help=tr("records to check (default: all)"))
    sp.add_argument("--threshold", type=float, default=0.8, help=tr("near-duplicate Jaccard similarity (default 0.8)"))
    sp.add_argument("--no-dedup", action="store_true", help=tr("rule checks only"))
    sp = add("judge", cmd_judge, tr("score records 1-5 with a second model (LLM judge); flag those below the threshold"))
    sp.add_argument("--ids", type=int, nargs="+", metavar="ID", help=tr("records to judge (default: all not rejected)"))
    sp.add_argument("--synth", default="openai", help=tr("synthesizer card of the judge model (an OpenAI-compatible one)"))
    sp.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help=tr("judge setting such as model=... or base_url=... (never a key: keyring or OPENAI_API_KEY)"))
    sp.add_argument("--threshold", type=float, default=3,
                    help=tr("records scoring below this get the low_score flag (default 3)"))
    sp.add_argument("--concurrency", type=positive_int, default=4, help=tr("requests at a time (default 4)"))
    sp.add_argument("--no-images", action="store_true", help=tr("judge on text only, without the figure crop"))
    return rp
