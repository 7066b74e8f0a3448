"""A loopback SMTP server that keeps what it is sent: where the outbound tests deliver their mail.

``SmtpSink`` runs aiosmtpd on 127.0.0.1 on a free port. It answers RCPT with ``refuse`` (address →
reply line, e.g. ``"550 5.1.1 no such user"``) and DATA with ``data_reply``; ``on_mail`` is called for
each accepted mail in a worker thread (never in the server's event loop, so it may use the ORM) before
the server answers, as a mail system that delivers at once would. ``running_sink`` starts one and
points the site's default SMTP server (``settings.TANGGAP_SMTP``) at it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tanggap.config import SmtpConfig
from tanggap.inboxes.email.parse import ParsedMail, parse_mail


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    smtp_utf8: bool
    login: str  # the user the client logged in as, "" without AUTH

    @property
    def parsed(self) -> ParsedMail:
        return parse_mail(self.raw)

    def header(self, name: str) -> str:
        """The raw value of a top-level header ("" when absent), from the bytes as sent."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ")
        prefix = name.lower() + ":"
        for line in unfolded.split("\r\n"):
            if line.lower().startswith(prefix):
                return line[len(prefix) :].strip()
        return ""


@dataclass
class _Handler:
    sink: SmtpSink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        refusal = self.sink.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.data_reply.startswith(("4", "5")):
            return self.sink.data_reply
        mail = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=bytes(envelope.original_content or envelope.content),
            smtp_utf8=bool(envelope.smtp_utf8),
            login=session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else "",
        )
        with self.sink.lock:
            self.sink.received.append(mail)
        if self.sink.on_mail is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.sink.deliver, mail)
        return self.sink.data_reply


@dataclass
class SmtpSink:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    data_reply: str = "250 2.0.0 Ok: queued as SINK1"
    on_mail: Callable[[Received], None] | None = None
    # With credentials the server offers AUTH (over plain SMTP: it is loopback) and requires it.
    credentials: dict[str, str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[Exception] = field(default_factory=list)  # raised by on_mail
    host: str = "127.0.0.1"
    port: int = 0
    _controller: Controller | None = None

    def start(self) -> SmtpSink:
        with socket.socket() as probe:  # a free port; aiosmtpd's controller cannot take port 0
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        auth: dict[str, Any] = {}
        if self.credentials is not None:
            auth = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self._controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, enable_SMTPUTF8=True, ready_timeout=10, **auth
        )
        self._controller.start()
        return self

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (self.credentials or {}).get(data.login.decode()) == (
            data.password.decode()
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def deliver(self, mail: Received) -> None:
        """Run ``on_mail`` (in a worker thread), then close that thread's database connections, so
        none is left open when the test database is emptied or dropped."""
        from django.db import connections

        try:
            assert self.on_mail is not None
            self.on_mail(mail)
        except Exception as exc:  # the test reads it; the SMTP client only sees a 451
            self.errors.append(exc)
            raise
        finally:
            connections.close_all()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def config(self) -> SmtpConfig:
        return SmtpConfig(host=self.host, port=self.port, security="none", timeout=10.0)

    def mails_to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.received if address.lower() in (r.lower() for r in m.rcpt_tos)]


@contextmanager
def running_sink(settings: Any) -> Iterator[SmtpSink]:
    """A running sink that the site's default SMTP server points at (``settings`` is pytest-django's
    fixture). Each test module makes it its ``smtp_sink`` fixture."""
    sink = SmtpSink().start()
    settings.TANGGAP_SMTP = sink.config
    try:
        yield sink
    finally:
        sink.stop()
