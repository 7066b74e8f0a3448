"""The generated demo: planned deterministically, written through the real services."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tanggap.accounts.models import Role, User
from tanggap.core.models import AuditEntry
from tanggap.customers.models import Customer, Identity
from tanggap.demo import content
from tanggap.demo import conversations as talk
from tanggap.demo.generate import DemoRefused, generate
from tanggap.demo.plan import HISTORY_DAYS, STATUS_SHARES, plan_demo, quotas
from tanggap.tickets.models import Message, MessageKind, SearchEntry, Status, Ticket

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


# ---------------------------------------------------------------- the plan (no database)


def test_same_seed_same_plan_other_seed_other_plan():
    def summary(seed):
        people, plans = plan_demo(seed=seed, tickets=40, customers=12, now=NOW)
        return (
            [(p.name, p.email, p.phone, p.handle) for p in people],
            [
                (t.subject, t.status, t.channel, [(s.at, s.action, s.actor, s.text) for s in t.steps])
                for t in plans
            ],
        )

    assert summary(4) == summary(4)
    assert summary(4) != summary(5)


@pytest.mark.parametrize("total", [0, 1, 5, 6, 30, 1000])
def test_quotas_add_up_and_cover_every_status(total):
    labels = quotas(total, STATUS_SHARES)
    assert len(labels) == total
    if total >= len(STATUS_SHARES):
        assert set(labels) == {status for status, _ in STATUS_SHARES}


def test_plans_are_in_time_order_within_the_history():
    _, plans = plan_demo(seed=9, tickets=200, customers=40, now=NOW)
    created = [p.created_at for p in plans]
    assert created == sorted(created)
    for plan in plans:
        times = [step.at for step in plan.steps]
        assert times == sorted(times), plan.index
        assert NOW - timedelta(days=HISTORY_DAYS) <= times[0]
        assert times[-1] < NOW
        assert plan.steps[0].action == "receive"
        messages = [s for s in plan.steps if s.action in ("receive", "reply", "note")]
        assert 1 <= len(messages) <= 8


def test_about_seventy_percent_indonesian():
    _, plans = plan_demo(seed=1, tickets=1000, customers=200, now=NOW)
    assert sum(p.language == "id" for p in plans) == 700


def test_every_topic_has_a_subject_for_each_opening():
    for language in ("id", "en"):
        for topic in content.TOPICS:
            assert len(talk.SUBJECTS[language][topic]) == len(talk.OPENINGS[language][topic])


def test_the_text_templates_fill():
    rng = random.Random(0)
    from tanggap.demo.plan import _facts

    for language in ("id", "en"):
        facts = _facts(rng, language)
        for topic in content.TOPICS:
            for text in talk.OPENINGS[language][topic] + [talk.REPLY_FIRST[language][topic]]:
                assert "{" not in text.format(**facts)


# ---------------------------------------------------------------- writing it


@pytest.fixture
def demo(db):
    return generate(seed=3, tickets=30, customers=10)


def test_the_demo_through_the_services(demo):
    assert (demo.teams, demo.agents, demo.tickets) == (3, 8, 30)
    assert demo.admin_password == content.PASSWORD

    tickets = Ticket.objects.all()
    assert set(tickets.values_list("status", flat=True)) == set(Status.values)
    assert {"id", "en"} <= set(tickets.values_list("language", flat=True))
    assert len(set(tickets.values_list("channel", flat=True))) >= 2
    kinds = set(Message.objects.values_list("kind", flat=True))
    assert {MessageKind.CUSTOMER, MessageKind.REPLY, MessageKind.NOTE, MessageKind.EVENT} <= kinds

    # Search entries: one per ticket subject and one per message that is not a system event.
    texts = Message.objects.exclude(kind=MessageKind.EVENT).count()
    assert SearchEntry.objects.count() == texts + tickets.count()

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "message.received",
        "reply.sent",
        "note.added",
        "ticket.assigned",
        "ticket.updated",
        "ticket.status_changed",
        "agent.created",
        "team.created",
    } <= actions

    assert Customer.objects.count() == 10
    assert Identity.objects.filter(kind="email").count() == 10
    phones = list(Identity.objects.filter(kind="phone").values_list("value", flat=True))
    assert phones
    assert all(p.startswith("+628") for p in phones)  # E.164, Indonesian mobile numbers


def test_the_agents_and_their_roles(demo):
    roles = sorted(User.objects.values_list("role", flat=True))
    assert roles.count(Role.ADMIN) == 1
    assert 1 <= roles.count(Role.SUPERVISOR) <= 2
    assert roles.count(Role.TRAINEE) == 1
    admin = User.objects.get(username="admin")
    assert admin.is_admin
    assert admin.check_password(content.PASSWORD)
    assert all(u.teams.exists() for u in User.objects.exclude(role=Role.ADMIN))


def test_the_history_spreads_over_the_past(demo):
    now = timezone.now()  # the demo clock is gone: this is the real time again
    earliest = now - timedelta(days=HISTORY_DAYS + 3)
    for model in (Ticket, Message, AuditEntry):
        stamps = list(model.objects.values_list("created_at", flat=True))
        assert min(stamps) >= earliest
        assert max(stamps) <= now
    assert Ticket.objects.order_by("created_at").first().created_at < now - timedelta(days=7)
    # Ticket numbers follow time.
    created = list(Ticket.objects.order_by("pk").values_list("created_at", flat=True))
    assert created == sorted(created)
    for ticket in Ticket.objects.all():
        assert ticket.updated_at >= ticket.created_at
        if ticket.first_response_at:
            assert ticket.first_response_at >= ticket.created_at


def test_each_ticket_ends_in_its_planned_status(db):
    now = timezone.now()
    _, plans = plan_demo(seed=11, tickets=24, customers=8, now=now)
    generate(seed=11, tickets=24, customers=8, now=now)
    assert list(Ticket.objects.order_by("pk").values_list("status", flat=True)) == [p.status for p in plans]


def test_refuses_a_database_with_tickets_unless_forced(ticket):
    with pytest.raises(DemoRefused):
        generate(seed=1, tickets=5, customers=3)
    assert Ticket.objects.count() == 1
    result = generate(seed=1, tickets=5, customers=3, force=True)
    assert result.tickets == 5
    assert Ticket.objects.count() == 6


def test_a_second_forced_run_with_the_same_seed_adds_tickets(demo):
    again = generate(seed=3, tickets=30, customers=10, force=True)
    assert again.admin_password is None  # the admin existed: its password is left alone
    assert Ticket.objects.count() == 60
    assert User.objects.count() == 8


def test_the_demo_inboxes_one_per_team_and_an_open_web_form(demo):
    from tanggap.inboxes.models import Inbox

    inboxes = list(Inbox.objects.select_related("team"))
    assert len(inboxes) == len(content.INBOXES)
    assert {i.team.name for i in inboxes} == {name for _, name, _ in content.TEAMS}
    (with_form,) = [i for i in inboxes if i.form_enabled]
    assert with_form.form_key and with_form.address == f"dukungan@{content.AGENT_DOMAIN}"


def test_the_demo_replies_are_history_not_mail_to_send(demo):
    from tanggap.inboxes.models import OutboundMail
    from tanggap.tickets.models import DeliveryStatus, Message, MessageKind

    replies = Message.objects.filter(kind=MessageKind.REPLY)
    assert replies.exists()
    assert not OutboundMail.objects.exists()
    assert set(replies.filter(channel__in=["email", "web"]).values_list("delivery_status", flat=True)) == {
        DeliveryStatus.SENT
    }


def test_the_demo_sets_up_response_clocks_and_works_them_out(demo):
    from tanggap.sla.models import BusinessCalendar, Policy, RosterShift, TeamCalendar, TicketClock
    from tanggap.tickets.models import ACTIVE_CONDITION

    calendar = BusinessCalendar.objects.get()
    assert calendar.is_default and calendar.time_zone == "Asia/Jakarta"
    assert TeamCalendar.objects.filter(calendar=calendar).count() == len(content.TEAMS)
    assert Policy.objects.filter(first_response_minutes__isnull=False).count() >= 2
    assert RosterShift.objects.count() == 7
    assert not Ticket.objects.filter(derived_stale=True).exists()
    email_tickets = Ticket.objects.filter(channel__in=["email", "web"])
    assert TicketClock.objects.filter(ticket__in=email_tickets).count() == email_tickets.count()
    # Open tickets waiting for an answer are in the queue's due order.
    assert Ticket.objects.filter(ACTIVE_CONDITION, due_at__isnull=False).exists()
