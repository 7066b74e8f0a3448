"""Why a delivery failed, from the words and codes a bounce quotes: the reason (unknown user, dead domain,
full mailbox, disabled mailbox, refusal, expiry), whether it is hard or soft, the RFC 3463 and SMTP codes
and the diagnostic we keep. Pure: no Django.

``bounces`` finds the failed recipients of a bounce and asks this module about each one's failure.
"""

from __future__ import annotations

import re
from typing import Literal

Severity = Literal["hard", "soft"]
BounceReason = Literal[
    "user_unknown", "domain_not_found", "mailbox_full", "mailbox_disabled", "rejected", "expired", "other"
]

MAX_DIAGNOSTIC_CHARS = 500

# Reasons whose failure says the address itself is unusable: only these make a bounce hard.
HARD_REASONS: frozenset[str] = frozenset({"user_unknown", "domain_not_found"})


# ---------------------------------------------------------------- status codes

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d])(?!\.\d)")
_SMTP_CODE = re.compile(r"(?<![\d.#-])([45][0-5]\d)(?=[ -]|$)(?![\d.])", re.MULTILINE)


def status_code(text: str) -> str | None:
    """The first RFC 3463 enhanced status code in ``text`` (e.g. "5.1.1"), or None."""
    match = _STATUS.search(text)
    return ".".join(match.groups()) if match else None


def smtp_code(text: str) -> str | None:
    """The first SMTP reply code in ``text`` (e.g. "550"), or None."""
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


def failure_reason(text: str, status: str | None, context: str = "") -> BounceReason:
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
    status = status_code(text) or status
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


def failure_severity(reason: BounceReason, action: str, status: str | None) -> Severity:
    """Hard when the address itself is unusable and the server gave up on it; soft otherwise."""
    if action != "failed" or reason not in HARD_REASONS:
        return "soft"
    # A 4.x.x status is the server's own word that the failure is temporary, except when the sending server
    # gave up on an address the other side kept calling unknown (4.1.x): retrying did not make it exist.
    if (status or "").startswith("4"):
        return "hard" if reason == "user_unknown" and status and status[2:].startswith("1.") else "soft"
    return "hard"


def diagnostic_text(text: str) -> str:
    """The server's words on one line, cut to ``MAX_DIAGNOSTIC_CHARS``."""
    return " ".join(text.split())[:MAX_DIAGNOSTIC_CHARS]
