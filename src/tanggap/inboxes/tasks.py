"""The periodic job that finishes mail a crash left stored but not processed."""

from __future__ import annotations

from huey import crontab

from tanggap.core.tasks import periodic


@periodic("mail-pending", crontab(minute="*"))
def mail_pending() -> dict[str, int]:
    """Process received mail left unprocessed (a worker died between storing and processing)."""
    from tanggap.inboxes.services import mail_process_pending

    return mail_process_pending()
