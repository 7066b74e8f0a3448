"""Reading macros: leads see and manage all of them; everyone else sees the active ones that are
everyone's or their team's. A macro the user may not see is ``NotFound``, like a ticket."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from tanggap.accounts.permissions import can
from tanggap.accounts.selectors import user_team_ids
from tanggap.core.errors import NotFound, PermissionDenied
from tanggap.inboxes.models import Inbox, RawMail
from tanggap.macros.models import Macro
from tanggap.macros.render import LANGUAGES
from tanggap.tickets.models import Ticket

MANAGE_ACTION = "macro.manage"
USE_ACTION = "macro.use"
MAX_SEARCH = 100


def _visible_q(user: Any) -> Q | None:
    """None when the user sees every macro (leads); else the condition for what they see."""
    if can(user, MANAGE_ACTION):
        return None
    return Q(team__isnull=True) | Q(team_id__in=user_team_ids(user))


def macro_list(*, user: Any) -> QuerySet[Macro]:
    """Every macro, in order, for the management page (leads only)."""
    if not can(user, MANAGE_ACTION):
        raise PermissionDenied(action=MANAGE_ACTION)
    return Macro.objects.select_related("team", "created_by").order_by("position", "id")


def macro_get(*, user: Any, macro_id: int) -> Macro:
    """One macro to edit (leads only)."""
    if not can(user, MANAGE_ACTION):
        raise PermissionDenied(action=MANAGE_ACTION)
    try:
        return Macro.objects.select_related("team", "created_by").get(pk=macro_id)
    except (Macro.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="macro") from None


def macros_for_agent(*, user: Any, search: str = "") -> QuerySet[Macro]:
    """The active macros the user may apply, in order, optionally those whose name contains ``search``."""
    if not can(user, USE_ACTION):
        return Macro.objects.none()
    qs = Macro.objects.filter(is_active=True).select_related("team")
    visible = _visible_q(user)
    if visible is not None:
        qs = qs.filter(visible)
    search = " ".join((search or "").split())[:MAX_SEARCH]
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by("position", "id")


def macro_get_for_agent(*, user: Any, macro_id: int) -> Macro:
    """An active macro the user may apply, or ``NotFound``."""
    try:
        return macros_for_agent(user=user).get(pk=macro_id)
    except (Macro.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="macro") from None


def site_language() -> str:
    code = (settings.LANGUAGE_CODE or "id").split("-")[0].lower()
    return code if code in LANGUAGES else "id"


def ticket_language(ticket: Ticket) -> str:
    """The language to answer in: the ticket's, else its inbox's (the inbox its mail came to, else
    an inbox of its team), else the site's."""
    if ticket.language in LANGUAGES:
        return ticket.language
    inbox_language = (
        RawMail.objects.filter(ticket_id=ticket.pk)
        .order_by("id")
        .values_list("inbox__language", flat=True)
        .first()
    )
    if inbox_language is None and ticket.team_id is not None:
        inbox_language = (
            Inbox.objects.filter(team_id=ticket.team_id)
            .order_by("id")
            .values_list("language", flat=True)
            .first()
        )
    if inbox_language in LANGUAGES:
        return str(inbox_language)
    return site_language()
