"""The HTTP layer: a threaded stdlib server speaking HTTP/1.1 keep-alive.

Each response is written with a single send and Nagle is off, so a keep-alive
client never waits for a delayed ACK (that alone would cap throughput at ~25 req/s).
"""
from __future__ import annotations

import json
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import control


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTripletex/1.0"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - silence per-request logging (it would log URLs with tokens)
        pass

    def _serve(self):
        app = self.server.app
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        if path == "/v2" or path.startswith("/v2/"):
            result = app.handle(self.command, path[3:] or "/", query, self.headers, raw_body)
            if result.drop:
                # The write is committed; the client never hears about it.
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            self._send(result.status, result.body, result.headers)
        elif path.startswith("/_fake"):
            status, body = control.handle(app, self.command, path, query, raw_body)
            self._send(status, body, {})
        else:
            self._send(404, {"status": 404, "code": 6000, "message": "Not found: use /v2 or /_fake"}, {})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def _send(self, status: int, body, headers: dict) -> None:
        payload = b"" if body is None or status in (204, 304) else \
            json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        lines = [f"HTTP/1.1 {status} {_reason(status)}", "Server: FakeTripletex/1.0"]
        if payload:
            lines.append("Content-Type: application/json; charset=utf-8")
        if status != 304:
            lines.append(f"Content-Length: {len(payload)}")
        lines.extend(f"{k}: {v}" for k, v in headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head + payload)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app):
        self.app = app
        super().__init__(address, Handler)
