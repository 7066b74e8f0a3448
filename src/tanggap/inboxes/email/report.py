"""What the e-mail pipeline reads in one raw message, as one JSON-ready dict: the output of ``tanggap mail
parse``, which admins use to see why a mail did what it did. Pure: it only calls the other e-mail cores.

The kind of a message:
- ``message``: written by a person, or machine mail that is none of the kinds below (lists, notifications);
- ``auto_reply``: an RFC 3834 auto-reply, vacation or out-of-office notice;
- ``bounce``: a delivery failure, and also a delayed-delivery notice (the server is still trying): both say
  a message of ours did not arrive (yet). A delay is never hard: the address is not known to be unusable;
- ``feedback_report``: an ARF (RFC 5965) complaint report, or a provider's complaint in its own format;
- ``delivery_report``: a DSN that reports no failure (a successful delivery, a relay notice) or one whose
  failures could not be read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from email import policy as _policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

from tanggap.inboxes.email.bounces import Bounce, parse_bounce
from tanggap.inboxes.email.loops import Automatic, classify_automatic
from tanggap.inboxes.email.parse import MAX_BYTES, ParsedMail, parse_mail
from tanggap.inboxes.email.trim import split_reply

ReportKind = Literal["message", "auto_reply", "bounce", "feedback_report", "delivery_report"]
KINDS: tuple[ReportKind, ...] = ("message", "auto_reply", "bounce", "feedback_report", "delivery_report")

_PARSER = BytesParser(policy=_policy.compat32)


def empty_report(file: str) -> dict[str, Any]:
    """The report of a file nothing could be read from: every key present, ``errors`` to be filled."""
    return {
        "file": file,
        "from": None,
        "to": [],
        "cc": [],
        "reply_to": [],
        "subject": "",
        "date": None,
        "message_id": None,
        "in_reply_to": None,
        "references": [],
        "text": "",
        "html": None,
        "visible_text": "",
        "attachments": [],
        "kind": "message",
        "bounce": None,
        "errors": [],
    }


def mail_report(raw: bytes, *, file: str) -> dict[str, Any]:
    """The report of one raw message. Never raises: what failed is named in ``errors``.

    ``errors`` holds the parser's problem codes (see ``parse.PROBLEMS``), then ``<step>_failed: <reason>``
    for a step that broke. Keys keep the documented order, so the JSON lines are stable.
    """
    report = empty_report(file)
    errors: list[str] = report["errors"]
    mail = _step(errors, "parse", lambda: parse_mail(raw))
    if mail is not None:
        errors.extend(mail.problems)
        report.update(_fields(mail))
        visible = _step(errors, "trim", lambda: split_reply(mail.text, html=mail.html).visible)
        report["visible_text"] = visible if visible is not None else mail.text
    # The stdlib parser recurses once per nested multipart: where the parser refused the tree, the
    # headers are enough to tell automatic mail.
    headers_only = mail is not None and "too_many_parts" in mail.problems
    msg = _step(errors, "mime", lambda: _PARSER.parsebytes(raw[:MAX_BYTES], headersonly=headers_only))
    if msg is not None:
        kind, bounce = _classify(msg, errors)
        report["kind"] = kind
        report["bounce"] = bounce
    return _clean(report)


def mail_report_file(path: str) -> dict[str, Any]:
    """The report of the message in a file; a file that cannot be read still gets its report."""
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # one byte over is enough for the parser to say too_large
    except (OSError, ValueError) as exc:
        report = empty_report(path)
        report["errors"].append(f"read_failed: {_reason(exc)}")
        return _clean(report)
    return mail_report(raw, file=path)


# --- pieces ---------------------------------------------------------------------------------------


def _step[T](errors: list[str], name: str, run: Callable[[], T]) -> T | None:
    try:
        result: T = run()
    except Exception as exc:
        errors.append(f"{name}_failed: {_reason(exc)}")
        return None
    except BaseException as exc:  # nh3 raises PanicException, a BaseException, on some inputs
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        errors.append(f"{name}_failed: {_reason(exc)}")
        return None
    return result


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _address(pair: tuple[str, str]) -> dict[str, str]:
    name, address = pair
    return {"address": address, "name": name}


def _fields(mail: ParsedMail) -> dict[str, Any]:
    sender = {"address": mail.from_address, "name": mail.from_name} if mail.from_address else None
    return {
        "from": sender,
        "to": [_address(p) for p in mail.to],
        "cc": [_address(p) for p in mail.cc],
        "reply_to": [_address(p) for p in mail.reply_to],
        "subject": mail.subject,
        "date": mail.date.isoformat() if mail.date else None,
        "message_id": mail.message_id,
        "in_reply_to": mail.in_reply_to,
        "references": list(mail.references),
        "text": mail.text,
        "html": mail.html or None,
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": len(a.data),
                "sha256": hashlib.sha256(a.data).hexdigest(),
                "content_id": a.content_id or None,
                "inline": a.inline,
            }
            for a in mail.attachments
        ],
    }


def _classify(msg: Message, errors: list[str]) -> tuple[ReportKind, dict[str, Any] | None]:
    automatic: Automatic | None = _step(errors, "classify", lambda: classify_automatic(msg))
    if automatic is None:
        return "message", None
    if automatic.kind in ("bounce", "delay"):
        bounce: Bounce | None = _step(errors, "bounce", lambda: parse_bounce(msg))
        if bounce is None:  # classify_automatic read one, so this only happens when parse_bounce broke
            return "bounce", None
        return "bounce", {
            "hard": bounce.hard,
            "recipients": [
                {"address": r.address, "status": r.status, "hard": r.hard} for r in bounce.recipients
            ],
        }
    if automatic.kind in ("auto_reply", "feedback_report"):
        return automatic.kind, None
    if automatic.kind == "system" and "dsn_report" in automatic.reasons:
        return "delivery_report", None
    return "message", None


def _clean(value: Any) -> Any:
    """Lone surrogates (from undecodable bytes) replaced, so the report always encodes as UTF-8 JSON."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
