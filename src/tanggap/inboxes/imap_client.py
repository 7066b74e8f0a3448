"""Speaking IMAP to an inbox's server (imap-tools), with no database in it: connecting and logging in,
the stable error codes of what went wrong (with no secret in them), reading UIDs, sizes and mails (PEEK,
the mail stays unseen), and moving or flagging the mail once stored. The poll is ``inboxes.imap``.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from tanggap.config import is_loopback_host
from tanggap.core.crypto import SecretUnreadable, decrypt
from tanggap.inboxes.models import MAX_REASON_DETAIL, Inbox, Security

SIZE_CHUNK = 1000  # UIDs per RFC822.SIZE request
DEFAULT_PORTS = {Security.SSL: 993, Security.STARTTLS: 143, Security.NONE: 143}

# Stable codes of ImapState.last_error (the admin page translates them).
ERROR_NOT_CONFIGURED = "not_configured"
ERROR_INSECURE = "insecure_host"
ERROR_PASSWORD = "password_unreadable"  # noqa: S105  (a code, not a password)
ERROR_CONNECT = "connect_failed"
ERROR_TIMEOUT = "timeout"
ERROR_TLS = "tls_failed"
ERROR_LOGIN = "login_failed"
ERROR_FOLDER = "folder_missing"
ERROR_PROTOCOL = "protocol_error"
ERROR_STORE = "store_failed"
GONE = (ERROR_CONNECT, ERROR_TIMEOUT, ERROR_TLS)
ERRORS = (
    ERROR_NOT_CONFIGURED,
    ERROR_INSECURE,
    ERROR_PASSWORD,
    ERROR_CONNECT,
    ERROR_TIMEOUT,
    ERROR_TLS,
    ERROR_LOGIN,
    ERROR_FOLDER,
    ERROR_PROTOCOL,
    ERROR_STORE,
)

_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapError(Exception):
    """A poll that could not go on: a stable ``code`` and a ``detail`` with no secret in it."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    ok: bool
    messages: int = 0
    error: str = ""  # one of ERRORS
    detail: str = ""


# ---------------------------------------------------------------- connection


def scrub(text: Any, *secrets: str) -> str:
    """An error text fit for ``last_error`` and logs: one line, bounded, with no secret in it."""
    out = " ".join(str(text).split())
    for secret in secrets:
        if secret:
            quoted = '"' + secret.replace("\\", "\\\\").replace('"', '\\"') + '"'
            for form in sorted({quoted, repr(secret), secret}, key=len, reverse=True):
                out = out.replace(form, "***")
    return out[:MAX_REASON_DETAIL]


def ssl_context() -> ssl.SSLContext:
    """Certificates checked against the system's CAs (``SSL_CERT_FILE`` names a private CA).

    Never imaplib's default: without a context it does not check the certificate at all."""
    return ssl.create_default_context()


class _RawMessage:
    """One fetched mail as imap-tools hands it over, kept as bytes: not parsed here (the intake
    parses it once, from the stored bytes), and never re-serialised (the stored bytes are exact)."""

    def __init__(self, fetch_data: list[Any]) -> None:
        self.raw = b""
        self.uid = 0
        # The UID is read from the same response item as the bytes, never from a neighbouring one (an
        # unsolicited FETCH of flags must not lend its UID to a message).
        for item in fetch_data:
            if isinstance(item, tuple) and isinstance(item[1], bytes) and b"BODY[" in item[0].upper():
                found = _UID.search(item[0])
                if found:
                    self.uid, self.raw = int(found.group(1)), item[1]


def open_mailbox(inbox: Inbox, timeout: float) -> tuple[BaseMailBox, str]:
    """A logged-in mailbox, and the password (to keep it out of error texts)."""
    host = inbox.imap_host.strip()
    if not host:
        raise ImapError(ERROR_NOT_CONFIGURED)
    security = inbox.imap_security
    if security == Security.NONE and not is_loopback_host(host):
        raise ImapError(ERROR_INSECURE, host)
    try:
        password = decrypt(inbox.imap_password, purpose="inbox.imap") if inbox.imap_password else ""
    except SecretUnreadable:
        raise ImapError(ERROR_PASSWORD) from None
    port = inbox.imap_port or DEFAULT_PORTS.get(Security(security), 993)
    mailbox: BaseMailBox | None = None
    try:
        if security == Security.SSL:
            mailbox = MailBox(host, port, timeout=timeout, ssl_context=ssl_context())
        elif security == Security.STARTTLS:
            mailbox = MailBoxStartTls(host, port, timeout=timeout, ssl_context=ssl_context())
        else:
            mailbox = MailBoxUnencrypted(host, port, timeout=timeout)
        mailbox.email_message_class = _RawMessage  # type: ignore[assignment]
        user = inbox.imap_username
        if user.isascii() and password.isascii():
            mailbox.login(user, password, initial_folder=None)
        else:  # LOGIN takes only ASCII; SASL PLAIN carries UTF-8
            mailbox.login_utf8(user, password, initial_folder=None)
        # What the server offers after login (MOVE, UIDPLUS): imaplib keeps the greeting's list.
        mailbox.client._get_capabilities()  # type: ignore[attr-defined]
    except BaseException as exc:
        error = classify_error(exc, password)
        if mailbox is not None:
            close_mailbox(mailbox, logout=error.code not in GONE)
        raise error from None
    return mailbox, password


def classify_error(exc: BaseException, password: str = "") -> ImapError:
    detail = scrub(f"{type(exc).__name__}: {exc}", password)
    if isinstance(exc, ImapError):
        return ImapError(exc.code, scrub(exc.detail, password))
    if isinstance(exc, MailboxLoginError):
        return ImapError(ERROR_LOGIN, detail)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return ImapError(ERROR_TLS, detail)
    if isinstance(exc, TimeoutError | socket.timeout):
        return ImapError(ERROR_TIMEOUT, detail)
    text = str(exc).lower()
    if isinstance(exc, imaplib.IMAP4.error) and "tls" in text:
        return ImapError(ERROR_TLS, detail)
    if isinstance(exc, OSError | EOFError | imaplib.IMAP4.abort):
        return ImapError(ERROR_CONNECT, detail)
    if isinstance(exc, imaplib.IMAP4.error | UnexpectedCommandStatusError):
        if "login" in text or "authenticat" in text:
            return ImapError(ERROR_LOGIN, detail)
        return ImapError(ERROR_PROTOCOL, detail)
    if isinstance(exc, Exception):
        return ImapError(ERROR_PROTOCOL, detail)
    raise exc  # KeyboardInterrupt, SystemExit: not ours to turn into a result


def close_mailbox(mailbox: BaseMailBox, *, logout: bool = True) -> None:
    # A connection that timed out or broke is only closed: LOGOUT would wait for it once more.
    if logout:
        with contextlib.suppress(Exception):
            mailbox.logout()
    with contextlib.suppress(Exception):
        mailbox.client.shutdown()


def select_folder(mailbox: BaseMailBox, folder: str) -> int:
    """Select ``folder`` for reading and writing; its UIDVALIDITY."""
    try:
        mailbox.folder.set(folder)
    except UnexpectedCommandStatusError as exc:
        raise ImapError(ERROR_FOLDER, scrub(exc)) from None
    _typ, data = mailbox.client.response("UIDVALIDITY")
    if data and data[0]:
        return int(data[0])
    status = mailbox.folder.status(folder, ["UIDVALIDITY"])
    return int(status["UIDVALIDITY"])


# ---------------------------------------------------------------- reading


def new_uids(mailbox: BaseMailBox, last_uid: int) -> list[int]:
    # "UID n:*" always matches the newest mail, even below n: filter ourselves.
    found = mailbox.uids(f"UID {last_uid + 1}:*")
    return sorted(uid for uid in (int(u) for u in found) if uid > last_uid)


def message_sizes(mailbox: BaseMailBox, uids: Sequence[int]) -> dict[int, int]:
    sizes: dict[int, int] = {}
    for start in range(0, len(uids), SIZE_CHUNK):
        chunk = uids[start : start + SIZE_CHUNK]
        typ, data = mailbox.client.uid("FETCH", ",".join(map(str, chunk)), "(RFC822.SIZE)")
        if typ != "OK":
            raise ImapError(ERROR_PROTOCOL, scrub(data))
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def fetch(mailbox: BaseMailBox, uids: Sequence[int], *, headers_only: bool = False) -> list[_RawMessage]:
    if not uids:
        return []
    # Our _RawMessage class (set on the mailbox) gives the messages: the bytes as they were sent.
    found: Iterable[Any] = mailbox.fetch(
        uid_list=[str(uid) for uid in uids], mark_seen=False, bulk=True, headers_only=headers_only
    )
    wanted = set(uids)
    return [message for message in found if isinstance(message, _RawMessage) and message.uid in wanted]


def still_there(mailbox: BaseMailBox, uids: Sequence[int]) -> list[int]:
    """Which of ``uids`` still exist (a mail expunged meanwhile by someone else is simply gone)."""
    if not uids:
        return []
    found = mailbox.uids(f"UID {','.join(map(str, uids))}")
    return sorted(set(uids) & {int(uid) for uid in found})


# ---------------------------------------------------------------- telling the server


def store_flags(mailbox: BaseMailBox, uids: Sequence[int], flags: str) -> None:
    # Not imap-tools' flag(): it expunges afterwards, which would delete mail a person marked \Deleted.
    typ, data = mailbox.client.uid("STORE", ",".join(map(str, uids)), "+FLAGS.SILENT", flags)
    if typ != "OK":
        raise ImapError(ERROR_PROTOCOL, scrub(data))


def finish_on_server(mailbox: BaseMailBox, inbox: Inbox, uids: Sequence[int]) -> None:
    """Move stored mail to the done folder, or flag it \\Seen where it is."""
    if not uids:
        return
    done = inbox.imap_done_folder.strip()
    if not done:
        store_flags(mailbox, uids, r"(\Seen)")
        return
    uid_set = ",".join(map(str, uids))
    if "MOVE" in mailbox.client.capabilities:
        typ, data = mailbox.client.uid("MOVE", uid_set, _quote_folder(done))
    else:
        typ, data = mailbox.client.uid("COPY", uid_set, _quote_folder(done))
        if typ == "OK":
            store_flags(mailbox, uids, r"(\Deleted)")
            if "UIDPLUS" in mailbox.client.capabilities:
                typ, data = mailbox.client.uid("EXPUNGE", uid_set)
            else:  # without UIDPLUS only a folder-wide expunge exists
                typ, data = mailbox.client.expunge()
    if typ != "OK":
        raise ImapError(ERROR_FOLDER, scrub(f"{done}: {data}"))


def _quote_folder(folder: str) -> str:
    from imap_tools.imap_utf7 import utf7_encode

    encoded = utf7_encode(folder).decode("ascii")
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ensure_folder(mailbox: BaseMailBox, folder: str) -> None:
    folder = folder.strip()
    if folder and not mailbox.folder.exists(folder):
        try:
            mailbox.folder.create(folder)
        except UnexpectedCommandStatusError as exc:
            raise ImapError(ERROR_FOLDER, scrub(f"{folder}: {exc}")) from None


# ---------------------------------------------------------------- checking a connection


def imap_connection_check(*, inbox: Inbox, timeout: float = 15.0) -> ConnectionCheck:
    """Log in with the inbox's stored settings and count the messages of its folder (read-only)."""
    password = ""
    mailbox: BaseMailBox | None = None
    error: ImapError | None = None
    try:
        mailbox, password = open_mailbox(inbox, timeout)
        folder = inbox.imap_folder.strip() or "INBOX"
        try:
            status = mailbox.folder.status(folder, ["MESSAGES"])
        except UnexpectedCommandStatusError as exc:
            raise ImapError(ERROR_FOLDER, scrub(exc)) from None
        return ConnectionCheck(ok=True, messages=int(status.get("MESSAGES", 0)))
    except BaseException as exc:
        error = classify_error(exc, password)
        return ConnectionCheck(ok=False, error=error.code, detail=scrub(error.detail, password))
    finally:
        if mailbox is not None:
            close_mailbox(mailbox, logout=error is None or error.code not in GONE)


def error_code(last_error: str) -> str:
    """The stable code at the start of an ``ImapState.last_error``."""
    code = (last_error or "").split(":", 1)[0].strip()
    return code if code in ERRORS else ""
