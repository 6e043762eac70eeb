"""Gemini batch mode for synthesis jobs: client.batches of the official google-genai SDK
(POST models/{model}:batchGenerateContent, GET batches/{id}, POST batches/{id}:cancel),
polled and collected by engine.synth.batch.

Each line holds one inlined GenerateContent request, exactly what GeminiSynthesizer would
send (same contents with inline image bytes, same GenerateContentConfig and response_schema),
tagged with the item's key in the request metadata: {"key": ..., "request": InlinedRequest}.
The lines of one submission go inline in the create call (display_name = the submission, so
find() can look the batch up again), which bounds a batch to Google's inline-request size;
larger jobs are split by engine.synth.batch. Answers are read from the finished batch's
inlined responses, matched to items by the echoed metadata key (else by request order), and
parsed by GeminiSynthesizer.parse_response at pricing.toml's batch_discount.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.i18n import tr
from engine.llm.redact import one_line
from engine.synth.base import (
    SynthError,
    SynthInput,
    SynthOutputError,
    SynthResult,
)
from engine.synth.batch import BatchStatus, LineError, custom_id_of
from engine.synth.gemini_synth import GeminiSynthesizer
from engine.synth.prompts import build_prompt

SUCCEEDED = "JOB_STATE_SUCCEEDED"
_TERMINAL = {SUCCEEDED, "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED", "JOB_STATE_PARTIALLY_SUCCEEDED"}


class GeminiBatch:
    provider = "gemini"
    max_items = 50_000
    max_bytes = 19 * 1024 * 1024  # inlined requests of one batch must stay under 20 MB

    def __init__(self, synth: GeminiSynthesizer, *, find_limit: int = 500) -> None:
        self.synth = synth
        self.find_limit = find_limit
        self._jobs: dict[str, Any] = {}  # batch name -> the last BatchJob polled
        self._keys: dict[str, list[str]] = {}  # batch name -> keys in request order (this process's submissions)

    def _call(self, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except SynthError:
            raise
        except Exception as exc:  # noqa: BLE001 - the SDK raises its own errors and its HTTP library's
            raise self.synth.error(exc) from None

    def line(self, custom_id: str, inp: SynthInput) -> str:
        from google.genai import types  # heavy: google-genai (about half a second)

        prompt = build_prompt(inp, self.synth.prompt_dirs)
        req = self.synth.request(prompt)
        inlined = types.InlinedRequest(model=req["model"], contents=req["contents"], config=req["config"],
                                       metadata={"key": custom_id})
        request = json.loads(inlined.model_dump_json(exclude_none=True))
        return json.dumps({"key": custom_id, "request": request}, ensure_ascii=False)

    def submit(self, path: Path, submission: str, job_id: int) -> tuple[str, str]:
        from google.genai import types  # heavy: google-genai (about half a second)

        requests, keys = [], []
        for raw in path.read_text("utf-8").splitlines():
            if not raw.strip():
                continue
            data = json.loads(raw)
            keys.append(str(data["key"]))
            requests.append(types.InlinedRequest.model_validate_json(json.dumps(data["request"])))
        job = self._call(self.synth.client.batches.create, model=self.synth.model,
                         src=types.BatchJobSource(inlined_requests=requests),
                         config=types.CreateBatchJobConfig(display_name=submission))
        if not job.name:
            raise SynthError(tr("The Gemini API created a batch without a name."))
        self._keys[job.name] = keys
        return job.name, ""

    def find(self, submission: str) -> str | None:
        for seen, job in enumerate(self._call(self.synth.client.batches.list, config={"page_size": 100}), 1):
            if job.display_name == submission:
                return job.name
            if seen >= self.find_limit:
                break
        return None

    def poll(self, batch_id: str) -> BatchStatus:
        job = self._call(self.synth.client.batches.get, name=batch_id)
        state = getattr(job.state, "name", None) or str(job.state or "")
        self._jobs[batch_id] = job
        if state == "JOB_STATE_FAILED":
            err = job.error
            detail = one_line(str(getattr(err, "message", None) or "")) if err else ""
            message = (tr("The Gemini batch failed: {detail}.").format(detail=detail) if detail
                       else tr("The Gemini batch failed."))
            return BatchStatus(state, True, answered=False, message=message)
        return BatchStatus(state, state in _TERMINAL)

    def results(self, batch_id: str) -> Iterator[tuple[str | None, Any, str]]:
        job = self._jobs.get(batch_id)
        if job is None:
            self.poll(batch_id)
            job = self._jobs[batch_id]
        responses = (getattr(job.dest, "inlined_responses", None) if job.dest else None) or []
        keys = self._keys.get(batch_id, [])
        for n, resp in enumerate(responses):
            raw = resp.model_dump_json(exclude_none=True)
            key = (resp.metadata or {}).get("key") or (keys[n] if n < len(keys) else None) or custom_id_of(raw)
            if resp.error is not None:
                err = resp.error if isinstance(resp.error, dict) else resp.error.model_dump(exclude_none=True)
                msg = err.get("message") or json.dumps(err)
                detail = one_line(str(msg))
                if err.get("code"):
                    text = tr("The Gemini batch could not answer this item (HTTP {code}): {detail}.").format(
                        code=err["code"], detail=detail)
                else:
                    text = tr("The Gemini batch could not answer this item: {detail}.").format(detail=detail)
                yield key, LineError(text, raw), raw
            elif resp.response is None:
                yield key, LineError(tr("The Gemini batch returned neither an answer nor an error for this item."),
                                     raw), raw
            else:
                yield key, resp.response, raw

    def parse(self, answer: Any, inp: SynthInput) -> SynthResult:
        prompt = build_prompt(inp, self.synth.prompt_dirs)
        try:
            return self.synth.parse_response(answer, prompt, inp, batch=True)
        except SynthOutputError as exc:
            if not exc.raw:  # no text (blocked, no candidates): keep the whole answer
                exc.raw = answer.model_dump_json(exclude_none=True) if hasattr(answer, "model_dump_json") else str(answer)
            raise

    def cancel(self, batch_id: str) -> None:
        self._call(self.synth.client.batches.cancel, name=batch_id)
