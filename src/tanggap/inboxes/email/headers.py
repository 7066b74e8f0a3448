"""Reads e-mail headers as senders really write them: charsets, RFC 2047 encoded-words, RFC 2231
parameters, addresses, message ids and dates. Never raises; oddities are added to a ``problems`` list.

Problem codes are the ones listed in ``parse.PROBLEMS``.
"""

from __future__ import annotations

import binascii
import codecs
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import unquote_to_bytes

MAX_HEADER_VALUE = 32 * 1024
MAX_ADDRESSES = 500
MAX_ID = 998


def add_problem(problems: list[str], code: str) -> None:
    """Records a problem code once, in the order first met."""
    if code not in problems:
        problems.append(code)


# --- charsets -------------------------------------------------------------------------------------

# Labels mail clients use for a charset whose real content is a superset, or under a non-standard name.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
}
# Tried when the declared codec fails on the bytes: the same script's wider variants.
_WIDER = {
    # Japanese mail labelled ISO-2022-JP is often Shift_JIS or EUC-JP bytes.
    "iso2022_jp": ("iso2022_jp_ext", "iso2022_jp_2", "cp932", "euc_jp"),
    "euc_jp": ("cp932",),
    "ascii": ("utf-8",),
}
_WESTERN = frozenset({"ascii", "cp1252", "latin_1", "iso8859_15"})
_MULTI_BYTE = frozenset(
    {
        "gb2312", "gbk", "gb18030", "hz", "big5", "big5hkscs", "cp950", "shift_jis", "cp932", "euc_jp",
        "euc_jis_2004", "shift_jis_2004", "iso2022_jp", "euc_kr", "cp949", "johab", "iso2022_kr",
    }
)  # fmt: skip


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()[:40]
    label = _ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode_bytes(data: bytes, declared: str | None, fallbacks: Iterable[str] = ()) -> tuple[str, bool]:
    """Text of ``data``; the flag is False when the declared charset was unknown or wrong."""
    codec = _codec(declared)
    if codec in _WESTERN and not data.isascii():
        # Many clients label UTF-8 as Latin-1 or ASCII; valid UTF-8 with non-ASCII is almost never Latin-1.
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
    if codec:
        for name in (codec, *_WIDER.get(codec, ())):
            try:
                return data.decode(name), True
            except (UnicodeDecodeError, LookupError):
                continue
    # Multi-byte charsets first: a strict decode that succeeds is strong evidence, while single-byte
    # ones (Latin-1, Windows-125x) turn any bytes into some text.
    others = sorted((c for c in map(_codec, fallbacks) if c), key=lambda c: c not in _MULTI_BYTE)
    for name in ("utf-8", *others, *(w for c in others for w in _WIDER.get(c, ())), "cp1252"):
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if name in _MULTI_BYTE and not _plausible(text):
            continue  # GB18030 and friends also "decode" Latin-1 bytes, into private-use characters
        return text, declared is None
    return data.decode("latin-1"), declared is None


def _plausible(text: str) -> bool:
    """No private-use, unassigned or control characters: what a wrong multi-byte guess produces."""
    return not any(unicodedata.category(ch)[0] == "C" and ch not in "\t\r\n" for ch in text)


def declared_charsets(message: Message) -> list[str]:
    """Charsets the message declares in its first parts: the best guess for raw 8-bit headers."""
    found: list[str] = []
    parts = [message]
    while parts and len(found) < 3:
        part = parts.pop(0)
        charset = header_params(str(part.get("content-type", "")))[1].get("charset")
        if charset and charset not in found:
            found.append(charset)
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            parts.extend(p for p in payload[:4] if isinstance(p, Message))
    return found


# --- encoded-words and raw values -----------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([QqBb])\?(.{0,500}?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r?\n\Z")
_QP_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def base64_lenient(data: bytes) -> bytes:
    """Base64 as senders write it: stray characters skipped, a broken last group dropped, never raw."""
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        data = re.sub(rb"[^A-Za-z0-9+/]", b"", data.split(b"=", 1)[0])
        data = data[: len(data) - 1] if len(data) % 4 == 1 else data + b"=" * (-len(data) % 4)
        return binascii.a2b_base64(data) if data else b""


def _word_bytes(kind: str, payload: str) -> bytes:
    if kind in "Bb":
        return base64_lenient(payload.encode("ascii", "replace"))
    data = payload.replace("_", " ").encode("latin-1", "replace")
    return _QP_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def decode_words(value: str, problems: list[str] | None = None) -> str:
    """RFC 2047 encoded-words decoded leniently: spaces inside words, words split mid-character."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []  # adjacent words: whitespace between them is dropped

    def flush() -> None:
        merged: list[tuple[str, bytes]] = []
        for charset, data in pending:
            if merged and merged[-1][0] == charset:
                merged[-1] = (charset, merged[-1][1] + data)
            else:
                merged.append((charset, data))
        for charset, data in merged:
            text, ok = decode_bytes(data, charset.split("*", 1)[0])
            if not ok and problems is not None:
                add_problem(problems, "bad_charset")
            out.append(text)
        pending.clear()

    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if between and not (pending and between.isspace()):
            flush()
            out.append(between)
        pending.append((match.group(1), _word_bytes(match.group(2), match.group(3))))
        position = match.end()
    flush()
    out.append(value[position:])
    return "".join(out)


def _unfold(value: str) -> str:
    return _FOLD.sub("", value).replace("\r", "").replace("\n", " ")


def raw_header_text(value: str, fallbacks: Iterable[str], problems: list[str]) -> str:
    """A header as stored by the parser: raw 8-bit bytes (kept as surrogates) decoded, then unfolded."""
    if len(value) > MAX_HEADER_VALUE:
        value = value[:MAX_HEADER_VALUE]
        add_problem(problems, "header_too_long")
    if not value.isascii():
        raw = value.encode("utf-8", "surrogateescape")
        value, _ = decode_bytes(raw, None, fallbacks)
    return _unfold(value)


# --- ids, addresses, dates ------------------------------------------------------------------------

_ID = re.compile(r"<([^<>\s]{1,998})>")
_ADDR_SPEC = re.compile(r"^[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+$")
# Bounded on both sides of the "@", so a long header without one cannot make the search quadratic.
_LOOSE_ADDR = re.compile(r"[^\s<>()\[\],;:\"'@]{1,64}@[A-Za-z0-9.\-]{1,255}")


def parse_ids(value: str) -> list[str]:
    """Message ids in a Message-ID, In-Reply-To or References value, without their angle brackets."""
    found = _ID.findall(value)
    if not found:
        found = [t.strip("<>") for t in value.split() if "@" in t or len(value.split()) == 1]
    return [i[:MAX_ID] for i in found if i]


def _split_outside_quotes(value: str, separator: str) -> list[str]:
    """Splits at ``separator`` outside quotes, angle brackets and comments."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = False
    angle = comment = 0
    escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted:
            if char == "<":
                angle += 1
            elif char == ">":
                angle = max(0, angle - 1)
            elif char == "(":
                comment += 1
            elif char == ")":
                comment = max(0, comment - 1)
            elif char == separator and not angle and not comment:
                pieces.append("".join(current))
                current = []
                continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


_ANGLE = re.compile(r"^(?P<name>.*)<(?P<address>[^<>]*)>[^<>]*$", re.S)
_GROUP = re.compile(r'^[^"<>@,;:]*:')
_COMMENT = re.compile(r"\([^()]*\)")


def _display_name(value: str, problems: list[str]) -> str:
    value = value.strip()
    without_comments = _COMMENT.sub("", value).strip() if '"' not in value else value
    value = without_comments or value.strip("() ")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return " ".join(decode_words(value, problems).split()).strip("'\" ")


def parse_addresses(value: str, problems: list[str]) -> list[tuple[str, str]]:
    """(name, address) pairs: the address from the raw text, only the display name decoded."""
    result: list[tuple[str, str]] = []
    for piece in _split_outside_quotes(value, ",")[:MAX_ADDRESSES]:
        piece = _GROUP.sub("", piece.strip()).strip().rstrip(";").strip()
        if not piece:
            continue
        angle = _ANGLE.match(piece)
        if angle:
            name, address = _display_name(angle.group("name"), problems), angle.group("address").strip()
        else:
            try:
                pairs = getaddresses([piece])
            except (RecursionError, ValueError, IndexError):  # deeply nested (comments)
                loose = _LOOSE_ADDR.search(piece)
                pairs = [("", loose.group(0) if loose else "")]
            name, address = (_display_name(pairs[0][0], problems), pairs[0][1].strip()) if pairs else ("", "")
        if address.lower().startswith("mailto:"):
            address = address[7:]
        if not address:
            continue
        if "@" not in address or not _ADDR_SPEC.match(address):
            address, name = _repair_address(piece, name, address, problems)
        if "=?" in address:
            # Never decode an address: a decoded local part can spell someone else's address.
            add_problem(problems, "encoded_address")
        result.append((name, address))
    return result


def _repair_address(raw: str, name: str, address: str, problems: list[str]) -> tuple[str, str]:
    if "@" not in address:
        embedded = _LOOSE_ADDR.search(raw)
        if embedded:  # "Name (user@host)": lenient parsers read it backwards
            add_problem(problems, "broken_address")
            return embedded.group(0), _display_name(raw.replace(embedded.group(0), ""), problems)
        return address, name  # a local-only sender such as MAILER-DAEMON
    if "=?" in address.partition("@")[0] and not any(c.isspace() for c in address):
        return address, name
    add_problem(problems, "broken_address")
    words = address.split()
    if (
        "<" not in raw
        and '"' not in address
        and len(words) > 1
        and "@" in words[-1]
        and not any("@" in w for w in words[:-1])
    ):
        return words[-1].strip("\"'"), name or " ".join(words[:-1])
    local, _, domain = address.rpartition("@")
    local = re.sub(r"[\s\"'<>()\[\],;:\\]", "", local)
    domain = re.sub(r"[^A-Za-z0-9.\-]", "", domain)
    return f"{local}@{domain}", name


# The weekday starts at a word boundary: otherwise the tail of "received" reads as one and hides the date.
_DATE_HEAD = re.compile(
    r"(?:\b[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3,9}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[+-]\d{4}|[A-Za-z]{1,5}\b))?"
)


def parse_date(value: str, problems: list[str]) -> datetime | None:
    """The Date header, or the first date-like run inside it; a missing zone reads as UTC."""
    for candidate in (value, *(m.group(0) for m in _DATE_HEAD.finditer(value[:200]))):
        try:
            parsed = parsedate_to_datetime(candidate.strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    add_problem(problems, "bad_date")
    return None


# --- structured headers (RFC 2231) ----------------------------------------------------------------


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """The main value and the parameters of a structured header, RFC 2231 continuations decoded."""
    pieces = _split_outside_quotes(value, ";")
    simple: dict[str, str] = {}
    extended: dict[str, list[tuple[int, bool, str]]] = {}
    for piece in pieces[1:50]:
        key, sep, text = piece.partition("=")
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(?:\*(\d{1,3}))?(\*)?\s*", key)
        if not sep or not match:
            continue
        text = text.strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        name, index, star = match.group(1).lower(), match.group(2), match.group(3)
        if index is None and not star:
            simple.setdefault(name, text)
        else:
            extended.setdefault(name, []).append((int(index or 0), bool(star), text))
    for name, chunks in extended.items():
        chunks.sort(key=lambda chunk: chunk[0])
        charset: str | None = None
        data = bytearray()
        for position, (_, encoded, text) in enumerate(chunks):
            if encoded and position == 0 and text.count("'") >= 2:
                charset, _, text = text.split("'", 2)
            data += unquote_to_bytes(text) if encoded else text.encode("utf-8")
        simple[name] = decode_bytes(bytes(data), charset or None)[0]
    return pieces[0].strip().lower(), simple
