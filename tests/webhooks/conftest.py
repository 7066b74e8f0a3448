"""A real loopback HTTP server that receives webhook deliveries, and a subscription pointing at it."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tanggap.webhooks.services import webhook_create


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HookServer:
    url: str
    received: list[Received] = field(default_factory=list)
    # Statuses to answer with, in order; 200 once they run out.
    script: deque[int] = field(default_factory=deque)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *statuses: int) -> None:
        self.script.extend(statuses)


@pytest.fixture
def hook_server():
    state: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            server: HookServer = state["server"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if server.delay:
                time.sleep(server.delay)
            with server.lock:
                server.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = server.script.popleft() if server.script else 200
            payload = b'{"ok": true}' if status < 300 else b"nope"
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = httpd.server_address[:2]
    state["server"] = HookServer(url=f"http://{host}:{port}/hooks/tanggap")
    thread = threading.Thread(target=httpd.serve_forever, name="hook-server", daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def subscription(admin, hook_server):
    """An active subscription to the four main events, with its secret."""
    sub, secret = webhook_create(
        actor=admin,
        name="CRM sync",
        url=hook_server.url,
        events=["ticket.created", "message.received", "reply.sent", "ticket.status_changed"],
    )
    sub.plain_secret = secret  # type: ignore[attr-defined]
    return sub
