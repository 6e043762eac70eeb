"""The LLM judge: a second model scores each record 1-5 (the ReMUD paper's cleaning step).

It sees the record, the figure crop (when there is one), the caption, burned-in text,
context and page text, as redaction masks leave them (the crop black under every mask of
its page, covered text cut out of all of it: engine.redaction), and scores grounding in
that source and image-text match through the versioned prompt resources/prompts/judge_en.md
(a user copy in `search_dirs` wins).
The overall score is stored as the record's `score`; records below the threshold get
the flag "low_score" (and lose it when a later pass scores them higher).

The call goes through the judge model's engine.llm.OpenAIChat (any OpenAI-compatible
server; an OpenAISynthesizer is such a model): JSON-schema output when the server takes
it, lenient parsing when not, the synthesizers' typed, key-free errors. A wrong key or no quota stops the pass; other failures are counted per
record and the pass goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.errors import CancelledError, RemudError
from engine.i18n import ntr, tr
from engine.llm.errors import LLMCallError
from engine.llm.lenient_json import first_json_value
from engine.llm.openai_chat import OpenAIChat, json_schema_format, user_message
from engine.pdf.crops import figure_raster
from engine.quality.run import merge_flags
from engine.redaction import TextFilter, redact_record, text_filter
from engine.resources import resource
from engine.store import documents, figures
from engine.store import records as store
from engine.store.models import Record
from engine.store.project import Project
from engine.synth.base import (
    Pricing,
    SynthAuthError,
    SynthConfigError,
    SynthError,
    SynthOutputError,
    SynthQuotaError,
    synth_error,
)
from engine.synth.prompts import Prompt, PromptTemplate

LOW_SCORE = "low_score"
TEMPLATE = "judge_en"
_BLOCK = re.compile(r"\[\[(image|noimage)\]\](.*?)\[\[/\1\]\]", re.DOTALL)
SCHEMA = {
    "type": "object",
    "properties": {
        "grounding": {"type": "integer"},
        "image_match": {"type": "integer"},
        "score": {"type": "integer"},
        "reason": {"type": "string"},
    },
    "required": ["grounding", "image_match", "score", "reason"],
    "additionalProperties": False,
}


class JudgeModel(Protocol):
    """What the judge needs of its model: an OpenAI-compatible chat, prices and request
    settings. An OpenAISynthesizer is one."""

    model: str
    chat: OpenAIChat
    max_tokens: int
    max_tokens_param: str  # "max_tokens", or "max_completion_tokens" for models that refuse it
    extra_body: dict

    @property
    def pricing(self) -> Pricing: ...


@dataclass(frozen=True)
class JudgeSource:
    """What the record was written from."""

    caption: str = ""
    burned_text: str = ""
    context: str = ""
    page_text: str = ""
    image: bytes | None = None
    redaction: TextFilter = field(default_factory=TextFilter)  # cut out of every text sent, the record's too


@dataclass(frozen=True)
class Verdict:
    score: int
    grounding: int
    image_match: int
    reason: str
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass
class JudgeReport:
    judged: int = 0
    low: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (record id, why)
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float | None = None
    prompt_version: str = ""
    scores: dict[int, int] = field(default_factory=dict)  # score -> records

    def as_dict(self) -> dict:
        return {
            "judged": self.judged,
            "low": self.low,
            "failed": [{"id": i, "error": e} for i, e in self.failed],
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": self.cost,
            "prompt_version": self.prompt_version,
            "scores": dict(sorted(self.scores.items())),
        }


# ----------------------------------------------------------------------------- prompt


def load_judge_template(search_dirs: Sequence[str | Path] = ()) -> PromptTemplate:
    for folder in [*map(Path, search_dirs), resource("prompts")]:
        path = folder / f"{TEMPLATE}.md"
        if path.is_file():
            try:
                return PromptTemplate.parse(path.stem, path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise SynthConfigError(tr("The judge prompt {path} could not be read ({error}).").format(
                    path=path, error=exc)) from exc
    raise SynthConfigError(tr("There is no judge prompt {name}.").format(name=f"{TEMPLATE}.md"))


def render(template: PromptTemplate, rec: Record, source: JudgeSource) -> str:
    with_image = bool(source.image)
    keep = {"image": with_image, "noimage": not with_image}
    text = _BLOCK.sub(lambda m: m.group(2) if keep[m.group(1)] else "", template.text)
    letters = "ABCDE"
    scrub = source.redaction
    rec = redact_record(rec, scrub)
    values = {
        "caption": scrub(source.caption),
        "burned_text": scrub(source.burned_text),
        "context": scrub(source.context),
        "page_text": scrub(source.page_text),
        "language": rec.language,
        "kind": str(rec.kind),
        "question": rec.question,
        "options": "; ".join(f"{letters[i]}. {o}" for i, o in enumerate(rec.options[:5])),
        "thinking": rec.thinking,
        "answer": rec.answer,
    }
    # One pass, so a record's text containing "{answer}" is never substituted again.
    return re.sub(
        r"\{(\w+)\}",
        lambda m: (str(values[m.group(1)]).strip() or template.empty) if m.group(1) in values else m.group(0),
        text,
    ).strip()


# ----------------------------------------------------------------------------- the call


def ask_json(model: JudgeModel, prompt: Prompt, schema: dict, *, temperature: float = 0.0) -> tuple[Any, str, int, int]:
    """(parsed JSON value or None, raw answer, tokens in, tokens out) for one chat request.

    JSON-schema output is asked for while `model.chat.structured`; a server that refuses it
    (HTTP 400/422) is asked again without it, and the chat remembers."""

    def request(structured: bool) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": model.chat.model,
            "messages": [user_message(prompt.text, prompt.images)],
            "temperature": temperature,
            model.max_tokens_param: min(model.max_tokens, 1024),
        }
        if structured:
            kwargs["response_format"] = json_schema_format("remud_judge", schema)
        if model.extra_body:
            kwargs["extra_body"] = model.extra_body
        return kwargs

    try:
        response, _ = model.chat.create_structured(request)
    except LLMCallError as exc:
        raise synth_error(exc) from None
    try:
        raw = response.choices[0].message.content or ""
    except (AttributeError, TypeError, IndexError):
        raise SynthOutputError(tr("The judge's endpoint did not answer like an OpenAI-compatible server.")) from None
    usage = getattr(response, "usage", None)
    tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
    tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
    return first_json_value(raw if isinstance(raw, str) else ""), str(raw), tokens_in, tokens_out


def _score(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(min(max(number, 1.0), 5.0))


def parse_verdict(value: Any, raw: str = "") -> Verdict:
    """A Verdict from the judge's JSON; scores are clamped to 1-5, a missing overall
    score is the lower of the two part scores."""
    if not isinstance(value, dict):
        raise SynthOutputError(tr("The judge's answer held no JSON object."), raw)
    grounding = _score(value.get("grounding"))
    image_match = _score(value.get("image_match"))
    overall = _score(value.get("score"))
    if overall is None:
        parts = [s for s in (grounding, image_match) if s is not None]
        if not parts:
            raise SynthOutputError(tr("The judge's answer held no score."), raw)
        overall = min(parts)
    reason = " ".join(str(value.get("reason") or "").split())
    return Verdict(overall, grounding or overall, image_match or overall, reason)


def judge_record(synth: JudgeModel, rec: Record, source: JudgeSource, template: PromptTemplate) -> Verdict:
    prompt = Prompt(TEMPLATE, template.prompt_version, render(template, rec, source),
                    (source.image,) if source.image else (), False)
    value, raw, tokens_in, tokens_out = ask_json(synth, prompt, SCHEMA)
    try:
        verdict = parse_verdict(value, raw)
    except SynthOutputError as exc:
        raise exc.with_usage(tokens_in, tokens_out, synth.pricing.cost(synth.model, tokens_in, tokens_out)) from None
    return Verdict(verdict.score, verdict.grounding, verdict.image_match, verdict.reason, tokens_in, tokens_out)


# ----------------------------------------------------------------------------- the pass


def source_for(project: Project, rec: Record, *, with_image: bool = True) -> JudgeSource:
    """The record's figure text, page text, (optionally) figure crop as PNG, and what the
    document's masks cover."""
    caption = burned = context = page_text = ""
    image = None
    doc_id, page = rec.doc_id, rec.page
    if rec.figure_id is not None:
        try:
            fig = figures.get_figure(project, rec.figure_id)
        except RemudError:
            fig = None
        if fig is not None:
            caption, burned, context = fig.text.caption, fig.text.burned_text, fig.text.context
            doc_id, page = fig.doc_id, fig.page
            if with_image:
                try:
                    image = figure_raster(project, fig).png_bytes()
                except (RemudError, OSError, RuntimeError, ValueError):
                    image = None  # the source PDF is missing or broken: judge on text
    if doc_id is not None and page is not None:
        try:
            page_text = documents.get_page(project, doc_id, page, with_text=True).text
        except RemudError:
            page_text = ""
    return JudgeSource(caption, burned, context, page_text, image, text_filter(project, doc_id))


def judge_records(
    project: Project,
    synth: JudgeModel,
    ids: Sequence[int] | None = None,
    *,
    threshold: float = 3,
    with_images: bool = True,
    concurrency: int = 4,
    search_dirs: Sequence[str | Path] = (),
    source: Callable[[Project, Record], JudgeSource] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> JudgeReport:
    """Score records `ids` (default: every record not rejected); store score and low_score."""
    template = load_judge_template(search_dirs)
    if ids is None:
        targets = [r for r in store.list_records(project) if r.status != "rejected"]
    else:
        targets = [store.get_record(project, i) for i in ids]
    sources = [(r, (source or (lambda p, x: source_for(p, x, with_image=with_images)))(project, r)) for r in targets]
    report = JudgeReport(prompt_version=template.prompt_version)
    stop: SynthError | None = None
    with ThreadPoolExecutor(max_workers=max(1, int(concurrency))) as pool:
        futures = [(rec, pool.submit(judge_record, synth, rec, src, template)) for rec, src in sources]
        for n, (rec, future) in enumerate(futures, 1):
            if stop is not None or (cancel is not None and cancel()):
                future.cancel()
                continue
            try:
                verdict = future.result()
            except (SynthAuthError, SynthQuotaError) as exc:
                stop = exc
                continue
            except SynthError as exc:
                report.failed.append((rec.id, str(exc)))
                if isinstance(exc, SynthOutputError):
                    report.tokens_in += exc.tokens_in
                    report.tokens_out += exc.tokens_out
                continue
            low = verdict.score < threshold
            flags = merge_flags(rec.flags, [LOW_SCORE] if low else [], {LOW_SCORE})
            store.update_record(project, rec.id, score=float(verdict.score), flags=flags)
            report.judged += 1
            report.low += low
            report.scores[verdict.score] = report.scores.get(verdict.score, 0) + 1
            report.tokens_in += verdict.tokens_in
            report.tokens_out += verdict.tokens_out
            if progress is not None:
                progress(n, len(futures))
    report.cost = synth.pricing.cost(synth.model, report.tokens_in, report.tokens_out)
    if stop is not None:
        raise stop
    if cancel is not None and report.judged + len(report.failed) < len(targets) and cancel():
        raise CancelledError(ntr("Judging stopped after {n} record; its score is saved.",
                                 "Judging stopped after {n} records; their scores are saved.",
                                 report.judged).format(n=report.judged))
    return report
