"""The periodic jobs of e-mail intake: finishing mail a crash left stored but not processed, polling
the inboxes' IMAP folders, and the dead-zone canary (a daily probe, checked every minute)."""

from __future__ import annotations

from typing import Any

from django.tasks import task
from huey import crontab

from tanggap.core.tasks import periodic


@periodic("mail-pending", crontab(minute="*"))
def mail_pending() -> dict[str, int]:
    """Process received mail left unprocessed (a worker died between storing and processing)."""
    from tanggap.inboxes.services import mail_process_pending

    return mail_process_pending()


@task()
def imap_poll_task(inbox_id: int) -> dict[str, Any]:
    """Poll one inbox's IMAP folder, under its lock (a poll of it still running elsewhere: skipped)."""
    from tanggap.inboxes.imap import PollResult, imap_poll_locked
    from tanggap.inboxes.models import Inbox

    inbox = Inbox.objects.filter(pk=inbox_id, is_active=True).exclude(imap_host="").first()
    if inbox is None:
        return PollResult(inbox=str(inbox_id), skipped=True).as_dict()
    return imap_poll_locked(inbox=inbox).as_dict()


@periodic("imap-poll", crontab(minute="*"))
def imap_poll_all() -> dict[str, int]:
    """Fetch new mail: enqueue one poll task per active inbox with an IMAP server.

    Each task runs on a worker thread of its own under the inbox's lock, so a slow mailbox holds up
    only itself."""
    from tanggap.inboxes.imap import imap_inboxes

    inboxes = imap_inboxes()
    for inbox in inboxes:
        imap_poll_task.enqueue(inbox.pk)
    return {"enqueued": len(inboxes)}


@periodic("canary-daily", crontab(minute="30", hour="2"))
def canary_daily() -> dict[str, int]:
    """Send the daily canary probe to every advertised inbox (its address and its open web form)."""
    from tanggap.inboxes.canary import canary_run

    runs = canary_run(trigger="schedule")
    return {
        "sent": sum(run.status != "failed" for run in runs),
        "failed": sum(run.status == "failed" for run in runs),
    }


@periodic("canary-check", crontab(minute="*"))
def canary_check_job() -> dict[str, int]:
    """Recognise canary probes that became tickets (and delete those); mark overdue inboxes dead."""
    from tanggap.inboxes.canary import canary_check

    return canary_check().as_dict()
