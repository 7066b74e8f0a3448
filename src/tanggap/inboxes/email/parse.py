"""Turns the raw bytes of one e-mail into plain values: addresses, subject, text, safe HTML, attachments.

Here: the MIME walk, bodies (HTML sanitised through core.html, and read back as text) and attachments;
header decoding lives in ``headers``. Pure (stdlib ``email`` with the compat32 policy) and total: any
input gives a ``ParsedMail``; what was odd but survived is listed in ``problems``.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import html as _html
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy as _policy
from email.message import Message
from email.parser import BytesParser

from tanggap.core.html import sanitise
from tanggap.inboxes.email.headers import (
    MAX_ID,
    add_problem,
    base64_lenient,
    declared_charsets,
    decode_bytes,
    decode_words,
    header_params,
    parse_addresses,
    parse_date,
    parse_ids,
    raw_header_text,
)
from tanggap.tickets.inbound import (
    MAX_ATTACHMENT,
    MAX_ATTACHMENTS,
    MAX_SUBJECT,
    MAX_TEXT,
    InboundAttachment,
    InboundMessage,
    Sender,
)

MAX_BYTES = 40 * 1024 * 1024
MAX_PARTS = 250
MAX_DEPTH = 20
MAX_REFERENCES = 100

# Stable codes for what was odd in a message. The fatal ones mean: quarantine, do not process.
FATAL_PROBLEMS = frozenset({"too_large", "not_mail"})
PROBLEMS = FATAL_PROBLEMS | {
    "attachment_too_large",  # one attachment over MAX_ATTACHMENT was left out
    "bad_charset",  # a declared charset was unknown or wrong; a fallback decoded the text
    "bad_date",  # the Date header could not be read
    "bad_encoding",  # a transfer encoding could not be decoded
    "bad_header",  # stray lines inside the header block were joined to the header before them
    "broken_address",  # an address was repaired (spaces, quotes, a name and address swapped)
    "encoded_address",  # an RFC 2047 encoded-word inside an address: kept literally, never decoded
    "header_too_long",  # a header value was cut at MAX_HEADER_VALUE
    "no_message_id",
    "no_sender",  # no usable From: the sender came from Sender, Reply-To or Return-Path, if any
    "too_deep",  # MIME nesting beyond MAX_DEPTH was skipped
    "too_many_attachments",  # attachments beyond MAX_ATTACHMENTS were left out
    "too_many_parts",  # parts beyond MAX_PARTS were skipped (or only the headers were read)
    "truncated",  # the text was cut at MAX_TEXT
}

# Top-level headers kept verbatim for loop, bounce and list detection further on (Content-Type with
# its parameters: a report-type=delivery-status says "bounce").
LOOP_HEADERS = frozenset(
    {
        "auto-submitted", "precedence", "x-autoreply", "x-autorespond", "x-auto-response-suppress",
        "return-path", "list-id", "list-unsubscribe", "x-loop", "x-failed-recipients", "feedback-type",
        "x-mailer", "content-type",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """One received e-mail as plain values. Addresses are never taken from decoded text."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_address: str
    from_name: str
    to: tuple[tuple[str, str], ...]
    cc: tuple[tuple[str, str], ...]
    reply_to: tuple[tuple[str, str], ...]
    date: datetime | None
    text: str
    html: str
    attachments: tuple[Attachment, ...]
    headers: tuple[tuple[str, str], ...]
    content_type: str
    problems: tuple[str, ...]
    content_hash: str

    @property
    def quarantine_reason(self) -> str | None:
        """A stable code when the message must be quarantined instead of processed."""
        return next((p for p in self.problems if p in FATAL_PROBLEMS), None)

    @property
    def idempotency_key(self) -> str:
        """Message-ID when the sender gave one, else the hash of the raw bytes."""
        return f"<{self.message_id}>" if self.message_id else f"sha256:{self.content_hash}"

    def header(self, name: str) -> str:
        """First value of one of the kept headers (see LOOP_HEADERS), or ""."""
        name = name.lower()
        return next((v for n, v in self.headers if n.lower() == name), "")


def to_inbound(
    mail: ParsedMail, *, received_at: datetime | None = None, language: str = ""
) -> InboundMessage:
    """The channel-neutral value for ``message_receive``: full text (trimming is shown, never stored)."""
    address, name = mail.from_address, mail.from_name
    if not address and mail.reply_to:
        name, address = mail.reply_to[0]
    attachments = tuple(
        InboundAttachment(
            filename=a.filename, content_type=a.content_type, data=a.data, content_id=a.content_id
        )
        for a in mail.attachments[:MAX_ATTACHMENTS]
    )
    return InboundMessage(
        channel="email",
        sender=Sender(kind="email", value=address, name=name),
        text=mail.text,
        idempotency_key=mail.idempotency_key,
        subject=mail.subject,
        html=mail.html,
        received_at=received_at,
        external_id=mail.message_id or "",
        language=language,
        attachments=attachments,
    )


# --- MIME -----------------------------------------------------------------------------------------


class _Part(Message):
    """Keeps ``message/*`` bodies as raw bytes, so an attached .eml stays byte-identical."""

    def get_content_type(self) -> str:
        real = Message.get_content_type(self)
        return "application/x-embedded-message" if real.startswith("message/") else real


_TYPE = re.compile(r"[a-z0-9.+\-]+/[a-z0-9.+\-]+")
_UU = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})
_GENERATED_NAMES = {"text/html": "document", "text/plain": "document", "message/rfc822": "message"}


@dataclass(frozen=True, slots=True)
class _Info:
    """What the headers of one MIME part say, decoded once."""

    content_type: str  # as declared (``image/jpg`` stays), lower case
    charset: str | None
    disposition: str | None
    filename: str
    content_id: str
    description: str
    transfer_encoding: str

    @classmethod
    def of(cls, part: Message, fallbacks: Iterable[str], problems: list[str]) -> _Info:
        raw = {
            name.lower(): value for name, value in reversed(list(part.raw_items())) if isinstance(value, str)
        }

        def text(name: str) -> str:
            return decode_words(raw_header_text(raw[name], fallbacks, problems)) if name in raw else ""

        ctype, type_params = header_params(raw_header_text(raw.get("content-type", ""), fallbacks, problems))
        disposition, disposition_params = header_params(
            raw_header_text(raw.get("content-disposition", ""), fallbacks, problems)
        )
        if not _TYPE.fullmatch(ctype):
            ctype = Message.get_content_type(part)
        filename = decode_words(disposition_params.get("filename") or type_params.get("name") or "")
        filename = re.sub(r"[\x00-\x1f\x7f]", "", filename).replace("\\", "/").rsplit("/", 1)[-1].strip()
        return cls(
            content_type=ctype,
            charset=type_params.get("charset") or None,
            disposition=disposition if disposition in {"inline", "attachment"} else None,
            filename=filename[:255],
            content_id=text("content-id").strip().strip("<>").strip()[:MAX_ID],
            description=text("content-description").strip()[:200],
            transfer_encoding=text("content-transfer-encoding").strip().lower(),
        )

    @property
    def is_body(self) -> bool:
        return (
            self.content_type in {"text/plain", "text/html"}
            and self.disposition != "attachment"
            and not self.filename
        )


_UU_BEGIN = re.compile(rb"^begin[ \t]+[0-7]{3,4}[ \t]+([^\r\n]+?)[ \t]*\r?$", re.M)


def uudecode(data: bytes) -> tuple[bytes, str]:
    """Bytes and file name of a uuencoded block; tolerant of a missing begin line and broken lines."""
    begin = _UU_BEGIN.search(data)
    name = begin.group(1).decode("utf-8", "replace") if begin else ""
    out = bytearray()
    for line in data[begin.end() if begin else 0 :].splitlines():
        if line.strip() == b"end":
            break
        if not line.strip():
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            size = (((line[0] - 32) & 63) * 4 + 5) // 3 + 1
            with contextlib.suppress(binascii.Error):
                out += binascii.a2b_uu(line[:size])
    return bytes(out), name


def _payload(part: Message, info: _Info, problems: list[str]) -> bytes:
    raw = part.get_payload(decode=False)
    if not isinstance(raw, str):
        return b""
    if info.transfer_encoding in _UU:
        return uudecode(raw.encode("utf-8", "surrogateescape"))[0]
    if info.transfer_encoding == "base64":
        return base64_lenient(raw.encode("utf-8", "surrogateescape"))
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError):
        add_problem(problems, "bad_encoding")
        data = raw.encode("utf-8", "surrogateescape")
    return data if isinstance(data, bytes) else b""


@dataclass(slots=True)
class _Walk:
    """Collects body segments (text, html) in order and attachments from a MIME tree, within bounds."""

    problems: list[str]
    fallbacks: list[str]
    segments: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    leaves: int = 0
    names: dict[str, int] = field(default_factory=dict)

    def text_of(self, part: Message, info: _Info) -> str:
        data = _payload(part, info, self.problems)
        charset = info.charset
        if charset is None and info.content_type == "text/html":
            meta = re.search(rb"charset=[\"']?([A-Za-z0-9_\-:.]{1,40})", data[:4096], re.I)
            charset = meta.group(1).decode("ascii") if meta else None
        text, ok = decode_bytes(data, charset, self.fallbacks)
        if not ok:
            add_problem(self.problems, "bad_charset")
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def attach(self, part: Message, info: _Info, data: bytes | None = None, name: str = "") -> None:
        if len(self.attachments) >= MAX_ATTACHMENTS:
            add_problem(self.problems, "too_many_attachments")
            return
        ctype = info.content_type
        if data is None:
            data = _payload(part, info, self.problems)
            if info.transfer_encoding in _UU and not info.filename:
                name = uudecode(str(part.get_payload()).encode("utf-8", "surrogateescape"))[1]
        if len(data) > MAX_ATTACHMENT:
            add_problem(self.problems, "attachment_too_large")
            return
        if name and not info.filename:  # a uuencoded file: its own name says what it is
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        name = name or info.filename or self.generated_name(info, data)
        inline = info.disposition == "inline" or (info.disposition is None and bool(info.content_id))
        self.attachments.append(Attachment(name, ctype, data, info.content_id, inline))

    def generated_name(self, info: _Info, data: bytes) -> str:
        """A name for a part that has none: from its description, subject, type or Content-ID."""
        ctype = info.content_type
        extension = _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype) or ""
        if ctype == "message/rfc822":
            inner = re.search(rb"(?im)^subject:[ \t]*([^\r\n]*)", data[:65536])
            subject = decode_words(decode_bytes(inner.group(1), None)[0]).strip() if inner else ""
            if subject:
                return re.sub(r"[\\/\x00-\x1f]", "", subject)[:200] + ".eml"
        if info.description:
            return info.description + ("" if "." in info.description[-5:] else extension or ".txt")
        maintype = ctype.split("/", 1)[0]
        local = info.content_id.split("@", 1)[0]
        if local and (maintype != "image" or re.search(r"\.[A-Za-z]{3,4}$", local)):
            return local
        base = _GENERATED_NAMES.get(ctype) or (
            maintype if maintype in {"image", "video", "audio"} else "file"
        )
        count = self.names.get(base + extension, 0)
        self.names[base + extension] = count + 1
        return f"{base}{count or ''}{extension}"

    def leaf(self, part: Message, info: _Info) -> None:
        if not info.is_body:
            self.attach(part, info)
            return
        text = self.text_of(part, info)
        if info.content_type == "text/html":
            self.segments.append(("", text))
            return
        text, found = _extract_uuencoded(text)
        for data, name in found:
            self.attach(part, info, data, name)
        self.segments.append((text, ""))

    def walk(self, root: Message, depth: int = 0) -> None:
        stack: list[tuple[Message, int, bool]] = [(root, depth, False)]
        while stack:
            part, level, resource = stack.pop()
            self.leaves += 1
            if self.leaves > MAX_PARTS:
                add_problem(self.problems, "too_many_parts")
                return
            info = _Info.of(part, self.fallbacks, self.problems)
            children = part.get_payload() if part.is_multipart() else None
            if not isinstance(children, list):
                if resource and info.content_type == "text/html":
                    self.attach(part, info)  # a page beside the body of multipart/related is a file
                else:
                    self.leaf(part, info)
            elif level >= MAX_DEPTH:
                add_problem(self.problems, "too_deep")
            elif info.content_type == "multipart/alternative":
                self.alternative([c for c in children if isinstance(c, Message)], level)
            else:
                related = info.content_type == "multipart/related"
                parts = [c for c in children if isinstance(c, Message)]
                stack.extend((c, level + 1, related and i > 0) for i, c in reversed(list(enumerate(parts))))

    def alternative(self, children: list[Message], depth: int) -> None:
        """One segment from the first text/plain and the HTML; other alternatives are files."""
        inner = _Walk(self.problems, self.fallbacks, leaves=self.leaves, names=self.names)
        for child in children:
            inner.walk(child, depth + 1)
        self.leaves = inner.leaves
        plain = next((t for t, _ in inner.segments if t.strip()), "")
        rich = "".join(h for _, h in inner.segments if h)
        self.segments.append((plain, rich))
        for attachment in inner.attachments:
            if len(self.attachments) < MAX_ATTACHMENTS:
                self.attachments.append(attachment)


_EXTENSIONS = {"image/jpeg": ".jpg", "image/jpg": ".jpg", "text/plain": ".txt", "message/rfc822": ".eml"}
_UU_BLOCK = re.compile(r"^begin[ \t]+[0-7]{3,4}[ \t]+\S[^\n]*\n(?:[^\n]*\n)*?end[ \t]*$", re.M)


def _extract_uuencoded(text: str) -> tuple[str, list[tuple[bytes, str]]]:
    """Old clients put uuencoded files inside the text: take them out as attachments."""
    if "\nbegin " not in "\n" + text:
        return text, []
    found: list[tuple[bytes, str]] = []

    def take(match: re.Match[str]) -> str:
        data, name = uudecode(match.group(0).encode("latin-1", "replace"))
        found.append((data, name or "file"))
        return ""

    return _UU_BLOCK.sub(take, text, count=MAX_ATTACHMENTS), found


# --- the parser -----------------------------------------------------------------------------------

_PARSER = BytesParser(_class=_Part, policy=_policy.compat32)
_MAIL_HEADERS = frozenset(
    {"from", "to", "subject", "date", "message-id", "content-type", "received", "sender"}
)
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,200}:|^[ \t]|^From ")


def _repair_header_block(raw: bytes, problems: list[str]) -> bytes:
    """Joins stray lines inside the header block (broken folding) so later headers are not lost."""
    end = re.search(rb"\r?\n\r?\n", raw)
    head = raw[: end.start()] if end else raw
    lines = head.split(b"\n")
    if all(_HEADER_LINE.match(line) for line in lines) or not any(b":" in line for line in lines[1:]):
        return raw
    first = next((i for i, line in enumerate(lines) if _HEADER_LINE.match(line)), len(lines))
    if first == len(lines) or not lines[first].strip():
        return raw
    add_problem(problems, "bad_header")
    fixed = [line if _HEADER_LINE.match(line) else b" " + line for line in lines[first:]]
    return b"\n".join(fixed) + (raw[end.start() :] if end else b"")


def _declares_too_many_parts(raw: bytes) -> bool:
    # The stdlib parser recurses once per nested multipart: refuse bodies that declare too many.
    return raw.lower().count(b"multipart/") > MAX_PARTS


def parse_mail(raw: bytes, *, max_bytes: int = MAX_BYTES) -> ParsedMail:
    """Parse one message. Never raises; see ``problems`` and ``quarantine_reason``."""
    problems: list[str] = []
    content_hash = hashlib.sha256(raw).hexdigest()
    if len(raw) > max_bytes:
        add_problem(problems, "too_large")
        raw = raw[:max_bytes]
    raw = _repair_header_block(raw, problems)
    headers_only = _declares_too_many_parts(raw)
    if headers_only:
        add_problem(problems, "too_many_parts")
    try:
        message = _PARSER.parsebytes(raw, headersonly=headers_only)
    except (RecursionError, MemoryError, ValueError, TypeError, LookupError, IndexError):
        add_problem(problems, "too_many_parts")
        message = _PARSER.parsebytes(raw, headersonly=True)
    return _build(message, problems, content_hash)


def _build(message: Message, problems: list[str], content_hash: str) -> ParsedMail:
    fallbacks = declared_charsets(message)
    raw_headers = [(n, v) for n, v in message.raw_items() if isinstance(v, str)]
    if not any(name.lower() in _MAIL_HEADERS for name, _ in raw_headers):
        add_problem(problems, "not_mail")

    def first(name: str) -> str:
        value = next((v for n, v in raw_headers if n.lower() == name), None)
        return raw_header_text(value, fallbacks, problems) if value is not None else ""

    def addresses(name: str) -> tuple[tuple[str, str], ...]:
        values = [raw_header_text(v, fallbacks, problems) for n, v in raw_headers if n.lower() == name]
        return tuple(parse_addresses(", ".join(values), problems)) if values else ()

    senders = addresses("from")
    if not any("@" in address for _, address in senders):
        add_problem(problems, "no_sender")
        senders += addresses("sender") + addresses("reply-to") + addresses("return-path")
    from_name, from_address = next((s for s in senders if "@" in s[1]), senders[0] if senders else ("", ""))
    message_ids = parse_ids(first("message-id"))
    if not message_ids:
        add_problem(problems, "no_message_id")
    in_reply_to = parse_ids(first("in-reply-to"))
    references = parse_ids(first("references"))
    if len(references) > MAX_REFERENCES:  # the root and the nearest ancestors are what threading needs
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    subject = " ".join(decode_words(first("subject"), problems).split())[:MAX_SUBJECT]
    date_value = first("date")
    date = parse_date(date_value, problems) if date_value else None

    walk = _Walk(problems, fallbacks)
    walk.walk(message)
    text, html = _join_segments(walk.segments)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        add_problem(problems, "truncated")
    kept = tuple(
        (n, raw_header_text(v, fallbacks, problems)) for n, v in raw_headers if n.lower() in LOOP_HEADERS
    )
    return ParsedMail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(references),
        subject=subject,
        from_address=from_address,
        from_name=from_name,
        to=addresses("to"),
        cc=addresses("cc"),
        reply_to=addresses("reply-to"),
        date=date,
        text=text,
        html=html,
        attachments=tuple(walk.attachments),
        headers=kept,
        content_type=_Info.of(message, fallbacks, problems).content_type,
        problems=tuple(problems),
        content_hash=content_hash,
    )


def _drop_element(value: str, tag: str) -> str:
    """Removes <tag>…</tag> blocks by search, not by regex, so hostile input stays linear."""
    lowered = value.lower()
    out: list[str] = []
    position = 0
    while True:
        start = lowered.find("<" + tag, position)
        if start < 0:
            break
        end = lowered.find("</" + tag, start)
        if end < 0:
            break
        close = lowered.find(">", end)
        out.append(value[position:start])
        position = len(value) if close < 0 else close + 1
    out.append(value[position:])
    return "".join(out)


def _join_segments(segments: list[tuple[str, str]]) -> tuple[str, str]:
    """Plain text from every body segment in order; HTML only when some segment had HTML."""
    texts: list[str] = []
    htmls: list[str] = []
    any_html = any(h for _, h in segments)
    for plain, rich in segments:
        if rich:
            # <head> and <title> text would survive sanitising as visible words.
            clean = sanitise(_drop_element(_drop_element(rich[: 4 * MAX_TEXT], "head"), "title"))
            htmls.append(clean)
            texts.append(plain or text_from_html(clean))
        elif plain:
            texts.append(plain)
            if any_html:
                htmls.append(text_to_html(plain))
    text = "\n".join(t.strip("\n") for t in texts if t.strip())
    return text.strip("\n"), "\n".join(htmls) if any_html else ""


_BLOCKS = frozenset(
    {
        "p", "div", "tr", "table", "ul", "ol", "li", "pre", "blockquote", "dl", "dd", "dt",
        "h1", "h2", "h3", "h4", "h5", "h6", "br",
    }
)  # fmt: skip
# Sanitised HTML is well formed with quoted attributes, so a tokenizer regex is enough (and linear).
_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>|([^<]+)|<")


def text_from_html(value: str) -> str:
    """Readable plain text of sanitised HTML: blocks become lines, quotes keep their ``>`` marks."""
    lines: list[str] = []
    current: list[str] = []
    quote = pre = 0

    def newline() -> None:
        line = "".join(current)
        line = line if pre else " ".join(line.split())
        lines.append(("> " * quote + line).rstrip() if line or quote else "")
        current.clear()

    for match in _TOKEN.finditer(value):
        closing, tag, text = match.group(1), (match.group(2) or "").lower(), match.group(3)
        if text is not None:
            text = _html.unescape(text).replace("\xa0", " ")
            if pre:
                first, *rest = text.split("\n")
                current.append(first)
                for piece in rest:
                    newline()
                    current.append(piece)
            else:
                current.append(text)
        elif tag in _BLOCKS:
            if current or tag == "br":
                newline()
            if tag == "li" and not closing:
                current.append("- ")
            elif tag == "p" and closing:
                lines.append("")
            elif tag == "blockquote":
                quote = max(0, quote - 1) if closing else quote + 1
            elif tag == "pre":
                pre = max(0, pre - 1) if closing else pre + 1
        elif tag in {"td", "th"} and not closing and current:
            current.append(" ")
    if current:
        newline()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def text_to_html(value: str) -> str:
    """A text part placed beside HTML parts in one message, as HTML."""
    return "<p>" + _html.escape(value).replace("\n", "<br>") + "</p>"
