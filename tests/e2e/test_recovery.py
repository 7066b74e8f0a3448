"""Service recovery in a real browser: a supervisor sets what the team offers after a late delivery,
an agent records that offer on a ticket from its side panel, and the timeline says who offered what."""

from __future__ import annotations

import re

import pytest

from tanggap.assist.models import RecoveryOffer, RecoveryPolicy
from tanggap.tickets.models import Message
from tanggap.tickets.services import ticket_update

pytestmark = pytest.mark.e2e


def test_supervisor_sets_an_offer_and_an_agent_records_it(
    new_page, sign_in, screenshot, support, budi, dewi, tickets
):
    lead = sign_in(new_page(height=1000), "budi")
    lead.click(".sidenav a[href='/admin/recovery/']")
    lead.wait_for_url(re.compile(r"/admin/recovery/$"))
    lead.click("a[href='/admin/recovery/new/']")
    lead.wait_for_url(re.compile(r"/admin/recovery/new/$"))
    # A supervisor sets their own team's offers (the workspace default is for admins).
    assert lead.locator("#id_team option").count() == 1
    lead.fill("#id_failure_type", "late_delivery")
    lead.select_option("#id_kind", "voucher")
    lead.fill("#id_amount", "50000")
    lead.fill("#id_label_id", "voucher belanja Rp50.000")
    lead.fill("#id_label_en", "a Rp50,000 shopping voucher")
    screenshot(lead, "recovery-form")
    lead.click("#recovery-form button[type=submit]")
    lead.wait_for_selector(".recovery-row[data-failure-type=late_delivery]")
    policy = RecoveryPolicy.objects.get()
    assert (policy.team, policy.amount, policy.currency) == (support, 50_000, "IDR")

    ticket = tickets[0]  # Siti Rahma: "Pesanan belum sampai"
    page = sign_in(new_page(), "dewi")
    page.goto(f"/tickets/{ticket.pk}/")
    box = page.locator("#ticket-recovery")
    # Nothing has gone wrong on it yet: the offer stays folded, one click away.
    assert box.locator("[data-recovery-folded]").count() == 1
    assert not box.locator("#recovery-policy").is_visible()
    # The parcel turns out lost: the agent marks the failure, and the offer opens.
    ticket_update(actor=dewi, ticket=ticket, tags=["failure"])
    page.goto(f"/tickets/{ticket.pk}/")
    assert box.locator("[data-recovery-folded]").count() == 0
    box.locator("#recovery-policy").select_option(str(policy.pk))
    box.locator("[data-recovery-record]").click()
    page.wait_for_selector("#ticket-recovery [data-recovery-offer]")
    offer = RecoveryOffer.objects.get()
    assert (offer.ticket_id, offer.offered_by, offer.amount) == (ticket.pk, dewi, 50_000)
    event = page.locator(".tl-event", has_text=offer.label)
    event.wait_for()
    assert "Dewi" in event.inner_text()
    assert Message.objects.filter(ticket=ticket, event_code="recovery_offered").count() == 1
    # Offered once: the same failure is no longer offered on this ticket.
    assert page.locator("#recovery-policy").count() == 0
    screenshot(page, "recovery-offer-recorded")
