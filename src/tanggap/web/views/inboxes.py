"""Admin pages for e-mail intake: the inboxes with their traffic, and the quarantine where mail that
could not be processed waits, with its reason, for an admin to look at it and retry. Admins only; a
404 for everyone else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from tanggap.core.blobs import default_store
from tanggap.core.errors import ApplicationError, ErrorCode
from tanggap.inboxes.models import MailStatus, RawMail
from tanggap.inboxes.selectors import (
    MANAGE_ACTION,
    inbox_list,
    inbox_list_with_traffic,
    mail_quarantine_list,
    raw_mail_get,
)
from tanggap.inboxes.services import inbox_create, mail_retry
from tanggap.web.forms import InboxForm
from tanggap.web.views.common import (
    AuthedRequest,
    error_message,
    not_found_as_404,
    page_number,
    paginate,
    parse_int,
    require_action,
)

# The detail page shows the head of the raw mail: its headers and the start of its body. A mail may be
# one endless line or many megabytes, so both the lines and the bytes shown are bounded.
RAW_LINES_SHOWN = 200
RAW_BYTES_SHOWN = 64 * 1024
# Control characters other than tab and newline would be invisible (or worse) in the page.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# RawMail.reason codes (inboxes.services, email.parse and the ErrorCode of a refusal by the write
# path) as sentences an admin can act on. A code missing here is shown as it is.
REASON_SENTENCES: dict[str, Any] = {
    "too_large": gettext_lazy("The mail is larger than the processing limit."),
    "not_mail": gettext_lazy("The data is not an e-mail message."),
    "blob_missing": gettext_lazy("The stored bytes of this mail could not be read."),
    "too_many_attempts": gettext_lazy("Processing failed too many times in a row."),
    "processing_failed": gettext_lazy("Processing failed with an unexpected error; it will be tried again."),
    "no_sender": gettext_lazy("The mail has no usable sender address."),
    "empty": gettext_lazy("The mail has no text, no attachments and no subject."),
    "duplicate": gettext_lazy("The same message was already on a ticket."),
    ErrorCode.INVALID_INPUT: gettext_lazy("The ticket system refused the message as invalid."),
    ErrorCode.CONFLICT: gettext_lazy("The message conflicted with the ticket's current state."),
    ErrorCode.NOT_FOUND: gettext_lazy("Something the message refers to no longer exists."),
    ErrorCode.PERMISSION_DENIED: gettext_lazy("The ticket system did not permit the message."),
    ErrorCode.INVALID_TRANSITION: gettext_lazy("The ticket could not change its status for this message."),
    ErrorCode.RATE_LIMITED: gettext_lazy("The message was held back by a rate limit."),
    ErrorCode.BAD_REQUEST: gettext_lazy("The message could not be read."),
    ErrorCode.INTERNAL_ERROR: gettext_lazy("An internal error stopped the message."),
}

# inbox_create's refusals, per field, in words about inboxes (the shared table speaks of teams).
_INBOX_ERRORS: dict[tuple[str, str], Any] = {
    (ErrorCode.INVALID_INPUT, "name"): gettext_lazy("Choose a name of at most 100 characters."),
    (ErrorCode.INVALID_INPUT, "address"): gettext_lazy("That is not a valid e-mail address."),
    (ErrorCode.INVALID_INPUT, "language"): gettext_lazy("That language is not supported."),
    (ErrorCode.CONFLICT, "name"): gettext_lazy("An inbox with that name already exists."),
    (ErrorCode.CONFLICT, "address"): gettext_lazy("An inbox with that address already exists."),
}


def reason_sentence(code: str) -> str:
    sentence = REASON_SENTENCES.get(code)
    return str(sentence) if sentence is not None else code


def raw_head(raw: bytes) -> tuple[str, bool]:
    """The first lines of a raw mail as text, and whether there is more."""
    head = raw[:RAW_BYTES_SHOWN]
    lines = head.split(b"\n")
    cut = len(raw) > RAW_BYTES_SHOWN or len(lines) > RAW_LINES_SHOWN
    text = b"\n".join(lines[:RAW_LINES_SHOWN]).decode("utf-8", errors="replace").replace("\r", "")
    return _CONTROL.sub("\ufffd", text), cut


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    mail: RawMail
    reason: str


@login_required
@require_action(MANAGE_ACTION)
@require_safe
def inboxes(request: AuthedRequest) -> HttpResponse:
    rows = list(inbox_list_with_traffic(user=request.user))
    return render(request, "web/admin/inboxes.html", {"inboxes": rows})


@login_required
@require_action(MANAGE_ACTION)
def inbox_new(request: AuthedRequest) -> HttpResponse:
    form = InboxForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inbox = inbox_create(
                actor=request.user,
                name=data["name"],
                address=data["address"],
                team=data["team"],
                language=data["language"],
                signature=data["signature"],
            )
        except ApplicationError as exc:
            field = str(exc.details.get("field", ""))
            message = _INBOX_ERRORS.get((exc.code, field))
            messages.error(request, str(message) if message is not None else error_message(exc))
        else:
            messages.success(request, _("Inbox %(name)s created.") % {"name": inbox.name})
            return redirect("web:admin_inboxes")
    return render(request, "web/admin/inbox_form.html", {"form": form})


@login_required
@require_action(MANAGE_ACTION)
@require_safe
def quarantine(request: AuthedRequest) -> HttpResponse:
    inbox_choices = list(inbox_list(user=request.user).values_list("pk", "name"))
    inbox_id = parse_int(request.GET.get("inbox"))
    inbox = inbox_list(user=request.user).filter(pk=inbox_id).first() if inbox_id else None
    reason = request.GET.get("reason", "")[:64]
    mails = mail_quarantine_list(user=request.user, inbox=inbox, reason=reason)
    page = paginate(
        mails,
        page_number(request),
        rows=lambda rows: [QuarantineRow(mail, reason_sentence(mail.reason)) for mail in rows],
    )
    return render(
        request,
        "web/admin/quarantine.html",
        {
            "page": page,
            "inbox_choices": inbox_choices,
            "reason_choices": [(code, reason_sentence(code)) for code in REASON_SENTENCES],
            "filters": {"inbox": inbox.pk if inbox else "", "reason": reason},
        },
    )


def _get_mail(request: AuthedRequest, mail_id: int) -> RawMail:
    with not_found_as_404():
        return raw_mail_get(user=request.user, raw_mail_id=mail_id)


@login_required
@require_action(MANAGE_ACTION)
@require_safe
def quarantine_mail(request: AuthedRequest, mail_id: int) -> HttpResponse:
    mail = _get_mail(request, mail_id)
    try:
        head, cut = raw_head(default_store().get(mail.sha256))
        readable = True
    except (OSError, ValueError):
        head, cut, readable = "", False, False
    return render(
        request,
        "web/admin/quarantine_detail.html",
        {
            "mail": mail,
            "reason": reason_sentence(mail.reason) if mail.reason else "",
            "head": head,
            "cut": cut,
            "readable": readable,
            "can_retry": mail.status != MailStatus.PROCESSED,
            "lines_shown": RAW_LINES_SHOWN,
        },
    )


@login_required
@require_action(MANAGE_ACTION)
@require_POST
def quarantine_retry(request: AuthedRequest, mail_id: int) -> HttpResponse:
    mail = _get_mail(request, mail_id)
    try:
        mail = mail_retry(actor=request.user, raw_mail=mail)
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
    else:
        if mail.status == MailStatus.PROCESSED:
            messages.success(request, _("The mail was processed."))
        elif mail.status == MailStatus.QUARANTINED:
            messages.warning(
                request,
                _("The mail is still quarantined: %(reason)s") % {"reason": reason_sentence(mail.reason)},
            )
        else:
            messages.warning(request, _("Processing failed again; the mail will be tried again shortly."))
    return redirect("web:admin_quarantine_mail", mail.pk)
