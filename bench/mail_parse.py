"""Compares mail parsers on the zammad corpus: correctness of the portable fields first, then speed.

    .venv/bin/python bench/mail_parse.py [--corpus ../shared/corpus] [--rounds 5] [--json]

Candidates, each used through its own natural API:
- ``stdlib-default``: ``email`` with ``policy.default`` (header registry, ``get_body``);
- ``stdlib-compat32``: ``email`` with ``policy.compat32`` plus ``decode_header``/``getaddresses``;
- ``fast-mail-parser``: the PyPI package (Rust); optional: ``.venv/bin/pip install fast-mail-parser``;
- ``tanggap``: ``tanggap.inboxes.email.parse.parse_mail`` (compat32 plus our own header, charset and
  address handling, HTML sanitising and text derivation).

Correctness: for each ``.yml`` the fields the corpus README calls portable (sender address and name,
subject, To/Cc addresses, attachments by MD5 with name, type and Content-ID). Speed: every corpus mail
parsed ``--rounds`` times, and ``--typical`` small everyday mails (1-3 KB) once, text and attachments
decoded, in the same process, one parser after the other. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tanggap.inboxes.email.parse import parse_mail


@dataclass
class Fields:
    from_email: str = ""
    from_name: str = ""
    subject: str = ""
    to: set[str] = field(default_factory=set)
    cc: set[str] = field(default_factory=set)
    attachments: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, type, cid, md5


def _md5(data: bytes) -> str:
    return hashlib.md5(data.replace(b"\r\n", b"\n")).hexdigest()  # noqa: S324 - the corpus uses MD5


def _squash(value: object) -> str:
    return " ".join(str(value or "").split())


def _decoded(value: object) -> str:
    try:
        return str(make_header(decode_header(str(value or ""))))
    except Exception:  # a candidate failing on a field is what we count
        return str(value or "")


def _walk_attachments(message: Message, get: Callable[[Message], bytes]) -> list[tuple[str, str, str, str]]:
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename() or ""
        body = part.get_content_type() in {"text/plain", "text/html"} and not name
        if body and part.get_content_disposition() != "attachment":
            continue
        cid = str(part.get("content-id", "")).strip().strip("<>")
        found.append((_decoded(name), part.get_content_type(), cid, _md5(get(part))))
    return found


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    inner = part.get_payload()
    return inner[0].as_bytes() if isinstance(inner, list) and inner and isinstance(inner[0], Message) else b""


def stdlib_default(raw: bytes) -> Fields:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(message, EmailMessage):
        raise TypeError("policy.default gives EmailMessage")
    fields = Fields(subject=str(message.get("subject", "")))
    sender = message.get("from")
    addresses = getattr(sender, "addresses", ()) if sender is not None else ()
    if addresses:
        fields.from_email, fields.from_name = addresses[0].addr_spec, addresses[0].display_name
    for name, target in (("to", fields.to), ("cc", fields.cc)):
        header = message.get(name)
        target.update(a.addr_spec.lower() for a in getattr(header, "addresses", ()) if a.addr_spec)
    body = message.get_body(("plain", "html"))
    if body is not None:
        body.get_content()
    fields.attachments = _walk_attachments(message, _payload)
    return fields


def stdlib_compat32(raw: bytes) -> Fields:
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    name, address = (getaddresses([str(message.get("from", ""))]) or [("", "")])[0]
    fields = Fields(
        from_email=address, from_name=_decoded(name), subject=_decoded(message.get("subject", ""))
    )
    for header, target in (("to", fields.to), ("cc", fields.cc)):
        target.update(a.lower() for _, a in getaddresses([str(message.get(header, ""))]) if a)
    for part in message.walk():
        if part.get_content_type() in {"text/plain", "text/html"}:
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                data.decode(part.get_content_charset() or "utf-8", "replace")
    fields.attachments = _walk_attachments(message, _payload)
    return fields


def _fast_mail_parser() -> Callable[[bytes], Fields] | None:
    try:
        import fast_mail_parser  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None

    def parse(raw: bytes) -> Fields:
        mail = fast_mail_parser.parse_email(raw)
        sender = mail.from_
        fields = Fields(
            from_email=sender.address if sender else "",
            from_name=(sender.display_name or "") if sender else "",
            subject=mail.subject,
            to={a.address.lower() for a in mail.to},
            cc={a.address.lower() for a in mail.cc},
        )
        fields.attachments = [
            (a.filename, a.mimetype, a.content_id or "", _md5(a.content))
            for a in mail.attachments
            if not a.mimetype.startswith("multipart/")
        ]
        return fields

    return parse


def tanggap(raw: bytes) -> Fields:
    mail = parse_mail(raw)
    return Fields(
        from_email=mail.from_address,
        from_name=mail.from_name,
        subject=mail.subject,
        to={a.lower() for _, a in mail.to},
        cc={a.lower() for _, a in mail.cc},
        attachments=[(a.filename, a.content_type, a.content_id, _md5(a.data)) for a in mail.attachments],
    )


class _Loader(yaml.SafeLoader):
    pass


def _ruby(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if not isinstance(node, yaml.ScalarNode):
        raise TypeError(suffix)
    return loader.construct_scalar(node)


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    if not isinstance(node, yaml.ScalarNode):
        raise TypeError("!binary")
    return base64.b64decode("".join(str(loader.construct_scalar(node)).split()))


_Loader.add_multi_constructor("!ruby/", _ruby)
_Loader.add_constructor("!binary", _binary)
_ADDRESS = re.compile(r"[^\s<>()\"',;:]+@[^\s<>()\"',;:]+")


def _checks(expected: dict[str, Any], got: Fields) -> list[bool]:
    """One boolean per portable field of the expectation."""
    results = []
    if "from_email" in expected:
        results.append((expected["from_email"] or "") == got.from_email)
    if "from_display_name" in expected:
        results.append(_squash(expected["from_display_name"]) == _squash(got.from_name))
    if "subject" in expected:
        results.append(_squash(expected["subject"]) == _squash(got.subject))
    for key, ours in (("to", got.to), ("cc", got.cc)):
        if key in expected:
            wanted = {a.lower().rstrip(".") for a in _ADDRESS.findall(str(expected[key] or ""))}
            results.append(wanted == {a.rstrip(".") for a in ours})
    for attachment in expected.get("attachments") or []:
        preferences = attachment.get("preferences") or {}
        if preferences.get("content-alternative"):
            continue
        data = attachment.get("data")
        digest = _md5(data if isinstance(data, bytes) else str(data or "").encode())
        described = (
            attachment.get("filename"),
            preferences.get("Mime-Type"),
            preferences.get("Content-ID") or "",
        )
        results.append(any((n, t, c) == described and m == digest for n, t, c, m in got.attachments))
    return results


def typical_mails(count: int) -> list[bytes]:
    """Small everyday replies: plain with a quote, HTML alternative, a photo, a legacy charset."""
    photo = base64.encodebytes(bytes(range(256)) * 8).decode()
    quote = "".join(f"> Baris kutipan nomor {i} dari balasan sebelumnya.\n" for i in range(15))
    templates = [
        "Content-Type: text/plain; charset=utf-8\n\nHalo kak, pesanan {n} belum sampai.\n\n"
        "Pada Sen, 3 Nov 2025 pukul 10.00, CS <cs@toko.id> menulis:\n" + quote,
        'Content-Type: multipart/alternative; boundary="a"\n\n'
        "--a\nContent-Type: text/plain; charset=utf-8\n\nHi, order {n} arrived damaged.\n"
        "--a\nContent-Type: text/html; charset=utf-8\n\n"
        "<div><p>Hi, order <b>{n}</b> arrived damaged.</p><blockquote>old</blockquote></div>\n--a--\n",
        'Content-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain; charset=utf-8\n\n'
        "Foto barang rusak terlampir ({n}).\n--m\nContent-Type: image/jpeg; name=foto.jpg\n"
        "Content-Disposition: attachment; filename=foto.jpg\nContent-Transfer-Encoding: base64\n\n"
        + photo
        + "--m--\n",
        "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Gr=FC=DFe, Bestellung {n} fehlt.\n",
    ]
    mails = []
    for n in range(count):
        head = (
            f"From: =?utf-8?q?Budi_Santoso?= <budi{n}@x.id>\nTo: cs@toko.id\nSubject: Re: Pesanan {n}\n"
            f"Message-ID: <{n}@x.id>\nIn-Reply-To: <r{n}@toko.id>\nDate: Mon, 3 Nov 2025 10:00:00 +0700\n"
            "MIME-Version: 1.0\n"
        )
        mails.append((head + templates[n % len(templates)].replace("{n}", str(n))).encode("latin-1"))
    return mails


def _rate(parse: Callable[[bytes], Fields], mails: list[bytes], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for raw in mails:
            try:
                parse(raw)
            except Exception:  # noqa: S112 - crashes are counted on the corpus
                continue
    return round(len(mails) * rounds / (time.perf_counter() - started), 1)


def main() -> None:
    default = os.environ.get(
        "TANGGAP_CORPUS_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "corpus")
    )
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", default=default)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--typical", type=int, default=2000, help="how many small everyday mails to time")
    parser.add_argument(
        "--json", action="store_true", help="print JSON only (the default output is JSON too)"
    )
    args = parser.parse_args()
    root = Path(args.corpus) / "zammad"
    boxes = sorted([*(root / "mail").glob("*.box"), *(root / "upstream-extra").glob("*.box")])
    mails = [(box, box.read_bytes()) for box in boxes]
    expectations = {
        box: yaml.load(box.with_suffix(".yml").read_bytes().decode(), Loader=_Loader)  # noqa: S506
        for box in boxes
        if box.with_suffix(".yml").exists()
    }
    candidates: dict[str, Callable[[bytes], Fields] | None] = {
        "stdlib-default": stdlib_default,
        "stdlib-compat32": stdlib_compat32,
        "fast-mail-parser": _fast_mail_parser(),
        "tanggap": tanggap,
    }
    total_bytes = sum(len(raw) for _, raw in mails)
    typical = typical_mails(args.typical)
    report: dict[str, Any] = {"mails": len(mails), "with_expectations": len(expectations), "parsers": {}}
    for name, parse in candidates.items():
        if parse is None:
            report["parsers"][name] = {
                "installed": False,
                "install": ".venv/bin/pip install fast-mail-parser",
            }
            continue
        crashed: list[str] = []
        mails_right = fields_right = fields_checked = 0
        for box, raw in mails:
            try:
                got = parse(raw)
            except Exception:  # a crash is a result here
                crashed.append(box.stem)
                got = None
            if box in expectations:
                checks = _checks(expectations[box], got) if got is not None else [False]
                fields_checked += len(checks)
                fields_right += sum(checks)
                mails_right += all(checks)
        corpus_rate = _rate(parse, [raw for _, raw in mails], args.rounds)
        report["parsers"][name] = {
            "installed": True,
            "crashed": crashed,
            "mails_all_fields_right": mails_right,
            "fields_right": fields_right,
            "fields_checked": fields_checked,
            "corpus_mails_per_second": corpus_rate,
            "corpus_mb_per_second": round(corpus_rate * total_bytes / len(mails) / 1e6, 2),
            "typical_mails_per_second": _rate(parse, typical, 1),
        }
    report["load_average"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
