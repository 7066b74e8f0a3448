"""Plan the demo: every customer, ticket and step of each conversation, as plain values from one
seeded random generator (the same seed gives the same demo). Writes nothing; ``demo.generate``
plays the plan through the services."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tanggap.accounts.models import Role
from tanggap.demo import content as c
from tanggap.demo import conversations as talk
from tanggap.tickets.models import Channel, Priority, Status

HISTORY_DAYS = 90
# Share of tickets per final status; every status appears once there are at least six tickets.
STATUS_SHARES = [
    (Status.NEW, 0.10),
    (Status.OPEN, 0.15),
    (Status.PENDING, 0.15),
    (Status.ON_HOLD, 0.08),
    (Status.SOLVED, 0.22),
    (Status.CLOSED, 0.30),
]
# When a ticket with each final status was opened (days ago): new ones are recent, closed ones old.
AGE_DAYS = {
    Status.NEW: (0.02, 1.5),
    Status.OPEN: (0.2, 12.0),
    Status.PENDING: (0.5, 15.0),
    Status.ON_HOLD: (1.0, 20.0),
    Status.SOLVED: (1.0, 45.0),
    Status.CLOSED: (8.0, HISTORY_DAYS - 1),
}
INDONESIAN_SHARE = 0.7
MESSAGE_COUNT_WEIGHTS = [10, 22, 22, 16, 12, 8, 6, 4]  # 1 … 8 messages on a ticket
PRIORITY_WEIGHTS = [(Priority.LOW, 15), (Priority.NORMAL, 55), (Priority.HIGH, 22), (Priority.URGENT, 8)]
PHONE_PREFIXES = "811 812 813 821 822 852 853 856 857 858 877 878 895 896".split()  # noqa: SIM905


@dataclass(slots=True)
class CustomerPlan:
    index: int
    name: str
    language: str
    email: str
    phone: str = ""
    handle: str = ""
    organisation: int | None = None


@dataclass(slots=True)
class Step:
    at: datetime
    action: str  # receive, enrich, assign, update, reply, note, transition
    actor: str = ""
    text: str = ""
    status: str = ""
    assignee: str = ""
    priority: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class TicketPlan:
    index: int
    customer: int
    language: str
    topic: str
    team: str
    channel: str
    subject: str
    status: str
    created_at: datetime
    steps: list[Step] = field(default_factory=list)


def quotas(total: int, shares: Sequence[tuple[Any, float]]) -> list[Any]:
    """``total`` labels split by ``shares`` (largest remainder), each label at least once when possible."""
    counts = {label: int(total * share) for label, share in shares}
    if total >= len(shares):
        for label, _ in shares:
            counts[label] = max(1, counts[label])
    by_remainder = sorted(shares, key=lambda item: -(total * item[1] - int(total * item[1])))
    i = 0
    while sum(counts.values()) < total:
        counts[by_remainder[i % len(shares)][0]] += 1
        i += 1
    while sum(counts.values()) > total:
        largest = max(counts, key=lambda label: counts[label])
        counts[largest] -= 1
    return [label for label, _ in shares for _ in range(counts[label])]


def _amount(rng: random.Random, language: str) -> str:
    value = rng.randrange(35, 2500) * 1000
    return f"Rp {value:,}".replace(",", ".") if language == "id" else f"IDR {value:,}"


def _facts(rng: random.Random, language: str) -> dict[str, Any]:
    courier = rng.choice(c.COURIERS)
    return {
        "order": f"TGP-{rng.randint(100000, 999999)}",
        "item": rng.choice(c.ITEMS[language]),
        "courier": courier,
        "bank": rng.choice(c.BANKS),
        "amount": _amount(rng, language),
        "tracking": f"{courier[:2].upper().replace('&', 'T')}{rng.randint(10**9, 10**10 - 1)}",
        "days": rng.randint(3, 14),
        "city": rng.choice(c.CITIES),
        "device": rng.choice(c.DEVICES),
        "version": f"4.{rng.randint(2, 9)}.{rng.randint(0, 12)}",
        "ticket_ref": rng.randint(1000, 9999),
    }


def plan_customers(rng: random.Random, count: int) -> list[CustomerPlan]:
    languages = quotas(count, [("id", INDONESIAN_SHARE), ("en", 1 - INDONESIAN_SHARE)])
    rng.shuffle(languages)
    used: set[str] = set()
    out = []
    for index, language in enumerate(languages):
        if language == "id":
            first, last = rng.choice(c.ID_FIRST), rng.choice(c.ID_LAST)
        else:
            first, last = rng.choice(c.EN_FIRST), rng.choice(c.EN_LAST)
        organisation = rng.randrange(len(c.ORGANISATIONS)) if rng.random() < 0.22 else None
        domain = c.ORGANISATIONS[organisation][1] if organisation is not None else rng.choice(c.MAIL_DOMAINS)
        local = rng.choice([f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first[0]}{last}"]).lower()
        email = f"{local}@{domain}"
        n = 2
        while email in used:
            email, n = f"{local}{n}@{domain}", n + 1
        used.add(email)
        plan = CustomerPlan(
            index=index, name=f"{first} {last}", language=language, email=email, organisation=organisation
        )
        if rng.random() < (0.55 if language == "id" else 0.2):
            digits = f"{rng.randint(0, 9999):04d}{rng.randint(0, 9999):04d}"
            plan.phone = f"0{rng.choice(PHONE_PREFIXES)}-{digits[:4]}-{digits[4:]}"
        if rng.random() < 0.15:
            plan.handle = f"{rng.choice(c.SOCIAL_NETWORKS)}:{first.lower()}_{last.lower()[:4]}{index}"
        out.append(plan)
    return out


def _channel(rng: random.Random, customer: CustomerPlan) -> str:
    options: list[tuple[str, int]] = [(Channel.EMAIL, 45), (Channel.WEB, 20), (Channel.CHAT, 10)]
    if customer.phone:
        options += [(Channel.WHATSAPP, 14), (Channel.SMS, 3), (Channel.PHONE, 5)]
    if customer.handle:
        options.append((Channel.SOCIAL, 6))
    return str(rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0])


def _conversation(rng: random.Random, status: str, count: int) -> list[str]:
    """The kinds of the ticket's messages in order: C (customer), R (reply), N (note), H (hold note)."""
    if status == Status.NEW:
        kinds = ["C"] * min(count, 2)
        return [*kinds, "N"] if count >= 3 and rng.random() < 0.5 else kinds
    if status == Status.ON_HOLD:
        return [*_conversation(rng, Status.PENDING, max(2, count - 1)), "H"]
    if status == Status.OPEN and count <= 2:
        return ["C"] * count  # read and being worked on, no answer yet
    ends_with_reply = status in (Status.PENDING, Status.SOLVED, Status.CLOSED)
    count = max(count, 2)
    kinds = ["C"] + ["R" if i % 2 else "C" for i in range(1, count)]
    for i in range(2, len(kinds) - 1):
        if rng.random() < 0.2:
            kinds[i] = "N"
    # Pending, solved and closed tickets end with an answer; an open one with the customer writing back.
    kinds[-1] = "R" if ends_with_reply else "C"
    return kinds


class _Writer:
    """Text for one ticket, filled with that ticket's facts."""

    def __init__(
        self, rng: random.Random, language: str, topic: str, facts: dict[str, Any], name: str
    ) -> None:
        self.rng, self.language, self.topic, self.facts = rng, language, topic, facts
        self.first_name = name.split()[0]
        self.story = rng.randrange(len(talk.OPENINGS[language][topic]))

    def fill(self, template: str, **extra: Any) -> str:
        return template.format(**self.facts, **extra)

    def subject(self) -> str:
        return self.fill(self.rng.choice(talk.SUBJECTS[self.language][self.topic][self.story]))

    def opening(self, chat_like: bool) -> str:
        body = self.fill(talk.OPENINGS[self.language][self.topic][self.story])
        if chat_like:
            return body
        greeting = self.rng.choice(talk.GREETINGS[self.language])
        sign_off = self.rng.choice(talk.SIGN_OFFS[self.language])
        return f"{greeting}\n\n{body}\n\n{sign_off}\n{self.first_name}"

    def follow_up(self, reopening: bool) -> str:
        pool = talk.CUSTOMER_REOPENS if reopening else talk.CUSTOMER_FOLLOW_UPS
        return self.fill(self.rng.choice(pool[self.language]))

    def reply(self, agent_name: str, stage: str, waited: timedelta) -> str:
        greeting = self.fill(self.rng.choice(talk.REPLY_GREETINGS[self.language]), name=self.first_name)
        pool = talk.REPLY_THANKS_AFTER_WAIT if waited > timedelta(hours=1) else talk.REPLY_THANKS
        thanks = self.rng.choice(pool[self.language])
        if stage == "first":
            body = self.fill(talk.REPLY_FIRST[self.language][self.topic])
        elif stage == "solved":
            body = self.fill(talk.REPLY_SOLVED[self.language][self.topic])
        else:
            body = self.fill(self.rng.choice(talk.REPLY_UPDATE[self.language]))
        closing = self.fill(self.rng.choice(talk.REPLY_CLOSINGS[self.language]), agent=agent_name.split()[0])
        return f"{greeting}\n\n{thanks} {body}\n\n{closing}"

    def note(self, hold: bool = False) -> str:
        if hold:
            return self.fill(talk.HOLD_NOTES[self.language])
        return self.fill(self.rng.choice(talk.NOTES[self.language]))


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


def _team_people(team: str) -> tuple[list[str], list[str]]:
    """(supervisors, agents and trainees) of a team in the demo's cast."""
    supervisors = [a[0] for a in c.AGENTS if a[3] == Role.SUPERVISOR and team in a[4]]
    workers = [a[0] for a in c.AGENTS if a[3] in (Role.AGENT, Role.TRAINEE) and team in a[4]]
    return supervisors, workers


def plan_ticket(
    rng: random.Random,
    index: int,
    customer: CustomerPlan,
    language: str,
    status: str,
    now: datetime,
) -> TicketPlan:
    topic = rng.choice(c.TOPICS)
    team = c.TOPIC_TEAM[topic]
    channel = _channel(rng, customer)
    chat_like = channel in (Channel.CHAT, Channel.WHATSAPP, Channel.SMS, Channel.SOCIAL)
    writer = _Writer(rng, language, topic, _facts(rng, language), customer.name)
    low, high = AGE_DAYS[Status(status)]
    created = now - timedelta(days=rng.uniform(low, high))
    ticket = TicketPlan(
        index=index,
        customer=customer.index,
        language=language,
        topic=topic,
        team=team,
        channel=channel,
        subject="" if chat_like else writer.subject(),
        status=status,
        created_at=created,
    )
    supervisors, workers = _team_people(team)
    supervisor = rng.choice(supervisors)
    agent = rng.choice(workers if rng.random() < 0.85 else supervisors)
    display = {a[0]: a[1] for a in c.AGENTS}
    count = rng.choices(range(1, 9), weights=MESSAGE_COUNT_WEIGHTS)[0]
    kinds = _conversation(rng, status, count)

    at = created
    steps = ticket.steps
    steps.append(Step(at, "receive", text=writer.opening(chat_like)))
    at += _minutes(rng, 2, 90)
    tags = tuple(c.TOPIC_TAGS[topic]) + ((rng.choice(c.EXTRA_TAGS),) if rng.random() < 0.3 else ())
    priority = rng.choices([p for p, _ in PRIORITY_WEIGHTS], weights=[w for _, w in PRIORITY_WEIGHTS])[0]
    assigned_now = status != Status.NEW and rng.random() < 0.65
    if status != Status.NEW or rng.random() < 0.5:
        # Triage: the supervisor routes the ticket to its team (and often straight to an agent).
        steps.append(Step(at, "assign", actor=supervisor, assignee=agent if assigned_now else ""))
        steps.append(
            Step(
                at + _minutes(rng, 0.2, 3),
                "update",
                actor=supervisor,
                tags=tags,
                priority=priority if priority != Priority.NORMAL else None,
            )
        )
    replies = kinds.count("R")
    seen_replies = 0
    previous = "C"
    for position, kind in enumerate(kinds[1:], start=1):
        last = position == len(kinds) - 1
        if kind == "R":
            gap = _minutes(rng, 5, 600) if previous == "C" else _minutes(rng, 30, 1440)
            at += gap
            seen_replies += 1
            if seen_replies == replies and status in (Status.SOLVED, Status.CLOSED):
                stage = "solved"
            else:
                stage = "first" if seen_replies == 1 else "update"
            status_after = Status.SOLVED if last and status in (Status.SOLVED, Status.CLOSED) else ""
            steps.append(
                Step(
                    at,
                    "reply",
                    actor=agent,
                    text=writer.reply(display[agent], stage, gap),
                    status=status_after,
                )
            )
        elif kind == "C":
            at += _minutes(rng, 20, 2880) if previous == "R" else _minutes(rng, 5, 240)
            reopening = last and status == Status.OPEN and "R" in kinds[:position]
            steps.append(Step(at, "receive", text=writer.follow_up(reopening)))
        elif kind == "N":
            at += _minutes(rng, 3, 120)
            steps.append(Step(at, "note", actor=rng.choice([agent, supervisor]), text=writer.note()))
        elif kind == "H":
            at += _minutes(rng, 10, 240)
            steps.append(Step(at, "note", actor=agent, text=writer.note(hold=True)))
            steps.append(Step(at + _minutes(rng, 0.5, 5), "transition", actor=agent, status=Status.ON_HOLD))
        previous = kind if kind in ("C", "R") else previous
    if status == Status.OPEN and "R" not in kinds:
        at += _minutes(rng, 5, 180)  # read and being worked on, no answer yet
        steps.append(Step(at, "transition", actor=agent, status=Status.OPEN))
    if status == Status.CLOSED:
        at += timedelta(days=rng.uniform(3, 7))
        steps.append(Step(at, "transition", actor=rng.choice([agent, supervisor]), status=Status.CLOSED))
    _fit_before(steps, created, now - timedelta(minutes=2))
    return ticket


def _fit_before(steps: list[Step], start: datetime, limit: datetime) -> None:
    """Squeeze the ticket's timeline so its last step happens before ``limit`` (keeps the order)."""
    last = max(step.at for step in steps)
    if last <= limit:
        return
    span = (last - start).total_seconds()
    room = max(60.0, (limit - start).total_seconds())
    for step in steps:
        step.at = start + timedelta(seconds=(step.at - start).total_seconds() * room / span)


def plan_demo(
    *, seed: int, tickets: int, customers: int, now: datetime
) -> tuple[list[CustomerPlan], list[TicketPlan]]:
    """The whole demo as plain values, from ``seed`` alone (and ``now``, the end of its history)."""
    rng = random.Random(seed)
    people = plan_customers(rng, customers)
    statuses = quotas(tickets, STATUS_SHARES)
    languages = quotas(tickets, [("id", INDONESIAN_SHARE), ("en", 1 - INDONESIAN_SHARE)])
    rng.shuffle(statuses)
    rng.shuffle(languages)
    # Some customers write often, most rarely.
    weights = [1 / (rank + 1) ** 0.7 for rank in range(len(people))]
    pools = {lang: [p for p in people if p.language == lang] for lang in ("id", "en")}
    pool_weights = {lang: [weights[p.index] for p in pool] for lang, pool in pools.items()}
    drafts = []
    for index in range(tickets):
        language = languages[index]
        pool = pools[language] or people
        chosen = rng.choices(pool, weights=pool_weights[language] if pools[language] else weights)[0]
        drafts.append((index, chosen, language, statuses[index]))
    plans = [
        plan_ticket(rng, index, customer, language, status, now)
        for index, customer, language, status in drafts
    ]
    # Play tickets in the order they were opened, so ticket numbers follow time.
    plans.sort(key=lambda plan: (plan.created_at, plan.index))
    seen: set[int] = set()
    for plan in plans:
        if plan.customer not in seen:
            seen.add(plan.customer)
            # An agent completes the record of a customer writing for the first time.
            first = plan.steps[0]
            after = plan.steps[1].at if len(plan.steps) > 1 else first.at + timedelta(minutes=2)
            supervisor = _team_people(plan.team)[0][0]
            plan.steps.insert(1, Step(first.at + (after - first.at) / 2, "enrich", actor=supervisor))
    return people, plans
