"""A real HTTP server on 127.0.0.1 that speaks the OpenAI Files + Batch wire format.

    with OpenAIBatchServer(api_key=KEY, answer=lambda body, custom_id: chat_completion("...")) as s:
        client = openai.OpenAI(api_key=KEY, base_url=s.base_url)

Routes: POST /v1/files (multipart upload), GET /v1/files/{id}/content, POST /v1/batches,
GET /v1/batches (list), GET /v1/batches/{id}, POST /v1/batches/{id}/cancel. A batch is
'validating' when created, 'in_progress' from its first poll, and 'completed' at its
`polls_to_complete`-th poll, when `answer(body, custom_id)` is called for each request line
(a ScriptedResponse: status 200 goes to the output file, another status to the error file
with that body; or a dict {"code", "message"} goes to the error file as a line error; or a
str, written to the output file verbatim as a broken line). A cancelled batch goes
'cancelling' then 'cancelled' at its next poll, answering the first `answer_on_cancel` lines.
Everything the client sent is kept in `requests`, uploads in `uploads`.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.servers.loopback import LoopbackServer, read_request
from tests.servers.openai_compat import RecordedRequest, ScriptedResponse, chat_completion, error_response

Answer = Callable[[dict, str], Any]


@dataclass
class FakeBatch:
    id: str
    input_file_id: str
    endpoint: str
    metadata: dict | None
    created_at: int
    status: str = "validating"
    polls: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict = field(default_factory=lambda: {"total": 0, "completed": 0, "failed": 0})

    def as_dict(self) -> dict:
        return {
            "id": self.id, "object": "batch", "endpoint": self.endpoint, "errors": None,
            "input_file_id": self.input_file_id, "completion_window": "24h", "status": self.status,
            "output_file_id": self.output_file_id, "error_file_id": self.error_file_id, "created_at": self.created_at,
            "request_counts": self.counts, "metadata": self.metadata,
        }


class OpenAIBatchServer(LoopbackServer):
    url_path = "/v1"
    thread_name = "openai-batch"

    def __init__(self, *, api_key: str | None = None, answer: Answer | None = None, polls_to_complete: int = 2,
                 answer_on_cancel: int = 0) -> None:
        self.api_key = api_key
        self.answer = answer or (lambda body, cid: chat_completion("{}"))
        self.polls_to_complete = polls_to_complete
        self.answer_on_cancel = answer_on_cancel
        self.requests: list[RecordedRequest] = []
        self.files: dict[str, tuple[str, str, bytes]] = {}  # id -> (purpose, filename, bytes)
        self.uploads: list[str] = []  # file ids, in upload order
        self.batches: dict[str, FakeBatch] = {}
        self.cancels: list[str] = []
        self._n = 0
        self._lock = threading.Lock()
        super().__init__()

    def make_handler(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    def input_lines(self, batch_id: str) -> list[dict]:
        """The request lines of a batch's uploaded input file."""
        data = self.files[self.batches[batch_id].input_file_id][2]
        return [json.loads(line) for line in data.decode().splitlines() if line.strip()]

    # ---------------------------------------------------------------- state
    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n:04d}"

    def _store(self, purpose: str, filename: str, data: bytes) -> str:
        fid = self._id("file")
        self.files[fid] = (purpose, filename, data)
        return fid

    def _finish(self, b: FakeBatch, limit: int | None) -> None:
        out, err = [], []
        lines = self.input_lines(b.id)
        for n, line in enumerate(lines):
            if limit is not None and n >= limit:
                break
            cid = line["custom_id"]
            res = self.answer(line["body"], cid)
            rid = self._id("batch_req")
            if isinstance(res, str):
                out.append(res)
            elif isinstance(res, ScriptedResponse) and res.status == 200:
                out.append(json.dumps({"id": rid, "custom_id": cid, "error": None,
                                       "response": {"status_code": 200, "request_id": rid, "body": res.body}}))
            elif isinstance(res, ScriptedResponse):
                err.append(json.dumps({"id": rid, "custom_id": cid, "error": None,
                                       "response": {"status_code": res.status, "request_id": rid, "body": res.body}}))
            else:
                err.append(json.dumps({"id": rid, "custom_id": cid, "response": None, "error": res}))
        b.counts = {"total": len(lines), "completed": len(out), "failed": len(err)}
        if out:
            b.output_file_id = self._store("batch_output", "output.jsonl", ("\n".join(out) + "\n").encode())
        if err:
            b.error_file_id = self._store("batch_output", "errors.jsonl", ("\n".join(err) + "\n").encode())

    def _poll(self, b: FakeBatch) -> None:
        b.polls += 1
        if b.status == "cancelling":
            self._finish(b, self.answer_on_cancel)
            b.status = "cancelled"
        elif b.status in ("validating", "in_progress"):
            b.status = "in_progress"
            if b.polls >= self.polls_to_complete:
                self._finish(b, None)
                b.status = "completed"


def _multipart(headers: dict[str, str], body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """{field name: (filename, bytes)} of a multipart/form-data body."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {headers['content-type']}\r\n\r\n".encode() + body
    )
    out = {}
    for part in msg.iter_parts():
        out[part.get_param("name", header="content-disposition")] = (part.get_filename(), part.get_payload(decode=True))
    return out


def _make_handler(server: OpenAIBatchServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _read(self) -> RecordedRequest:
            body, parsed, headers = read_request(self, json_only=True)  # file uploads are multipart
            return RecordedRequest(self.command, self.path.split("?")[0], headers, body, parsed)

        def _send(self, resp: ScriptedResponse) -> None:
            data = json.dumps(resp.body).encode() if isinstance(resp.body, (dict, list)) else resp.body
            ctype = "application/json" if isinstance(resp.body, (dict, list)) else "application/octet-stream"
            self.send_response(resp.status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            req = self._read()
            with server._lock:
                server.requests.append(req)
                if server.api_key is not None and req.bearer != server.api_key:
                    return self._send(error_response(401, "Incorrect API key provided.", code="invalid_api_key",
                                                     retry_after_ms=None))
                self._send(self._route(req))

        def _route(self, req: RecordedRequest) -> ScriptedResponse:
            parts = req.path.strip("/").split("/")[1:]  # without "v1"
            if req.method == "POST" and parts == ["files"]:
                fields = _multipart(req.headers, req.body)
                filename, data = fields["file"]
                purpose = fields["purpose"][1].decode()
                fid = server._store(purpose, filename or "upload.jsonl", data)
                server.uploads.append(fid)
                return ScriptedResponse(200, {"id": fid, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                                              "filename": filename, "purpose": purpose, "status": "processed"})
            if req.method == "GET" and len(parts) == 3 and parts[0] == "files" and parts[2] == "content":
                if parts[1] not in server.files:
                    return error_response(404, f"No such file {parts[1]}", retry_after_ms=None)
                return ScriptedResponse(200, server.files[parts[1]][2])
            if req.method == "POST" and parts == ["batches"]:
                body = req.json or {}
                if body.get("input_file_id") not in server.files:
                    return error_response(400, "Unknown input_file_id", retry_after_ms=None)
                b = FakeBatch(server._id("batch"), body["input_file_id"], body.get("endpoint", ""), body.get("metadata"),
                              int(time.time()))
                server.batches[b.id] = b
                return ScriptedResponse(200, b.as_dict())
            if req.method == "GET" and parts == ["batches"]:
                data = [b.as_dict() for b in reversed(list(server.batches.values()))]
                return ScriptedResponse(200, {"object": "list", "data": data, "has_more": False,
                                              "first_id": data[0]["id"] if data else None,
                                              "last_id": data[-1]["id"] if data else None})
            if len(parts) >= 2 and parts[0] == "batches":
                b = server.batches.get(parts[1])
                if b is None:
                    return error_response(404, f"No such batch {parts[1]}", retry_after_ms=None)
                if req.method == "GET" and len(parts) == 2:
                    server._poll(b)
                    return ScriptedResponse(200, b.as_dict())
                if req.method == "POST" and parts[2:] == ["cancel"]:
                    server.cancels.append(b.id)
                    if b.status in ("validating", "in_progress"):
                        b.status = "cancelling"
                    return ScriptedResponse(200, b.as_dict())
            return error_response(404, f"Unknown path {req.path}", retry_after_ms=None)

        do_GET = _handle
        do_POST = _handle

    return Handler


@pytest.fixture
def openai_batch_server() -> Iterator[OpenAIBatchServer]:
    with OpenAIBatchServer() as server:
        yield server
