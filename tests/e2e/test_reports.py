"""The response-time dashboard in a real browser: the charts draw (uPlot, served from our origin)
and a figure opens the queue with the tickets behind it."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.sla.models import Policy
from tanggap.sla.services import clocks_sweep
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Message, MessageKind, Ticket
from tanggap.tickets.services import message_receive, reply_send, ticket_transition

pytestmark = pytest.mark.e2e


@pytest.fixture
def four_weeks(support, budi, dewi):
    """Sixty tickets over the last four weeks, answered by Budi (quick) and Dewi (slower)."""
    Policy.objects.create(name="Semua", first_response_minutes=60, resolution_minutes=24 * 60)
    rng = random.Random(7)
    now = timezone.now()
    made = []
    for n in range(60):
        created = now - timedelta(days=rng.uniform(0.5, 27), hours=rng.uniform(0, 12))
        agent = budi if n % 3 else dewi
        ticket = message_receive(
            inbound=InboundMessage(
                channel="email" if n % 4 else "chat",
                sender=Sender("email", f"pelanggan{n}@example.com", f"Pelanggan {n}"),
                subject=f"Pertanyaan pesanan {n}",
                text="Halo, pesanan saya belum sampai.",
                idempotency_key=f"e2e-report-{n}",
                received_at=created,
            )
        ).ticket
        Message.objects.filter(ticket=ticket).update(created_at=created)
        values = {"created_at": created, "team": support, "assignee": agent, "derived_stale": True}
        if n % 10:
            first = timedelta(minutes=rng.lognormvariate(3.2 if agent == budi else 4.2, 0.6))
            reply = reply_send(actor=agent, ticket=ticket, text="Terima kasih sudah menunggu.")
            Message.objects.filter(pk=reply.pk).update(created_at=created + first)
            values["first_response_at"] = created + first
            if n % 4:
                solved = first + timedelta(hours=rng.lognormvariate(1.5, 0.8))
                ticket_transition(actor=agent, ticket=Ticket.objects.get(pk=ticket.pk), status="solved")
                Message.objects.filter(ticket=ticket, kind=MessageKind.EVENT).update(
                    created_at=created + solved
                )
                values["solved_at"] = created + solved
        Ticket.objects.filter(pk=ticket.pk).update(**values)
        made.append(ticket)
    clocks_sweep(now=now)
    return made


def test_the_dashboard_draws_its_charts_and_a_figure_opens_its_tickets(
    new_page, sign_in, screenshot, live_server, budi, four_weeks
):
    page = sign_in(new_page(width=1360, height=900), "budi", next_url="/reports/")
    page.wait_for_url(re.compile(r"/reports/$"))
    page.wait_for_selector(".chart.chart-ready canvas")
    assert page.locator(".chart.chart-ready").count() == 2
    assert page.locator(".uplot .u-legend").first.is_visible()
    # uPlot drew something: the canvas is not blank.
    drawn = page.evaluate(
        """() => { const c = document.querySelector('.chart canvas');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )
    assert drawn > 1000
    screenshot(page, "reports-dashboard")

    total = int(page.locator(".report-cards .stat").first.locator(".figure").inner_text())
    assert total == 60
    # Dewi's row in the per-agent table: her ticket count opens the queue with exactly her tickets.
    row = page.locator("table.report-table tr", has_text="Dewi").first
    expected = Ticket.objects.filter(assignee__username="dewi").count()
    row.locator("td.num a").first.click()
    page.wait_for_url(re.compile(r"[?&]ids="))
    assert page.locator(".ticket-row").count() == min(expected, 25)
    assert "dewi" not in page.url
