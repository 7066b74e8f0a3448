"""``tanggap canary run``: send the dead-zone canary's probes now, and optionally wait for them.

Registered on the ``tanggap`` command by ``tanggap.cli``. The worker sends the same probes daily (the
``canary-daily`` job) and recognises arrivals every minute (``canary-check``).
"""

from __future__ import annotations

import sys
from typing import Any

import click


@click.group("canary")
def canary() -> None:
    """The dead-zone canary: probe messages that check each advertised inbox still makes tickets."""


def _line(run: Any) -> str:
    where = f"{run.inbox.name} <{run.inbox.address}> ({run.channel})"
    if run.status == "failed":
        return f"{where}: FAILED to send: {run.error}"
    if run.status == "late":
        late = f" (arrived {run.arrived_at:%H:%M:%S})" if run.arrived_at else ""
        return f"{where}: LATE, not a ticket by {run.deadline:%Y-%m-%d %H:%M:%S %Z}{late}"
    if run.status == "arrived":
        seconds = (run.arrived_at - run.sent_at).total_seconds()
        return f"{where}: arrived as ticket #{run.ticket_number} after {seconds:.0f} s (removed)"
    return f"{where}: sent {run.token}, waiting until {run.deadline:%Y-%m-%d %H:%M:%S %Z}"


@canary.command("run")
@click.option("--inbox", "inbox_id", type=int, default=None, help="Only the inbox with this id.")
@click.option(
    "--wait",
    is_flag=True,
    help="Poll the inboxes' IMAP folders and wait until each probe arrived or its deadline passed.",
)
def canary_run_command(inbox_id: int | None, wait: bool) -> None:
    """Send a probe to every advertised inbox (or INBOX): a mail to its address and a submission of
    its open web form. Prints one line per probe; the exit status is 1 when any failed or was late."""
    from tanggap.inboxes.import_cli import _django

    _django()
    from tanggap.inboxes.canary import canary_check, canary_inboxes, canary_run, canary_wait
    from tanggap.inboxes.imap import imap_poll_many
    from tanggap.inboxes.models import CanaryRun, Inbox

    if inbox_id is not None and not Inbox.objects.filter(pk=inbox_id).exists():
        click.echo(f"No inbox with id {inbox_id}.", err=True)
        sys.exit(2)
    targets = canary_inboxes([inbox_id] if inbox_id is not None else None)
    if not targets:
        click.echo("No advertised, active inbox with the canary on: nothing to probe.")
        return
    runs = canary_run(inbox_ids=[inbox.pk for inbox in targets], trigger="cli")
    if not runs:
        click.echo("Every inbox already has a probe waiting; nothing new was sent.")
    canary_check()
    if wait and runs:
        imap = [inbox for inbox in targets if inbox.imap_host]

        def poll() -> None:
            if imap:
                imap_poll_many(imap)

        canary_wait(runs, poll=poll)
    done = list(
        CanaryRun.objects.filter(pk__in=[run.pk for run in runs]).select_related("inbox").order_by("pk")
    )
    for run in done:
        click.echo(_line(run))
    if any(run.status in ("failed", "late") for run in done):
        sys.exit(1)
