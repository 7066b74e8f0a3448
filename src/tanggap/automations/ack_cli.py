"""``tanggap ack preview``: print the acknowledgement an inbox would send for a new ticket now, with
the estimate and the history it rests on. Reads only; sends and writes nothing."""

from __future__ import annotations

import click


@click.group("ack")
def ack() -> None:
    """The acknowledgement customers get when their message opens a ticket."""


@ack.command("preview")
@click.option("--inbox", "address", required=True, help="The inbox's address, e.g. support@example.com.")
@click.option(
    "--lang", "language", type=click.Choice(["id", "en"]), default=None, help="Default: the inbox's."
)
@click.option(
    "--channel",
    type=click.Choice(["email", "web"]),
    default="email",
    show_default=True,
    help="The ticket's channel.",
)
def ack_preview(address: str, language: str | None, channel: str) -> None:
    """Print the acknowledgement as it would be sent now (the ticket number is an example)."""
    from tanggap.cli import _django

    _django()
    from tanggap.automations.acknowledge import acknowledgement_previews
    from tanggap.inboxes.models import Inbox

    inbox = Inbox.objects.filter(address=address.strip().lower()[:320]).first()
    if inbox is None:
        raise click.ClickException(f"no inbox with the address {address!r}")
    (preview,) = acknowledgement_previews(
        user=None, inbox=inbox, languages=[language or inbox.language], channel=channel
    )
    estimate = preview.estimate
    click.echo(f"Subject: {preview.subject}")
    click.echo(f"Language: {preview.language}")
    if not inbox.ack_enabled:
        click.echo("(The acknowledgement is switched off for this inbox: nothing is sent.)")
    click.echo("")
    click.echo(preview.text)
    basis = f"{estimate.samples} answered tickets ({estimate.scope})" if estimate.scope else "too few samples"
    quantile = f", 90th percentile {estimate.quantile}" if estimate.quantile is not None else ""
    click.echo(f"-- estimate: {estimate.kind} from {basis}{quantile}")
