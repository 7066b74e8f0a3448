"""``tanggap analytics rebuild``: work out every ticket's dashboard figures from scratch.

The clock sweep keeps the figures current; a rebuild is for after an upgrade (the figures start
empty) or a change of calendars. It is safe while the sweep runs: the same ticket gives the same row.
"""

from __future__ import annotations

import click


@click.group("analytics")
def analytics() -> None:
    """Response-time dashboards: the stored per-ticket figures they read."""


@analytics.command("rebuild")
@click.option(
    "--batch",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Tickets per transaction.",
)
def analytics_rebuild(batch: int) -> None:
    """Work out the figures of every ticket again; print how many were written."""
    from tanggap.cli import _django

    _django()
    from tqdm import tqdm

    from tanggap.analytics.services import figures_rebuild
    from tanggap.tickets.models import Ticket

    bar = tqdm(
        total=Ticket.objects.count(),
        desc="Figures",
        unit="ticket",
        disable=None,
        leave=False,
        dynamic_ncols=True,
    )

    def advance(count: int) -> None:
        bar.update(count)

    with bar:
        written = figures_rebuild(batch=batch, progress=advance)
    click.echo(f"{written} tickets' figures written.")
