"""Realistic generated customer mail for the ingest benchmark: raw RFC 5322 bytes, reproducible by seed.

The mix follows a support mailbox: mostly plain-text mail in UTF-8, a share of HTML mail with a text
alternative, attachments (a PDF invoice, an inline photo referenced by Content-ID), legacy charsets
(ISO-8859-1 and Windows-1252 in raw 8 bit, as old mail clients still send them), replies that quote
the earlier message ("Pada … menulis:", "On … wrote:") and thread by In-Reply-To/References, a few
out-of-office auto-replies, Indonesian (70 %) and English (30 %). Text comes from ``corpus.py``.
"""

from __future__ import annotations

import base64
import mailbox
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from corpus import EN_REPLIES, EN_SENTENCES, EN_SUBJECTS, ID_REPLIES, ID_SENTENCES, ID_SUBJECTS, _fill

DOMAIN = "pelanggan.example"
SUPPORT = "support@toko.example"
NAMES = (
    "Budi Santoso", "Siti Rahmawati", "Agus Wijaya", "Dewi Lestari", "Rina Kartika", "Made Wibowo",
    "Putu Ayu", "Joko Susilo", "Ahmad Fauzi", "Nur Aisyah", "Emily Hall", "Noah Morgan", "Ryan Wilson",
)  # fmt: skip
# A tiny valid PDF and a 1x1 PNG: attachments are about bytes and parts, not pixels.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + bytes(range(256)) * 8
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True, slots=True)
class Generated:
    message_id: str
    raw: bytes


def _text(rng: random.Random, lang: str, sentences: int) -> str:
    pool = ID_SENTENCES if lang == "id" else EN_SENTENCES
    return " ".join(_fill(rng.choice(pool), rng) for _ in range(sentences))


def _quote(previous: str, who: str, when: datetime, lang: str) -> str:
    quoted = "\n".join("> " + line for line in previous.splitlines()[:12])
    if lang == "id":
        header = f"Pada {when:%d %b %Y} pukul {when:%H.%M}, {who} <{SUPPORT}> menulis:"
    else:
        header = f"On {when:%a, %d %b %Y at %H:%M}, {who} <{SUPPORT}> wrote:"
    return f"\n\n{header}\n{quoted}\n"


def _headers(
    sender: str, address: str, subject: str, when: datetime, message_id: str, extra: dict[str, str]
) -> list[tuple[str, str]]:
    headers = [
        ("From", f'"{sender}" <{address}>'),
        ("To", SUPPORT),
        ("Subject", subject),
        ("Date", format_datetime(when)),
        ("Message-ID", message_id),
        ("MIME-Version", "1.0"),
    ]
    headers += list(extra.items())
    return headers


def _encode_header(value: str) -> str:
    if value.isascii():
        return value
    return "=?utf-8?b?" + base64.b64encode(value.encode()).decode() + "?="


def _assemble(headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "".join(f"{name}: {_encode_header(value)}\r\n" for name, value in headers)
    return head.encode("ascii") + b"\r\n" + body


def _b64(data: bytes) -> bytes:
    return b"\r\n".join(base64.encodebytes(data).splitlines()) + b"\r\n"


def _multipart(
    headers: list[tuple[str, str]], subtype: str, boundary: str, parts: list[tuple[str, bytes]]
) -> bytes:
    """A multipart body of base64 parts, each with its own header lines."""
    body = b""
    for part_headers, payload in parts:
        head = f"--{boundary}\r\n{part_headers}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        body += head.encode() + _b64(payload)
    body += f"--{boundary}--\r\n".encode()
    return _assemble([*headers, ("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')], body)


def _plain(text: str, charset: str = "utf-8") -> tuple[str, bytes]:
    if charset == "utf-8":
        return "text/plain; charset=utf-8", _b64(text.encode()) if not text.isascii() else text.encode()
    # Old clients: the charset's bytes raw, declared 8bit.
    return f"text/plain; charset={charset}", text.encode(charset, errors="replace")


def generate(n: int, *, seed: int = 20261122, start: datetime | None = None) -> Iterator[Generated]:
    """``n`` messages in arrival order."""
    rng = random.Random(seed)
    when = start or datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    sent: list[tuple[str, str, str, str, str]] = []  # message id, subject, text, sender, lang
    for i in range(n):
        when += timedelta(seconds=rng.randint(5, 120))
        message_id = f"<gen.{seed}.{i}@{DOMAIN}>"
        extra: dict[str, str] = {}
        roll = rng.random()
        if sent and roll < 0.3:  # a reply in an existing conversation
            parent_id, subject, previous, sender, lang = rng.choice(sent[-2000:])
            reply = ID_REPLIES if lang == "id" else EN_REPLIES
            text = _fill(rng.choice(reply), rng) + " " + _text(rng, lang, rng.randint(1, 4))
            text += _quote(previous, "Tim Dukungan", when - timedelta(hours=2), lang)
            subject = subject if subject.lower().startswith(("re:", "bls:")) else f"Re: {subject}"
            extra = {"In-Reply-To": parent_id, "References": parent_id}
        else:
            lang = "id" if rng.random() < 0.7 else "en"
            sender = rng.choice(NAMES)
            subject = _fill(rng.choice(ID_SUBJECTS if lang == "id" else EN_SUBJECTS), rng)
            text = _text(rng, lang, rng.randint(2, 10))
            if rng.random() < 0.3:
                text += f"\n\n{'Nomor pesanan' if lang == 'id' else 'Order number'}: INV{2026}{i:08d}"
        address = f"{sender.lower().replace(' ', '.')}.{i % 997}@{DOMAIN}"
        kind = rng.random()
        headers = _headers(sender, address, subject, when, message_id, extra)
        if kind < 0.02:  # an out-of-office answer to something we sent
            away = "Saya sedang cuti sampai minggu depan." if lang == "id" else "I am away until next week."
            prefix = "Balasan otomatis: " if lang == "id" else "Automatic reply: "
            headers = _headers(sender, address, prefix + subject, when, message_id, extra)
            headers.append(("Auto-Submitted", "auto-replied"))
            body_type, body = _plain(away)
            raw = _assemble([*headers, ("Content-Type", body_type)], body)
        elif kind < 0.12:  # legacy charset, raw 8 bit
            charset = rng.choice(("iso-8859-1", "windows-1252"))
            body_type, body = _plain(text.replace("Halo", "Halo \u00e0 bient\u00f4t"), charset)
            type_headers = [("Content-Type", body_type), ("Content-Transfer-Encoding", "8bit")]
            raw = _assemble([*headers, *type_headers], body)
        elif kind < 0.27:  # HTML with a text alternative
            html = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
            parts = [
                ("Content-Type: text/plain; charset=utf-8", text.encode()),
                ("Content-Type: text/html; charset=utf-8", f"<html><body>{html}</body></html>".encode()),
            ]
            raw = _multipart(headers, "alternative", f"alt-{i}", parts)
        elif kind < 0.37:  # attachments: an invoice and an inline photo
            name = f"faktur-{i}.pdf"
            parts = [
                ("Content-Type: text/plain; charset=utf-8", text.encode()),
                (
                    f'Content-Type: application/pdf; name="{name}"\r\n'
                    f'Content-Disposition: attachment; filename="{name}"',
                    PDF,
                ),
                (
                    f'Content-Type: image/png; name="foto.png"\r\nContent-ID: <foto{i}@{DOMAIN}>\r\n'
                    'Content-Disposition: inline; filename="foto.png"',
                    PNG,
                ),
            ]
            raw = _multipart(headers, "mixed", f"mix-{i}", parts)
        else:
            body_type, body = _plain(text)
            cte = "7bit" if text.isascii() else "base64"
            raw = _assemble([*headers, ("Content-Type", body_type), ("Content-Transfer-Encoding", cte)], body)
        sent.append((message_id, subject, text, sender, lang))
        yield Generated(message_id, raw)


def write_maildir(path: Path, messages: Iterator[Generated]) -> int:
    """Deliver ``messages`` into a Maildir at ``path`` (created); returns how many."""
    box = mailbox.Maildir(str(path), create=True)
    count = 0
    for message in messages:
        box.add(message.raw)
        count += 1
    return count
