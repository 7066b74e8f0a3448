"""Running triggers on ticket events: conditions on real tickets, every action through the ticket
services, order, loop safety, failures on the timeline."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from tanggap.accounts.models import Role
from tanggap.automations import firing, triggers
from tanggap.automations.models import Trigger, TriggerNotice
from tanggap.automations.selectors import notices_for, unread_notice_count
from tanggap.automations.triggers import trigger_create, trigger_notices_mark_read
from tanggap.core import events
from tanggap.customers.services import customer_update
from tanggap.inboxes.models import MailSource, OutboundMail
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Message, Priority, Status, Ticket
from tanggap.tickets.services import message_receive, ticket_signals_set, ticket_update
from tanggap.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(make_agent, team):
    return make_agent("lead", role=Role.SUPERVISOR, teams=[team])


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run ``call`` and deliver its events (and the events those cause) as a commit would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def make(lead, name, event, conditions, actions, **kwargs):
    return trigger_create(
        actor=lead, name=name, event=event, conditions=conditions, actions=actions, **kwargs
    )


def inbound(subject="Minta refund", text="Halo, saya minta refund.", key=None, ticket_id=None, **kwargs):
    return InboundMessage(
        channel=kwargs.pop("channel", "email"),
        sender=Sender("email", kwargs.pop("sender", "siti@example.com"), "Siti Rahma"),
        subject=subject,
        text=text,
        idempotency_key=key,
        ticket_id=ticket_id,
        **kwargs,
    )


def firings(ticket):
    return list(
        Message.objects.filter(ticket=ticket, event_code="trigger_fired")
        .order_by("id")
        .values_list("event_data", flat=True)
    )


def refund_trigger(lead, **kwargs):
    return make(
        lead,
        "Refund",
        "ticket_created",
        [{"field": "subject", "op": "contains", "value": "REFUND"}],
        [{"type": "add_tag", "value": "refund"}, {"type": "set_priority", "value": Priority.HIGH}],
        **kwargs,
    )


def test_a_new_ticket_matching_the_conditions_gets_the_actions_and_a_timeline_entry(lead, run):
    trigger = refund_trigger(lead)
    ticket = run(message_receive, inbound=inbound(subject="Minta refund pesanan 1182")).ticket
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.priority == Priority.HIGH
    assert list(ticket.tags.values_list("name", flat=True)) == ["refund"]
    [fired] = firings(ticket)
    assert fired["trigger"] == "Refund" and fired["trigger_id"] == trigger.pk
    assert fired["done"] == [
        {"type": "add_tag", "tag": "refund"},
        {"type": "set_priority", "priority": Priority.HIGH},
    ]
    assert fired["failed"] == []
    trigger.refresh_from_db()
    assert trigger.fire_count == 1 and trigger.last_fired_at is not None


def test_a_ticket_that_does_not_match_is_left_alone(lead, run):
    trigger = refund_trigger(lead)
    ticket = run(message_receive, inbound=inbound(subject="Pesanan belum sampai", text="refund?")).ticket
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL
    assert firings(ticket) == []
    trigger.refresh_from_db()
    assert trigger.fire_count == 0


def test_a_switched_off_trigger_never_fires(lead, run):
    refund_trigger(lead, is_active=False)
    ticket = run(message_receive, inbound=inbound()).ticket
    assert firings(ticket) == []


def test_message_received_fires_on_the_customers_next_message_only(lead, run):
    make(
        lead,
        "Writes again",
        "message_received",
        [{"field": "message", "op": "contains", "value": "masih"}],
        [{"type": "add_tag", "value": "follow-up"}],
    )
    first = run(message_receive, inbound=inbound(text="masih menunggu", key="a")).ticket
    assert firings(first) == []  # the first message is the "created" event's
    run(message_receive, inbound=inbound(text="Saya masih menunggu", key="b", ticket_id=first.pk))
    assert [f["trigger"] for f in firings(first)] == ["Writes again"]
    assert Ticket.objects.get(pk=first.pk).tags.filter(name="follow-up").exists()


def test_later_triggers_see_what_earlier_ones_changed(lead, run):
    make(lead, "Tag VIP", "ticket_created", [], [{"type": "add_tag", "value": "vip"}])
    make(
        lead,
        "VIP is urgent",
        "ticket_created",
        [{"field": "tags", "op": "include", "value": "vip"}],
        [{"type": "set_priority", "value": Priority.URGENT}],
    )
    ticket = run(message_receive, inbound=inbound()).ticket
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.URGENT
    assert [f["trigger"] for f in firings(ticket)] == ["Tag VIP", "VIP is urgent"]


def test_order_matters_an_earlier_trigger_cannot_see_a_later_ones_change(lead, run):
    make(
        lead,
        "VIP is urgent",
        "ticket_created",
        [{"field": "tags", "op": "include", "value": "vip"}],
        [{"type": "set_priority", "value": Priority.URGENT}],
    )
    make(lead, "Tag VIP", "ticket_created", [], [{"type": "add_tag", "value": "vip"}])
    ticket = run(message_receive, inbound=inbound()).ticket
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.NORMAL
    assert [f["trigger"] for f in firings(ticket)] == ["Tag VIP"]


def test_an_updated_trigger_sees_a_tag_a_created_trigger_added(lead, run):
    make(lead, "Tag VIP", "ticket_created", [], [{"type": "add_tag", "value": "vip"}])
    make(
        lead,
        "VIP tag changes priority",
        "ticket_updated",
        [{"field": "tags", "op": "include", "value": "vip"}],
        [{"type": "set_priority", "value": Priority.HIGH}],
    )
    ticket = run(message_receive, inbound=inbound()).ticket
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.HIGH


def ping_pong(lead):
    a = make(
        lead,
        "A",
        "ticket_updated",
        [{"field": "tags", "op": "include", "value": "y"}],
        [{"type": "remove_tag", "value": "y"}, {"type": "add_tag", "value": "x"}],
    )
    b = make(
        lead,
        "B",
        "ticket_updated",
        [{"field": "tags", "op": "include", "value": "x"}],
        [{"type": "remove_tag", "value": "x"}, {"type": "add_tag", "value": "y"}],
    )
    return a, b


def test_two_triggers_that_would_ping_pong_fire_once_each(lead, agent, ticket, run):
    a, b = ping_pong(lead)
    run(ticket_update, actor=agent, ticket=ticket, tags=["y"])
    assert [f["trigger"] for f in firings(ticket)] == ["A", "B"]
    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == ["y"]
    assert Trigger.objects.get(pk=a.pk).fire_count == 1 and Trigger.objects.get(pk=b.pk).fire_count == 1
    # The next change by a person is a new cause: the pair may run again, once each.
    run(ticket_update, actor=agent, ticket=ticket, priority=Priority.LOW)
    assert len(firings(ticket)) == 4


@pytest.mark.django_db(transaction=True)
def test_ping_pong_terminates_when_events_are_delivered_by_real_commits(make_agent, make_team):
    team = make_team("Support")
    lead = make_agent("lead", role=Role.SUPERVISOR, teams=[team])
    agent = make_agent("agent", teams=[team])
    ping_pong(lead)
    ticket = message_receive(inbound=inbound(key="k1")).ticket
    ticket_update(actor=agent, ticket=ticket, tags=["y"])  # commits: events dispatched for real
    assert [f["trigger"] for f in firings(ticket)] == ["A", "B"]
    assert firing._causes() == {}  # nothing left open


def test_a_runaway_chain_stops_at_the_cap_with_a_warning_and_a_timeline_note(
    lead, agent, ticket, run, monkeypatch, caplog
):
    monkeypatch.setattr(firing, "MAX_FIRINGS", 3)
    for n in range(5):
        make(
            lead,
            f"Step {n}",
            "ticket_updated",
            [{"field": "tags", "op": "include", "value": f"s{n}"}],
            [{"type": "add_tag", "value": f"s{n + 1}"}],
        )
    with caplog.at_level(logging.WARNING, logger="tanggap.automations.firing"):
        run(ticket_update, actor=agent, ticket=ticket, tags=["s0"])
    assert [f["trigger"] for f in firings(ticket)] == ["Step 0", "Step 1", "Step 2"]
    note = Message.objects.get(ticket=ticket, event_code="triggers_stopped")
    assert note.event_data["firings"] == 3 and note.event_data["trigger"] == "Step 3"
    assert "stopped after 3 firings" in caplog.text
    assert not Ticket.objects.get(pk=ticket.pk).tags.filter(name="s4").exists()


def test_a_failing_action_is_recorded_and_the_rest_still_run(lead, make_agent, make_team, run):
    elsewhere = make_agent("elsewhere", teams=[make_team("Billing")])
    make(
        lead,
        "Give to Billing agent",
        "ticket_created",
        [],
        # The agent is not in the ticket's team: the assignment fails, the tag is still added.
        [{"type": "assign", "agent": elsewhere.pk}, {"type": "add_tag", "value": "checked"}],
    )
    make(lead, "Second", "ticket_created", [], [{"type": "set_priority", "value": Priority.LOW}])
    support = lead.teams.get()
    ticket = run(message_receive, inbound=inbound(team_id=support.pk)).ticket
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.assignee_id is None and ticket.tags.filter(name="checked").exists()
    assert ticket.priority == Priority.LOW
    first, second = firings(ticket)
    assert first["failed"] == [{"type": "assign", "error": "invalid_input", "field": "assignee"}]
    assert first["done"] == [{"type": "add_tag", "tag": "checked"}]
    assert second["failed"] == []


def test_assign_to_a_team_and_an_agent(lead, make_agent, make_team, run):
    billing = make_team("Billing")
    rina = make_agent("rina", teams=[billing])
    make(lead, "Billing", "ticket_created", [], [{"type": "assign", "team": billing.pk, "agent": rina.pk}])
    ticket = Ticket.objects.get(pk=run(message_receive, inbound=inbound()).ticket.pk)
    assert (ticket.team_id, ticket.assignee_id) == (billing.pk, rina.pk)
    assert firings(ticket)[0]["done"] == [{"type": "assign", "team": "Billing", "agent": rina.label}]
    event = Message.objects.get(ticket=ticket, event_code="assigned")
    assert event.author_id is None  # Tanggap itself


def test_set_status_and_remove_tag(lead, agent, ticket, run):
    run(ticket_update, actor=agent, ticket=ticket, tags=["spam", "keep"])
    make(
        lead,
        "Spam",
        "ticket_updated",
        [{"field": "tags", "op": "include", "value": "spam"}],
        [{"type": "remove_tag", "value": "spam"}, {"type": "set_status", "value": Status.SOLVED}],
    )
    run(ticket_update, actor=agent, ticket=ticket, priority=Priority.LOW)
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == Status.SOLVED
    assert list(ticket.tags.values_list("name", flat=True)) == ["keep"]


def test_a_status_change_the_workflow_refuses_is_recorded(lead, agent, ticket, run):
    make(lead, "Close", "ticket_updated", [], [{"type": "set_status", "value": Status.CLOSED}])
    run(ticket_update, actor=agent, ticket=ticket, priority=Priority.LOW)
    [fired] = firings(ticket)
    assert fired["failed"] == [{"type": "set_status", "error": "invalid_transition", "field": ""}]
    assert Ticket.objects.get(pk=ticket.pk).status != Status.CLOSED


def test_status_changed_and_assigned_events(lead, agent, admin, ticket, run):
    from tanggap.tickets.services import ticket_assign, ticket_transition

    make(
        lead,
        "Solved",
        "status_changed",
        [{"field": "status", "op": "is", "value": Status.SOLVED}],
        [{"type": "add_tag", "value": "solved-once"}],
    )
    make(
        lead,
        "Assigned",
        "assigned",
        [{"field": "assignee", "op": "is", "value": agent.pk}],
        [{"type": "add_tag", "value": "mine"}],
    )
    run(ticket_assign, actor=admin, ticket=ticket, assignee=agent)
    run(ticket_transition, actor=agent, ticket=ticket, status=Status.SOLVED)
    assert sorted(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == [
        "mine",
        "solved-once",
    ]


def test_customer_tier_language_channel_and_automatic_conditions(lead, admin, run):
    make(
        lead,
        "VIP chat in English",
        "ticket_created",
        [
            {"field": "tier", "op": "is", "value": "VIP"},
            {"field": "language", "op": "is", "value": "en"},
            {"field": "channel", "op": "is", "value": "chat"},
            {"field": "automatic", "op": "is_false"},
        ],
        [{"type": "set_priority", "value": Priority.URGENT}],
    )
    first = run(message_receive, inbound=inbound(channel="chat", key="c1", language="en")).ticket
    assert Ticket.objects.get(pk=first.pk).priority == Priority.NORMAL  # not VIP yet
    run(customer_update, actor=admin, customer=first.customer, tier="VIP")
    second = run(message_receive, inbound=inbound(channel="chat", key="c2", language="en")).ticket
    assert second.pk != first.pk
    assert Ticket.objects.get(pk=second.pk).priority == Priority.URGENT
    third = run(
        message_receive, inbound=inbound(channel="chat", key="c3", language="en", automatic="auto_reply")
    ).ticket
    assert Ticket.objects.get(pk=third.pk).priority == Priority.NORMAL


def test_send_mail_renders_the_template_as_an_automatic_mail(lead, team, run):
    inbox = inbox_create(actor=None, name="Support", address="support@tanggap.test", team=team)
    make(
        lead,
        "Refund answer",
        "ticket_created",
        [{"field": "subject", "op": "contains", "value": "refund"}],
        [
            {
                "type": "send_mail",
                "subject": "Refund #{{ ticket.number }}",
                "body": "Halo {{ customer.first_name }}, permintaan refund #{{ ticket.number }} kami terima.",
            }
        ],
    )
    row = run(mail_receive, inbox=inbox, raw=make_mail(subject="Minta refund"), source=MailSource.IMAP)
    # (The acknowledgement of a new ticket may be queued too; this is the trigger's mail.)
    mail = OutboundMail.objects.get(ticket_id=row.ticket_id, subject__contains="Refund #")
    assert mail.body_text == f"Halo Siti, permintaan refund #{row.ticket_id} kami terima."
    assert f"Refund #{row.ticket_id}" in mail.subject
    assert firings(row.ticket)[0]["done"] == [{"type": "send_mail"}]


def test_send_mail_refused_is_recorded(lead, run):
    make(lead, "Mail", "ticket_created", [], [{"type": "send_mail", "body": "Halo"}])
    ticket = run(message_receive, inbound=inbound()).ticket  # no inbox: nowhere to send from
    [fired] = firings(ticket)
    assert fired["failed"][0]["type"] == "send_mail" and fired["failed"][0]["error"] == "conflict"


def test_notify_leaves_a_notice_for_the_agents(lead, agent, ticket, run):
    make(
        lead,
        "Tell",
        "ticket_updated",
        [{"field": "priority", "op": "at_least", "value": Priority.HIGH}],
        [{"type": "notify", "agents": [agent.pk], "assignee": True, "text": "Tiket penting"}],
    )
    run(ticket_update, actor=lead, ticket=ticket, priority=Priority.URGENT)
    notice = TriggerNotice.objects.get()
    assert (notice.user_id, notice.ticket_id, notice.text, notice.trigger_name) == (
        agent.pk,
        ticket.pk,
        "Tiket penting",
        "Tell",
    )
    assert unread_notice_count(user=agent) == 1
    assert [n.text for n in notices_for(user=agent)] == ["Tiket penting"]
    trigger_notices_mark_read(user=agent)
    assert unread_notice_count(user=agent) == 0


def test_webhook_queues_a_delivery_to_the_chosen_endpoint(lead, agent, ticket, run):
    endpoint = WebhookSubscription.objects.create(
        name="CRM", url="https://crm.example.com/hook", secret="whsec_x", events=["ticket.created"]
    )
    make(lead, "Hook", "ticket_updated", [], [{"type": "webhook", "endpoint": endpoint.pk}])
    run(ticket_update, actor=agent, ticket=ticket, priority=Priority.HIGH)
    delivery = WebhookDelivery.objects.get(subscription=endpoint)
    assert delivery.event == "trigger.fired"
    assert delivery.payload["data"]["trigger"]["name"] == "Hook"
    assert delivery.payload["data"]["ticket"]["id"] == ticket.pk
    endpoint.active = False
    endpoint.save()
    run(ticket_update, actor=agent, ticket=ticket, priority=Priority.LOW)
    assert firings(ticket)[-1]["failed"] == [
        {"type": "webhook", "error": "invalid_input", "field": "endpoint"}
    ]


# ---------------------------------------------------------------- what assist read


def assist_read(ticket, *, sentiment, emotion, anger, intents):
    """What assist does once it has read the customer's latest message (``assist.services``): the
    ticket's columns (the conversation's intents: those found before and this message's), then
    ``message.classified`` after commit. Done by hand so the test does not depend on what the trained
    models make of a sentence."""
    message = Message.objects.filter(ticket=ticket, kind="customer").latest("id")
    before = {i for i in Ticket.objects.get(pk=ticket.pk).intents.split(",") if i}
    with transaction.atomic():
        ticket_signals_set(
            ticket_id=ticket.pk,
            intents=sorted(before | set(intents)),
            sentiment=sentiment,
            emotion=emotion,
            anger=anger,
        )
        events.publish(
            events.MESSAGE_CLASSIFIED,
            {
                "ticket_id": ticket.pk,
                "message_id": message.pk,
                "sentiment": sentiment,
                "emotion": emotion,
                "anger": anger,
                "intents": list(intents),
            },
        )


def test_what_assist_read_fires_the_documented_examples_once(lead, run):
    classified = "message_classified"
    make(lead, "Angry", classified, [cond("anger", "at_least", 0.7)], [set_priority(Priority.URGENT)])
    make(lead, "Cancellation", classified, [cond("intent", "include", "cancel")], [add_tag("cancellation")])
    make(
        lead,
        "Escalation",
        classified,
        [cond("intent", "include", "escalation"), cond("tags", "exclude", "escalated")],
        [
            {"type": "notify", "agents": [lead.pk], "text": "Pelanggan minta supervisor"},
            add_tag("escalated"),
        ],
    )
    # Part of the same cause: sees the priority the first trigger set.
    make(lead, "Urgent", "ticket_updated", [cond("priority", "is", 4)], [add_tag("hot")])
    ticket = message_receive(
        inbound=inbound(subject="Batalkan pesanan", text="Batalkan! Mana atasan kamu?")
    ).ticket
    run(
        assist_read,
        ticket,
        sentiment="negative",
        emotion="anger",
        anger=0.85,
        intents=["cancel", "escalation"],
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.priority == Priority.URGENT
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["cancellation", "escalated", "hot"]
    assert [f["trigger"] for f in firings(ticket)] == ["Angry", "Cancellation", "Escalation", "Urgent"]
    assert [n.text for n in notices_for(user=lead)] == ["Pelanggan minta supervisor"]

    # The customer writes again, calmer; the intents found before stay on the ticket, but nothing
    # would change: no firing, and the supervisor is not told twice.
    message_receive(inbound=inbound(text="Baik, saya tunggu.", key="again", ticket_id=ticket.pk))
    before = len(firings(ticket))
    run(assist_read, ticket, sentiment="neutral", emotion="", anger=0.1, intents=["question"])
    assert len(firings(ticket)) == before
    assert TriggerNotice.objects.count() == 1
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.intents == ",cancel,escalation,question," and ticket.anger == 0.1


def test_a_ticket_assist_has_not_read_never_matches_anger(lead, run):
    make(lead, "Angry", "ticket_created", [cond("anger", "at_least", 0)], [set_priority(Priority.URGENT)])
    ticket = message_receive(inbound=inbound()).ticket
    run(events.publish, events.TICKET_CREATED, {"ticket_id": ticket.pk, "actor_id": None})
    assert Ticket.objects.get(pk=ticket.pk).anger is None
    assert firings(ticket) == []


def test_the_dry_run_reads_the_signals(lead):
    trigger = make(
        lead, "Refund", "message_classified", [cond("intent", "include", "refund")], [add_tag("r")]
    )
    ticket = message_receive(inbound=inbound()).ticket
    assert not triggers.trigger_dry_run(actor=lead, trigger=trigger, ticket=ticket).matches
    ticket_signals_set(
        ticket_id=ticket.pk, intents=["refund"], sentiment="negative", emotion="sadness", anger=0.2
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert triggers.trigger_dry_run(actor=lead, trigger=trigger, ticket=ticket).matches


def cond(field, op, value=None):
    return {"field": field, "op": op, "value": value}


def set_priority(value):
    return {"type": "set_priority", "value": value}


def add_tag(value):
    return {"type": "add_tag", "value": value}
