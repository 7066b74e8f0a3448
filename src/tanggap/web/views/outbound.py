"""Sending a failed reply again from the ticket page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from tanggap.inboxes.outbound import outbound_retry
from tanggap.tickets.models import DeliveryStatus, Ticket
from tanggap.web.views.common import AuthedRequest, not_found_as_404
from tanggap.web.views.tickets import ticket_action


@ticket_action
def ticket_delivery_retry(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    try:
        message_id = int(request.POST.get("message", ""))
    except ValueError:
        messages.error(request, _("That reply does not exist."))
        return redirect("web:ticket", ticket.pk)
    with not_found_as_404():  # a reply of another ticket is not on this one
        message = outbound_retry(actor=request.user, ticket=ticket, message_id=message_id)
    if message.delivery_status == DeliveryStatus.QUEUED:
        messages.success(request, _("The reply will be sent again."))
    else:
        messages.error(request, _("The reply still cannot be sent; see the reason on the reply."))
    return redirect(reverse("web:ticket", args=[ticket.pk]) + f"#m{message.pk}")
