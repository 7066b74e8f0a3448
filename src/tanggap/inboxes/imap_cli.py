"""``tanggap inbox poll``: fetch new mail from the inboxes' IMAP folders now, in this process.

Registered on the ``inbox`` group by ``tanggap.cli``. The worker does the same every minute (the
``imap-poll`` job); both take the inbox's lock, so they never poll one inbox at once.
"""

from __future__ import annotations

import sys
from typing import Any

import click


def _line(result: Any) -> str:
    if result.skipped:
        return f"{result.inbox}: skipped, another process is polling it right now."
    counts = (
        f"{result.fetched} fetched: {result.stored} new, {result.already} already stored; "
        f"{result.processed} on tickets, {result.quarantined} quarantined, {result.pending} to retry"
    )
    if result.too_large:
        counts += f"; {result.too_large} too large (left in the mailbox)"
    if not result.ok:
        return f"{result.inbox}: FAILED ({result.error}); {counts}."
    more = " More mail is waiting." if result.more else ""
    return f"{result.inbox}: {counts}.{more}"


@click.command("poll")
@click.argument("name", required=False, default="")
@click.option(
    "--limit",
    default=500,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Mails per inbox per poll.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Seconds to wait for the server on each step.",
)
@click.option(
    "--until-empty", is_flag=True, help="Poll again while mail is waiting (each poll stays bounded)."
)
def inbox_poll(name: str, limit: int, timeout: float, until_empty: bool) -> None:
    """Fetch new mail from the IMAP folder of inbox NAME, or of every active inbox with an IMAP server.

    Prints one line per inbox; the exit status is 1 when any inbox failed.
    """
    from tanggap.inboxes.import_cli import _django

    _django()
    from tanggap.core.errors import ApplicationError
    from tanggap.inboxes.imap import imap_inboxes, imap_poll_many
    from tanggap.inboxes.selectors import inbox_get_by_name

    if name:
        try:
            inboxes = [inbox_get_by_name(name)]
        except ApplicationError:
            raise click.ClickException(f"no inbox {name!r}") from None
        if not inboxes[0].imap_host:
            raise click.ClickException(f"inbox {inboxes[0].name!r} has no IMAP server")
    else:
        inboxes = imap_inboxes()
        if not inboxes:
            click.echo("No active inbox has an IMAP server.")
            return
    failed = False
    while inboxes:
        results = imap_poll_many(inboxes, max_messages=limit, timeout=timeout)
        for result in results:
            click.echo(_line(result))
            failed = failed or not result.ok
        if not until_empty:
            break
        waiting = {result.inbox for result in results if result.ok and result.more}
        inboxes = [inbox for inbox in inboxes if inbox.name in waiting]
    if failed:
        sys.exit(1)
