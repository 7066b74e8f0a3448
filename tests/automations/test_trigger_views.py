"""The trigger pages: leads build, order, switch off and test triggers; agents see none of it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tanggap.accounts.models import Role
from tanggap.automations.models import Trigger
from tanggap.automations.triggers import trigger_create
from tanggap.tickets.models import Message, Priority
from tanggap.tickets.services import ticket_signals_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(make_agent, team):
    return make_agent("lead", role=Role.SUPERVISOR, teams=[team])


@pytest.fixture
def lead_client(client, lead, settings):
    client.force_login(lead)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the sentences below are the English ones
    return client


def refund(lead, name="Refund", **kwargs):
    return trigger_create(
        actor=lead,
        name=name,
        event="ticket_created",
        conditions=[{"field": "subject", "op": "contains", "value": "refund"}],
        actions=[{"type": "add_tag", "value": "refund"}, {"type": "set_priority", "value": 3}],
        **kwargs,
    )


BUILT = {
    "name": "Refund",
    "event": "ticket_created",
    "is_active": "1",
    "c-0-field": "subject",
    "c-0-op": "contains",
    "c-0-value": "refund",
    "c-0-priority": "2",
    "a-0-type": "add_tag",
    "a-0-tag": "refund",
    "a-3-type": "set_priority",
    "a-3-priority": "3",
}


def test_a_lead_builds_a_trigger_from_rows(lead_client):
    response = lead_client.post(reverse("web:admin_trigger_new"), BUILT)
    assert response.status_code == 302
    trigger = Trigger.objects.get()
    assert trigger.conditions == [{"field": "subject", "op": "contains", "value": "refund"}]
    assert trigger.actions == [{"type": "add_tag", "value": "refund"}, {"type": "set_priority", "value": 3}]
    assert trigger.is_active and trigger.event == "ticket_created"


def test_choice_conditions_take_the_value_from_their_picker(lead_client, team):
    data = {
        **BUILT,
        "c-0-field": "team",
        "c-0-op": "is",
        "c-0-team": str(team.pk),
        "c-0-value": "ignored",
    }
    lead_client.post(reverse("web:admin_trigger_new"), data)
    assert Trigger.objects.get().conditions == [{"field": "team", "op": "is", "value": team.pk}]


def test_conditions_on_what_assist_read_are_built_with_labels_and_a_percentage(lead_client, lead):
    page = lead_client.get(reverse("web:admin_trigger_new")).content.decode()
    assert "Assist read a customer message" in page
    assert (
        "Customer&#x27;s anger" in page
        and '<option value="escalation">Asks for a supervisor</option>' in page
    )
    data = {
        **BUILT,
        "event": "message_classified",
        "c-0-field": "anger",
        "c-0-op": "at_least",
        "c-0-anger": "70",
        "c-1-field": "intent",
        "c-1-op": "include",
        "c-1-intent": "cancel",
        "c-2-field": "sentiment",
        "c-2-op": "is_not",
        "c-2-sentiment": "positive",
    }
    assert lead_client.post(reverse("web:admin_trigger_new"), data).status_code == 302
    trigger = Trigger.objects.get()
    assert trigger.event == "message_classified"
    assert trigger.conditions == [
        {"field": "anger", "op": "at_least", "value": 0.7},
        {"field": "intent", "op": "include", "value": "cancel"},
        {"field": "sentiment", "op": "is_not", "value": "positive"},
    ]
    listed = lead_client.get(reverse("web:admin_triggers")).content.decode()
    assert "Customer&#x27;s anger is at least “70 %”" in listed
    assert "Customer&#x27;s intents include “Cancellation”" in listed
    form = lead_client.get(reverse("web:admin_trigger", args=[trigger.pk])).content.decode()
    assert 'data-for="anger" value="70"' in form
    refused = lead_client.post(
        reverse("web:admin_trigger_new"), {**data, "name": "Other", "c-0-anger": "170"}
    )
    assert refused.status_code == 422 and "Condition 1" in refused.content.decode()


def test_an_invalid_row_is_refused_with_a_sentence_and_the_rows_kept(lead_client):
    data = {**BUILT, "a-3-priority": "9"}
    response = lead_client.post(reverse("web:admin_trigger_new"), data)
    assert response.status_code == 422
    assert not Trigger.objects.exists()
    body = response.content.decode()
    assert "Action 2" in body and "not valid" in body
    assert 'value="refund"' in body  # what was typed is still there
    assert "trigger-row action-row bad" in body


def test_an_unknown_condition_field_is_refused(lead_client):
    response = lead_client.post(reverse("web:admin_trigger_new"), {**BUILT, "c-0-field": "password"})
    assert response.status_code == 422
    assert "That condition does not exist." in response.content.decode()


def test_add_row_without_script_returns_the_form_with_another_row(lead_client):
    response = lead_client.post(reverse("web:admin_trigger_new"), {**BUILT, "add": "condition"})
    assert response.status_code == 200
    assert not Trigger.objects.exists()
    assert response.content.decode().count('name="c-1-field"') == 1


def test_the_list_shows_order_state_and_counts_and_moves(lead_client, lead):
    first, second = refund(lead), refund(lead, "Second")
    Trigger.objects.filter(pk=first.pk).update(fire_count=3)
    page = lead_client.get(reverse("web:admin_triggers")).content.decode()
    assert page.index("Refund") < page.index("Second")
    assert "3 firings" in page and "Never fired" in page
    lead_client.post(reverse("web:admin_trigger_move", args=[second.pk]), {"direction": "up"})
    assert list(Trigger.objects.values_list("name", flat=True)) == ["Second", "Refund"]
    lead_client.post(reverse("web:admin_trigger_active", args=[first.pk]), {"active": "0"})
    assert not Trigger.objects.get(pk=first.pk).is_active


def test_edit_and_delete(lead_client, lead):
    trigger = refund(lead)
    page = lead_client.get(reverse("web:admin_trigger", args=[trigger.pk])).content.decode()
    assert 'value="refund"' in page
    lead_client.post(reverse("web:admin_trigger", args=[trigger.pk]), {**BUILT, "name": "Refunds"})
    assert Trigger.objects.get().name == "Refunds"
    lead_client.post(reverse("web:admin_trigger_delete", args=[trigger.pk]))
    assert not Trigger.objects.exists()


def test_the_test_page_is_a_dry_run(lead_client, lead, receive, team):
    trigger = refund(lead)
    ticket = receive(subject="Minta REFUND", text="tolong").ticket
    before = Message.objects.count()
    page = lead_client.get(reverse("web:admin_trigger_test", args=[trigger.pk]), {"ticket": ticket.pk})
    body = page.content.decode()
    assert "the trigger would fire" in body
    assert "Add tag refund" in body and "Set priority: High" in body
    assert Message.objects.count() == before  # nothing written
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL and not ticket.tags.exists()
    other = receive(subject="Pesanan", text="belum sampai", sender="ani@example.com").ticket
    body = lead_client.get(
        reverse("web:admin_trigger_test", args=[trigger.pk]), {"ticket": other.pk}
    ).content.decode()
    assert "the trigger would not fire" in body
    body = lead_client.get(reverse("web:admin_trigger_test", args=[trigger.pk]), {"ticket": "99999"}).content
    assert b"No ticket with that number" in body


def test_the_test_page_shows_what_assist_read(lead_client, lead, receive):
    trigger = refund(lead)
    ticket = receive(subject="Minta REFUND", text="tolong").ticket
    url = reverse("web:admin_trigger_test", args=[trigger.pk])
    assert "Assist has not read this ticket" in lead_client.get(url, {"ticket": ticket.pk}).content.decode()
    ticket_signals_set(
        ticket_id=ticket.pk, intents=["refund", "cancel"], sentiment="negative", emotion="anger", anger=0.75
    )
    body = lead_client.get(url, {"ticket": ticket.pk}).content.decode()
    assert "Customer&#x27;s sentiment: Negative" in body and "Customer&#x27;s anger: 75 %" in body
    assert "Customer&#x27;s intents: Cancellation, Refund" in body


@pytest.mark.parametrize(
    "name,args,method",
    [
        ("web:admin_triggers", [], "get"),
        ("web:admin_trigger_new", [], "get"),
        ("web:admin_trigger_new", [], "post"),
        ("web:admin_trigger", ["pk"], "get"),
        ("web:admin_trigger_move", ["pk"], "post"),
        ("web:admin_trigger_active", ["pk"], "post"),
        ("web:admin_trigger_delete", ["pk"], "post"),
        ("web:admin_trigger_test", ["pk"], "get"),
    ],
)
def test_agents_get_a_404_everywhere(agent, lead, name, args, method):
    trigger = refund(lead)
    client = Client()
    client.force_login(agent)
    url = reverse(name, args=[trigger.pk if a == "pk" else a for a in args])
    response = getattr(client, method)(url, BUILT if method == "post" else None)
    assert response.status_code == 404
    assert Trigger.objects.get().name == "Refund" and Trigger.objects.get().is_active


def test_agents_do_not_see_the_navigation_link(agent, lead_client):
    client = Client()
    client.force_login(agent)
    assert b"/admin/triggers/" not in client.get(reverse("web:queue")).content
    assert b"/admin/triggers/" in lead_client.get(reverse("web:queue")).content


def test_forms_need_the_csrf_token(lead):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    assert client.post(reverse("web:admin_trigger_new"), BUILT).status_code == 403
    trigger = refund(lead)
    assert (
        client.post(reverse("web:admin_trigger_active", args=[trigger.pk]), {"active": "0"}).status_code
        == 403
    )
    assert Trigger.objects.get().is_active


def test_the_timeline_shows_a_firing_in_words(lead_client, lead, team, django_capture_on_commit_callbacks):
    from tanggap.tickets.inbound import InboundMessage, Sender
    from tanggap.tickets.services import message_receive

    refund(lead)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = message_receive(
            inbound=InboundMessage(
                channel="email",
                sender=Sender("email", "john@example.org", "John"),
                subject="Refund for order 1182",
                text="Hi",
                team_id=team.pk,
            )
        ).ticket
    page = lead_client.get(reverse("web:ticket", args=[ticket.pk])).content.decode()
    assert "Trigger Refund ran: added tag refund; priority set to High" in page


def test_notices_page_and_mark_read(client, agent, lead, ticket, django_capture_on_commit_callbacks):
    from tanggap.tickets.services import ticket_update

    trigger_create(
        actor=lead,
        name="Tell",
        event="ticket_updated",
        conditions=[],
        actions=[{"type": "notify", "agents": [agent.pk], "text": "Lihat tiket ini"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(actor=lead, ticket=ticket, priority=Priority.HIGH)
    client.force_login(agent)
    queue = client.get(reverse("web:queue")).content.decode()
    assert 'id="notice-count">1<' in queue
    page = client.get(reverse("web:trigger_notices")).content.decode()
    assert "Lihat tiket ini" in page
    client.post(reverse("web:trigger_notices_read"))
    assert 'id="notice-count"' not in client.get(reverse("web:queue")).content.decode()


def test_the_list_costs_the_same_for_many_triggers(lead_client, lead, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    refund(lead)
    with CaptureQueriesContext(connection) as one:
        lead_client.get(reverse("web:admin_triggers"))
    for n in range(5):
        refund(lead, f"More {n}")
    with django_assert_max_num_queries(len(one)):
        page = lead_client.get(reverse("web:admin_triggers"))
    assert page.content.decode().count('class="list-row trigger-item') == 6
