"""Generate the demo: teams, agents, customers and tickets with their conversations.

Everything is written through the real services (``message_receive`` with an ``InboundMessage``,
``reply_send``, ``note_add``, ``ticket_assign``, ``ticket_update``, ``ticket_transition`` …), so audit
rows, search entries and events are exactly those of real use. The demo is planned first
(``demo.plan``), then played in time order under the demo clock (``demo.clock``) so the history
spreads over the past 90 days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from tanggap.accounts.models import Role, Team, User
from tanggap.accounts.services import agent_create, agent_update, team_create
from tanggap.core.errors import ApplicationError, ErrorCode
from tanggap.customers.models import Customer, Organisation
from tanggap.customers.services import customer_create, customer_update, identity_add, organisation_create
from tanggap.demo import content as c
from tanggap.demo.clock import DemoClock, backdated_now
from tanggap.demo.macros import create_demo_macros
from tanggap.demo.plan import HISTORY_DAYS, CustomerPlan, TicketPlan, plan_demo
from tanggap.demo.recovery import create_demo_recovery_policies
from tanggap.inboxes.models import Inbox
from tanggap.inboxes.setup import inbox_create, inbox_form_enable
from tanggap.sla.admin_services import calendar_create, policies_create_defaults, roster_shift_add
from tanggap.sla.models import BusinessCalendar, RosterShift
from tanggap.sla.services import clocks_sweep
from tanggap.tickets import outbound
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Channel, DeliveryStatus, Message, Ticket
from tanggap.tickets.services import (
    message_receive,
    note_add,
    reply_send,
    ticket_assign,
    ticket_transition,
    ticket_update,
)


class DemoRefused(Exception):
    """The database already has tickets and ``force`` was not given."""


@dataclass(frozen=True, slots=True)
class DemoResult:
    teams: int
    agents: int
    customers: int
    tickets: int
    admin_username: str
    admin_password: str | None  # None when the admin existed already (its password is unchanged)
    agent_password: str


class _Cast:
    """The demo's agents, teams and organisations, created (or found) through the services."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.organisations: list[Organisation] = []
        self.admin_password: str | None = None
        self.actor: User | None = None  # the admin who creates the rest

    def user(self, username: str) -> User:
        return self.users[username]


def _setup_cast(at: datetime, clock: DemoClock) -> _Cast:
    cast = _Cast()
    clock.set(at)
    existing = {u.username: u for u in User.objects.filter(username__in=[a[0] for a in c.AGENTS])}
    admin_name, admin_display, admin_local, _, _ = c.AGENTS[0]
    admin = existing.get(admin_name)
    if admin is None:
        admin = agent_create(
            actor=None,
            username=admin_name,
            password=c.PASSWORD,
            email=f"{admin_local}@{c.AGENT_DOMAIN}",
            display_name=admin_display,
            role=Role.ADMIN,
        )
        cast.admin_password = c.PASSWORD
    actor = (
        admin
        if admin.is_admin
        else User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    )
    if actor is None:
        raise DemoRefused("no active admin to create the demo's teams and agents with")
    cast.actor = actor
    for key, name, description in c.TEAMS:
        team = Team.objects.filter(name=name).first()
        cast.teams[key] = team or team_create(actor=actor, name=name, description=description)
    for username, display, local, role, team_keys in c.AGENTS:
        teams = [cast.teams[k] for k in team_keys]
        user = existing.get(username) or (admin if username == admin_name else None)
        if user is None:
            user = agent_create(
                actor=actor,
                username=username,
                password=c.PASSWORD,
                email=f"{local}@{c.AGENT_DOMAIN}",
                display_name=display,
                role=role,
                teams=teams,
                language="id" if username != "putri" else "en",
            )
        elif not {t.pk for t in teams} <= set(user.teams.values_list("pk", flat=True)):
            user = agent_update(actor=actor, agent=user, teams=[*user.teams.all(), *teams])
        cast.users[username] = user
    for team_key, name, local, language, form in c.INBOXES:
        inbox = Inbox.objects.filter(name=name).first() or inbox_create(
            actor=actor,
            name=name,
            address=f"{local}@{c.AGENT_DOMAIN}",
            team=cast.teams[team_key],
            language=language,
        )
        if form and not inbox.form_enabled:
            inbox_form_enable(actor=actor, inbox=inbox)
    for name, domain in c.ORGANISATIONS:
        org = Organisation.objects.filter(name=name).first() or organisation_create(
            actor=actor, name=name, domain=domain
        )
        cast.organisations.append(org)
    return cast


def _sender(channel: str, customer: CustomerPlan) -> Sender:
    if channel in (Channel.WHATSAPP, Channel.SMS, Channel.PHONE):
        return Sender("phone", customer.phone, customer.name)
    if channel == Channel.SOCIAL:
        return Sender("handle", customer.handle, customer.name)
    return Sender("email", customer.email, customer.name)


def _identities(customer: CustomerPlan) -> list[tuple[str, str]]:
    out = [("email", customer.email)]
    if customer.phone:
        out.append(("phone", customer.phone))
    if customer.handle:
        out.append(("handle", customer.handle))
    return out


def _enrich(cast: _Cast, actor: User, record: Customer, plan: CustomerPlan) -> None:
    """An agent completes the record of a customer who just wrote for the first time."""
    organisation = cast.organisations[plan.organisation] if plan.organisation is not None else None
    customer_update(actor=actor, customer=record, language=plan.language, organisation=organisation or False)
    for kind, value in _identities(plan):
        try:
            identity_add(actor=actor, customer=record, kind=kind, value=value)
        except ApplicationError as exc:  # already someone else's (a demo run on top of another)
            if exc.code != ErrorCode.CONFLICT:
                raise


def _play(
    plan: TicketPlan, people: list[CustomerPlan], cast: _Cast, clock: DemoClock, key_prefix: str
) -> None:
    customer = people[plan.customer]
    team = cast.teams[plan.team]
    ticket: Ticket | None = None
    for number, step in enumerate(plan.steps):
        clock.set(step.at)
        if step.action == "receive":
            key = f"<{key_prefix}.{plan.index}.{number}@demo.tanggap.example>"
            result = message_receive(
                inbound=InboundMessage(
                    channel=plan.channel,
                    sender=_sender(plan.channel, customer),
                    text=step.text,
                    subject=plan.subject if ticket is None else "",
                    idempotency_key=key,
                    received_at=step.at,
                    ticket_id=ticket.pk if ticket is not None else None,
                )
            )
            ticket = result.ticket
            continue
        if ticket is None:
            raise ValueError("a ticket plan starts with the customer's message")
        actor = cast.user(step.actor)
        if step.action == "enrich":
            _enrich(cast, actor, ticket.customer, customer)
        elif step.action == "assign":
            assignee = cast.user(step.assignee) if step.assignee else None
            ticket = ticket_assign(actor=actor, ticket=ticket, assignee=assignee, team=team)
        elif step.action == "update":
            ticket = ticket_update(actor=actor, ticket=ticket, tags=list(step.tags), priority=step.priority)
        elif step.action == "reply":
            reply_send(actor=actor, ticket=ticket, text=step.text, status_after=step.status or None)
        elif step.action == "note":
            note_add(actor=actor, ticket=ticket, text=step.text)
        elif step.action == "transition":
            ticket = ticket_transition(actor=actor, ticket=ticket, status=step.status)


def _create_quiet_customers(people: list[CustomerPlan], used: set[int], cast: _Cast) -> int:
    """Customers who have not written yet (imported into the CRM at the start of the history)."""
    created = 0
    for plan in people:
        if plan.index in used:
            continue
        organisation = cast.organisations[plan.organisation] if plan.organisation is not None else None
        try:
            customer_create(
                actor=cast.actor,
                name=plan.name,
                identities=_identities(plan),
                organisation=organisation,
                language=plan.language,
            )
            created += 1
        except ApplicationError as exc:
            if exc.code != ErrorCode.CONFLICT:
                raise
    return created


@contextmanager
def _replies_as_history() -> Iterator[None]:
    """The demo's replies happened in its made-up past: they are recorded as sent then and never
    handed to a mail server now (their customers' addresses are invented)."""
    senders = {channel: outbound.sender_for(channel) for channel in Channel.values}

    def sent_then(message: Message) -> None:
        Message.objects.filter(pk=message.pk).update(delivery_status=DeliveryStatus.SENT)
        message.delivery_status = DeliveryStatus.SENT

    for channel, sender in senders.items():
        if sender is not None:
            outbound.register(channel, sent_then)
    try:
        yield
    finally:
        for channel, sender in senders.items():
            if sender is not None:
                outbound.register(channel, sender)


def _setup_clocks(cast: _Cast, now: datetime) -> None:
    """Office hours in Jakarta for every team (the supervisors named), the default response targets,
    and evening cover for the support team this week; then the clocks worked out, so the queue shows
    time left from the first page view. Kept as they are when the database has them already."""
    actor = cast.actor
    if not BusinessCalendar.objects.exists():
        supervisors = {key: cast.user(name) for key, name in c.SUPERVISORS.items()}
        calendar_create(
            actor=actor,
            name=c.CALENDAR_NAME,
            time_zone="Asia/Jakarta",
            hours=c.OFFICE_HOURS,
            is_default=True,
            teams=[(team, supervisors.get(key)) for key, team in cast.teams.items()],
        )
    policies_create_defaults(actor=actor)
    support = cast.teams["support"]
    if not RosterShift.objects.filter(team=support).exists():
        today = timezone.localtime(now, ZoneInfo("Asia/Jakarta")).replace(
            hour=17, minute=0, second=0, microsecond=0
        )
        for day in range(7):
            start = today + timedelta(days=day)
            agent = cast.user(c.EVENING_ROSTER[day % len(c.EVENING_ROSTER)])
            roster_shift_add(
                actor=actor, team=support, agent=agent, starts_at=start, ends_at=start + timedelta(hours=5)
            )
    clocks_sweep(now=now)


def generate(
    *,
    seed: int = 1,
    tickets: int = 1000,
    customers: int = 200,
    force: bool = False,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Write the demo into the database. Refuses (``DemoRefused``) when tickets exist, unless ``force``."""
    if tickets < 0 or customers < 1:
        raise ValueError("tickets must be >= 0 and customers >= 1")
    existing_tickets = Ticket.objects.count()
    if existing_tickets and not force:
        raise DemoRefused(f"the database already has {existing_tickets} tickets")
    now = now or timezone.now()
    people, plans = plan_demo(seed=seed, tickets=tickets, customers=customers, now=now)
    # Message ids differ between demo runs on the same database (``force``), so none is a duplicate.
    key_prefix = f"demo.{seed}.{existing_tickets}"
    clock = DemoClock()
    with backdated_now(clock), _replies_as_history():
        start = now - timedelta(days=HISTORY_DAYS + 2)
        with transaction.atomic():
            cast = _setup_cast(start, clock)
            quiet = _create_quiet_customers(people, {p.customer for p in plans}, cast)
        for plan in plans:
            _play(plan, people, cast, clock, key_prefix)
            if progress is not None:
                progress(1)
    _setup_clocks(cast, now)
    if cast.actor is not None:
        create_demo_macros(actor=cast.actor, teams=cast.teams)
        create_demo_recovery_policies(actor=cast.actor)
    return DemoResult(
        teams=len(cast.teams),
        agents=len(cast.users),
        customers=quiet + len({p.customer for p in plans}),
        tickets=len(plans),
        admin_username=c.AGENTS[0][0],
        admin_password=cast.admin_password,
        agent_password=c.PASSWORD,
    )
