"""Bounce, DSN, ARF and auto-reply recognition against sisimai's real bounces and Zammad's bounce samples.

Each check computes its pass rate over the whole set and fails on any miss that is not listed below with its
reason, and on any listed miss that now passes (so the lists stay true). Run with ``-s`` to see the rates.

How sisimai's reasons map onto ours (its ``hardbounce`` flag follows the same rule; the test checks that too):
- ``vacation`` -> an auto-reply; ``feedback`` -> an ARF feedback report; ``delivered`` -> a successful DSN,
  machine mail that is not a bounce;
- ``userunknown``, ``hasmoved`` (the address is gone) and ``hostunknown`` (the domain is gone) -> hard;
- ``notaccept`` (the domain accepts no mail, null MX) -> hard with a 5.x.x status, soft with 4.x.x;
- everything else (mailbox full, filtered, blocked, rejected, policy, spam, expired, network and system
  errors ...) -> soft: the address may well work, so the customer's address is not marked as bad.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from flufl.bounce import all_failures

from tanggap.inboxes.email.bounces import Bounce, parse_bounce
from tanggap.inboxes.email.loops import FeedbackReport, classify_automatic, parse_feedback_report

HARD_REASONS = {"userunknown", "hasmoved", "hostunknown"}

# ---------------------------------------------------------------- known misses, by check

# The message is classified as another kind than sisimai says.
KNOWN_KIND_MISSES = {
    # A person forwards a bounce with a note of their own ("Fwd: Returned mail"): for a helpdesk that is a
    # message from the customer, not a bounce.
    "bsd/lhost-sendmail-14.eml",
    # A mailing-list manager answering "you are not a member": list traffic to us, not a delivery failure.
    "bsd/lhost-fml-02.eml",
    "bsd/lhost-fml-03.eml",
    # Apple Mail's unsubscribe request (sisimai: opt-out feedback) carries Auto-Submitted and no ARF part:
    # we call it an auto-reply, which is automatic all the same.
    "bsd/arf-26.eml",
}

# The number of failed recipients differs from sisimai's number of records.
KNOWN_COUNT_MISSES = {
    "bsd/lhost-sendmail-14.eml",  # not read as a bounce, see above
    "bsd/lhost-fml-02.eml",
    "bsd/lhost-fml-03.eml",
}

# Our recipients and flufl.bounce's disagree (where flufl finds a well-formed address at all).
KNOWN_RECIPIENT_MISSES = {
    # The alias "kijitora@neko.example.edu" expanded to the Final-Recipient we report.
    "bsd/rfc3464-04.eml",
}

# Hard/soft differs from the mapping above (the check requires at least 95 % right).
KNOWN_SEVERITY_MISSES = {
    # Not read as a bounce (see KNOWN_KIND_MISSES).
    "bsd/lhost-sendmail-14.eml",
    "bsd/lhost-fml-02.eml",
    "bsd/lhost-fml-03.eml",
    # The server says "user unknown" (or "no such user", "mailbox does not exist", "invalid address") at no
    # stated SMTP step and with no status beyond x.0.0 or x.1.1, where sisimai reads a content filter from
    # its knowledge of the sending engine. The same words from other engines are "user unknown" to sisimai
    # too (McAfee's "550 ... No such user" vs SurfControl's, Yahoo's "doesn't have a ... account" vs X2's),
    # so nothing in the mail tells them apart: we take the server at its word and call the address hard.
    "bsd/lhost-activehunter-02.eml",
    "bsd/lhost-apachejames-01.eml",
    "bsd/lhost-exchange2003-04.eml",
    "bsd/lhost-mailfoundry-01.eml",
    "bsd/lhost-mxlogic-03.eml",
    "bsd/lhost-postfix-07.eml",
    "bsd/lhost-receivingses-01.eml",
    "bsd/lhost-receivingses-02.eml",
    "bsd/lhost-surfcontrol-01.eml",
    "bsd/lhost-x1-01.eml",
    "bsd/lhost-x1-02.eml",
    "bsd/lhost-x2-01.eml",
    "bsd/lhost-x2-02.eml",
    "bsd/lhost-zoho-03.eml",
    "bsd/rfc3464-35.eml",
    "bsd/rfc3464-42.eml",
    # "user unknown ... in reply to RCPT TO" that sisimai, knowing the carrier (au), reads as a suspended
    # account; and a 5.1.1 "User Unknown" it reads as a full mailbox.
    "bsd/lhost-ezweb-02.eml",
    "bsd/rfc3464-01.eml",
    # InterScan's "Unable to deliver message to <...> (and other recipients in the same domain)" says no
    # more; sisimai knows the product and says the user is unknown. We say soft.
    "bsd/lhost-interscanmss-03.eml",
    # "Name service error ... Malformed or unexpected name server reply" with 5.4.4: sisimai calls it "domain
    # accepts no mail" here and a network error (soft) in lhost-postfix-17 with the very same words.
    "bsd/lhost-aol-06.eml",
    # A delayed-delivery notice ("only a temporary failure report", no MX yet): we never call a delay hard.
    "bsd/lhost-opensmtpd-12.eml",
}


# ---------------------------------------------------------------- evaluation, once per session


@dataclass(frozen=True)
class Outcome:
    name: str
    expected: dict[str, object]
    kind: str
    bounce: Bounce | None
    feedback: FeedbackReport | None
    flufl: frozenset[str]


def _expected_class(expected: dict[str, object]) -> str:
    records = expected["records"]
    assert isinstance(records, list)
    reasons = {r["reason"] for r in records}
    if not records:
        return "human"
    if "vacation" in reasons:
        return "auto_reply"
    if "feedback" in reasons:
        return "feedback_report"
    if "delivered" in reasons:
        return "system"
    return "bounce"


def _expected_hard(record: dict[str, str]) -> bool:
    if record["reason"] == "notaccept":
        return record["deliverystatus"].startswith("5")
    return record["reason"] in HARD_REASONS


_CLEAN_ADDRESS = re.compile(r"[^@\s<>\"|/]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+")


def _flufl_addresses(raw: bytes) -> frozenset[str]:
    temporary, permanent = all_failures(email.message_from_bytes(raw, policy=email.policy.compat32))
    decoded = (a.decode("utf-8", "replace").strip("<> ").lower() for a in temporary | permanent)
    return frozenset(a for a in decoded if _CLEAN_ADDRESS.fullmatch(a))


@pytest.fixture(scope="module")
def sisimai(corpus_dir: Path) -> list[Outcome]:
    root = corpus_dir / "sisimai"
    expectations = json.loads((root / "expected.json").read_bytes())
    expectations.pop("_source", None)
    outcomes = []
    for name, expected in expectations.items():
        raw = (root / name).read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        outcomes.append(
            Outcome(
                name=name,
                expected=expected,
                kind=classify_automatic(msg).kind,
                bounce=parse_bounce(msg),
                feedback=parse_feedback_report(msg),
                flufl=_flufl_addresses(raw) if _expected_class(expected) == "bounce" else frozenset(),
            )
        )
    assert len(outcomes) == 591
    return outcomes


def _check(label: str, results: dict[str, bool], known: set[str], floor: float) -> None:
    misses = {name for name, ok in results.items() if not ok}
    rate = 1 - len(misses) / len(results)
    print(f"\n{label}: {len(results) - len(misses)}/{len(results)} = {rate:.1%}")
    assert not misses - known, f"{label}: new misses {sorted(misses - known)}"
    passing = known & (set(results) - misses)
    assert not passing, f"{label}: listed misses now pass {sorted(passing)}"
    assert rate >= floor


def _bounces(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if _expected_class(o.expected) == "bounce"]


# ---------------------------------------------------------------- sisimai


def test_the_reason_mapping_agrees_with_sisimais_own_hard_flag(sisimai: list[Outcome]) -> None:
    for outcome in _bounces(sisimai):
        for record in outcome.expected["records"]:  # type: ignore[attr-defined]
            assert _expected_hard(record) == record["hardbounce"], (outcome.name, record)


def test_every_message_is_classified_as_its_kind(sisimai: list[Outcome]) -> None:
    def right(outcome: Outcome) -> bool:
        expected = _expected_class(outcome.expected)
        got = "bounce" if outcome.kind == "delay" else outcome.kind
        if expected == "bounce":
            return got == "bounce" and outcome.bounce is not None
        if expected == "feedback_report":
            records = outcome.expected["records"]
            assert isinstance(records, list)
            feedback = outcome.feedback
            return (
                got == expected
                and feedback is not None
                and feedback.feedback_type == records[0]["feedbacktype"]
            )
        if expected == "system":  # a successful DSN is machine mail, never a bounce
            return got == "system" and outcome.bounce is None
        return got == expected and (expected != "human" or outcome.bounce is None)

    _check("kind", {o.name: right(o) for o in sisimai}, KNOWN_KIND_MISSES, 0.99)


def test_the_number_of_failed_recipients_matches(sisimai: list[Outcome]) -> None:
    results = {
        o.name: o.bounce is not None and len(o.bounce.recipients) == len(o.expected["records"])  # type: ignore[arg-type]
        for o in _bounces(sisimai)
    }
    _check("recipient count", results, KNOWN_COUNT_MISSES, 0.99)


def test_failed_recipients_agree_with_flufl_bounce(sisimai: list[Outcome]) -> None:
    # The expectations hold no addresses; flufl.bounce's scanner is an independent second reading.
    results = {}
    for outcome in _bounces(sisimai):
        if not outcome.flufl or outcome.bounce is None:
            continue
        ours = set(outcome.bounce.addresses)
        results[outcome.name] = ours <= outcome.flufl or outcome.flufl <= ours
    print(
        f"\n(flufl.bounce found a well-formed address in {len(results)} of {len(_bounces(sisimai))} bounces)"
    )
    _check("recipients vs flufl.bounce", results, KNOWN_RECIPIENT_MISSES, 0.99)


def test_failed_recipients_are_addresses_and_not_the_bounce_sender(sisimai: list[Outcome]) -> None:
    for outcome in _bounces(sisimai):
        for recipient in outcome.bounce.recipients if outcome.bounce else ():
            assert _CLEAN_ADDRESS.fullmatch(recipient.address.replace('"', "")), (outcome.name, recipient)
            assert not recipient.address.startswith("mailer-daemon@"), outcome.name


def test_hard_and_soft_agree_with_the_expected_reason(sisimai: list[Outcome]) -> None:
    results = {}
    for outcome in _bounces(sisimai):
        records = outcome.expected["records"]
        assert isinstance(records, list)
        expected = sorted(_expected_hard(r) for r in records)
        got = sorted(r.hard for r in outcome.bounce.recipients) if outcome.bounce else None
        results[outcome.name] = expected == got
    _check("hard/soft", results, KNOWN_SEVERITY_MISSES, 0.95)


def test_status_codes_match_where_the_mail_states_one(sisimai: list[Outcome]) -> None:
    # Sisimai fills x.0.9xx codes of its own when a mail states none; only real codes are compared.
    results = {}
    for outcome in _bounces(sisimai):
        records = outcome.expected["records"]
        assert isinstance(records, list)
        stated = [
            r["deliverystatus"] for r in records if not re.fullmatch(r"\d\.0\.9\d\d|", r["deliverystatus"])
        ]
        if outcome.bounce is None or len(stated) != len(records):
            continue
        got = sorted(r.status or "" for r in outcome.bounce.recipients)
        results[outcome.name] = got == sorted(stated)
    rate = sum(results.values()) / len(results)
    print(f"\nstatus code (informational): {sum(results.values())}/{len(results)} = {rate:.1%}")
    assert rate >= 0.95


def test_delivery_reports_of_success_are_not_bounces(sisimai: list[Outcome]) -> None:
    delivered = [o for o in sisimai if _expected_class(o.expected) == "system"]
    assert len(delivered) == 3
    assert all(o.bounce is None and o.kind == "system" for o in delivered)


def test_the_two_normal_mails_are_human(sisimai: list[Outcome]) -> None:
    normal = [o for o in sisimai if o.name.startswith("not/")]
    assert [(o.kind, o.bounce, o.feedback) for o in normal] == [("human", None, None)] * 2


# ---------------------------------------------------------------- zammad

ZAMMAD_NON_HUMAN = {
    "mail018.box": "bounce",  # Exchange DSN
    "mail019.box": "system",  # empty Return-Path and an empty From address
    "mail033-undelivered-mail-returned-to-sender.box": "bounce",
    "mail035.box": "system",  # spam with an empty Return-Path
    "mail043.box": "list",
    "mail052.box": "system",  # "Undelivered Mail Returned to Sender" from MAILER-DAEMON, body "some test"
    "mail053.box": "bounce",
    "mail055.box": "bounce",
    "mail063.box": "bounce",
    "mail078.box": "delay",
    "mail089.box": "system",  # ticket-system notifications (Auto-Submitted: auto-generated)
    "mail090.box": "system",
    "mail092.box": "bounce",
    "mail094.box": "system",  # shop notifications from a no-reply sender
    "mail098.box": "system",
    "mail099.box": "system",
}


def _zammad(corpus_dir: Path, name: str) -> email.message.Message:
    return email.message_from_bytes(
        (corpus_dir / "zammad" / "mail" / name).read_bytes(), policy=email.policy.default
    )


@pytest.mark.parametrize(
    ("name", "original"),
    [
        (
            "mail033-undelivered-mail-returned-to-sender.box",
            "<20150830145601.30.608881@edenhofer.zammad.com>",
        ),
        ("mail055.box", "<20170526150141.232.13312@example.zammad.loc>"),
    ],
)
def test_zammad_permanent_bounces_point_at_the_original_message(
    corpus_dir: Path, name: str, original: str
) -> None:
    msg = _zammad(corpus_dir, name)
    automatic = classify_automatic(msg)
    bounce = parse_bounce(msg)
    assert automatic.kind == "bounce" and automatic.is_automatic
    assert bounce is not None and bounce.hard and bounce.final
    assert bounce.status == "5.1.1" and bounce.reason == "user_unknown"
    assert bounce.original_message_id == original


def test_zammad_delayed_dsn_is_a_soft_non_final_delay(corpus_dir: Path) -> None:
    msg = _zammad(corpus_dir, "mail078.box")
    automatic = classify_automatic(msg)
    bounce = parse_bounce(msg)
    assert automatic.kind == "delay" and automatic.is_automatic
    assert bounce is not None and not bounce.final and not bounce.hard
    assert bounce.recipients[0].action == "delayed"
    assert bounce.original_message_id == "<20150830145601.30.608881@example.com>"


def test_zammad_mails_written_by_people_are_never_flagged(corpus_dir: Path) -> None:
    kinds = {}
    for folder in ("mail", "upstream-extra"):
        for path in sorted((corpus_dir / "zammad" / folder).glob("*.box")):
            kind = classify_automatic(
                email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            ).kind
            if kind != "human":
                kinds[path.name] = kind
    assert kinds == ZAMMAD_NON_HUMAN
