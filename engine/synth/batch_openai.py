"""OpenAI Batch for synthesis jobs: the Files API upload of the request lines, then
/v1/batches (24 h window, half price), polled and collected by engine.synth.batch.

Each line asks /v1/chat/completions exactly what OpenAISynthesizer would (same messages,
data-URI images, json_schema response_format, settings); each answer is parsed by the same
code (OpenAISynthesizer.parse_response), priced with pricing.toml's batch_discount.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai

from engine.i18n import tr
from engine.llm.redact import one_line
from engine.synth.base import SynthInput, SynthResult
from engine.synth.batch import BatchStatus, LineError, custom_id_of
from engine.synth.openai_synth import OpenAISynthesizer
from engine.synth.prompts import build_prompt

ENDPOINT = "/v1/chat/completions"
_TERMINAL = {"completed", "failed", "expired", "cancelled"}


class OpenAIBatch:
    provider = "openai"
    max_items = 50_000  # OpenAI's limits per batch: 50,000 requests, 200 MB input file
    max_bytes = 190 * 1024 * 1024

    def __init__(self, synth: OpenAISynthesizer, *, completion_window: str = "24h", find_limit: int = 500) -> None:
        self.synth = synth
        self.completion_window = completion_window
        self.find_limit = find_limit

    def _call(self, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except openai.OpenAIError as exc:
            raise self.synth.error(exc) from None

    def line(self, custom_id: str, inp: SynthInput) -> str:
        prompt = build_prompt(inp, self.synth.prompt_dirs)
        body = self.synth.batch_body(prompt)
        return json.dumps({"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}, ensure_ascii=False)

    def submit(self, path: Path, submission: str, job_id: int) -> tuple[str, str]:
        client = self.synth.client
        with open(path, "rb") as fh:
            uploaded = self._call(client.files.create, file=(f"{submission}.jsonl", fh), purpose="batch")
        batch = self._call(client.batches.create, input_file_id=uploaded.id, endpoint=ENDPOINT,
                           completion_window=self.completion_window,
                           metadata={"remud_submission": submission, "remud_job": str(job_id)})
        return batch.id, uploaded.id

    def find(self, submission: str) -> str | None:
        seen = 0
        for batch in self._call(self.synth.client.batches.list, limit=100):
            if (batch.metadata or {}).get("remud_submission") == submission:
                return batch.id
            seen += 1
            if seen >= self.find_limit:
                break
        return None

    def poll(self, batch_id: str) -> BatchStatus:
        batch = self._call(self.synth.client.batches.retrieve, batch_id)
        status = str(batch.status)
        if status == "failed":
            errs = getattr(getattr(batch, "errors", None), "data", None) or []
            detail = "; ".join(one_line(e.message or e.code or "") for e in errs[:3])
            message = (tr("The OpenAI batch failed validation: {detail}.").format(detail=detail) if detail
                       else tr("The OpenAI batch failed validation."))
            return BatchStatus(status, True, answered=False, message=message)
        self._files = getattr(self, "_files", {})
        self._files[batch_id] = (batch.output_file_id, batch.error_file_id)
        return BatchStatus(status, status in _TERMINAL)

    def _lines(self, file_id: str | None) -> Iterator[str]:
        if not file_id:
            return
        text = self._call(self.synth.client.files.content, file_id).text
        for line in text.splitlines():
            if line.strip():
                yield line

    def results(self, batch_id: str) -> Iterator[tuple[str | None, Any, str]]:
        files = getattr(self, "_files", {}).get(batch_id)
        if files is None:
            self.poll(batch_id)
            files = self._files[batch_id]
        for file_id in files:
            for raw in self._lines(file_id):
                try:
                    line = json.loads(raw)
                    cid = str(line["custom_id"])
                except (ValueError, KeyError, TypeError):
                    yield custom_id_of(raw), LineError(tr("The batch returned a line that could not be read."), raw), raw
                    continue
                yield cid, self._answer(line, raw), raw

    def _answer(self, line: dict, raw: str) -> Any:
        err = line.get("error")
        if err:
            msg = err.get("message") if isinstance(err, dict) else str(err)
            return LineError(tr("The OpenAI batch could not answer this item: {detail}.").format(
                detail=one_line(str(msg or err))), raw)
        response = line.get("response") or {}
        status = response.get("status_code")
        body = response.get("body")
        if status != 200 or not isinstance(body, dict):
            e = body.get("error") if isinstance(body, dict) else None
            msg = (e.get("message") if isinstance(e, dict) else None) or one_line(json.dumps(body))
            return LineError(tr("The OpenAI batch answered this item with HTTP {status}: {detail}.").format(
                status=status, detail=one_line(str(msg))), raw)
        return body

    def parse(self, answer: Any, inp: SynthInput) -> SynthResult:
        prompt = build_prompt(inp, self.synth.prompt_dirs)
        return self.synth.parse_response(answer, prompt, inp, structured=self.synth.structured, batch=True)

    def cancel(self, batch_id: str) -> None:
        self._call(self.synth.client.batches.cancel, batch_id)
