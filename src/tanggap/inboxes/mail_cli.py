"""``tanggap mail``: inspection commands that show what the e-mail pipeline reads in a message.

They read files or stdin, print to stdout and write nothing anywhere, so they are safe on a live system.
Django is not needed: they only call the pure e-mail cores.
"""

from __future__ import annotations

import json
import sys

import click

from tanggap.inboxes.email.report import mail_report_file
from tanggap.inboxes.email.trim import MAX_TRIM_CHARS, split_reply


@click.group()
def mail() -> None:
    """Inspect e-mail the way Tanggap reads it (prints only, changes nothing)."""


@mail.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def parse(files: tuple[str, ...]) -> None:
    """Print what Tanggap reads in each raw e-mail FILE, as one JSON object per line, in order.

    Each line has: file, from, to, cc, reply_to, subject, date (ISO 8601), message_id, in_reply_to,
    references, text, html (sanitised), visible_text (the reply without quoted history and signature),
    attachments, kind (message, auto_reply, bounce, feedback_report or delivery_report), bounce (hard or
    soft, failed recipients) and errors.

    A file that cannot be read or parsed still gets its line, with errors filled. The exit status is 0
    even when some files had errors: read the errors field.
    """
    for path in files:
        # UTF-8 whatever the locale says: JSON is UTF-8 (RFC 8259), and a line must never fail to print.
        click.echo(json.dumps(mail_report_file(path), ensure_ascii=False).encode("utf-8"))


@mail.command("trim")
def trim() -> None:
    """Read a plain-text e-mail body on stdin and print its visible reply.

    Quoted history ("On ... wrote:", "Pada ... menulis:", Outlook's From:/Sent: block, "> " lines) and
    signatures ("-- ", "Sent from my iPhone", "Dikirim dari iPhone saya") are left out.
    """
    # Bytes, decoded leniently: a body saved in a legacy charset must not stop the command.
    data = sys.stdin.buffer.read(MAX_TRIM_CHARS * 4)
    click.echo(split_reply(data.decode("utf-8", "replace")).visible.encode("utf-8"))


if __name__ == "__main__":  # python -m tanggap.inboxes.mail_cli parse FILE...
    mail()
