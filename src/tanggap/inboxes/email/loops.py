"""Loop protection for inbound mail: tells automatic mail (auto-replies, bounces, DSNs, ARF reports, lists)
from mail a person wrote, reads feedback reports, and rate-limits the automatic mail we send."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from typing import Literal

from tanggap.inboxes.email.bounces import is_bounce_candidate, parse_bounce
from tanggap.inboxes.email.mime_access import (
    MAX_RECIPIENTS,
    block_text,
    content_type_param,
    field_blocks,
    find_addresses,
    find_message_id,
    first_address,
    header_text,
    is_mailer_daemon,
    original_message_id,
    original_recipients,
    raw_headers,
    report_texts,
    split_original,
    walk_parts,
)

AutomaticKind = Literal["human", "auto_reply", "bounce", "delay", "feedback_report", "list", "system"]


@dataclass(frozen=True, slots=True)
class Automatic:
    kind: AutomaticKind
    is_automatic: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeedbackReport:
    feedback_type: str  # "abuse", "fraud", "not-spam", "virus", "other", ...
    original_recipients: tuple[str, ...]
    original_message_id: str | None
    original_mail_from: str | None
    user_agent: str | None


# ---------------------------------------------------------------- feedback reports (ARF, RFC 5965)

# Some providers send complaints as a plain forward of the message under this subject, without ARF.
_COMPLAINT_SUBJECT = re.compile(r"\s*complaint about message from", re.I)


def parse_feedback_report(msg: Message) -> FeedbackReport | None:
    """The complaint a mailbox provider reports about a message we sent, or None when it is not one."""
    try:
        return _parse_feedback_report(msg)
    except RecursionError:
        return None


def _parse_feedback_report(msg: Message) -> FeedbackReport | None:
    report = next((p for p, c in walk_parts(msg) if c == "message/feedback-report"), None)
    if report is None:
        if _COMPLAINT_SUBJECT.match(header_text(msg, "Subject") or "") and original_recipients(msg, ""):
            return FeedbackReport(
                feedback_type="abuse",
                original_recipients=tuple(original_recipients(msg, ""))[:MAX_RECIPIENTS],
                original_message_id=original_message_id(msg, ""),
                original_mail_from=None,
                user_agent=None,
            )
        return _ses_complaint(report_texts(msg)[1])
    fields: dict[str, str] = {}
    recipients: list[str] = []
    for block in field_blocks(block_text(report)):
        for name, value in block.items():
            fields.setdefault(name, value)
        recipients.extend(find_addresses(block.get("original-rcpt-to", "")))
    quoted = split_original(report_texts(msg)[1])[1]
    if not recipients:
        recipients = original_recipients(msg, quoted)
    return FeedbackReport(
        feedback_type=(fields.get("feedback-type") or "other").split()[0].lower()[:40] or "other",
        original_recipients=tuple(dict.fromkeys(recipients))[:MAX_RECIPIENTS],
        original_message_id=original_message_id(msg, quoted),
        original_mail_from=first_address(fields.get("original-mail-from")),
        user_agent=(fields.get("user-agent") or None),
    )


def _ses_complaint(text: str) -> FeedbackReport | None:
    text = text.replace('\\"', '"')
    if not re.search(r'"notificationType"\s*:\s*"Complaint"', text):
        return None
    listed = re.search(r'"complainedRecipients"\s*:\s*\[([^\]]{0,20000})\]', text)
    kind = re.search(r'"complaintFeedbackType"\s*:\s*"([\w-]{1,40})"', text)
    source = re.search(r'"source"\s*:\s*"([^"]{1,320})"', text)
    message_id = re.search(r'"name"\s*:\s*"Message-ID"\s*,\s*"value"\s*:\s*"([^"]{1,500})"', text, re.I)
    return FeedbackReport(
        feedback_type=kind.group(1).lower() if kind else "abuse",
        original_recipients=tuple(find_addresses(listed.group(1) if listed else ""))[:MAX_RECIPIENTS],
        original_message_id=find_message_id(message_id.group(1)) if message_id else None,
        original_mail_from=first_address(source.group(1)) if source else None,
        user_agent=None,
    )


# ---------------------------------------------------------------- automatic or written by a person

# Subjects of vacation and out-of-office replies. Only a prefix counts: "Re: Out of office" is a person.
_AUTOREPLY_SUBJECT = re.compile(
    r"\s*(\[[^\]]{0,40}\]\s*(?=\w))?(auto(matic|matische)?[ -]?(reply|response|antwort|answer)|autoreply"
    r"|auto[- ]?respon"
    r"|out of (the )?office|ooo\b|away from (the )?office|on vacation|vacation (reply|notice)"
    r"|i am (currently )?"
    r"(away|out)|abwesenheit|absence|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica"
    r"|balasan otomatis|balas(an)? otomatis|jawaban otomatis|pesan otomatis|sedang (berada )?di luar kantor"
    r"|di luar kantor|sedang cuti|cuti\s*:|cuti (bersama |tahunan )?sampai|\[\s*(cuti|ooo"
    r"|out of office)\s*\])",
    re.I,
)
_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post", "Mailing-List", "X-Mailing-List", "List-Help")


def classify_automatic(msg: Message) -> Automatic:
    """Whether a person wrote this message and, when not, what kind of machine mail it is.

    The strongest evidence decides the kind: a report structure (ARF, DSN), then a bounce read from the text,
    then RFC 3834 headers, then list headers, then other signs of machine mail. Every signal that fired is in
    ``reasons`` so an admin can see why.
    """
    try:
        return _classify(msg)
    except RecursionError:
        return Automatic(kind="system", is_automatic=True, reasons=("unreadable_structure",))


def _classify(msg: Message) -> Automatic:
    reasons: list[str] = []
    kind: AutomaticKind | None = None
    headers = raw_headers(msg)

    def raw(name: str) -> str | None:
        return headers.get(name.lower())

    parts = list(walk_parts(msg))
    report_types = {content_type_param(p, "report-type") for p, c in parts if c == "multipart/report"}
    ctypes = {c for _, c in parts}
    if "feedback-report" in report_types or "message/feedback-report" in ctypes:
        reasons.append("arf_report")
        kind = "feedback_report"
    elif "delivery-status" in report_types or ctypes & {
        "message/delivery-status",
        "message/global-delivery-status",
    }:
        reasons.append("dsn_report")

    auto_submitted = (raw("Auto-Submitted") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        reasons.append("auto_submitted")
    autoreply_header = any(raw(h) for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"))
    if autoreply_header or (raw("X-Autogenerated") or "").strip().lower() == "reply":
        reasons.append("x_autoreply")
    precedence = (raw("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        reasons.append(f"precedence_{precedence}")
    suppress = (raw("X-Auto-Response-Suppress") or "").lower()
    if re.search(r"\b(oof|all|autoreply)\b", suppress):
        reasons.append("x_auto_response_suppress")
    if re.fullmatch(r"\s*<?\s*>?\s*", raw("Return-Path") or "-"):
        reasons.append("empty_return_path")
    if any(raw(h) for h in _LIST_HEADERS):
        reasons.append("list_id")
    sender = f"{raw('From') or ''} {raw('Sender') or ''}"
    if is_mailer_daemon(sender):
        reasons.append("mailer_daemon")
    elif re.search(r"\bno-?reply|\bdo-?not-?reply|\bnoreply", sender, re.I):
        reasons.append("noreply_sender")
    subject = header_text(msg, "Subject") or ""
    if _AUTOREPLY_SUBJECT.match(subject):
        reasons.append("subject_autoreply_pattern")
    if _COMPLAINT_SUBJECT.match(subject) and "message/rfc822" in ctypes:
        reasons.append("complaint_subject")
        kind = kind or "feedback_report"

    if kind is None and ("dsn_report" in reasons or is_bounce_candidate(msg)):
        kind = _bounce_kind(msg, reasons)
    machine = {"noreply_sender", "mailer_daemon", "empty_return_path"} & set(reasons)
    if kind is None and machine and parse_feedback_report(msg) is not None:  # complaints mailed as JSON
        reasons.append("arf_report")
        kind = "feedback_report"
    if kind is None:
        kind = _header_kind(reasons, auto_submitted)
    return Automatic(kind=kind, is_automatic=kind != "human", reasons=tuple(reasons))


def _bounce_kind(msg: Message, reasons: list[str]) -> AutomaticKind | None:
    bounce = parse_bounce(msg)
    if bounce is not None:
        if "dsn_report" not in reasons:
            reasons.append("bounce_text")
        return "bounce" if bounce.final else "delay"
    if "dsn_report" in reasons:  # a report of successful delivery, or one we could not read
        return "system"
    return None


def _header_kind(reasons: list[str], auto_submitted: str) -> AutomaticKind:
    replied = auto_submitted.startswith("auto-replied") or "precedence_auto_reply" in reasons
    if replied or "x_autoreply" in reasons:
        return "auto_reply"
    if "subject_autoreply_pattern" in reasons:
        # A weak signal: enough alone (some responders set no header), but list mail stays list mail.
        return "list" if "list_id" in reasons else "auto_reply"
    if "list_id" in reasons or "precedence_list" in reasons:
        return "list"
    if reasons:
        return "system"
    return "human"


# ---------------------------------------------------------------- rate limit for the automatic mail we send


@dataclass(frozen=True, slots=True)
class AutoMailLimiter:
    """How many automatic mails (receipts, notices) one address may get: a guard against mail loops with
    responders we failed to recognise. Times must be timezone-aware."""

    per_hour: int = 3
    per_day: int = 10

    def allows(self, history: Sequence[datetime], now: datetime) -> bool:
        return should_send_automatic(history, now, per_hour=self.per_hour, per_day=self.per_day)

    def next_allowed_at(self, history: Sequence[datetime], now: datetime) -> datetime:
        """The earliest moment from ``now`` on when one more automatic mail would be allowed."""
        _check_aware(now, history)
        moment = now
        for _ in range(len(history) + 1):
            if should_send_automatic(history, moment, per_hour=self.per_hour, per_day=self.per_day):
                return moment
            moment = _next_expiry(history, moment, self.per_hour, self.per_day)
        return moment


def should_send_automatic(
    history: Sequence[datetime], now: datetime, *, per_hour: int = 3, per_day: int = 10
) -> bool:
    """Whether one more automatic mail may go to an address that got automatic mails at ``history``.

    Sends stamped in the future (clock skew between nodes) count as recent, which errs on the side of silence.
    """
    _check_aware(now, history)
    if per_hour <= 0 or per_day <= 0:
        return False
    hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(days=1)
    last_hour = sum(1 for sent in history if sent > hour_ago)
    last_day = sum(1 for sent in history if sent > day_ago)
    return last_hour < per_hour and last_day < per_day


def _next_expiry(history: Sequence[datetime], now: datetime, per_hour: int, per_day: int) -> datetime:
    hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(days=1)
    limits = []
    recent_hour = sorted(s for s in history if s > hour_ago)
    if len(recent_hour) >= per_hour > 0:
        limits.append(recent_hour[len(recent_hour) - per_hour] + timedelta(hours=1))
    recent_day = sorted(s for s in history if s > day_ago)
    if len(recent_day) >= per_day > 0:
        limits.append(recent_day[len(recent_day) - per_day] + timedelta(days=1))
    return max([*limits, now + timedelta(seconds=1)])


def _check_aware(now: datetime, history: Sequence[datetime]) -> None:
    if now.tzinfo is None or any(sent.tzinfo is None for sent in history):
        raise ValueError("automatic-mail times must be timezone-aware")
