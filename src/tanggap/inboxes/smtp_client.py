"""Speaking SMTP to the server an inbox sends through: which server (the inbox's own settings or the
site's default), connecting with the security asked for, and one mail transaction whose outcome is
either the server's acceptance or an exception saying whether trying again can help.

Used by the outbox handler in ``inboxes.delivery``. Refusals (5xx, a setting that can never work) raise
``SmtpRefused`` with a stable reason code; temporary trouble (4xx, a refused or dropped connection, a
timeout) raises ``core.outbox.RetryLater`` or the network error itself.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from tanggap.config import is_loopback_host
from tanggap.core import outbox
from tanggap.core.crypto import SecretUnreadable, decrypt
from tanggap.inboxes.email.compose import needs_smtputf8
from tanggap.inboxes.models import MAX_REASON_DETAIL, Inbox, Security

DEFAULT_PORTS: dict[str, int] = {Security.SSL: 465, Security.STARTTLS: 587, Security.NONE: 25}


def one_line(text: Any) -> str:
    """A server's answer as one printable line, bounded (it never contains our secrets)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())[:MAX_REASON_DETAIL]


class SmtpRefused(Exception):
    """The mail cannot go as it is: fail it with a reason code and the server's answer."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    security: str
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0


def smtp_server_for(inbox: Inbox) -> SmtpServer:
    """The server ``inbox`` sends through: its own SMTP settings, else the site's default."""
    default = settings.TANGGAP_SMTP
    if not inbox.smtp_host:
        return SmtpServer(
            host=default.host,
            port=default.port,
            security=default.security,
            username=default.username,
            password=default.password,
            timeout=default.timeout,
        )
    security = inbox.smtp_security or Security.STARTTLS
    if security == Security.NONE and not is_loopback_host(inbox.smtp_host):
        raise SmtpRefused("insecure_server")
    password = ""
    if inbox.smtp_password:
        try:
            password = decrypt(inbox.smtp_password, purpose="inbox.smtp")
        except SecretUnreadable:
            raise SmtpRefused("bad_password") from None
    return SmtpServer(
        host=inbox.smtp_host,
        port=inbox.smtp_port or DEFAULT_PORTS.get(security, 587),
        security=security,
        username=inbox.smtp_username,
        password=password,
        timeout=default.timeout,
    )


def answer_text(code: int, response: Any) -> str:
    return one_line(f"{code} {one_line(response)}")


def by_code(code: int, response: Any, reason: str = "rejected") -> Exception:
    """A 5xx answer fails the mail; anything else (4xx, a dropped connection) is tried again."""
    detail = answer_text(code, response)
    if 500 <= code < 600:
        return SmtpRefused(reason, detail)
    return outbox.RetryLater(detail)


def connect(server: SmtpServer, helo: str) -> smtplib.SMTP:
    context = ssl.create_default_context()
    conn: smtplib.SMTP
    if server.security == Security.SSL:
        conn = smtplib.SMTP_SSL(
            server.host, server.port, local_hostname=helo, timeout=server.timeout, context=context
        )
    else:
        conn = smtplib.SMTP(server.host, server.port, local_hostname=helo, timeout=server.timeout)
    try:
        code, response = conn.ehlo()
        if not 200 <= code < 300:
            code, response = conn.helo()
            if not 200 <= code < 300:
                raise by_code(code, response)
        if server.security == Security.STARTTLS:
            if not conn.has_extn("starttls"):
                raise SmtpRefused("insecure_server", "STARTTLS is not offered")
            conn.starttls(context=context)
            conn.ehlo()
        if server.username:
            try:
                conn.login(server.username, server.password)
            except smtplib.SMTPAuthenticationError as exc:
                raise by_code(exc.smtp_code, exc.smtp_error, "login_failed") from None
            except smtplib.SMTPNotSupportedError:
                raise SmtpRefused("login_failed", "the server offers no login") from None
    except BaseException:
        conn.close()
        raise
    return conn


def transmit(server: SmtpServer, *, sender: str, recipients: list[str], raw: bytes, helo: str) -> str:
    """One SMTP transaction; returns the server's answer to DATA. The first recipient is the one the
    mail is for: if it is refused nothing is sent; a refused Cc is noted in the answer."""
    utf8 = needs_smtputf8([sender, *recipients])
    conn = connect(server, helo=helo)
    try:
        options = []
        if utf8:
            if not conn.has_extn("smtputf8"):
                raise SmtpRefused("smtputf8")
            options = ["SMTPUTF8", "BODY=8BITMIME"]
        code, response = conn.mail(sender, options)
        if code != 250:
            raise by_code(code, response)
        refused: list[str] = []
        for index, recipient in enumerate(recipients):
            code, response = conn.rcpt(recipient)
            if code in (250, 251):
                continue
            if index == 0:  # the customer: without them there is no point in sending
                error = by_code(code, response)
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    conn.rset()
                raise error
            refused.append(f"{recipient}: {answer_text(code, response)}")
        code, response = conn.data(raw)
        if code != 250:
            raise by_code(code, response)
        answer = answer_text(code, response)
        if refused:
            answer = one_line(f"{answer}; not accepted: {'; '.join(refused)}")
        with contextlib.suppress(smtplib.SMTPException, OSError):
            conn.quit()  # the mail was accepted; a rude goodbye changes nothing
        return answer
    finally:
        conn.close()
