"""Reading inboxes and their received mail (admins only: raw mail may hold anything a sender wrote)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from tanggap.accounts.permissions import can
from tanggap.core.errors import NotFound, PermissionDenied
from tanggap.inboxes.models import Inbox, MailStatus, RawMail

MANAGE_ACTION = "inbox.manage"


def _require_manage(user: Any) -> None:
    if not can(user, MANAGE_ACTION):
        raise PermissionDenied(action=MANAGE_ACTION)


def inbox_list(*, user: Any) -> QuerySet[Inbox]:
    _require_manage(user)
    return Inbox.objects.select_related("team").order_by("name")


def inbox_list_with_traffic(*, user: Any) -> QuerySet[Inbox]:
    """``inbox_list`` with each inbox's last received mail and processed/quarantined counts, in one
    grouped query (there are few inboxes; a list must not ask per row)."""
    return inbox_list(user=user).annotate(
        last_received_at=Max("raw_mails__received_at"),
        processed_count=Count("raw_mails", filter=Q(raw_mails__status=MailStatus.PROCESSED)),
        quarantined_count=Count("raw_mails", filter=Q(raw_mails__status=MailStatus.QUARANTINED)),
    )


def inbox_get_by_name(name: str) -> Inbox:
    """The inbox called ``name`` (case-insensitive), for the command line and the transports."""
    inbox = Inbox.objects.filter(name__iexact=(name or "").strip()).first()
    if inbox is None:
        raise NotFound(object="inbox")
    return inbox


def mail_quarantine_list(*, user: Any, inbox: Inbox | None = None, reason: str = "") -> QuerySet[RawMail]:
    """Quarantined mail, newest first, with the reason each was kept back."""
    _require_manage(user)
    qs = RawMail.objects.filter(status=MailStatus.QUARANTINED).select_related("inbox")
    if inbox is not None:
        qs = qs.filter(inbox=inbox)
    if reason:
        qs = qs.filter(reason=reason)
    return qs.order_by("-received_at", "-id")


def raw_mail_get(*, user: Any, raw_mail_id: int) -> RawMail:
    _require_manage(user)
    try:
        return RawMail.objects.select_related("inbox").get(pk=raw_mail_id)
    except (RawMail.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="mail") from None
