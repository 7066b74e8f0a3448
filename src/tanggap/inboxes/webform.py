"""The public web form of an inbox: what a submission may hold, the signed token that stands in for
CSRF, and turning a submission into a mail stored like any other.

A submission becomes an RFC 5322 message (From: the customer, To: the inbox, our Message-ID, the
message as text, files as attachments) stored with ``mail_store`` (source ``form``) and processed by
``mail_process``: the same durable intake, quarantine, customers by identity and ticket as e-mail.
The conversation then continues by e-mail. Why a signed token instead of Django's CSRF cookie:
docs/adr/0005-web-form.md.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from enum import StrEnum

from django.core import signing

from tanggap.core.blobs import BlobStore
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound
from tanggap.customers.identities import InvalidIdentity, normalise_email
from tanggap.inboxes.models import Inbox, MailSource, MailStatus, RawMail
from tanggap.inboxes.services import mail_process, mail_quarantine, mail_store

# Bounds of one submission. Each is within what the write path accepts for any channel
# (tickets.inbound: 50 attachments of 25 MB, a 250-character subject, 512 KB of text).
MAX_NAME = 100
MAX_EMAIL = 254  # RFC 5321's limit for a forward path
MAX_SUBJECT = 200
MAX_MESSAGE = 20_000
MAX_FILES = 5
MAX_FILES_BYTES = 10 * 1024 * 1024  # all files together
MAX_FILENAME = 255

# The token: a person needs a few seconds to fill the form; a page left open for a day is stale.
MIN_FILL_SECONDS = 3
MAX_TOKEN_AGE = 24 * 3600
_SALT = "tanggap.inboxes.webform"
_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{8,32}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9.+\-]{0,62}/[a-z0-9][a-z0-9.+\-]{0,126}")

FORM_HEADER = "X-Tanggap-Form"
# RawMail.reason of a submission whose hidden trap field was filled: kept, never a ticket unless an
# admin retries it (a browser's autofill can fill hidden fields too).
REASON_HONEYPOT = "spam_honeypot"


def _now() -> float:
    return time.time()


# ---------------------------------------------------------------- finding the form


def form_inbox_get(form_key: str) -> Inbox:
    """The active inbox whose enabled web form has this key; ``NotFound`` otherwise (unknown,
    disabled and malformed keys all look the same)."""
    if not isinstance(form_key, str) or not _FORM_KEY.fullmatch(form_key):
        raise NotFound(object="form")
    inbox = Inbox.objects.filter(form_key=form_key, form_enabled=True, is_active=True).first()
    if inbox is None:
        raise NotFound(object="form")
    return inbox


# ---------------------------------------------------------------- the token


class TokenState(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # missing, forged, or for another form
    EXPIRED = "expired"  # older than MAX_TOKEN_AGE
    TOO_FAST = "too_fast"  # sent sooner than a person could have filled the form


@dataclass(frozen=True, slots=True)
class TokenCheck:
    state: TokenState
    nonce: str = ""


def form_token_make(form_key: str, *, now: float | None = None) -> str:
    """A signed token for one showing of the form: which form, when, and a nonce that identifies the
    submission (a double click sends the same message once)."""
    issued = int(_now() if now is None else now)
    return signing.dumps(
        {"k": form_key, "t": issued, "n": secrets.token_urlsafe(12)}, salt=_SALT, compress=False
    )


def form_token_check(token: str, form_key: str, *, now: float | None = None) -> TokenCheck:
    if not token or len(token) > 500:
        return TokenCheck(TokenState.INVALID)
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return TokenCheck(TokenState.INVALID)
    if not isinstance(payload, dict) or payload.get("k") != form_key:
        return TokenCheck(TokenState.INVALID)
    issued, nonce = payload.get("t"), payload.get("n")
    if (
        not isinstance(issued, int)
        or not isinstance(nonce, str)
        or not re.fullmatch(r"[A-Za-z0-9_-]{8,32}", nonce)
    ):
        return TokenCheck(TokenState.INVALID)
    elapsed = (_now() if now is None else now) - issued
    if elapsed > MAX_TOKEN_AGE:
        return TokenCheck(TokenState.EXPIRED, nonce)
    if elapsed < MIN_FILL_SECONDS:
        return TokenCheck(TokenState.TOO_FAST, nonce)
    return TokenCheck(TokenState.OK, nonce)


# ---------------------------------------------------------------- the submission


@dataclass(frozen=True, slots=True)
class FormFile:
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Submission:
    name: str
    email: str
    subject: str
    message: str
    files: tuple[FormFile, ...] = ()

    def digest(self) -> str:
        """Identifies the content: the same token with the same content is one message."""
        h = hashlib.sha256()
        for part in (self.name, self.email, self.subject, self.message):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        for item in self.files:
            h.update(
                item.filename.encode("utf-8", "surrogatepass") + b"\0" + hashlib.sha256(item.data).digest()
            )
        return h.hexdigest()


def clean_line(value: str) -> str:
    """One line of text: control characters removed, runs of white space made one space."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def clean_text(value: str) -> str:
    """A message body: newlines kept (as \\n), other control characters removed, ends trimmed."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text).strip()


def clean_filename(value: str) -> str:
    name = _CONTROL.sub("", value or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:MAX_FILENAME] or "attachment"


def _content_type(declared: str, filename: str) -> tuple[str, str]:
    ctype = (declared or "").split(";", 1)[0].strip().lower()
    if not _CONTENT_TYPE.fullmatch(ctype):
        ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    maintype, _, subtype = ctype.partition("/")
    if maintype in {"multipart", "message"}:  # would be read as MIME structure, not as a file
        return "application", "octet-stream"
    return maintype, subtype


def submission_clean(
    *, name: str, email: str, subject: str, message: str, files: tuple[FormFile, ...] = ()
) -> Submission:
    """The submission in its stored shape, or ``InvalidInput``/``TOO_LARGE`` naming the field. The
    view's form checks the same bounds first, to show its errors beside the fields."""
    name, subject, message = clean_line(name), clean_line(subject), clean_text(message)
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(field="name")
    if len(email or "") > MAX_EMAIL:
        raise InvalidInput(field="email")
    try:
        email = normalise_email(email or "")
        Address(addr_spec=email)
    except (InvalidIdentity, ValueError, IndexError, HeaderParseError) as exc:
        raise InvalidInput(field="email") from exc
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(field="subject")
    if not message:
        raise InvalidInput(field="message")
    if len(message) > MAX_MESSAGE:
        raise ApplicationError(ErrorCode.TOO_LARGE, field="message", limit=MAX_MESSAGE)
    if len(files) > MAX_FILES:
        raise ApplicationError(ErrorCode.TOO_LARGE, field="attachments", limit=MAX_FILES)
    if sum(len(item.data) for item in files) > MAX_FILES_BYTES:
        raise ApplicationError(ErrorCode.TOO_LARGE, field="attachments", limit=MAX_FILES_BYTES)
    files = tuple(
        FormFile(
            clean_filename(item.filename),
            "/".join(_content_type(item.content_type, item.filename)),
            item.data,
        )
        for item in files
    )
    return Submission(name=name, email=email, subject=subject, message=message, files=files)


def form_mail_compose(
    *, inbox: Inbox, submission: Submission, message_id: str, at: datetime, client: str = ""
) -> bytes:
    """The submission as the mail a customer would have written (CRLF line ends, UTF-8)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=submission.name, addr_spec=submission.email)
    msg["To"] = Address(display_name=inbox.name, addr_spec=inbox.address)
    msg["Subject"] = submission.subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = f"<{message_id}>"
    msg[FORM_HEADER] = inbox.form_key
    if client:
        msg["X-Tanggap-Form-Client"] = client  # for an admin looking into abuse, like a Received line
    msg.set_content(submission.message)
    for item in submission.files:
        maintype, subtype = item.content_type.split("/", 1)
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    return msg.as_bytes()


@dataclass(frozen=True, slots=True)
class FormResult:
    raw_mail: RawMail
    ticket_id: int | None  # None while the mail waits for processing or was quarantined


def form_submit(
    *,
    inbox: Inbox,
    submission: Submission,
    nonce: str,
    client: str = "",
    spam_reason: str = "",
    store: BlobStore | None = None,
) -> FormResult:
    """Store the submission as a mail, then process it into a ticket (channel ``web``).

    ``nonce`` comes from the form's token: the same token with the same content (a double click, a
    reload) is stored once and answers with the same ticket. With ``spam_reason`` the mail is stored
    and quarantined with that reason instead of becoming a ticket, so an admin can still retry it.
    """
    if not inbox.form_enabled or not inbox.form_key:
        raise NotFound(object="form")
    digest = submission.digest()
    domain = inbox.address.rpartition("@")[2] or "tanggap.invalid"
    message_id = f"form.{nonce}.{digest[:16]}@{domain}"
    raw = form_mail_compose(
        inbox=inbox, submission=submission, message_id=message_id, at=datetime.now(UTC), client=client
    )
    row, new = mail_store(
        inbox=inbox, raw=raw, source=MailSource.FORM, source_ref=f"form:{nonce}:{digest[:32]}", store=store
    )
    if new and spam_reason:
        row = mail_quarantine(raw_mail=row, reason=spam_reason, detail="web form")
    elif row.status == MailStatus.RECEIVED:
        row = mail_process(raw_mail=row, store=store)
    ticket_id = row.ticket_id if row.status == MailStatus.PROCESSED else None
    return FormResult(raw_mail=row, ticket_id=ticket_id)
