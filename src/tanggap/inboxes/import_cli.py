"""Command-line entry points for inboxes: ``tanggap inbox add`` and ``tanggap import-mail``.

Registered on the ``tanggap`` command by ``tanggap.cli``; each parses its input, calls one service
and prints plain English.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click


def _django() -> None:
    # The one set-up of the ``tanggap`` command (imported late: tanggap.cli registers this module).
    from tanggap.cli import _django as setup

    setup()


def _error_text(exc: Any) -> str:
    field = exc.details.get("field")
    return f"{field}: {exc.message}" if field else str(exc.message)


@click.group("inbox")
def inbox() -> None:
    """Inboxes: the addresses customers write to."""


@inbox.command("add")
@click.argument("name")
@click.argument("address")
@click.option("--team", "team_name", default="", help="Team whose queue new tickets go to.")
@click.option(
    "--language", default="id", show_default=True, type=click.Choice(["id", "en"]), help="Reply language."
)
@click.option("--imap-host", default="", help="IMAP server to poll for this inbox's mail.")
@click.option("--imap-port", type=click.IntRange(1, 65535), default=None, help="[default: 993 or 143]")
@click.option(
    "--imap-security",
    type=click.Choice(["ssl", "starttls", "none"]),
    default="ssl",
    show_default=True,
    help="none is allowed only to this machine (localhost).",
)
@click.option("--imap-user", default="", help="IMAP user name.")
@click.option(
    "--imap-password-file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="File holding the IMAP password (first line); else $TANGGAP_IMAP_PASSWORD.",
)
@click.option("--imap-folder", default="INBOX", show_default=True, help="Folder to read.")
@click.option(
    "--imap-done-folder", default="", help="Move stored mail to this folder (default: flag it as seen)."
)
def inbox_add(
    name: str,
    address: str,
    team_name: str,
    language: str,
    imap_host: str,
    imap_port: int | None,
    imap_security: str,
    imap_user: str,
    imap_password_file: Any,
    imap_folder: str,
    imap_done_folder: str,
) -> None:
    """Create inbox NAME for ADDRESS (e.g. support@example.co.id).

    The IMAP password is never given on the command line (other users could read it there): put it
    in a file for --imap-password-file, or in the environment variable TANGGAP_IMAP_PASSWORD.
    """
    _django()
    import os

    from django.db import transaction

    from tanggap.accounts.models import Team
    from tanggap.core.errors import ApplicationError
    from tanggap.inboxes.setup import inbox_create, inbox_update

    team = None
    if team_name:
        team = (
            Team.objects.filter(name__iexact=team_name).first() or Team.objects.filter(slug=team_name).first()
        )
        if team is None:
            raise click.ClickException(f"no team {team_name!r}")
    if imap_password_file is not None:
        imap_password = imap_password_file.readline().rstrip("\r\n")
    else:
        imap_password = os.environ.get("TANGGAP_IMAP_PASSWORD", "")
    if imap_host and not imap_password:
        click.echo("Warning: no IMAP password (--imap-password-file or TANGGAP_IMAP_PASSWORD).", err=True)
    try:
        with transaction.atomic():
            created = inbox_create(actor=None, name=name, address=address, team=team, language=language)
            if imap_host:
                created = inbox_update(
                    actor=None,
                    inbox=created,
                    imap_host=imap_host,
                    imap_port=imap_port,
                    imap_security=imap_security,
                    imap_username=imap_user,
                    imap_password=imap_password,
                    imap_folder=imap_folder,
                    imap_done_folder=imap_done_folder,
                )
    except ApplicationError as exc:
        raise click.ClickException(_error_text(exc)) from exc
    click.echo(f"Created inbox {created.name!r} for {created.address}.")
    if created.imap_host:
        where = f"{created.imap_username or '-'}@{created.imap_host}"
        click.echo(f"Polling {where}, folder {created.imap_folder}.")


@inbox.command("list")
def inbox_list() -> None:
    """The inboxes."""
    _django()
    from tanggap.inboxes.models import Inbox

    for item in Inbox.objects.select_related("team").order_by("name"):
        team = item.team.name if item.team else "-"
        state = "" if item.is_active else " (inactive)"
        click.echo(f"{item.name:<20} {item.address:<32} {team}{state}")


def _workers(asked: int | None) -> int:
    if asked is not None:
        return asked
    return 1 if (os.cpu_count() or 1) > 1 else 0


@click.command("import-mail")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--inbox", "inbox_name", required=True, help="Name of the inbox the mail was sent to.")
@click.option(
    "--workers",
    type=click.IntRange(0, 16),
    default=None,
    help="Processes reading (parsing) mail while the previous batch is written  [default: 1 when "
    "there is more than one CPU, else 0]",
)
def import_mail(path: Path, inbox_name: str, workers: int | None) -> None:
    """Import the mail at PATH: an mbox file, a Maildir, a folder of .eml files or one .eml file.

    Running it again imports nothing twice.
    """
    _django()
    from tqdm import tqdm

    from tanggap.core.errors import ApplicationError
    from tanggap.inboxes.importers import mail_import
    from tanggap.inboxes.selectors import inbox_get_by_name

    try:
        target = inbox_get_by_name(inbox_name)
    except ApplicationError:
        raise click.ClickException(f"no inbox {inbox_name!r} (create it with: tanggap inbox add)") from None
    bar = tqdm(total=0, desc="Importing", unit="mail", disable=None, leave=False, dynamic_ncols=True)

    def progress(done: int, total: int, row: Any) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        with bar:
            report = mail_import(inbox=target, path=path, progress=progress, workers=_workers(workers))
    except ApplicationError as exc:
        raise click.ClickException(_error_text(exc)) from exc
    click.echo(
        f"{report.total} messages: {report.new} new, {report.already} already imported; "
        f"{report.processed} on tickets, {report.quarantined} quarantined, {report.pending} to retry, "
        f"{len(report.refused)} not read."
    )
    for ref, code in report.refused[:20]:
        click.echo(f"  not read: {ref} ({code})", err=True)
    if report.quarantined:
        click.echo("Quarantined mail is kept with its reason; an admin can retry it.", err=True)
