"""Triggers in a real browser: a lead builds "when a ticket is created and the subject contains
'refund', add tag refund and set priority high" from condition and action rows, a customer writes,
and the ticket page shows the tag, the priority and the trigger's line on the timeline. Then the
lead tries the trigger on another ticket (a dry run) and switches it off."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tanggap.automations.models import Trigger
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Message, Priority, Ticket
from tanggap.tickets.services import message_receive

pytestmark = pytest.mark.e2e


def test_a_lead_builds_a_trigger_and_a_new_ticket_gets_its_actions(
    new_page, sign_in, screenshot, support, budi
):
    page = sign_in(new_page(height=1000), "budi")
    page.click(".sidenav a[href='/admin/triggers/']")
    page.wait_for_url(re.compile(r"/admin/triggers/$"))
    page.click("a[href='/admin/triggers/new/']")
    page.fill("#id_name", "Permintaan refund")
    page.select_option("#id_event", "ticket_created")

    # The condition row: the value input follows the chosen field (a text box for the subject).
    condition = page.locator("#condition-rows [data-row]").first
    condition.locator("[data-condition-field]").select_option("subject")
    assert condition.locator("select[name$='-priority']").is_hidden()
    condition.locator("[data-condition-op]").select_option("contains")
    condition.locator("input[name$='-value']").fill("refund")

    # Two action rows: the second one is added in the page, without a round trip.
    first = page.locator("#action-rows [data-row]").nth(0)
    first.locator("[data-action-type]").select_option("add_tag")
    first.locator("input[name$='-tag']").fill("refund")
    page.click("[data-add-row=action]")
    assert page.locator("#action-rows [data-row]").count() == 2
    second = page.locator("#action-rows [data-row]").nth(1)
    second.locator("[data-action-type]").select_option("set_priority")
    assert second.locator("select[name$='-priority']").is_visible()
    assert second.locator("input[name$='-tag']").is_hidden()
    second.locator("select[name$='-priority']").select_option(str(Priority.HIGH))
    # A row added by mistake is removed again.
    page.click("[data-add-row=action]")
    page.locator("#action-rows [data-row]").nth(2).locator("[data-remove-row]").click()
    assert page.locator("#action-rows [data-row]").count() == 2
    screenshot(page, "trigger-builder")
    page.click("#trigger-save")
    page.wait_for_selector(".flash-success")
    trigger = Trigger.objects.get()
    assert trigger.conditions == [{"field": "subject", "op": "contains", "value": "refund"}]
    assert trigger.actions == [{"type": "add_tag", "value": "refund"}, {"type": "set_priority", "value": 3}]
    assert page.locator(".trigger-list .trigger-item").count() == 1
    screenshot(page, "triggers")

    # A customer writes in; the trigger runs after the message is stored.
    result = message_receive(
        inbound=InboundMessage(
            channel="email",
            sender=Sender("email", "john@example.org", "John Miller"),
            subject="Refund for order 1182",
            text="Hi, I would like a REFUND for my order.",
            idempotency_key="e2e-trigger-1",
            team_id=support.pk,
        )
    )
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert ticket.priority == Priority.HIGH

    page.goto(f"/tickets/{ticket.pk}/")
    assert page.locator("#prop-tags").input_value() == "refund"
    with translation.override("id"):
        high = str(Priority.HIGH.label)
    assert page.locator("#ticket-head .prio").inner_text().strip() == high
    entry = page.locator(".tl-event", has_text="Permintaan refund")
    assert entry.count() == 1
    assert "refund" in entry.inner_text()
    screenshot(page, "trigger-on-ticket")

    # A dry run on a ticket it does not match changes nothing.
    other = message_receive(
        inbound=InboundMessage(
            channel="email",
            sender=Sender("email", "siti@example.com", "Siti"),
            subject="Pesanan belum sampai",
            text="Halo",
            idempotency_key="e2e-trigger-2",
            team_id=support.pk,
        )
    ).ticket
    before = Message.objects.count()
    page.goto(f"/admin/triggers/{trigger.pk}/test/")
    page.fill("#id_ticket", str(other.pk))
    page.click(".trigger-test-form button[type=submit]")
    page.wait_for_selector("#trigger-result")
    assert page.locator(".check-list .fails").count() == 1
    assert page.locator(".verdict-no").count() == 1
    assert Message.objects.count() == before
    screenshot(page, "trigger-test")

    # Switched off, it is kept, shown as off, and no longer fires.
    page.goto("/admin/triggers/")
    page.click(f"#trigger-{trigger.pk} button[role=switch]")
    page.wait_for_selector(f"#trigger-{trigger.pk}.inactive")
    assert not Trigger.objects.get().is_active
    third = message_receive(
        inbound=InboundMessage(
            channel="email",
            sender=Sender("email", "ani@example.com", "Ani"),
            subject="refund please",
            text="refund",
            idempotency_key="e2e-trigger-3",
            team_id=support.pk,
        )
    ).ticket
    assert Ticket.objects.get(pk=third.pk).priority == Priority.NORMAL
