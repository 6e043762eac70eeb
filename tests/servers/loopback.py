"""The part every fake provider server shares: a threaded HTTP server on 127.0.0.1 and a
free port, started and stopped with the test."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) drops SYNs when a client opens dozens of connections
    # at once; each dropped SYN costs the client a 1 s retransmit.
    request_queue_size = 128
    daemon_threads = True


class LoopbackServer:
    """Subclasses give `make_handler()` (the request handler class) and `url_path`."""

    url_path = "/"
    thread_name = "loopback-server"

    def __init__(self) -> None:
        self._stopping = threading.Event()  # handlers waiting out a scripted delay stop early
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def make_handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), self.make_handler())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server is not running")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.url_path}"


def read_request(handler: BaseHTTPRequestHandler, *, json_only: bool = False) -> tuple[bytes, Any, dict[str, str]]:
    """(body, parsed JSON or None, lower-case headers) of the request a handler is serving.

    With `json_only`, the body is parsed only when the content type says JSON (multipart uploads)."""
    length = int(handler.headers.get("content-length") or 0)
    body = handler.rfile.read(length) if length else b""
    parsed = None
    if body and (not json_only or "json" in (handler.headers.get("content-type") or "")):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
    return body, parsed, {k.lower(): v for k, v in handler.headers.items()}
