"""Presence and routing in the browser: an agent goes online with the toggle in the top bar and the
next ticket of their team comes to them, with the reason on its timeline; a supervisor sees the
team's board."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import translation

from tanggap.accounts.models import Availability, Presence
from tanggap.routing.models import TeamRouting
from tanggap.routing.services import forget_routed_teams
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Ticket
from tanggap.tickets.services import message_receive


def test_the_presence_toggle_and_a_routed_ticket(new_page, sign_in, screenshot, support, dewi, budi):
    TeamRouting.objects.create(team=support, enabled=True)
    forget_routed_teams()
    page = sign_in(new_page(), "dewi")
    toggle = page.locator("#agent-status")
    toggle.locator("summary").click()
    toggle.locator("button[value=away]").click()
    page.wait_for_selector("#agent-status [data-status=away]")
    assert Availability.objects.get(user=dewi).status == Presence.AWAY
    # Budi (supervisor) went away too, so nobody is online: the ticket waits in the queue.
    Availability.objects.filter(user=budi).update(status=Presence.AWAY)
    with transaction.atomic():
        ticket = message_receive(
            inbound=InboundMessage(
                channel="email",
                sender=Sender("email", "siti@example.com", "Siti"),
                subject="Pesanan belum sampai",
                text="Halo, pesanan saya belum sampai. Mohon dicek.",
                idempotency_key="e2e-routing-1",
                team_id=support.pk,
            )
        ).ticket
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None
    page.locator("#agent-status summary").click()
    page.locator("#agent-status button[value=online]").click()
    page.wait_for_selector("#agent-status [data-status=online]")
    screenshot(page, "presence-online")
    # Coming online gave Dewi the waiting ticket.
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == dewi.pk
    page.goto(f"/tickets/{ticket.pk}/")
    sentence = page.locator(".timeline").inner_text()
    with translation.override("id"):  # the browser asks for Indonesian
        cause = str(translation.gettext("when an agent had room"))
    assert cause in sentence and "Dewi" in sentence
    screenshot(page, "routed-ticket")


def test_the_team_board(new_page, sign_in, screenshot, support, dewi, budi):
    TeamRouting.objects.create(team=support, enabled=True)
    page = sign_in(new_page(), "budi", next_url=f"/routing/{support.pk}/")
    page.wait_for_url(re.compile(rf"/routing/{support.pk}/$"))
    board = page.locator("#routing-board")
    assert "Dewi" in board.inner_text()
    page.locator(f"#routing-board tr[data-agent='{dewi.pk}'] a").click()
    page.fill("#id_capacity_chat", "3")
    page.check("input[name=languages][value=en]")
    page.fill("#id_skills", "refund")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(re.compile(rf"/routing/{support.pk}/$"))
    row = Availability.objects.get(user=dewi)
    assert row.capacity["chat"] == 3 and row.skills == ["refund"] and "en" in row.languages
    screenshot(page, "routing-board")
