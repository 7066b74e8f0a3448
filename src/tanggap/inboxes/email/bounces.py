"""Reads bounces and delayed-delivery notices (DSN reports and text bounces): who failed, why, and
whether the address itself is unusable (hard) or the failure may pass (soft).

Here: telling a bounce from other mail and finding its failed recipients; why each one failed and how hard
is read in ``bounce_reasons``. Pure: no Django.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Literal

from tanggap.inboxes.email.bounce_reasons import (
    HARD_REASONS,
    BounceReason,
    Severity,
    diagnostic_text,
    failure_reason,
    failure_severity,
    smtp_code,
    status_code,
)
from tanggap.inboxes.email.bounce_reasons import (
    MAX_DIAGNOSTIC_CHARS as MAX_DIAGNOSTIC_CHARS,  # re-exported: the bound on a Bounce's diagnostic
)
from tanggap.inboxes.email.mime_access import (
    ADDRESS,
    MAX_RECIPIENTS,
    child_parts,
    field_blocks,
    find_addresses,
    find_message_id,
    first_address,
    header_text,
    header_values,
    is_mailer_daemon,
    original_message_id,
    original_recipients,
    raw_header,
    report_texts,
    split_original,
    walk_parts,
)


@dataclass(frozen=True, slots=True)
class BouncedRecipient:
    address: str
    severity: Severity
    reason: BounceReason
    status: str | None  # RFC 3463 enhanced status, e.g. "5.1.1"
    smtp_code: str | None  # SMTP reply code, e.g. "550"
    action: str  # "failed" or "delayed"
    diagnostic: str

    @property
    def hard(self) -> bool:
        return self.severity == "hard"


@dataclass(frozen=True, slots=True)
class Bounce:
    severity: Severity  # hard when any recipient failed hard
    recipients: tuple[BouncedRecipient, ...]
    status: str | None
    reason: BounceReason
    diagnostic: str
    final: bool  # False for a delayed-delivery notice: the server is still trying
    original_message_id: str | None
    format: Literal["dsn", "text"]

    @property
    def hard(self) -> bool:
        return self.severity == "hard"

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(r.address for r in self.recipients)


# ---------------------------------------------------------------- bounces

_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|not deliver|delivery (status notification|fail|failure|report|problem|error"
    r"|notification|has failed)|failure notice|fail(ed|ure) (delivery|notice)|returned (mail|to sender)|mail "
    r"delivery (failed|failure|system)|non[- ]?deliver|nondeliver|delivery.{0,10}(delay|warning)"
    r"|warning: could not"
    r"|mail system error|could not (be )?(send|deliver)|rejected|returned|bounce|unzustellbar"
    r"|nicht zustellbar"
    r"|non remis|onbestelbaar|no entregado|tidak terkirim|gagal (dikirim|terkirim)|error sending"
    r"|mail failure",
    re.I,
)
_DELAY = re.compile(
    r"\bdelay(ed)?\b|will (keep|continue) (trying|to try)|still trying|not yet been delivered|will be retried"
    r"|warning: could not send|has not (yet )?been delivered",
    re.I,
)
_BOUNCE_BODY = re.compile(
    r"could not be delivered|undeliverable|delivery to the following recipients? failed"
    r"|permanent (fatal )?error"
    r"|following address(es)? (had|failed)|wasn't able to deliver|notificationType\\?\"\s*:\s*\\?\"Bounce",
    re.I,
)
_RECIPIENTS_INTRO = re.compile(
    r"following (recipients?|address(es)?|destinations?)|did not reach|delivered to|delivery to"
    r"|not able to deliver"
    r"|unable to deliver|(address|recipient)\(?e?s?\)? failed|addresses had|error delivering",
    re.I,
)
# Local parts of machine senders, never a failed recipient.
_SYSTEM_LOCALPART = re.compile(
    r"^(mailer-?daemon|post_?master|mail-?daemon|root|noreply|no-reply|abuse)$", re.I
)
_PERMANENT = re.compile(r"permanent|failed permanently|giving up|gave up|could not be delivered|fatal", re.I)


_REPLY_PREFIX = re.compile(r"\s*(re|fwd?|aw|wg|tr|bls|balas|tl|rv|sv|vs)\s*(\[\d+\])?\s*:", re.I)


def _empty_return_path(msg: Message) -> bool:
    value = raw_header(msg, "Return-Path")
    return value is not None and bool(re.fullmatch(r"\s*<?\s*>?\s*", value))


_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded", "deliverable"})


def _own_addresses(msg: Message, quoted: str) -> set[str]:
    """The bounce's own correspondents and the original sender: never the failed recipient."""
    own: set[str] = set()
    for name in ("From", "To", "Cc", "Reply-To", "Sender", "Return-Path"):
        for value in header_values(msg, name):
            own.update(find_addresses(value))
    header_block = quoted[:8192]
    for match in re.finditer(r"^(?:From|Return-Path|Sender|Reply-To):[^\n]*", header_block, re.I | re.M):
        own.update(find_addresses(match.group(0)))
    return own


def _recipient(
    address: str, text: str, status: str | None, action: str, context: str = ""
) -> BouncedRecipient:
    status = status or status_code(text)
    reason = failure_reason(text, status, context)
    if (
        action == "failed"
        and status
        and status.startswith("4")
        and _DELAY.search(text)
        and not _PERMANENT.search(text)
    ):
        action = "delayed"
    return BouncedRecipient(
        address=address,
        severity=failure_severity(reason, action, status),
        reason=reason,
        status=status,
        smtp_code=smtp_code(text),
        action=action,
        diagnostic=diagnostic_text(text),
    )


_POWERMTA_CATEGORIES: dict[str, BounceReason] = {
    "bad-mailbox": "user_unknown",
    "bad-domain": "domain_not_found",
    "inactive-mailbox": "mailbox_disabled",
    "quota-issues": "mailbox_full",
    "message-expired": "expired",
    "policy-related": "rejected",
    "spam-related": "rejected",
    "virus-related": "rejected",
    "content-related": "rejected",
    "relaying-issues": "rejected",
}


def _dsn_recipients(report: str, human: str) -> list[BouncedRecipient]:
    blocks: dict[str, dict[str, str]] = {}
    for block in field_blocks(report):
        # The original recipient is the address we wrote to; the final one may be an alias it expanded to.
        address = next(
            (
                candidate
                for name in ("original-recipient", "final-recipient", "x-actual-recipient")
                if (candidate := first_address(block.get(name, "").partition(";")[2] or block.get(name)))
            ),
            None,
        )
        action = (
            (block.get("action") or "failed").split()[0].lower()
            if block.get("action", "").strip()
            else "failed"
        )
        succeeded = action in _SUCCESS_ACTIONS or (block.get("status") or "").strip().startswith("2")
        if address and address not in blocks and not succeeded:
            blocks[address] = {**block, "action": action}
        if len(blocks) >= MAX_RECIPIENTS:
            break
    found = []
    for address, block in blocks.items():
        diagnostic = (block.get("diagnostic-code") or "").partition(";")
        text = diagnostic[2] or diagnostic[0]
        context = _segment(human, address, list(blocks))
        if failure_reason(text, None) == "other":
            text, context = f"{text}\n{context}", ""
        status = status_code(block.get("status") or "") or status_code(text)
        stated = status_code(text)
        # A generic "5.0.0" field says less than the specific code of the same class in the server's reply.
        if status and stated and status[1:] == ".0.0" and stated[0] == status[0]:
            status = stated
        action = "delayed" if block["action"] == "delayed" else "failed"
        recipient = _recipient(address, text, status, action, context)
        # An "x-unix" diagnostic is the exit of a local delivery program, which cannot judge the address.
        if diagnostic[1] and diagnostic[0].strip().lower() == "x-unix" and recipient.reason in HARD_REASONS:
            recipient = dataclasses.replace(recipient, reason="other", severity="soft")
        # PowerMTA states its own verdict per recipient; it knows the remote servers better than the words.
        category = _POWERMTA_CATEGORIES.get((block.get("x-powermta-bouncecategory") or "").strip().lower())
        if category:
            severity = failure_severity(category, recipient.action, recipient.status)
            recipient = dataclasses.replace(recipient, reason=category, severity=severity)
        found.append(recipient)
    return found


def _segment(text: str, address: str, others: Sequence[str]) -> str:
    lowered = text.lower()
    start = lowered.find(address)
    if start < 0:
        return ""
    ends = [p for p in (lowered.find(o, start + len(address)) for o in others if o != address) if p > 0]
    end = min([*ends, start + 2000])
    return text[max(0, lowered.rfind("\n", 0, start)) : end]


def _text_recipients(msg: Message, report: str, quoted: str) -> list[BouncedRecipient]:
    failed = [a for v in header_values(msg, "X-Failed-Recipients") for a in find_addresses(v)]
    scan = re.sub(
        r"(?im)^[ \t>]*(message-id|in-reply-to|references|from|sender|reply-to|mail from):.*$"
        r"|mail from:\s*<[^>]*>"
        r"|^.*(contact|assistance|questions).*$"
        r"|https?://\S+",
        "",
        report,
    )
    # Addresses named after the words introducing the failed recipients are the likeliest ones.
    intro = _RECIPIENTS_INTRO.search(scan)
    found = [
        a
        for a in find_addresses(scan[intro.start() :] if intro else scan)
        if not _SYSTEM_LOCALPART.match(a.split("@", 1)[0])
    ]
    if not found and intro:
        found = [a for a in find_addresses(scan) if not _SYSTEM_LOCALPART.match(a.split("@", 1)[0])]
    own = _own_addresses(msg, quoted)
    # The bounce may go back to the very address that failed (a forward to oneself), so its own
    # correspondents are dropped only while other candidates remain.
    # Bounces list each failed recipient at the start of a line; other addresses are help desks and the like.
    leading = {
        m.group(0).strip(".").lower()
        for line in scan.splitlines()
        if (m := ADDRESS.match(line.lstrip(" \t<(")))
    }
    found = [a for a in found if a in leading] or found
    candidates = failed or [a for a in found if a not in own] or found
    if not candidates:
        not_daemons = [a for a in find_addresses(scan) if not is_mailer_daemon(a)]
        candidates = not_daemons or original_recipients(msg, quoted)[:1]
    candidates = candidates[:MAX_RECIPIENTS]
    subject = header_text(msg, "Subject") or ""
    delayed = bool(_DELAY.search(report) or _DELAY.search(subject)) and not _PERMANENT.search(report)
    recipients = []
    for address in candidates:
        text = _segment(report, address, candidates) if len(candidates) > 1 else report
        recipients.append(_recipient(address, text or report, None, "delayed" if delayed else "failed"))
    return recipients


def _wrapped_bounce(msg: Message, depth: int) -> Bounce | None:
    """A bounce that a filter or gateway forwarded as an attachment of its own notice."""
    if depth >= 2:
        return None
    for part, ctype in walk_parts(msg):
        if ctype in ("message/rfc822", "message/global"):
            for child in child_parts(part)[:1]:
                if is_bounce_candidate(child):
                    return _parse_bounce(child, depth + 1)
    return None


def _ses_notification(text: str) -> list[BouncedRecipient]:
    """A JSON bounce notification from a sending service, mailed to a subscribed address. Mail transport may
    have folded its lines or escaped it into an envelope, so patterns read it rather than a JSON parser."""
    if "bouncedRecipients" not in text:
        return []
    text = text.replace('\\"', '"')
    listed = re.search(r'"bouncedRecipients"\s*:\s*\[([^\]]{0,20000})\]', text)
    kind = re.search(r'"bounceType"\s*:\s*"(\w+)"', text)
    soft = bool(kind and kind.group(1).lower() == "transient")
    found = []
    for entry in re.findall(r"\{[^{}]{0,4000}\}", listed.group(1) if listed else "")[:MAX_RECIPIENTS]:
        fields = dict(re.findall(r'"(\w+)"\s*:\s*"([^"]{0,1000})"', entry))
        address = first_address(fields.get("emailAddress"))
        if not address:
            continue
        recipient = _recipient(
            address, fields.get("diagnosticCode", ""), status_code(fields.get("status", "")), "failed"
        )
        if soft and recipient.hard:
            recipient = dataclasses.replace(recipient, severity="soft")
        found.append(recipient)
    return found


def is_bounce_candidate(msg: Message) -> bool:
    """Whether sender, subject or opening words look like a bounce: the cheap test before reading one."""
    sender = f"{raw_header(msg, 'From') or ''} {raw_header(msg, 'Sender') or ''}"
    if is_mailer_daemon(sender) or raw_header(msg, "X-Failed-Recipients"):
        return True
    subject = header_text(msg, "Subject") or ""
    # A person forwarding or answering a bounce wrote a message of their own.
    if _REPLY_PREFIX.match(subject):
        return False
    if _BOUNCE_SUBJECT.search(subject):
        return True
    machine = re.search(r"no-?reply|notification", sender, re.I) or _empty_return_path(msg)
    return bool(machine and _BOUNCE_BODY.search(report_texts(msg)[1][:8192]))


def parse_bounce(msg: Message) -> Bounce | None:
    """The failure a bounce or delayed-delivery notice reports, or None when the message is not one."""
    try:
        return _parse_bounce(msg, 0)
    except RecursionError:
        return None


def _parse_bounce(msg: Message, depth: int) -> Bounce | None:
    report, notice, others = report_texts(msg)
    recipients: list[BouncedRecipient] = []
    fmt: Literal["dsn", "text"] = "dsn"
    if report:
        recipients = _dsn_recipients(report, notice)
        if not recipients and _has_only_successes(report):
            return None
    if not recipients and (is_bounce_candidate(msg) or report):
        embedded = notice if re.search(r"^(Final|Original)-Recipient:", notice, re.I | re.M) else ""
        recipients = _dsn_recipients(embedded, notice) if embedded else []
        if not recipients:
            fmt = "text"
            recipients = _ses_notification(notice) or []
        if not recipients:
            failure, quoted = split_original(notice)
            wrapped = None if find_addresses(failure) else _wrapped_bounce(msg, depth)
            if wrapped:
                return wrapped
            recipients = _text_recipients(msg, failure, quoted)
    if not recipients:
        return _wrapped_bounce(msg, depth) if is_bounce_candidate(msg) else None
    quoted = split_original(notice)[1] + "\n".join(others)
    first = next((r for r in recipients if r.hard), recipients[0])
    original = original_message_id(msg, quoted) or find_message_id(header_text(msg, "In-Reply-To"))
    return Bounce(
        severity="hard" if any(r.hard for r in recipients) else "soft",
        recipients=tuple(recipients),
        status=first.status,
        reason=first.reason,
        diagnostic=first.diagnostic,
        final=any(r.action == "failed" for r in recipients),
        original_message_id=original,
        format=fmt,
    )


def _has_only_successes(report: str) -> bool:
    actions = [b.get("action", "").lower() for b in field_blocks(report) if "action" in b]
    return bool(actions) and all(a.split()[0] in _SUCCESS_ACTIONS for a in actions if a)
