"""A real HTTP server on 127.0.0.1 that speaks the Gemini API's batch wire format (v1beta).

    with GeminiBatchServer(api_key=KEY, answer=lambda req, key: generate_content("...")) as s:
        client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=s.base_url))

Routes: POST /{version}/models/{model}:batchGenerateContent (body {"batch": {"displayName",
"inputConfig": {"requests": {"requests": [{"request", "metadata"}]}}}}), GET /{version}/batches
(list: {"operations": [...]}), GET /{version}/batches/{id}, POST /{version}/batches/{id}:cancel.
Batches answer as long-running Operations {"name": "batches/{id}", "metadata": {"@type":
...GenerateContentBatch, "displayName", "state": "BATCH_STATE_*", "output": {"inlinedResponses":
{"inlinedResponses": [...]}}}, "done"}. A batch is BATCH_STATE_PENDING when created,
BATCH_STATE_RUNNING from its first poll and BATCH_STATE_SUCCEEDED at its `polls_to_complete`-th
poll, when `answer(request, key)` is called for each inlined request (`request` a GeminiRequest
holding that GenerateContentRequest; a str is the answer's text; a ScriptedResponse with status
200 becomes {"response": body}, another status {"error": body["error"]}; each echoes the
request's metadata unless `echo_metadata` is False). A cancelled batch is BATCH_STATE_CANCELLED
at its next poll, answering its first `answer_on_cancel` requests. A batch listed in `fail`
ends BATCH_STATE_FAILED with an error. Everything sent is kept in `requests`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.servers.gemini_compat import (
    GeminiRequest,
    ScriptedResponse,
    generate_content,
    google_error,
)
from tests.servers.loopback import LoopbackServer, read_request

Answer = Callable[[GeminiRequest, str], Any]
STATE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch"


@dataclass
class FakeGeminiBatch:
    id: str
    model: str
    display_name: str
    requests: list[dict]  # the inlined requests as sent: {"request": {...}, "metadata": {...}}
    state: str = "BATCH_STATE_PENDING"
    polls: int = 0
    cancel_requested: bool = False
    responses: list[dict] | None = None
    error: dict | None = None

    @property
    def name(self) -> str:
        return f"batches/{self.id}"

    def keys(self) -> list[str]:
        return [str((r.get("metadata") or {}).get("key", "")) for r in self.requests]

    def as_operation(self) -> dict:
        meta: dict[str, Any] = {"@type": STATE_TYPE, "name": self.name, "model": self.model,
                                "displayName": self.display_name, "state": self.state,
                                "createTime": "2026-01-01T00:00:00Z", "updateTime": "2026-01-01T00:00:01Z",
                                "batchStats": {"requestCount": str(len(self.requests))}}
        op: dict[str, Any] = {"name": self.name, "metadata": meta,
                              "done": self.state in ("BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED", "BATCH_STATE_CANCELLED")}
        if self.responses is not None:
            meta["output"] = {"inlinedResponses": {"inlinedResponses": self.responses}}
            op["response"] = {"@type": STATE_TYPE, **meta}
        if self.error is not None:
            op["error"] = self.error
        return op


class GeminiBatchServer(LoopbackServer):
    thread_name = "gemini-batch"

    def __init__(self, *, api_key: str | None = None, answer: Answer | None = None, polls_to_complete: int = 2,
                 answer_on_cancel: int = 0, echo_metadata: bool = True, fail: bool = False) -> None:
        self.api_key = api_key
        self.answer = answer or (lambda req, key: generate_content("{}"))
        self.polls_to_complete = polls_to_complete
        self.answer_on_cancel = answer_on_cancel
        self.echo_metadata = echo_metadata
        self.fail = fail
        self.requests: list[GeminiRequest] = []
        self.batches: dict[str, FakeGeminiBatch] = {}  # "batches/{id}" -> batch, in creation order
        self.creates: list[str] = []
        self.cancels: list[str] = []
        self._n = 0
        self._lock = threading.Lock()
        super().__init__()

    def make_handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    # ------------------------------------------------------------------ behaviour
    def _respond(self, batch: FakeGeminiBatch, count: int) -> list[dict]:
        out = []
        for item in batch.requests[:count]:
            meta = item.get("metadata") or {}
            req = GeminiRequest("POST", f"/v1beta/{batch.model}:generateContent", {}, {}, b"", item.get("request") or {})
            script = self.answer(req, str(meta.get("key", "")))
            resp = generate_content(script) if isinstance(script, str) else script
            entry: dict[str, Any] = ({"response": resp.body} if resp.status == 200
                                     else {"error": (resp.body or {}).get("error", resp.body)})
            if self.echo_metadata and meta:
                entry["metadata"] = meta
            out.append(entry)
        return out

    def create(self, model: str, body: dict) -> FakeGeminiBatch:
        spec = body.get("batch") or {}
        requests = (((spec.get("inputConfig") or {}).get("requests") or {}).get("requests")) or []
        with self._lock:
            self._n += 1
            batch = FakeGeminiBatch(f"b{self._n:04d}", model, str(spec.get("displayName", "")), requests)
            self.batches[batch.name] = batch
            self.creates.append(batch.name)
        return batch

    def poll(self, batch: FakeGeminiBatch) -> dict:
        with self._lock:
            batch.polls += 1
            if batch.state in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
                if batch.cancel_requested:
                    batch.state = "BATCH_STATE_CANCELLED"
                    batch.responses = self._respond(batch, self.answer_on_cancel)
                elif batch.polls >= self.polls_to_complete:
                    if self.fail:
                        batch.state = "BATCH_STATE_FAILED"
                        batch.error = {"code": 400, "message": "The batch input was invalid.", "status": "INVALID_ARGUMENT"}
                    else:
                        batch.state = "BATCH_STATE_SUCCEEDED"
                        batch.responses = self._respond(batch, len(batch.requests))
                else:
                    batch.state = "BATCH_STATE_RUNNING"
            return batch.as_operation()


def _handler(server: GeminiBatchServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _read(self) -> GeminiRequest:
            body, parsed, headers = read_request(self)
            url = urlsplit(self.path)
            request = GeminiRequest(self.command, unquote(url.path), parse_qs(url.query), headers, body, parsed)
            with server._lock:
                server.requests.append(request)
            return request

        def _send(self, resp: ScriptedResponse) -> None:
            data = json.dumps(resp.body).encode()
            self.send_response(resp.status)
            self.send_header("content-type", "application/json; charset=UTF-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self, request: GeminiRequest) -> bool:
            if server.api_key is None or request.api_key == server.api_key:
                return True
            details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com"}]
            self._send(google_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", details=details))
            return False

        def _batch(self, path: str) -> FakeGeminiBatch | None:
            name = "batches/" + path.split("/batches/", 1)[-1].split(":", 1)[0]
            return server.batches.get(name)

        def do_GET(self) -> None:
            request = self._read()
            if not self._authorized(request):
                return
            path = request.path.rstrip("/")
            if path.endswith("/batches"):
                with server._lock:
                    ops = [b.as_operation() for b in reversed(list(server.batches.values()))]  # newest first
                self._send(ScriptedResponse(200, {"operations": ops}))
                return
            batch = self._batch(path) if "/batches/" in path else None
            if batch is None:
                self._send(google_error(404, "NOT_FOUND", f"Batch {path} not found."))
                return
            self._send(ScriptedResponse(200, server.poll(batch)))

        def do_POST(self) -> None:
            request = self._read()
            if not self._authorized(request):
                return
            path = request.path
            if path.endswith(":batchGenerateContent") and "/models/" in path:
                model = "models/" + request.model
                batch = server.create(model, request.json if isinstance(request.json, dict) else {})
                self._send(ScriptedResponse(200, batch.as_operation()))
                return
            if path.endswith(":cancel") and "/batches/" in path:
                batch = self._batch(path)
                if batch is None:
                    self._send(google_error(404, "NOT_FOUND", f"Batch {path} not found."))
                    return
                with server._lock:
                    batch.cancel_requested = True
                    server.cancels.append(batch.name)
                self._send(ScriptedResponse(200, {}))
                return
            self._send(google_error(404, "NOT_FOUND", f"Unknown path {path}"))

    return Handler


@pytest.fixture
def gemini_batch_server() -> Iterator[GeminiBatchServer]:
    """A started GeminiBatchServer (no key check), stopped after the test."""
    with GeminiBatchServer() as server:
        yield server
