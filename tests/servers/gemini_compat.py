"""A real HTTP server on 127.0.0.1 that speaks Gemini's REST generateContent wire format.

Point the official google-genai SDK at it with
`genai.Client(api_key=..., http_options=types.HttpOptions(base_url=server.base_url))`
and script its answers:

    gemini_server.enqueue(generate_content('{"items": []}'))
    gemini_server.enqueue(google_error(429, "RESOURCE_EXHAUSTED", "slow down", headers={"retry-after": "7"}))
    gemini_server.enqueue(lambda req: generate_content(req.text()))   # computed answer
    req = gemini_server.generate_requests[0]
    req.model, req.text(), req.images(), req.generation_config     # what the client sent

Routes: POST /{version}/models/{model}:generateContent (scripted), GET /{version}/models/{model}
and GET /{version}/models (from `models`). The key travels in the x-goog-api-key header
(or ?key=); with `api_key` set, a different key gets what Google answers: HTTP 400
INVALID_ARGUMENT "API key not valid" with reason API_KEY_INVALID. Errors use Google's
shape {"error": {"code", "message", "status", "details"}}. When the script runs out the
server answers `default`, or a 500 saying so.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.servers.loopback import LoopbackServer, read_request


@dataclass
class GeminiRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    json: Any = None

    @property
    def api_key(self) -> str | None:
        return self.headers.get("x-goog-api-key") or (self.query.get("key") or [None])[0]

    @property
    def model(self) -> str:
        """The model named in the path: /v1beta/models/{model}:generateContent."""
        tail = self.path.split("/models/", 1)[-1]
        return tail.split(":", 1)[0]

    def _parts(self) -> Iterator[dict]:
        body = self.json if isinstance(self.json, dict) else {}
        for content in body.get("contents", []) or []:
            for part in (content or {}).get("parts", []) or []:
                if isinstance(part, dict):
                    yield part

    def text(self) -> str:
        return "\n".join(p["text"] for p in self._parts() if isinstance(p.get("text"), str))

    def images(self) -> list[tuple[str, bytes]]:
        """(mime type, decoded bytes) of every inline-data part."""
        out = []
        for part in self._parts():
            blob = part.get("inlineData") or part.get("inline_data")
            if isinstance(blob, dict):
                mime = blob.get("mimeType") or blob.get("mime_type") or ""
                data = str(blob.get("data", "")).replace("-", "+").replace("_", "/")  # the SDK sends URL-safe base64
                out.append((mime, base64.b64decode(data + "=" * (-len(data) % 4))))
        return out

    @property
    def generation_config(self) -> dict:
        body = self.json if isinstance(self.json, dict) else {}
        return body.get("generationConfig") or body.get("generation_config") or {}


@dataclass
class ScriptedResponse:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str -> text, bytes -> raw
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait before answering (for client timeouts)


Script = ScriptedResponse | str | Callable[[GeminiRequest], ScriptedResponse | str]


def generate_content(
    text: str | None,
    *,
    finish_reason: str = "STOP",
    prompt_tokens: int = 120,
    candidates_tokens: int = 30,
    thoughts_tokens: int = 0,
    model_version: str = "gemini-test-001",
) -> ScriptedResponse:
    """A 200 GenerateContentResponse with one candidate saying `text`."""
    parts = [] if text is None else [{"text": text}]
    usage = {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": candidates_tokens,
        "totalTokenCount": prompt_tokens + candidates_tokens + thoughts_tokens,
    }
    if thoughts_tokens:
        usage["thoughtsTokenCount"] = thoughts_tokens
    body = {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish_reason, "index": 0}],
        "usageMetadata": usage,
        "modelVersion": model_version,
        "responseId": "resp-test",
    }
    return ScriptedResponse(200, body)


def google_error(
    code: int, status: str, message: str, *, details: list | None = None, headers: dict[str, str] | None = None
) -> ScriptedResponse:
    """An error in Google's shape (google.rpc.Status inside "error")."""
    body = {"error": {"code": code, "message": message, "status": status, "details": details or []}}
    return ScriptedResponse(code, body, dict(headers or {}))


def quota_exhausted(per: str = "PerDay", retry_delay: str | None = None) -> ScriptedResponse:
    """429 RESOURCE_EXHAUSTED as Gemini sends it when a quota is used up."""
    details: list[dict] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                    "quotaId": f"GenerateRequests{per}PerProjectPerModel",
                }
            ],
        }
    ]
    if retry_delay:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay})
    message = "You exceeded your current quota, please check your plan and billing details."
    return google_error(429, "RESOURCE_EXHAUSTED", message, details=details)


class GeminiCompatServer(LoopbackServer):
    thread_name = "gemini-compat"

    def __init__(self, *, api_key: str | None = None, models: tuple[str, ...] = ("gemini-test",), default: Script | None = None) -> None:
        self.api_key = api_key
        self.models = list(models)
        self.default = default
        self.requests: list[GeminiRequest] = []
        self._script: deque[Script] = deque()
        self._lock = threading.Lock()
        super().__init__()

    def make_handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    def enqueue(self, *responses: Script) -> None:
        with self._lock:
            self._script.extend(responses)

    @property
    def generate_requests(self) -> list[GeminiRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(":generateContent")]

    def _record(self, request: GeminiRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next(self, request: GeminiRequest) -> ScriptedResponse:
        with self._lock:
            script = self._script.popleft() if self._script else self.default
        if script is None:
            return google_error(500, "INTERNAL", "no scripted response left")
        if callable(script) and not isinstance(script, ScriptedResponse):
            script = script(request)
        return generate_content(script) if isinstance(script, str) else script

    def _model_info(self, name: str) -> dict:
        return {
            "name": f"models/{name}",
            "displayName": name,
            "inputTokenLimit": 1048576,
            "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent"],
        }


def _handler(server: GeminiCompatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # as in openai_compat: no ~40 ms delayed-ACK wait per response
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _read(self) -> GeminiRequest:
            body, parsed, headers = read_request(self)
            url = urlsplit(self.path)
            return GeminiRequest(self.command, unquote(url.path), parse_qs(url.query), headers, body, parsed)

        def _send(self, resp: ScriptedResponse) -> None:
            try:
                if resp.delay_s and server._stopping.wait(resp.delay_s):
                    self.close_connection = True
                    return
                if isinstance(resp.body, (dict, list)):
                    data, ctype = json.dumps(resp.body).encode(), "application/json; charset=UTF-8"
                elif isinstance(resp.body, str):
                    data, ctype = resp.body.encode(), "text/plain; charset=utf-8"
                else:
                    data, ctype = (resp.body or b""), "application/octet-stream"
                self.send_response(resp.status)
                for k, v in {"content-type": ctype, **{k.lower(): v for k, v in resp.headers.items()}}.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout) and closed the socket
                self.close_connection = True

        def _authorized(self, request: GeminiRequest) -> bool:
            if server.api_key is None or request.api_key == server.api_key:
                return True
            details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com"}]
            self._send(google_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", details=details))
            return False

        def do_GET(self) -> None:
            request = self._read()
            server._record(request)
            if not self._authorized(request):
                return
            path = request.path.rstrip("/")
            if path.endswith("/models"):
                self._send(ScriptedResponse(200, {"models": [server._model_info(m) for m in server.models]}))
                return
            name = request.model
            if "/models/" in path and name in server.models:
                self._send(ScriptedResponse(200, server._model_info(name)))
            else:
                self._send(google_error(404, "NOT_FOUND", f"models/{name} is not found for API version v1beta."))

        def do_POST(self) -> None:
            request = self._read()
            server._record(request)
            if not self._authorized(request):
                return
            if not request.path.endswith(":generateContent"):
                self._send(google_error(404, "NOT_FOUND", f"Unknown path {request.path}"))
                return
            self._send(server._next(request))

    return Handler
