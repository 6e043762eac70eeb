"""Durable synthesis jobs: create one from a selection, estimate it, run, retry, cancel.

    job, created, skipped = create_synth_job(project, doc_ids=[1], kinds=["vqa", "mcq"],
                                             languages=["en", "zh"], synthesizer="openai",
                                             params={"model": "gpt-4o-mini"})
    items, cost = estimate(project, job.id)
    report = run_job(project.folder, job.id, concurrency=8, rpm=500, progress=print)
    job_status(project, job.id)

The job keeps the card name and the parameter overrides (never a key: parameters that look
like secrets are refused); the runner rebuilds the synthesizer from them, and the key comes
from the keyring or the environment as usual. The running itself is in engine.synth.runner.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from engine.i18n import tr
from engine.llm.urls import refuse_credentials
from engine.store import jobs as store
from engine.store.figures import get_figure, list_figures
from engine.store.jobs import Job, JobState, JobStatus, NewItem, job_status
from engine.store.models import FigureStatus, RecordKind
from engine.store.project import Project
from engine.synth.base import LANGUAGES, Pricing, SynthConfigError, SynthInput, load_pricing
from engine.synth.prompts import load_template, template_for, uses_reasoning
from engine.synth.ratelimit import estimate_tokens
from engine.synth.registry import load_cards
from engine.synth.runner import JobBusyError, JobProgress, RunReport, project_prompts, run_job

__all__ = [
    "JobBusyError", "JobProgress", "NothingToSend", "NothingToSendError", "RunReport", "cancel_job", "create_synth_job",
    "estimate", "job_model", "job_status", "retry_failed", "run_job",
]

_TEMPLATE_CHARS = 1500  # about what a rendered template adds to the figure's own text


def _is_secret(name: str) -> bool:
    n = name.lower()
    return n in ("key", "token", "password") or n.endswith("_key") or "secret" in n or "password" in n or n == "api_token"


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameter overrides to store on a job; secrets are refused (they belong in the keyring)."""
    bad = sorted(k for k in params if _is_secret(k))
    if bad:
        raise SynthConfigError(tr(
            "A job cannot store {names}: keys come from the keyring or environment variables, never the project."
        ).format(names=", ".join(bad)))
    refuse_credentials(params, SynthConfigError)
    return dict(params)


def job_model(synthesizer: str, params: dict[str, Any], cards: dict | None = None) -> str:
    """The model a card with these overrides uses (part of each item's idempotency key)."""
    cards = cards if cards is not None else load_cards()
    card = cards.get(synthesizer)
    if card is None:
        raise SynthConfigError(tr("There is no synthesizer called “{name}”. Choose one of: {names}.").format(
            name=synthesizer, names=", ".join(cards)))
    model = params.get("model") or card.params.get("model")
    if not model:
        raise SynthConfigError(tr("The synthesizer “{name}” has no model; set one.").format(name=synthesizer))
    return str(model)


class NothingToSend(StrEnum):
    """Why a job would have no items."""

    NO_FIGURES = "no figures"  # the documents have no figures at all (and nothing else was asked for)
    NONE_ACCEPTED = "none accepted"  # the documents have figures, but none of them is accepted
    ALL_EXIST = "all exist"  # every item is already in the project (synthesized, or waiting in another job)


class NothingToSendError(SynthConfigError):
    """create_synth_job had nothing to queue, so it made no job. `reason` says why; `proposed`
    and `rejected` count the documents' figures that were left out; `skipped` the items that
    already exist."""

    def __init__(self, reason: NothingToSend, *, proposed: int = 0, rejected: int = 0, skipped: int = 0) -> None:
        self.reason, self.proposed, self.rejected, self.skipped = reason, proposed, rejected, skipped
        if reason is NothingToSend.ALL_EXIST:
            text = tr("Nothing to send: all {n} item(s) already exist in this project (synthesized, or waiting "
                      "in an earlier job: run that one).").format(n=skipped)
        elif reason is NothingToSend.NONE_ACCEPTED and proposed and rejected:
            text = tr("Nothing to send: no figure is accepted ({proposed} proposed, {rejected} rejected); only "
                      "accepted figures are synthesized. Accept the figures first.").format(
                proposed=proposed, rejected=rejected)
        elif reason is NothingToSend.NONE_ACCEPTED and rejected:
            text = tr("Nothing to send: no figure is accepted ({rejected} rejected); only accepted figures are "
                      "synthesized. Accept the figures first.").format(rejected=rejected)
        elif reason is NothingToSend.NONE_ACCEPTED:
            text = tr("Nothing to send: no figure is accepted ({proposed} proposed); only accepted figures are "
                      "synthesized. Accept the figures first.").format(proposed=proposed)
        else:
            text = tr("Nothing to send: there are no figures (detect or draw them, and accept them, first).")
        super().__init__(text)


def _prompt_version(kind: RecordKind, language: str, has_image: bool, reasoning: bool, dirs: Sequence[str]) -> tuple[str, bool]:
    probe = SynthInput(kind=kind, image=b"x" if has_image else None, language=language, reasoning=reasoning)
    template = template_for(probe)
    return load_template(template, language, dirs).prompt_version, uses_reasoning(template, reasoning)


def create_synth_job(
    project: Project,
    *,
    kinds: Sequence[str],
    languages: Sequence[str] = ("en",),
    synthesizer: str = "openai",
    params: dict[str, Any] | None = None,
    figure_ids: Sequence[int] | None = None,
    doc_ids: Sequence[int] | None = None,
    passages: Sequence[tuple[int | None, int | None, str]] = (),
    reasoning: bool = True,
    with_page: bool = True,
    name: str = "",
    cards: dict | None = None,
    batch: bool = False,
) -> tuple[Job, int, int]:
    """A job over figures (by id, and/or all accepted figures of `doc_ids`) and text
    `passages` ((doc_id, page, text); vqa is skipped for them) × kinds × languages.
    `batch` records that it goes through the provider's batch API (the app's runner reads it).
    Returns (job, items created, items skipped because they already exist in the project).
    A job with nothing to send is never made: NothingToSendError says why (no figures, none
    accepted, or every item exists already)."""
    params = check_params(dict(params or {}))
    model = job_model(synthesizer, params, cards)
    kinds_ = [RecordKind(k) for k in kinds]
    if not kinds_:
        raise SynthConfigError(tr("Choose at least one kind (qa, vqa, mcq)."))
    for lang in languages:
        if lang not in LANGUAGES:
            raise SynthConfigError(tr("Unknown language '{language}'; use one of: {languages}.").format(
                language=lang, languages=", ".join(LANGUAGES)))
    figs = {}
    for fid in figure_ids or ():
        figs[fid] = get_figure(project, fid)
    left_out: Counter[FigureStatus] = Counter()
    for doc in doc_ids or ():
        for fig in list_figures(project, doc_id=doc):
            if fig.status == FigureStatus.ACCEPTED:
                figs[fig.id] = fig
            elif fig.id not in figs:
                left_out[FigureStatus(fig.status)] += 1

    # explicit folders first, then the project's own edited copies, then the shipped templates
    dirs = (*(str(d) for d in params.get("prompt_dirs", ())), str(project_prompts(project.folder)))
    items: list[NewItem] = []
    for fig in figs.values():
        for kind in kinds_:
            for lang in languages:
                version, rsn = _prompt_version(kind, lang, True, reasoning, dirs)
                items.append(NewItem(kind, lang, rsn, version, figure_id=fig.id, doc_id=fig.doc_id, page=fig.page))
    for doc_id, page, text in passages:
        if not text.strip():
            continue
        for kind in kinds_:
            if kind is RecordKind.VQA:
                continue
            for lang in languages:
                version, rsn = _prompt_version(kind, lang, False, reasoning, dirs)
                items.append(NewItem(kind, lang, rsn, version, doc_id=doc_id, page=page, passage=text))
    if not items:
        proposed, rejected = left_out[FigureStatus.PROPOSED], left_out[FigureStatus.REJECTED]
        raise NothingToSendError(NothingToSend.NONE_ACCEPTED if proposed or rejected else NothingToSend.NO_FIGURES,
                                 proposed=proposed, rejected=rejected)
    settings = {"params": params, "kinds": [str(k) for k in kinds_], "languages": list(languages),
                "reasoning": reasoning, "with_page": with_page, "batch": batch}
    with project.atomic():  # a job whose items all exist already is rolled back, never left empty
        job, created, skipped = store.create_job(project, synthesizer=synthesizer, model=model, items=items,
                                                 settings=settings, name=name)
        if not created:
            raise NothingToSendError(NothingToSend.ALL_EXIST, skipped=skipped)
    return job, created, skipped



class _Preview(Exception):
    """Raised to roll back the job preview_job made."""


def preview_job(project: Project, *, batch: bool = False, **job_args: Any) -> tuple[int, int, float | None]:
    """What create_synth_job(project, **job_args) would queue, keeping nothing:
    (items to send, items skipped because they exist already, estimated cost or None;
    with `batch`, at the provider's batch price). The job is made inside a transaction
    that is then rolled back. Raises NothingToSendError (with its reason) when there would
    be nothing to send."""
    result: tuple[int, int, float | None] = (0, 0, None)
    try:
        with project.atomic():
            job, _created, skipped = create_synth_job(project, **job_args)
            todo, cost = estimate(project, job.id, batch=batch)
            result = (todo, skipped, cost)
            raise _Preview
    except _Preview:
        pass
    return result

def estimate(
    project: Project, job_id: int, *, pricing: Pricing | None = None, batch: bool = False
) -> tuple[int, float | None]:
    """(items still to send, estimated US dollars; None when the model has no price).
    Uses the mean usage of this model's finished items when there are some, else a
    rough count from the text, the images and a typical answer. With `batch`, at the
    provider's batch price."""
    job = store.get_job(project, job_id)
    todo = [i for i in store.list_items(project, job_id) if i.state in (store.ItemState.PENDING, store.ItemState.RUNNING)]
    pricing = pricing or load_pricing()
    if pricing.price(job.model) is None:
        return len(todo), None
    avg = store.average_usage(project, job.model)
    tin = tout = 0.0
    for item in todo:
        if avg is not None:
            tin, tout = tin + avg[0], tout + avg[1]
            continue
        text, images = item.passage, 0
        if item.figure_id is not None:
            try:
                t = get_figure(project, item.figure_id).text
                text = " ".join((t.caption, t.context, t.burned_text, t.section))
            except Exception:  # a deleted figure: it will fail, count it anyway
                text = ""
            images = 2 if job.settings.get("with_page", True) else 1
        total = estimate_tokens(text + "x" * _TEMPLATE_CHARS, images, output=0)
        tin, tout = tin + total, tout + 600
    price = pricing.batch_cost if batch else pricing.cost
    return len(todo), price(job.model, int(tin), int(tout))


def retry_failed(project: Project, job_id: int) -> int:
    """Failed items become pending again; run the job to send them. Returns how many."""
    store.get_job(project, job_id)
    return store.reset_failed(project, job_id)


def cancel_job(project: Project, job_id: int) -> None:
    """Marks the job cancelled; a runner working on it (in any process) stops scheduling."""
    store.get_job(project, job_id)
    store.set_job_state(project, job_id, JobState.CANCELLED, tr("Cancelled."))


def status(project: Project, job_id: int) -> JobStatus:
    return job_status(project, job_id)
