"""Storing where tickets' clocks stand: history read from the timeline, policy and calendar chosen,
one row per ticket with indexed due and warning instants. Frozen ``now``: times are set on the rows."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tanggap.customers.services import customer_update
from tanggap.sla.models import BusinessCalendar, Policy, TeamCalendar, TicketClock
from tanggap.sla.services import calendar_of, clocks_refresh, clocks_sweep, history_of
from tanggap.tickets.models import Message, MessageKind, Ticket
from tanggap.tickets.services import message_receive, note_add, reply_send, ticket_signals_set
from tests.tickets.conftest import inbound

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)  # 2026-11-16 is a Monday


def at(message: Message, when: datetime) -> Message:
    Message.objects.filter(pk=message.pk).update(created_at=when)
    return message


def last_message(ticket: Ticket) -> Message:
    return Message.objects.filter(ticket=ticket).latest("id")


@pytest.fixture
def office(team):
    calendar = BusinessCalendar.objects.create(
        name="Kantor Jakarta",
        hours={str(d): ["08:00-12:00", "13:00-17:00"] for d in range(5)},
        public_holidays=True,
        days_off=["2026-11-18"],
    )
    TeamCalendar.objects.create(team=team, calendar=calendar)
    return calendar


@pytest.fixture
def email_policy():
    return Policy.objects.create(
        name="E-mail",
        position=10,
        channels=["email", "web"],
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=8 * 60,
    )


def received(team, when: datetime, **kwargs) -> Ticket:
    result = message_receive(inbound=inbound(received_at=when, **kwargs))
    Ticket.objects.filter(pk=result.ticket.pk).update(team=team, created_at=when)
    return Ticket.objects.get(pk=result.ticket.pk)


def test_a_new_email_ticket_is_due_an_hour_of_office_time_later(team, office, email_policy):
    ticket = received(team, wib(16, 16, 30))  # Monday 16:30
    row = clocks_refresh(ticket_ids=[ticket.pk], now=wib(16, 17))[ticket.pk]
    assert row is not None and row.policy == email_policy
    assert row.first_response_due_at == wib(17, 8, 30).astimezone(UTC)
    assert row.due_at == row.first_response_due_at
    assert row.warn_at == wib(17, 8, 15).astimezone(UTC)
    assert row.resolution_due_at == wib(17, 16, 30).astimezone(UTC)  # 8 h: the lunch hour not counted
    assert row.breached == [] and not row.paused
    assert TicketClock.objects.get(ticket=ticket).due_at == row.due_at


def test_the_company_day_off_and_the_reply_are_read_from_the_timeline(team, office, email_policy, agent):
    ticket = received(team, wib(17, 16, 30))  # Tuesday; Wednesday is the company's day off
    row = clocks_refresh(ticket_ids=[ticket.pk], now=wib(17, 18))[ticket.pk]
    assert row.first_response_due_at == wib(19, 8, 30).astimezone(UTC)
    at(reply_send(actor=agent, ticket=ticket, text="Baik, kami cek."), wib(19, 8, 0))
    row = clocks_refresh(ticket_ids=[ticket.pk], now=wib(19, 9))[ticket.pk]
    assert row.first_response_due_at is None  # met
    assert row.next_response_due_at is None  # the customer has not written again
    assert row.due_at == row.resolution_due_at
    assert row.breached == []


def test_a_late_reply_leaves_the_breach_on_record(team, office, email_policy, agent):
    ticket = received(team, wib(16, 9))
    at(reply_send(actor=agent, ticket=ticket, text="Maaf, baru sempat."), wib(16, 14))
    row = clocks_refresh(ticket_ids=[ticket.pk], now=wib(16, 15))[ticket.pk]
    assert row.breached == ["first_response"]


def test_waiting_on_the_customer_pauses_and_their_answer_starts_the_next_response(
    team, office, email_policy, agent
):
    ticket = received(team, wib(16, 9))
    reply = reply_send(actor=agent, ticket=ticket, text="Boleh kirim nomor pesanan?", status_after="pending")
    at(reply, wib(16, 9, 30))
    at(last_message(ticket), wib(16, 9, 30))  # the status change recorded with the reply
    row = clocks_refresh(ticket_ids=[ticket.pk], now=wib(16, 11))[ticket.pk]
    assert row.paused and row.due_at is None and row.warn_at is None
    answer = message_receive(
        inbound=inbound(text="Nomornya 1234.", ticket_id=ticket.pk, received_at=wib(16, 13))
    )
    assert answer.ticket.pk == ticket.pk
    for message in Message.objects.filter(ticket=ticket, created_at__gt=wib(16, 12)):
        at(message, wib(16, 13))
    row = clocks_refresh(ticket_ids=[ticket.pk], now=wib(16, 14))[ticket.pk]
    assert not row.paused
    assert row.next_response_due_at == wib(16, 15).astimezone(UTC)
    assert row.due_at == row.next_response_due_at


def test_notes_and_auto_replies_start_and_stop_nothing(team, office, email_policy, agent):
    ticket = received(team, wib(16, 9))
    at(note_add(actor=agent, ticket=ticket, text="Cek gudang dulu."), wib(16, 9, 10))
    before = clocks_refresh(ticket_ids=[ticket.pk], now=wib(16, 9, 20))[ticket.pk]
    assert before.first_response_due_at == wib(16, 10).astimezone(UTC)
    events = history_of(
        [
            (MessageKind.CUSTOMER, "", "", {}, wib(16, 9)),
            (MessageKind.CUSTOMER, "auto_reply", "", {}, wib(16, 9, 5)),
            (MessageKind.NOTE, "", "", {}, wib(16, 9, 6)),
            (MessageKind.EVENT, "", "assigned", {"assignee": 1}, wib(16, 9, 7)),
            (MessageKind.EVENT, "", "status_changed", {"previous": "new", "status": "open"}, wib(16, 9, 8)),
            (MessageKind.REPLY, "", "", {}, wib(16, 9, 9)),
        ]
    )
    assert [(e.kind, e.status) for e in events] == [("customer", ""), ("status", "open"), ("reply", "")]


def test_the_first_matching_policy_applies_and_no_policy_means_no_clock(team, office, email_policy, agent):
    urgent = Policy.objects.create(name="Urgent", position=1, priorities=[3], first_response_minutes=15)
    phone = received(team, wib(16, 9), channel="phone", sender="+628123456789", kind="phone")
    email = received(team, wib(16, 9), sender="budi@example.com")
    Ticket.objects.filter(pk=email.pk).update(priority=3)
    rows = clocks_refresh(ticket_ids=[phone.pk, email.pk], now=wib(16, 9, 5))
    assert rows[phone.pk] is None and not TicketClock.objects.filter(ticket=phone).exists()
    assert rows[email.pk].policy == urgent
    assert rows[email.pk].first_response_due_at == wib(16, 9, 15).astimezone(UTC)
    urgent.is_active = False
    urgent.save()
    assert clocks_refresh(ticket_ids=[email.pk], now=wib(16, 9, 5))[email.pk].policy == email_policy


def test_a_customers_tier_chooses_the_policy_and_a_new_tier_chooses_again(
    team, office, email_policy, admin, django_capture_on_commit_callbacks
):
    vip = Policy.objects.create(name="VIP", position=1, tiers=["VIP "], first_response_minutes=15)
    ticket = received(team, wib(16, 9))
    now = wib(16, 9, 5)
    assert clocks_refresh(ticket_ids=[ticket.pk], now=now)[ticket.pk].policy == email_policy
    Ticket.objects.filter(pk=ticket.pk).update(derived_stale=False)
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(actor=admin, customer=ticket.customer, tier="  Vip")
    assert ticket.customer.tier == "vip"
    assert Ticket.objects.get(pk=ticket.pk).derived_stale  # the sweep chooses again
    clocks_sweep(now=now)
    row = TicketClock.objects.get(ticket=ticket)
    assert row.policy == vip and row.first_response_due_at == wib(16, 9, 15).astimezone(UTC)
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(actor=admin, customer=ticket.customer, tier="")
    clocks_sweep(now=now)
    assert TicketClock.objects.get(ticket=ticket).policy == email_policy


def test_a_refund_policy_applies_once_assist_found_the_intent(team, office, email_policy):
    refund = Policy.objects.create(name="Refund", position=1, intents=["refund"], first_response_minutes=30)
    ticket = received(team, wib(16, 9))  # Monday 09:00
    now = wib(16, 9, 5)
    clocks_sweep(now=now)
    assert TicketClock.objects.get(ticket=ticket).policy == email_policy
    assert not Ticket.objects.get(pk=ticket.pk).derived_stale
    # What assist writes once it has read the customer: the ticket is flagged for the sweep.
    ticket_signals_set(
        ticket_id=ticket.pk, intents=["refund"], sentiment="negative", emotion="anger", anger=0.4
    )
    assert Ticket.objects.get(pk=ticket.pk).derived_stale
    clocks_sweep(now=now)
    row = TicketClock.objects.get(ticket=ticket)
    assert row.policy == refund and row.first_response_due_at == wib(16, 9, 30).astimezone(UTC)
    # A later message without the intent keeps it: assist gives the intents of the whole conversation.
    ticket_signals_set(
        ticket_id=ticket.pk, intents=["question", "refund"], sentiment="neutral", emotion="", anger=0.1
    )
    clocks_sweep(now=now)
    assert TicketClock.objects.get(ticket=ticket).policy == refund


def test_the_latest_sentiment_and_anger_choose_again_when_they_change(team, office, email_policy):
    angry = Policy.objects.create(
        name="Angry", position=1, sentiments=["negative"], min_anger=0.7, first_response_minutes=15
    )
    ticket = received(team, wib(16, 9))
    now = wib(16, 9, 5)
    ticket_signals_set(ticket_id=ticket.pk, intents=[], sentiment="negative", emotion="anger", anger=0.9)
    clocks_sweep(now=now)
    assert TicketClock.objects.get(ticket=ticket).policy == angry
    ticket_signals_set(ticket_id=ticket.pk, intents=[], sentiment="negative", emotion="sadness", anger=0.3)
    clocks_sweep(now=now)
    assert TicketClock.objects.get(ticket=ticket).policy == email_policy


def test_refreshing_twice_gives_the_same_row(team, office, email_policy):
    ticket = received(team, wib(16, 10))
    first = clocks_refresh(ticket_ids=[ticket.pk], now=wib(16, 10, 30))[ticket.pk]
    again = clocks_refresh(ticket_ids=[ticket.pk, ticket.pk], now=wib(16, 10, 30))[ticket.pk]
    fields = (
        "first_response_due_at",
        "next_response_due_at",
        "resolution_due_at",
        "due_at",
        "warn_at",
        "breached",
    )
    assert [getattr(first, f) for f in fields] == [getattr(again, f) for f in fields]
    assert TicketClock.objects.count() == 1


def test_without_any_calendar_every_hour_counts(team, email_policy):
    ticket = received(team, wib(21, 23))  # Saturday night
    row = clocks_refresh(ticket_ids=[ticket.pk], now=wib(21, 23, 10))[ticket.pk]
    assert row.first_response_due_at == wib(22, 0).astimezone(UTC)


def test_a_team_without_a_calendar_uses_the_default_one(make_team, email_policy):
    BusinessCalendar.objects.create(name="Default", is_default=True, public_holidays=False)
    ticket = received(make_team("Lain"), wib(21, 23))  # Saturday night: Monday 08:00 + 1 h
    row = clocks_refresh(ticket_ids=[ticket.pk], now=wib(21, 23, 10))[ticket.pk]
    assert row.first_response_due_at == wib(23, 9).astimezone(UTC)


def test_indonesian_public_holidays_close_the_calendar():
    calendar = calendar_of(BusinessCalendar(name="x", hours={"0": ["08:00-17:00"]}), years=[2026])
    assert datetime(2026, 8, 17).date() in calendar.holidays  # Hari Kemerdekaan
    with pytest.raises(ValueError):
        calendar_of(BusinessCalendar(name="y", hours={"0": ["17:00-08:00"]}), years=[2026])
    assert calendar_of(BusinessCalendar(name="z", always_open=True), years=[2026]).always_open


# ---------------------------------------------------------------- the sweep


def test_the_sweep_works_out_new_and_changed_tickets_once(team, office, email_policy, agent):
    from tanggap.sla.services import clocks_sweep

    ticket = received(team, wib(16, 9))
    first = clocks_sweep(now=wib(16, 9, 5))
    assert (first.changed, first.clocks, first.breached) == (1, 1, 0)
    assert not Ticket.objects.get(pk=ticket.pk).derived_stale
    assert TicketClock.objects.get(ticket=ticket).first_response_due_at == wib(16, 10).astimezone(UTC)
    assert clocks_sweep(now=wib(16, 9, 6)).changed == 0  # nothing changed, nothing passed
    at(reply_send(actor=agent, ticket=ticket, text="Sudah kami kirim."), wib(16, 9, 30))
    assert Ticket.objects.get(pk=ticket.pk).derived_stale  # the reply's write marked it
    again = clocks_sweep(now=wib(16, 9, 31))
    assert again.changed == 1
    assert TicketClock.objects.get(ticket=ticket).first_response_due_at is None


def test_a_clock_running_out_between_sweeps_is_a_breach_at_the_next(team, office, email_policy, monkeypatch):
    from tanggap.sla import services
    from tanggap.sla.services import clocks_sweep

    ticket = received(team, wib(16, 9))
    clocks_sweep(now=wib(16, 9, 50))
    assert TicketClock.objects.get(ticket=ticket).breached == []

    def no_timeline(**kwargs):
        raise AssertionError("an unchanged ticket's clocks come from its stored row")

    monkeypatch.setattr(services, "clocks_refresh", no_timeline)
    report = clocks_sweep(now=wib(16, 10, 1))  # the first response was due at 10:00
    assert (report.changed, report.passed, report.breached) == (0, 1, 1)
    assert TicketClock.objects.get(ticket=ticket).breached == ["first_response"]


def test_a_sweep_that_fails_clears_nothing(team, office, email_policy, monkeypatch):
    from tanggap.sla import services

    ticket = received(team, wib(16, 9))

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "clocks_refresh", broken)
    with pytest.raises(RuntimeError):
        services.clocks_sweep(now=wib(16, 9, 5))
    assert Ticket.objects.get(pk=ticket.pk).derived_stale
    monkeypatch.undo()
    assert services.clocks_sweep(now=wib(16, 9, 6)).changed == 1


def test_the_sweep_goes_in_batches_and_reports_progress(team, office, email_policy):
    from tanggap.sla.services import clocks_sweep

    for n in range(5):
        received(team, wib(16, 9, n), sender=f"p{n}@example.com")
    seen: list[int] = []
    report = clocks_sweep(now=wib(16, 9, 30), batch=2, progress=seen.append)
    assert report.changed == 5 and seen == [2, 2, 1]
    assert TicketClock.objects.count() == 5
