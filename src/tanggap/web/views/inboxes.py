"""Admin pages for e-mail intake: the inboxes with their traffic, and the quarantine where mail that
could not be processed waits, with its reason, for an admin to look at it and retry. Admins only; a
404 for everyone else."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tanggap.automations.acknowledge import (
    Acknowledgement,
    acknowledgement_previews,
    acknowledgement_settings_update,
)
from tanggap.core.blobs import default_store
from tanggap.core.errors import ApplicationError, ErrorCode
from tanggap.inboxes.imap import imap_states
from tanggap.inboxes.imap_client import error_code, imap_connection_check
from tanggap.inboxes.models import Inbox, InboxLanguage, MailStatus, RawMail, Security
from tanggap.inboxes.selectors import (
    MANAGE_ACTION,
    inbox_list,
    inbox_list_with_traffic,
    mail_quarantine_list,
    raw_mail_get,
)
from tanggap.inboxes.services import mail_retry
from tanggap.inboxes.setup import KEEP, inbox_create, inbox_update
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
    "spam_honeypot": gettext_lazy(
        "Sent through the web form with its hidden trap field filled in, as spam robots do."
    ),
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


# ImapState.last_error and the connection check's codes (inboxes.imap_client.ERRORS) as sentences.
IMAP_ERROR_SENTENCES: dict[str, Any] = {
    "not_configured": gettext_lazy("No IMAP server is set for this inbox."),
    "insecure_host": gettext_lazy("Unencrypted IMAP is allowed only to this machine (localhost)."),
    "password_unreadable": gettext_lazy(
        "The stored password cannot be read (was the secret key changed?); enter it again."
    ),
    "connect_failed": gettext_lazy("Could not connect to the IMAP server."),
    "timeout": gettext_lazy("The IMAP server did not answer in time."),
    "tls_failed": gettext_lazy(
        "The secure connection failed: check the security setting and the certificate."
    ),
    "login_failed": gettext_lazy("The IMAP server refused the user name or password."),
    "folder_missing": gettext_lazy("The IMAP folder does not exist or cannot be used."),
    "protocol_error": gettext_lazy("The IMAP server gave an unexpected answer."),
    "store_failed": gettext_lazy("A fetched mail could not be stored."),
}

# inbox_update's refusals of connection settings, per field.
_SETTINGS_ERRORS: dict[tuple[str, str], Any] = {
    (ErrorCode.INVALID_INPUT, "imap_host"): gettext_lazy("That is not a valid server name."),
    (ErrorCode.INVALID_INPUT, "smtp_host"): gettext_lazy("That is not a valid server name."),
    (ErrorCode.INVALID_INPUT, "imap_port"): gettext_lazy("Choose a port from 1 to 65535."),
    (ErrorCode.INVALID_INPUT, "smtp_port"): gettext_lazy("Choose a port from 1 to 65535."),
    (ErrorCode.INVALID_INPUT, "imap_security"): gettext_lazy(
        "Without encryption the password would cross the network readable: use SSL/TLS or STARTTLS, "
        "or a server on this machine (localhost)."
    ),
    (ErrorCode.INVALID_INPUT, "smtp_security"): gettext_lazy(
        "Without encryption the password would cross the network readable: use SSL/TLS or STARTTLS, "
        "or a server on this machine (localhost)."
    ),
    (ErrorCode.INVALID_INPUT, "imap_done_folder"): gettext_lazy(
        "The folder for processed mail must differ from the folder that is read."
    ),
}


def imap_error_sentence(last_error: str) -> str:
    sentence = IMAP_ERROR_SENTENCES.get(error_code(last_error))
    return str(sentence) if sentence is not None else last_error


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
    states = imap_states(row.pk for row in rows)
    for row in rows:
        state = states.get(row.pk)
        row.imap_health = state  # type: ignore[attr-defined]
        row.imap_error = imap_error_sentence(state.last_error) if state and state.last_error else ""  # type: ignore[attr-defined]
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
            inbox = _save_acknowledgement(request, inbox, data)
        except ApplicationError as exc:
            field = str(exc.details.get("field", ""))
            message = _INBOX_ERRORS.get((exc.code, field))
            messages.error(request, str(message) if message is not None else error_message(exc))
        else:
            messages.success(request, _("Inbox %(name)s created.") % {"name": inbox.name})
            return redirect("web:admin_inboxes")
    return render(request, "web/admin/inbox_form.html", {"form": form})


class InboxSettingsForm(InboxForm):
    """The inbox's settings with its connections. Passwords are write-only: never shown, a blank field
    keeps the stored one, the box below it removes it."""

    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)
    imap_host = forms.CharField(
        label=gettext_lazy("IMAP server"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("Leave empty to not fetch mail over IMAP."),
    )
    imap_port = forms.IntegerField(
        label=gettext_lazy("IMAP port"),
        required=False,
        min_value=1,
        max_value=65535,
        help_text=gettext_lazy("Empty: 993 for SSL/TLS, 143 otherwise."),
    )
    imap_security = forms.ChoiceField(label=gettext_lazy("IMAP security"), choices=Security.choices)
    imap_username = forms.CharField(label=gettext_lazy("IMAP user"), required=False, max_length=320)
    imap_password = forms.CharField(
        label=gettext_lazy("IMAP password"),
        required=False,
        max_length=1000,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_imap_password = forms.BooleanField(
        label=gettext_lazy("Remove the stored IMAP password"), required=False
    )
    imap_folder = forms.CharField(label=gettext_lazy("IMAP folder"), required=False, max_length=255)
    imap_done_folder = forms.CharField(
        label=gettext_lazy("Folder for processed mail"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("Stored mail is moved here; leave empty to only mark it as read."),
    )
    smtp_host = forms.CharField(
        label=gettext_lazy("SMTP server"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("Replies are sent through it. Empty: the site's default server."),
    )
    smtp_port = forms.IntegerField(
        label=gettext_lazy("SMTP port"),
        required=False,
        min_value=1,
        max_value=65535,
        help_text=gettext_lazy("Empty: 465 for SSL/TLS, 587 otherwise."),
    )
    smtp_security = forms.ChoiceField(label=gettext_lazy("SMTP security"), choices=Security.choices)
    smtp_username = forms.CharField(label=gettext_lazy("SMTP user"), required=False, max_length=320)
    smtp_password = forms.CharField(
        label=gettext_lazy("SMTP password"),
        required=False,
        max_length=1000,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_smtp_password = forms.BooleanField(
        label=gettext_lazy("Remove the stored SMTP password"), required=False
    )

    CONNECTION_FIELDS = (
        "imap_host",
        "imap_port",
        "imap_security",
        "imap_username",
        "imap_folder",
        "imap_done_folder",
        "smtp_host",
        "smtp_port",
        "smtp_security",
        "smtp_username",
    )

    @classmethod
    def initial_for(cls, inbox: Inbox) -> dict[str, Any]:
        fields = (
            "name",
            "address",
            "language",
            "signature",
            "is_active",
            *cls.ACK_FIELDS,
            *cls.CONNECTION_FIELDS,
        )
        return {name: getattr(inbox, name) for name in fields} | {"team": inbox.team_id}

    def password(self, kind: str) -> Any:
        """What ``inbox_update`` gets for a password: keep it, remove it, or the new one."""
        if self.cleaned_data.get(f"clear_{kind}_password"):
            return ""
        return self.cleaned_data.get(f"{kind}_password") or KEEP


def _save_acknowledgement(request: AuthedRequest, inbox: Inbox, data: dict[str, Any]) -> Inbox:
    return acknowledgement_settings_update(
        actor=request.user,
        inbox=inbox,
        enabled=data["ack_enabled"],
        how_id=data["ack_how_id"],
        how_en=data["ack_how_en"],
    )


def _ack_previews(request: AuthedRequest, inbox: Inbox) -> list[tuple[str, Acknowledgement]]:
    """The acknowledgement a new e-mail ticket of ``inbox`` would get now, in each language."""
    labels = dict(InboxLanguage.choices)
    previews = acknowledgement_previews(user=request.user, inbox=inbox, languages=list(labels))
    return [(str(labels[ack.language]), ack) for ack in previews]


def inbox_or_404(request: AuthedRequest, inbox_id: int) -> Inbox:
    inbox = inbox_list(user=request.user).filter(pk=inbox_id).first()
    if inbox is None:
        raise Http404
    return inbox


@login_required
@require_action(MANAGE_ACTION)
@require_http_methods(["GET", "HEAD", "POST"])
def inbox_edit(request: AuthedRequest, inbox_id: int) -> HttpResponse:
    inbox = inbox_or_404(request, inbox_id)
    form = InboxSettingsForm(request.POST or None, initial=InboxSettingsForm.initial_for(inbox))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inbox = inbox_update(
                actor=request.user,
                inbox=inbox,
                name=data["name"],
                address=data["address"],
                team=data["team"],
                language=data["language"],
                signature=data["signature"],
                is_active=data["is_active"],
                **{name: data[name] for name in InboxSettingsForm.CONNECTION_FIELDS},
                imap_password=form.password("imap"),
                smtp_password=form.password("smtp"),
            )
            inbox = _save_acknowledgement(request, inbox, data)
        except ApplicationError as exc:
            field = str(exc.details.get("field", ""))
            message = _SETTINGS_ERRORS.get((exc.code, field)) or _INBOX_ERRORS.get((exc.code, field))
            text = str(message) if message is not None else error_message(exc)
            if field in form.fields:
                form.add_error(field, text)
            else:
                messages.error(request, text)
        else:
            messages.success(request, _("Settings of %(name)s saved.") % {"name": inbox.name})
            return redirect("web:admin_inbox_edit", inbox.pk)
    from tanggap.web.views.audit import adverts_context  # the audit's views import this module

    return render(
        request,
        "web/admin/inbox_form.html",
        {
            "form": form,
            "inbox": inbox,
            "has_imap_password": bool(inbox.imap_password),
            "has_smtp_password": bool(inbox.smtp_password),
            "ack_previews": _ack_previews(request, inbox),
            **adverts_context(inbox),
        },
    )


@login_required
@require_action(MANAGE_ACTION)
@require_POST
def inbox_ack_preview(request: AuthedRequest, inbox_id: int) -> HttpResponse:
    """The acknowledgement preview with the "how we work" sentences as typed, not saved yet (htmx)."""
    inbox = copy.copy(inbox_or_404(request, inbox_id))
    inbox.ack_how_id = " ".join(request.POST.get("ack_how_id", "")[:600].split())
    inbox.ack_how_en = " ".join(request.POST.get("ack_how_en", "")[:600].split())
    inbox.signature = request.POST.get("signature", inbox.signature)[:5000]
    return render(
        request, "web/admin/partials/ack_preview.html", {"ack_previews": _ack_previews(request, inbox)}
    )


@login_required
@require_action(MANAGE_ACTION)
@require_POST
def inbox_imap_test(request: AuthedRequest, inbox_id: int) -> HttpResponse:
    """Log in with the saved IMAP settings and report the folder's message count, or why not."""
    inbox = inbox_or_404(request, inbox_id)
    check = imap_connection_check(inbox=inbox)
    if check.ok:
        messages.success(
            request,
            ngettext(
                "Connected: the folder %(folder)s holds %(count)s message.",
                "Connected: the folder %(folder)s holds %(count)s messages.",
                check.messages,
            )
            % {"folder": inbox.imap_folder or "INBOX", "count": check.messages},
        )
    else:
        sentence = IMAP_ERROR_SENTENCES.get(check.error)
        text = str(sentence) if sentence is not None else check.error
        if check.detail:
            text = _("%(problem)s The server said: %(detail)s") % {"problem": text, "detail": check.detail}
        messages.error(request, text)
    return redirect("web:admin_inbox_edit", inbox.pk)


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
