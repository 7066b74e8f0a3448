"""Composes the RFC 5322 bytes of a mail we send (an agent's reply, an automatic notice). Pure: no Django.

The caller fixes every header that threads the mail (its Message-ID, In-Reply-To, References) before
composing, so a retry composes the very same conversation; only ``Date`` is the moment of sending.
Text and HTML go out as multipart/alternative, attachments beside them, inline images (a Content-ID
the HTML names) as multipart/related; everything non-ASCII is encoded (RFC 2047 words in headers,
quoted-printable bodies, RFC 2231 file names, IDNA domains), unless an address needs SMTPUTF8.
"""

from __future__ import annotations

import email.policy
import html as _html
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from tanggap.inboxes.email.thread import ticket_token

# References carried on: the root of the thread and the nearest ancestors (RFC 5322 §3.6.4 allows
# trimming); ids longer than MAX_REFERENCE_ID are dropped, so a hostile id never bloats every answer.
MAX_REFERENCES = 20
MAX_REFERENCE_ID = 250
MAX_SUBJECT = 900
MAX_NAME = 200
MAX_FILENAME = 200

AUTO_REPLIED = "auto-replied"  # an answer to a mail (an acknowledgement), RFC 3834
AUTO_GENERATED = "auto-generated"  # a mail not answering one (a reminder, a survey)
AUTO_SUBMITTED = frozenset({AUTO_REPLIED, AUTO_GENERATED})

# Reply markers mail clients put in front of a subject, in the languages our customers write:
# "Re:", "RE[2]:", "AW:" (de), "SV:" (nordic), "Antw:" (nl), "Balas:"/"Bls:" (id), "Odp:" (pl), "Rif:" (it).
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|antw|balas|bls|odp|rif|ref)\s*(?:\[\d{1,4}\]|\(\d{1,4}\))?\s*[:：]\s*)+", re.I
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ADDR = re.compile(r"^[^\s@<>()\[\],;:\"\\]{1,64}@[^\s@<>()\[\],;:\"\\]{1,255}$")
_ID = re.compile(rf"^[!-;=?-~]{{1,{MAX_REFERENCE_ID}}}$")  # printable, no space, no < or >
_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+\-]{0,62}/[a-z0-9][a-z0-9.+\-]{0,62}$")


class ComposeError(ValueError):
    """The mail cannot be composed (an unusable address or Message-ID): retrying will not help."""


@dataclass(frozen=True, slots=True)
class Mailbox:
    address: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class OutgoingAttachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    content_id: str = ""  # set for an image the HTML shows inline (``cid:``)


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    sender: Mailbox
    to: tuple[Mailbox, ...]
    subject: str
    message_id: str  # ours, without angle brackets
    date: datetime  # timezone-aware
    text: str
    html: str = ""  # already sanitised
    cc: tuple[Mailbox, ...] = ()
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    signature: str = ""  # plain text, appended to both bodies
    attachments: tuple[OutgoingAttachment, ...] = ()
    auto_submitted: str = ""  # "" for a mail a person wrote, else AUTO_REPLIED or AUTO_GENERATED


# ---------------------------------------------------------------- headers


def clean_text(value: str, limit: int) -> str:
    """One header line of text: no control characters (no header injection), single spaces."""
    return " ".join(_CONTROL.sub(" ", value or "").split())[:limit]


def new_message_id(domain: str) -> str:
    """A Message-ID of ours (without brackets), unique everywhere: a random id at our domain."""
    return f"{uuid.uuid4().hex}@{ascii_domain(domain) or 'tanggap.invalid'}"


def ascii_domain(domain: str) -> str:
    """The domain as it goes on the wire (IDNA for an internationalised one); "" when unusable."""
    domain = (domain or "").strip().strip(".").lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain if domain.isascii() else ""


def ascii_address(address: str) -> str:
    """``local@domain`` with the domain in IDNA, so only a non-ASCII local part needs SMTPUTF8."""
    local, _, domain = (address or "").strip().rpartition("@")
    if not local:
        return (address or "").strip()
    return f"{local}@{ascii_domain(domain) or domain}"


def needs_smtputf8(addresses: Iterable[str]) -> bool:
    """Whether one of the addresses can only travel with SMTPUTF8 (a non-ASCII local part)."""
    return any(not ascii_address(a).isascii() for a in addresses)


def reply_subject(subject: str, number: int, *, reply: bool = True) -> str:
    """The subject of a mail about ticket ``number``: ``Re: [#12] Pesanan belum sampai``.

    Reply markers and this ticket's token are taken out wherever the customer's client put them and
    put back once, so a long conversation never piles up ``Re: Re: [#12] Re:``.
    """
    token = ticket_token(number)
    rest = clean_text(subject, MAX_SUBJECT)
    for _ in range(10):
        before = rest
        rest = _REPLY_PREFIX.sub("", rest)
        if rest.startswith(token):
            rest = rest[len(token) :]
        rest = rest.strip()
        if rest == before:
            break
    rest = " ".join(rest.replace(token, " ").split())
    core = f"{token} {rest}".strip()
    return (f"Re: {core}" if reply else core)[:MAX_SUBJECT]


def clean_id(value: str) -> str:
    """A Message-ID without brackets, or "" when it is not one we can put in a header."""
    value = (value or "").strip().strip("<>").strip()
    return value if _ID.match(value) and "@" in value else ""


def bounded_references(
    references: Iterable[str], parent: str, limit: int = MAX_REFERENCES
) -> tuple[str, ...]:
    """References for a mail answering ``parent``: the parent's references and the parent itself, each
    once and usable, cut to the thread's root plus the nearest ``limit - 1`` ancestors."""
    seen: dict[str, None] = {}
    for value in [*references, parent]:
        key = clean_id(value)
        if key:
            seen.pop(key, None)  # a repeated id counts where it appears last (nearest)
            seen[key] = None
    ids = list(seen)
    if len(ids) > limit:
        ids = ids[:1] + ids[-(limit - 1) :]
    return tuple(ids)


def _address(mailbox: Mailbox) -> Address:
    address = ascii_address(mailbox.address)
    if not _ADDR.match(address):
        raise ComposeError(f"not a usable address: {mailbox.address!r}")
    local, _, domain = address.rpartition("@")
    return Address(display_name=clean_text(mailbox.name, MAX_NAME), username=local, domain=domain)


# ---------------------------------------------------------------- bodies


def text_with_signature(text: str, signature: str) -> str:
    """The text with the signature under the standard separator ("-- ", RFC 3676), which our own
    trimmer (and most mail clients) recognise when the customer quotes us back."""
    text = (text or "").rstrip()
    signature = (signature or "").strip("\n").rstrip()
    return f"{text}\n\n-- \n{signature}\n" if signature else f"{text}\n"


def html_with_signature(html: str, signature: str) -> str:
    signature = (signature or "").strip("\n").rstrip()
    if not signature:
        return html
    lines = "<br>\n".join(_html.escape(line) for line in signature.split("\n"))
    return f'{html}\n<div class="signature">-- <br>\n{lines}</div>\n'


def _split_type(content_type: str) -> tuple[str, str]:
    value = (content_type or "").split(";", 1)[0].strip().lower()
    if not _TYPE.match(value):
        return "application", "octet-stream"
    maintype, subtype = value.split("/", 1)
    if maintype == "multipart" or maintype == "message":  # would need parts of their own
        return "application", "octet-stream"
    return maintype, subtype


def _filename(value: str) -> str:
    name = clean_text(value.replace("/", "_").replace("\\", "_"), MAX_FILENAME)
    return name or "attachment"


# ---------------------------------------------------------------- the mail


def compose(mail: OutgoingMail) -> bytes:
    """The bytes to hand to the SMTP server (CRLF line ends). Raises ``ComposeError`` when an address
    or our Message-ID cannot be used."""
    if mail.date.tzinfo is None:
        raise ComposeError("the date must be timezone-aware")
    message_id = clean_id(mail.message_id)
    if not message_id:
        raise ComposeError("our Message-ID is not usable")
    if not mail.to:
        raise ComposeError("no recipient")
    if mail.auto_submitted and mail.auto_submitted not in AUTO_SUBMITTED:
        raise ComposeError(f"unknown Auto-Submitted value {mail.auto_submitted!r}")
    everyone = [mail.sender.address, *(m.address for m in mail.to), *(m.address for m in mail.cc)]
    policy = email.policy.SMTPUTF8 if needs_smtputf8(everyone) else email.policy.SMTP
    msg = EmailMessage(policy=policy)
    msg["From"] = _address(mail.sender)
    msg["To"] = [_address(m) for m in mail.to]
    if mail.cc:
        msg["Cc"] = [_address(m) for m in mail.cc]
    msg["Subject"] = clean_text(mail.subject, MAX_SUBJECT)
    msg["Date"] = format_datetime(mail.date)
    msg["Message-ID"] = f"<{message_id}>"
    parent = clean_id(mail.in_reply_to)
    if parent:
        msg["In-Reply-To"] = f"<{parent}>"
    references = [ref for ref in (clean_id(r) for r in mail.references) if ref][-MAX_REFERENCES:]
    if references:
        msg["References"] = " ".join(f"<{ref}>" for ref in references)
    if mail.auto_submitted:
        # RFC 3834, and the header Exchange reads, so responders do not answer our automatic mail.
        msg["Auto-Submitted"] = mail.auto_submitted
        msg["X-Auto-Response-Suppress"] = "All"
        msg["Precedence"] = "auto_reply"
    msg.set_content(text_with_signature(mail.text, mail.signature), cte="quoted-printable")
    inline = [a for a in mail.attachments if a.content_id and mail.html]
    if mail.html:
        msg.add_alternative(
            html_with_signature(mail.html, mail.signature), subtype="html", cte="quoted-printable"
        )
        html_part = msg.get_body(("html",))
        if inline and isinstance(html_part, EmailMessage):
            for item in inline:
                maintype, subtype = _split_type(item.content_type)
                html_part.add_related(
                    item.data,
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{clean_id(item.content_id) or clean_text(item.content_id, 200)}>",
                    filename=_filename(item.filename),
                    disposition="inline",
                )
    for item in mail.attachments:
        if item in inline:
            continue
        maintype, subtype = _split_type(item.content_type)
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=_filename(item.filename))
    return msg.as_bytes()
