"""A real HTTP server on a free local port that receives webhooks and records them.

Switches, as a recipient's system could behave: ``down`` answers 500, ``drop`` closes the
connection without an answer, ``redirect_to`` answers 302 to another URL, ``delay`` waits that
many seconds before answering, ``reply`` is the JSON body of a 2xx answer (``{"status": "done"}``
confirms at once).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.services import webhooks


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int | None  # the status sent back; None when the connection was dropped

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_by(self, secret: str) -> bool:
        """What a receiver does: recompute the HMAC over "<timestamp>.<body>" and compare."""
        return webhooks.verify(
            secret,
            self.headers["X-Portal-Timestamp"],
            self.body,
            self.headers["X-Portal-Signature"],
        )


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.down = False
        self.drop = False
        self.redirect_to: str | None = None
        self.reply: dict[str, Any] | None = None
        self.delay = 0.0
        self.port = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/gdpr-hook"

    @property
    def delivered(self) -> list[Received]:
        """The requests answered with a 2xx."""
        return [r for r in self.received if r.answered is not None and 200 <= r.answered < 300]

    def record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = dict(self.headers.items())
            if receiver.delay:
                time.sleep(receiver.delay)
            if receiver.drop:
                receiver.record(Received(self.path, headers, body, None))
                self.close_connection = True
                return  # nothing written: the client sees the connection close
            # Recorded before answering: the client may look as soon as it has the answer.
            if receiver.down:
                receiver.record(Received(self.path, headers, body, 500))
                self._answer(500, b'{"error": "unavailable"}')
            elif receiver.redirect_to:
                receiver.record(Received(self.path, headers, body, 302))
                self.send_response(302)
                self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                receiver.record(Received(self.path, headers, body, 200))
                self._answer(200, json.dumps(receiver.reply).encode() if receiver.reply else b"")

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet test output

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (a timeout test) leaves a broken pipe: expected here


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
