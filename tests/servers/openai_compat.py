"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat.completions wire format.

Tests point the official `openai` SDK (or anything else) at `server.base_url` and
script what it answers:

    def test_something(openai_server):
        openai_server.enqueue(chat_completion("hello"))
        openai_server.enqueue(error_response(500, "boom"), chat_completion("ok"))
        openai_server.enqueue(lambda req: chat_completion(req.text()))   # computed answer
        ...
        req = openai_server.chat_requests[0]
        req.json["model"], req.text(), req.images()   # what the client sent

Routes: GET /v1/models (the `models` list), POST /v1/chat/completions (scripted;
`"stream": true` requests get the answer back as server-sent events). Any other path
answers 404 in OpenAI's error shape. With `api_key` set, requests whose bearer token
differs get a 401 before any script is consumed. When the script runs out the server
answers with `default` (a response or a callable), or a 500 saying so.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from PIL import Image

from tests.servers.loopback import LoopbackServer, read_request


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None

    @property
    def bearer(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    def _parts(self) -> Iterator[dict]:
        for message in (self.json or {}).get("messages", []) if isinstance(self.json, dict) else []:
            content = message.get("content")
            if isinstance(content, str):
                yield {"type": "text", "text": content}
            elif isinstance(content, list):
                yield from (p for p in content if isinstance(p, dict))

    def text(self) -> str:
        """All text parts of all messages, joined by newlines."""
        return "\n".join(p.get("text", "") for p in self._parts() if p.get("type") == "text")

    def image_urls(self) -> list[str]:
        return [p["image_url"]["url"] for p in self._parts() if p.get("type") == "image_url"]

    def images(self) -> list[tuple[str, bytes]]:
        """(mime type, decoded bytes) for each data-URI image part."""
        out = []
        for url in self.image_urls():
            header, _, data = url.partition(",")
            if header.startswith("data:") and header.endswith(";base64"):
                out.append((header[5:-7], base64.b64decode(data)))
        return out

    def pil_images(self) -> list[Any]:
        return [Image.open(io.BytesIO(data)) for _, data in self.images()]


@dataclass
class ScriptedResponse:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> text, bytes -> raw
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait before answering (for client timeouts)
    disconnect: bool = False  # close the connection without answering


Responder = Callable[[RecordedRequest], ScriptedResponse | str]
Script = ScriptedResponse | str | Responder


def chat_completion(
    content: str | None,
    *,
    model: str = "scripted-model",
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
) -> ScriptedResponse:
    """A 200 chat.completion whose only choice says `content`."""
    body = {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return ScriptedResponse(200, body)


def error_response(
    status: int,
    message: str = "error",
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    retry_after_ms: int | None = 5,
) -> ScriptedResponse:
    """An error in OpenAI's shape. A short retry-after-ms keeps SDK retries fast."""
    headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
    body = {"error": {"message": message, "type": type, "param": None, "code": code}}
    return ScriptedResponse(status, body, headers)


class OpenAICompatServer(LoopbackServer):
    url_path = "/v1"
    thread_name = "openai-compat"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        models: tuple[str, ...] = ("scripted-model",),
        default: Script | None = None,
    ) -> None:
        self.api_key = api_key
        self.models = list(models)
        self.default = default
        self.requests: list[RecordedRequest] = []
        self._script: deque[Script] = deque()
        self._lock = threading.Lock()
        super().__init__()

    def make_handler(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    # ---------------------------------------------------------------- scripting
    def enqueue(self, *responses: Script) -> None:
        with self._lock:
            self._script.extend(responses)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            script = self._script.popleft() if self._script else self.default
        if script is None:
            return error_response(500, "no scripted response left", type="server_error", retry_after_ms=None)
        if callable(script) and not isinstance(script, ScriptedResponse):
            script = script(request)
        if isinstance(script, str):
            script = chat_completion(script)
        return script


def _make_handler(server: OpenAICompatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY: the headers and the body go out in two writes; with Nagle the body
        # waits for the client's delayed ACK (~40 ms per request on Linux loopback), which
        # would make the server, not the client, the limit of any throughput measurement.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _read(self) -> RecordedRequest:
            body, parsed, headers = read_request(self)
            return RecordedRequest(self.command, self.path.split("?")[0], headers, body, parsed)

        def _send(self, resp: ScriptedResponse) -> None:
            try:
                self._send_now(resp)
            except OSError:  # the client gave up (timeout) and closed the socket
                self.close_connection = True

        def _send_now(self, resp: ScriptedResponse) -> None:
            if resp.delay_s and server._stopping.wait(resp.delay_s):
                self.close_connection = True
                return
            if resp.disconnect:
                self.close_connection = True
                return
            if isinstance(resp.body, (dict, list)):
                data, ctype = json.dumps(resp.body).encode(), "application/json"
            elif isinstance(resp.body, str):
                data, ctype = resp.body.encode(), "text/plain; charset=utf-8"
            else:
                data, ctype = (resp.body or b""), "application/octet-stream"
            self.send_response(resp.status)
            headers = {"content-type": ctype, **{k.lower(): v for k, v in resp.headers.items()}}
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, resp: ScriptedResponse) -> None:
            """Replay a chat.completion as chat.completion.chunk server-sent events."""
            body = resp.body
            choice = body["choices"][0]
            base = {k: body[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
            content = choice["message"].get("content") or ""
            pieces = [content[i : i + 16] for i in range(0, len(content), 16)]
            events = [{"role": "assistant", "content": ""}] + [{"content": p} for p in pieces]
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
            for i, delta in enumerate(events):
                last = i == len(events) - 1
                chunk = base | {"choices": [{"index": 0, "delta": delta, "finish_reason": choice["finish_reason"] if last else None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _authorized(self, request: RecordedRequest) -> bool:
            if server.api_key is None or request.bearer == server.api_key:
                return True
            self._send(error_response(401, "Incorrect API key provided.", code="invalid_api_key", retry_after_ms=None))
            return False

        def do_GET(self) -> None:
            request = self._read()
            server._record(request)
            if not self._authorized(request):
                return
            if request.path.rstrip("/").endswith("/models"):
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in server.models]
                self._send(ScriptedResponse(200, {"object": "list", "data": data}))
            else:
                self._send(error_response(404, f"Unknown path {request.path}", retry_after_ms=None))

        def do_POST(self) -> None:
            request = self._read()
            server._record(request)
            if not self._authorized(request):
                return
            if not request.path.rstrip("/").endswith("/chat/completions"):
                self._send(error_response(404, f"Unknown path {request.path}", retry_after_ms=None))
                return
            resp = server._next(request)
            wants_stream = isinstance(request.json, dict) and request.json.get("stream") is True
            if wants_stream and resp.status == 200 and isinstance(resp.body, dict) and not resp.disconnect:
                if resp.delay_s and server._stopping.wait(resp.delay_s):
                    self.close_connection = True
                    return
                try:
                    self._send_stream(resp)
                except OSError:
                    self.close_connection = True
            else:
                self._send(resp)

    return Handler


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (the port was just released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
