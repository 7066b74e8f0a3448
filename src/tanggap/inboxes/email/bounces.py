"""Reads bounces and delayed-delivery notices (DSN reports and text bounces): who failed, why, and
whether the address itself is unusable (hard) or the failure may pass (soft)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Literal

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

Severity = Literal["hard", "soft"]
BounceReason = Literal[
    "user_unknown", "domain_not_found", "mailbox_full", "mailbox_disabled", "rejected", "expired", "other"
]

MAX_DIAGNOSTIC_CHARS = 500

# Reasons whose failure says the address itself is unusable: only these make a bounce hard.
HARD_REASONS: frozenset[str] = frozenset({"user_unknown", "domain_not_found"})


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


# ---------------------------------------------------------------- status codes

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d])(?!\.\d)")
_SMTP_CODE = re.compile(r"(?<![\d.#-])([45][0-5]\d)(?=[ -]|$)(?![\d.])", re.MULTILINE)


def _status(text: str) -> str | None:
    match = _STATUS.search(text)
    return ".".join(match.groups()) if match else None


def _smtp_code(text: str) -> str | None:
    match = _SMTP_CODE.search(text)
    return match.group(1) if match else None


# ---------------------------------------------------------------- why a delivery failed


# Checked in order: the first phrase that matches names the reason. Sender-side refusals come before
# "does not exist"/"not found", which would otherwise read a refused sender domain as a dead recipient.
def _phrases(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.I)


_REASON_PATTERNS: tuple[tuple[BounceReason, re.Pattern[str]], ...] = (
    (
        # cPanel's wording of Exim's "Unrouteable address": the recipient domain cannot be reached (its
        # "may be blacklisted" is only a guess, so this comes before the refusal words).
        "domain_not_found",
        _phrases(r"the account or domain may not exist"),
    ),
    (
        "other",
        _phrases(
            r"host not found, try again", r"malformed or unexpected name server reply",
            r"remote protocol error",
            r"connection (refused|timed out|reset)", r"lost connection",
        ),
    ),
    (
        "rejected",
        _phrases(
            r"spamhaus", r"spamcop", r"dnsbl", r"\brbl\b", r"bl[ao]ck ?list", r"too many recipients",
            r"sent too many",
            r"rate limit", r"refused due to", r"recipient preferences",
            r"sender (address |domain )?(rejected|refused|denied|verify failed|not allowed)",
            r"sender domain (does not exist|not found|must exist|is empty)", r"after mail from",
            r"mail from:? .{0,60}(rejected|refused|denied)", r"domain of sender", r"sender is not",
            r"sender address .{0,30}(invalid|rejected)",
            # A "user unknown" that names no address at all is how some providers (KDDI au, docomo) hide
            # that the recipient's own filter refused the sender; the mailbox exists.
            r"\b[45]\d\d:?\s+:\s*user unknown",
        ),
    ),
    (
        "mailbox_full",
        _phrases(
            r"mailbox (is )?full", r"mail ?box.{0,20}(over|exceed).{0,10}(quota|limit|size)", r"over ?quota",
            r"quota (exceeded|full|violation)", r"exceeded.{0,20}(quota|storage)",
            r"insufficient (disk|storage)",
            r"storage (space|limit).{0,20}(exceeded|full)", r"disk quota", r"mailbox size limit",
            r"user is over",
            r"is full", r"too much mail", r"full mailbox", r"mailbox has exceeded",
            r"kotak (surat|masuk) (sudah |telah )?penuh",
        ),
    ),
    (
        "mailbox_disabled",
        _phrases(
            r"(account|mailbox|user)( \S{1,40})? (has been |is )?(temporar\w+ )?"
            r"(disabled|suspended|inactive|deactivated|locked|closed|expired|frozen|not active)",
            r"inactive (user|account|mailbox)", r"(disabled|suspended|deactivated) (user|account|mailbox)",
            r"no longer accepting", r"is not active",
        ),
    ),
    (
        "user_unknown",
        _phrases(
            r"user ?unknown", r"unknown user",
            r"no such (user|recipient|mailbox|account|address|local|person)",
            r"(recipient|address|mailbox|user|account|addressee)( name)? (is )?(unknown|not (found"
            r"|recognized|known))",
            r"unknown (recipient|address(?! error)|mailbox|local[- ]part|e-?mail|account)",
            r"(user|mailbox|account|recipient|address)( \S{1,80})? (does not|doesn't|did not"
            r"|no longer) exists?",
            r"invalid (recipient|mailbox|address|user|final delivery)",
            r"not a valid (recipient|mailbox|user|address)",
            r"no mailbox", r"mailbox (not found|unavailable|does not)", r"unrouteable address",
            r"user not (found|exist)", r"not our (customer|user)", r"no valid recipients?",
            r"address (is )?(invalid|no longer)", r"recipient (invalid|not exist)",
            r"address rejected(\.|\s*$)",
            # "542 user@example.com Rejected": the reply names the recipient and nothing else against it.
            r"(?m:^)[ \t]*[45]\d\d[ -]+<?[^\s@<>]+@[^\s<>]+?>?:? rejected\.?\s*$",
            r"recipient address rejected: access denied", r"address (couldn't|could not|can ?not) be found",
            r"doesn't have an? .{0,40} account", r"address not found", r"has (been )?moved",
            r"no longer (valid|available|in use|active)", r"bad destination mailbox", r"recipientnotfound",
            r"unknown or illegal alias", r"not listed in", r"i have no such", r"email account .{0,40}exist",
            r"(user|mailbox|account) .{0,40} not exist", r"destination address .{0,20}(unknown|invalid)",
            r"存在しません", r"ディレクトリのリストにありません", r"ディレクトリ(に|には|で)見つかりません",
            r"check (if|that|whether) (the )?(e-?mail )?address (is|was) (correct|valid|spelled)",
            r"alamat (e-?mail |surel )?tidak (ditemukan|dikenal|valid|ada)",
            r"pengguna tidak (ditemukan|dikenal)",
        ),
    ),
    (
        "domain_not_found",
        _phrases(
            r"host (or domain name )?(unknown|not found)", r"domain (name )?(not found|unknown)",
            r"unknown (host|domain)", r"no such (host|domain)", r"domain .{0,40}(does not exist|not exist)",
            r"unrouteable (mail )?domain", r"no (mx|mail exchanger)", r"null mx",
            r"does not accept (e-?)?mail",
            r"nxdomain", r"unresolvable", r"could not be resolved", r"dns (lookup )?(failure|error|failed)",
            r"bad destination host", r"domain is not reachable", r"no smtp service",
            r"not accepting (network )?messages", r"domain tidak ditemukan",
            # "553 mx.example.com does not exist": the reply names a host, not a mailbox.
            r"(?m:^)[ \t]*[45]\d\d[ -]+<?[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}>?\.?"
            r" (does not exist|not found)",
        ),
    ),
    (
        "expired",
        _phrases(
            r"retry (time|timeout|period).{0,30}(exceeded|expired|reached)",
            r"time ?out.{0,20}(expired|exceeded)",
            r"expired", r"(too long|too many hours|\d+ (days?|hours?)) in (the )?queue",
            r"could not be delivered (for|within) \d+", r"gave up", r"giving up", r"undelivered for",
            r"delivery.{0,20}delayed", r"still trying", r"will (keep|continue) (trying|to try)",
            r"has not (yet )?been delivered", r"deferred",
        ),
    ),
)  # fmt: skip

# Enhanced status codes (RFC 3463) for when no phrase says more.
_STATUS_REASONS: dict[str, BounceReason] = {
    "1.1": "user_unknown",
    "1.10": "user_unknown",
    "1.6": "user_unknown",
    "1.3": "user_unknown",
    "1.2": "domain_not_found",
    "4.4": "domain_not_found",
    "2.2": "mailbox_full",
    "2.1": "mailbox_disabled",
    "4.7": "expired",
    "4.1": "expired",
    "4.2": "expired",
    "7.1": "rejected",
    "7.0": "rejected",
    "7.26": "rejected",
    "7.25": "rejected",
    "7.509": "rejected",
    "3.4": "rejected",
    "2.3": "rejected",
    "6.0": "rejected",
    "7.9": "rejected",
    "7.13": "mailbox_disabled",
    "1.8": "rejected",
    "1.7": "rejected",
}


# Weaker words, read only when neither a clear phrase nor a specific status code says why.
_REFUSAL = re.compile(
    r"spam|bl[ao]ck ?list|blocked|dmarc|\bspf\b|dkim|\bptr\b|reverse ?dns|rdns|relay(ing)? (denied"
    r"|not permitted"
    r"|access denied)|not permitted|refused|denied|policy|reputation|virus|malware|content (rejected|refused"
    r"|filter)|too (large|big)|size (limit|exceeds)|exceeds.{0,30}size|message size|rejected|not accepted"
    r"|filter"
    r"|prohibit|authenticat|\btls\b|encrypt|too many|rate limit",
    re.I,
)


# A server that took the recipient at RCPT TO and refused only after DATA objects to the content, whatever
# its words say about the user.
_AFTER_DATA = re.compile(
    r"(in reply to|after) (end of )?data|>>> data|final data|\bdata command|smtp command\W{0,20}data\b", re.I
)
_FILTER_WORDS = re.compile(r"user ?unknown|unknown user|no such user", re.I)
_AFTER_RCPT = re.compile(r"rcpt[ _]to|rcpt command|smtp:rcpt|does not like recipient", re.I)
# A local delivery program (a pipe, procmail) that failed: its words are about itself, not the address.
_LOCAL_PROGRAM = re.compile(r"command output:|command died with status", re.I)
_REPLY_LINE = re.compile(r"(?<![\d.#-])([45])[0-5]\d(?=[ :-]|$)(?![\d.])")


def _reason(text: str, status: str | None, context: str = "") -> BounceReason:
    """Why delivery failed, from the server's words in ``text``; ``context`` is the surrounding report."""
    # A transcript that holds permanent (5xx) and temporary (4xx) replies failed for the permanent one's
    # reason: a "421 ... Deferred: Connection timed out" at QUIT does not explain a "550 User unknown".
    classes = {m.group(1) for m in _REPLY_LINE.finditer(text)}
    if classes == {"4", "5"}:
        permanent = "\n".join(
            line for line in text.splitlines() if any(m.group(1) == "5" for m in _REPLY_LINE.finditer(line))
        )
        reason = _reason_of(permanent, status, context)
        if reason != "other":
            return reason
    return _reason_of(text, status, context)


def _reason_of(text: str, status: str | None, context: str) -> BounceReason:
    status = _status(text) or status
    for reason, pattern in _REASON_PATTERNS:
        if pattern.search(text):
            if reason != "user_unknown":
                return reason
            session = f"{text}\n{context}"
            at_rcpt = _AFTER_RCPT.search(session)
            if _LOCAL_PROGRAM.search(session):
                return "other"
            # x.1.x: the server says the address is bad. x.2.x (the mailbox exists but takes no mail),
            # x.3.x (mail system) and x.7.x (policy, security) say the refusal is not about the address,
            # whatever its words, unless it came at RCPT TO.
            addressed = bool(status and status[2:].startswith("1."))
            if status and status[2] in "237" and not at_rcpt:
                return "mailbox_disabled" if status[2] == "2" else "rejected"
            filtered = _FILTER_WORDS.search(text)
            if filtered and not addressed and _AFTER_DATA.search(session):
                return "rejected" if not at_rcpt else reason
            return reason
    detail = status.split(".", 1)[1] if status else "0.0"
    if detail in _STATUS_REASONS:
        return _STATUS_REASONS[detail]
    if _REFUSAL.search(text):
        return "rejected"
    return "other"


def _severity(reason: BounceReason, action: str, status: str | None) -> Severity:
    if action != "failed" or reason not in HARD_REASONS:
        return "soft"
    # A 4.x.x status is the server's own word that the failure is temporary, except when the sending server
    # gave up on an address the other side kept calling unknown (4.1.x): retrying did not make it exist.
    if (status or "").startswith("4"):
        return "hard" if reason == "user_unknown" and status and status[2:].startswith("1.") else "soft"
    return "hard"


def _diagnostic(text: str) -> str:
    return " ".join(text.split())[:MAX_DIAGNOSTIC_CHARS]


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
    status = status or _status(text)
    reason = _reason(text, status, context)
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
        severity=_severity(reason, action, status),
        reason=reason,
        status=status,
        smtp_code=_smtp_code(text),
        action=action,
        diagnostic=_diagnostic(text),
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
        if _reason(text, None) == "other":
            text, context = f"{text}\n{context}", ""
        status = _status(block.get("status") or "") or _status(text)
        stated = _status(text)
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
            severity = _severity(category, recipient.action, recipient.status)
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
            address, fields.get("diagnosticCode", ""), _status(fields.get("status", "")), "failed"
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
