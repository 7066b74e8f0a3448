"""``tanggap smtp``: run the inbound SMTP server until Ctrl-C or SIGTERM.

Registered on the ``tanggap`` command by ``tanggap.cli``; it parses its options, starts
``inboxes.smtp.SmtpServer`` and prints where it listens.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

# The one Django set-up of the ``tanggap`` command, shared with the other inbox commands.
from tanggap.inboxes.import_cli import _django


@click.command("smtp")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=2525, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
def smtp(host: str, port: int) -> None:
    """Receive mail over SMTP for the addresses of the active inboxes (put it behind your MX)."""
    _django()
    from tanggap.inboxes.models import Inbox
    from tanggap.inboxes.smtp import SmtpServer

    addresses = list(
        Inbox.objects.filter(is_active=True).order_by("address").values_list("address", flat=True)
    )
    server = SmtpServer(host=host, port=port)
    try:
        bound_host, bound_port = server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    stopping = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        where = f"[{bound_host}]" if ":" in bound_host else bound_host
        click.echo(f"Receiving mail over SMTP on {where}:{bound_port}.")
        if addresses:
            shown = ", ".join(addresses[:10]) + (
                f" and {len(addresses) - 10} more" if len(addresses) > 10 else ""
            )
            click.echo(f"Accepting mail for {shown}.")
        else:
            click.echo("No active inbox yet: every recipient is refused (add one with: tanggap inbox add).")
        click.echo("Press Ctrl-C to stop.")
        while not stopping.wait(1.0):
            pass
        click.echo("Stopping…")
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Stopped.")
