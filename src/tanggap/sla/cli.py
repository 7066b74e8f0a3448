"""``tanggap sla sweep``: bring every ticket's response clocks up to date now, in this process.

The worker does the same every minute (the ``sla-sweep`` job, under its lock); running both at once
is safe: each batch locks its tickets, and the same history gives the same clocks.
"""

from __future__ import annotations

import click


@click.group("sla")
def sla() -> None:
    """Response targets: business calendars, policies and the clocks on each ticket."""


@sla.command("sweep")
@click.option(
    "--batch",
    default=2000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Tickets per transaction.",
)
def sla_sweep(batch: int) -> None:
    """Work out the clocks of every ticket changed since it was last worked out, and of those whose
    warning or due time has passed; print what was done."""
    from tanggap.cli import _django

    _django()
    from tqdm import tqdm

    from tanggap.sla.services import clocks_sweep
    from tanggap.tickets.models import Ticket

    # The changed tickets are known now; those whose warning or due time passed are added as found.
    bar = tqdm(
        total=Ticket.objects.filter(derived_stale=True).count(),
        desc="Clocks",
        unit="ticket",
        disable=None,
        leave=False,
        dynamic_ncols=True,
    )

    def advance(count: int) -> None:
        if bar.n + count > (bar.total or 0):
            bar.total = bar.n + count
        bar.update(count)

    with bar:
        report = clocks_sweep(batch=batch, progress=advance)
    click.echo(
        f"{report.changed} changed and {report.passed} passed tickets worked out: "
        f"{report.clocks} with response targets, {report.breached} of them breached."
    )
