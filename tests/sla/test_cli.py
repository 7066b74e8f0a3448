"""``tanggap sla sweep`` from the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tanggap.cli import main
from tanggap.sla.models import Policy, TicketClock
from tanggap.tickets.models import Ticket
from tanggap.tickets.services import message_receive
from tests.tickets.conftest import inbound

pytestmark = pytest.mark.django_db


def test_sla_sweep_works_out_the_clocks_and_says_what_it_did():
    Policy.objects.create(name="E-mail", channels=["email"], first_response_minutes=60)
    for n in range(3):
        message_receive(inbound=inbound(sender=f"c{n}@example.com"))
    result = CliRunner().invoke(main, ["sla", "sweep", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert (
        "3 changed and 0 passed tickets worked out: 3 with response targets, 0 of them breached."
        in result.output
    )
    assert TicketClock.objects.count() == 3
    assert not Ticket.objects.filter(derived_stale=True).exists()
    again = CliRunner().invoke(main, ["sla", "sweep"])
    assert "0 changed and 0 passed tickets worked out" in again.output


def test_the_sweep_is_a_periodic_job():
    from tanggap.core.tasks import run_job

    Policy.objects.create(name="E-mail", channels=["email"], first_response_minutes=60)
    message_receive(inbound=inbound())
    result = run_job("sla-sweep")
    assert result["changed"] == 1 and result["clocks"] == 1
