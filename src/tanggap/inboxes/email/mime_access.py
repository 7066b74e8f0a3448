"""Tolerant, bounded access to stdlib ``email`` messages: header reads that never raise, part walking,
part text, addresses and the quoted original in machine mail (bounces, reports)."""

from __future__ import annotations

import contextlib
import email.header
import re
from collections.abc import Iterator
from email.message import Message

# Bounds: a hostile message must not make us walk, decode or scan without limit.
MAX_PARTS = 64
MAX_DEPTH = 8
MAX_TEXT_CHARS = 128 * 1024
MAX_HEADER_CHARS = 4096
MAX_RECIPIENTS = 50


# ---------------------------------------------------------------- defensive access to the message


def header_text(msg: Message, name: str) -> str | None:
    """A header value as text, or None when absent or unreadable (policy.default may raise on bad headers)."""
    try:
        value = msg.get(name)
        if value is None:
            return None
        text = str(value)
    except Exception:
        return None
    if "=?" in text:
        with contextlib.suppress(Exception):  # an undecodable encoded-word stays as it came
            text = str(email.header.make_header(email.header.decode_header(text)))
    return text[:MAX_HEADER_CHARS]


def header_values(msg: Message, name: str) -> list[str]:
    """Every value of a header (at most 20), or none when unreadable."""
    try:
        values = msg.get_all(name) or []
        return [str(v)[:MAX_HEADER_CHARS] for v in values[:20]]
    except Exception:
        return []


def raw_header(part: Message, name: str) -> str | None:
    """A header's value as it came, without the policy's parsing: cheap, and never raises."""
    wanted = name.lower()
    try:
        for key, value in part.raw_items():
            if key.lower() == wanted:
                return " ".join(str(value).split())[:MAX_HEADER_CHARS]
    except Exception:
        return None
    return None


def raw_headers(msg: Message) -> dict[str, str]:
    """The first value of every header as it came, by lower-case name."""
    found: dict[str, str] = {}
    try:
        for key, value in list(msg.raw_items())[:500]:
            found.setdefault(key.lower(), " ".join(str(value).split())[:MAX_HEADER_CHARS])
    except Exception:
        return found
    return found


def content_type(part: Message) -> str:
    """The part's media type, lower case, from the raw header; text/plain when missing or malformed."""
    match = re.match(r"\s*([a-z0-9.+-]+/[a-z0-9.+-]+)", (raw_header(part, "Content-Type") or "").lower())
    return match.group(1) if match else "text/plain"


def content_type_param(part: Message, name: str) -> str:
    """A Content-Type parameter, lower case, or "" when absent."""
    raw = raw_header(part, "Content-Type") or ""
    match = re.search(rf"(?:^|;)\s*{re.escape(name)}\s*=\s*\"?([^\";\s]*)", raw, re.I)
    return match.group(1).lower() if match else ""


def child_parts(part: Message) -> list[Message]:
    """The direct sub-parts of a multipart part (at most MAX_PARTS); none for any other part."""
    try:
        if not part.is_multipart():
            return []
        payload = part.get_payload()
    except Exception:
        return []
    if not isinstance(payload, list):
        return []
    return [p for p in payload[:MAX_PARTS] if isinstance(p, Message)]


def walk_parts(msg: Message) -> Iterator[tuple[Message, str]]:
    """The message's own parts, never those of an attached message; bounded in count and depth."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        ctype = content_type(part)
        yield part, ctype
        if depth < MAX_DEPTH and ctype.startswith("multipart/"):
            stack.extend((child, depth + 1) for child in reversed(child_parts(part)))


def part_text(part: Message) -> str:
    """The decoded text of a leaf part, cut to MAX_TEXT_CHARS; an unknown charset reads as UTF-8."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        try:
            raw = part.get_payload()
        except Exception:
            return ""
        return raw[:MAX_TEXT_CHARS] if isinstance(raw, str) else ""
    data = data[: MAX_TEXT_CHARS * 2]
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:
        charset = "utf-8"
    try:
        text = data.decode(charset, "replace")
    except (LookupError, ValueError):
        text = data.decode("utf-8", "replace")
    return text[:MAX_TEXT_CHARS]


def block_text(part: Message) -> str:
    """Text of a delivery-status or feedback-report part, whose blocks the parser keeps as sub-messages."""
    children = child_parts(part)
    if not children:
        return part_text(part)
    blocks = []
    for child in children[: MAX_RECIPIENTS + 1]:
        try:
            items = list(child.raw_items())[:100]
        except Exception:  # noqa: S112 - an unreadable block is skipped like a missing one
            continue
        lines = [f"{name}: {str(value)[:MAX_HEADER_CHARS]}" for name, value in items]
        body = part_text(child) if not child.is_multipart() else ""
        blocks.append("\n".join(lines) + ("\n" + body if body.strip() else ""))
    return "\n\n".join(blocks)


# ---------------------------------------------------------------- addresses and fields

ADDRESS = re.compile(
    r"(?:\"[^\"\n]{1,64}\"|[A-Za-z0-9!#$%&'*+/=?^_`{"
    r"|}~.-]{1,64})@(?:[A-Za-z0-9-]{1,63}\.){1,10}[A-Za-z]{2,24}\b"
)
_DAEMON = re.compile(
    r"mailer-?daemon|post_?master|mail ?delivery|mail-?daemon|bounces?@|\bnotify@|^root@", re.I
)


def find_addresses(text: str) -> list[str]:
    """The e-mail addresses in ``text``, lower case, in order of appearance and without repeats."""
    seen: dict[str, None] = {}
    for match in ADDRESS.finditer(text):
        address = match.group(0).strip(".").lower()
        if address not in seen:
            seen[address] = None
        if len(seen) >= MAX_RECIPIENTS * 4:
            break
    return list(seen)


def first_address(text: str | None) -> str | None:
    found = find_addresses(text or "")
    return found[0] if found else None


def field_blocks(text: str) -> list[dict[str, str]]:
    """RFC 822 style field blocks separated by blank lines, with folded lines joined."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.splitlines()[:2000]:
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
            continue
        if line[0] in " \t" and last:
            current[last] = f"{current[last]} {line.strip()}"[:MAX_HEADER_CHARS]
            continue
        name, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,60}", name.strip()):
            last = name.strip().lower()
            if last in current:  # some servers run the recipient blocks together without a blank line
                blocks.append(current)
                current = {}
            current[last] = value.strip()[:MAX_HEADER_CHARS]
    if current:
        blocks.append(current)
    return blocks


def find_message_id(text: str | None) -> str | None:
    """The first ``<local@domain>`` message id in ``text``."""
    match = re.search(r"<[^<>\s]{1,250}@[^<>\s]{1,250}>", text or "")
    return match.group(0) if match else None


def is_mailer_daemon(address_text: str | None) -> bool:
    """Whether the address names a mail server's own sender (MAILER-DAEMON, postmaster ...)."""
    return bool(address_text and _DAEMON.search(address_text))


# ---------------------------------------------------------------- report, notice and quoted original

# Where a text bounce stops talking about the failure and starts quoting the original message.
_ORIGINAL_MARKER = re.compile(
    r"^[ \t>|]*(?:-{2,}|={2,}|\*{2,})?[ \t]*(?:below (?:this line )?is a copy of the message"
    r"|this is a copy of"
    r"|original message|original message follows|(?:the )?(?:header|headers) of (?:the )?original message"
    r"|message headers follow|returned message|unsent message below|the original message headers"
    r"|undelivered message|a copy of the original message|your message reads|text of the message follows"
    r"|message text follows|included is a copy|the text you sent follows|original mail"
    r"|the original message is"
    r"|content-type: message/rfc822|the message you sent was)",
    re.I | re.MULTILINE,
)
_HEADER_LINE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,60}:( |$)")
_MESSAGE_HEADER = re.compile(
    r"(return-path|received|message-id|dkim-signature|mime-version|x-[a-z0-9-]+):", re.I
)


def split_original(text: str) -> tuple[str, str]:
    """Split a text bounce into the failure report and the quoted original message."""
    match = _ORIGINAL_MARKER.search(text)
    cut = match.start() if match and match.start() > 0 else len(text)
    block = _header_block(text[:cut])
    return text[:block], text[block:]


def _header_block(text: str) -> int:
    """Where the first quoted header block starts: three or more header lines, one a transport header."""
    offset, start, count, transport = 0, -1, 0, False
    for line in text.splitlines(keepends=True)[:4000]:
        if _HEADER_LINE.match(line):
            if start < 0:
                start, count, transport = offset, 0, False
            count += 1
            transport = transport or bool(_MESSAGE_HEADER.match(line))
            if count >= 3 and transport and start > 0:
                return start
        elif not (line[:1] in (" ", "\t") and start >= 0):
            start = -1
        offset += len(line)
    return len(text)


def original_message_id(msg: Message, quoted: str) -> str | None:
    """The Message-ID of the message a bounce or report returns: from an attached copy, its headers
    part, or the ``quoted`` text."""
    for part, ctype in walk_parts(msg):
        if ctype in ("message/rfc822", "message/global"):
            for child in child_parts(part)[:1]:
                found = find_message_id(header_text(child, "Message-ID"))
                if found:
                    return found
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers", "text/rfc822-header"):
            quoted = part_text(part) + "\n" + quoted
    match = re.search(r"^[ \t>]*Message-I[dD]:[ \t]*\n?[ \t]*(<[^<>\s]{1,250}@[^<>\s]{1,250}>)", quoted, re.M)
    return match.group(1) if match else None


def original_recipients(msg: Message, quoted: str) -> list[str]:
    """The To addresses of the message a bounce or report returns, attached or in the ``quoted`` text."""
    for part, ctype in walk_parts(msg):
        if ctype in ("message/rfc822", "message/global"):
            for child in child_parts(part)[:1]:
                found = [a for v in header_values(child, "To") for a in find_addresses(v)]
                if found:
                    return found
    match = re.search(r"^To:[^\n]*", quoted[:8192], re.I | re.M)
    return find_addresses(match.group(0)) if match else []


def report_texts(msg: Message) -> tuple[str, str, list[str]]:
    """The delivery-status report, the human-readable notice and the other text parts of a bounce."""
    report, notice, others = "", "", []
    for part, ctype in walk_parts(msg):
        if ctype in ("message/delivery-status", "message/global-delivery-status", "text/delivery-status"):
            report += block_text(part) + "\n\n"
        elif (ctype in ("text/plain", "text/html") and not _is_attachment(part)) or (
            ctype.startswith("multipart/") and not child_parts(part)  # boundary never found: read it as text
        ):
            text = part_text(part)
            if ctype == "text/html":
                text = re.sub(r"<[^>]{0,2000}>", " ", text)
            if not notice and text.strip():
                notice = text
            else:
                others.append(text)
    return report, notice, others


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:
        return False
