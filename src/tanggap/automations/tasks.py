"""Automations' background work: the acknowledgement of a new ticket, off the intake path (working
out the estimate reads the last four weeks of first responses)."""

from __future__ import annotations

from django.tasks import task

from tanggap.core.tasks import requeue_when_lost


@task()
def acknowledge_task(ticket_id: int) -> bool:
    from tanggap.automations.acknowledge import acknowledgement_send

    return acknowledgement_send(ticket_id=ticket_id).sent


# Safe to run again: a ticket is acknowledged at most once (its timeline says whether it was).
requeue_when_lost(acknowledge_task)
