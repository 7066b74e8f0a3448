"""The public web form of an inbox (``/form/<form_key>/``, no sign-in, embeddable in any site) and
the admin page that opens or closes it and shows the code to embed it.

The public view may be framed by any site, so it cannot rely on Django's CSRF cookie (third-party
frames do not get SameSite cookies). It sets no cookie and uses no session; a signed, time-limited
token bound to the form stands in (docs/adr/0005-web-form.md). It is rate-limited per client and per
form, bounds every field and the uploads before reading them, and keeps what the customer typed when
it has to show the form again.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tanggap.core import ratelimit
from tanggap.core.errors import ApplicationError, NotFound
from tanggap.customers.identities import InvalidIdentity, normalise_email
from tanggap.inboxes.models import Inbox
from tanggap.inboxes.selectors import MANAGE_ACTION
from tanggap.inboxes.setup import inbox_form_disable, inbox_form_enable
from tanggap.inboxes.webform import (
    MAX_EMAIL,
    MAX_FILES,
    MAX_FILES_BYTES,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_SUBJECT,
    REASON_HONEYPOT,
    FormFile,
    TokenState,
    clean_line,
    form_inbox_get,
    form_submit,
    form_token_check,
    form_token_make,
    submission_clean,
)
from tanggap.web.views.common import AuthedRequest, error_message, require_action
from tanggap.web.views.inboxes import inbox_or_404

logger = logging.getLogger(__name__)

LANGUAGES = ("id", "en")
HONEYPOT = "homepage"  # a name browsers' autofill does not fill, and robots like to
# The text fields are small; a request larger than the files' bound plus this is refused unread.
FIELDS_SLACK = 1024 * 1024

_STORE_FAILED = gettext_lazy("Your message could not be saved just now. Please send it again in a moment.")
_TOKEN_MESSAGES = {
    TokenState.INVALID: gettext_lazy("This form could not be checked. Please send it again."),
    TokenState.EXPIRED: gettext_lazy("This page was open for a long time. Please send your message again."),
    TokenState.TOO_FAST: gettext_lazy("That was quick! Please check your message and send it again."),
}


class PublicForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=MAX_NAME)
    email = forms.CharField(label=gettext_lazy("Your e-mail address"), max_length=MAX_EMAIL)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=MAX_SUBJECT, required=False)
    message = forms.CharField(
        label=gettext_lazy("Your message"), max_length=MAX_MESSAGE, widget=forms.Textarea
    )

    def clean_name(self) -> str:
        name = clean_line(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(gettext_lazy("Tell us your name."))
        return name

    def clean_email(self) -> str:
        try:
            return normalise_email(self.cleaned_data["email"])
        except InvalidIdentity:
            raise forms.ValidationError(
                gettext_lazy("Enter a valid e-mail address, like name@example.com: our answer goes there.")
            ) from None

    def clean_message(self) -> str:
        message = self.cleaned_data["message"]
        if not message.strip():
            raise forms.ValidationError(gettext_lazy("Write your message."))
        return message


class _BoundedUploads(FileUploadHandler):
    """Counts the uploaded files and bytes as they arrive. Past the bounds it keeps nothing more
    (the handlers after it get no data), and the view refuses the files: memory and disk stay
    bounded whatever a client sends, and the text fields, sent before the files, are still read."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.files = 0
        self.total = 0
        self.too_many = False
        self.too_large = False

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.files += 1
        if self.files > MAX_FILES:
            self.too_many = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.total += len(raw_data)
        if self.total > MAX_FILES_BYTES:
            self.too_large = True
        return None if (self.too_large or self.too_many) else raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _language(request: HttpRequest, inbox: Inbox) -> str:
    """``?lang=``, else the first of our languages the browser asks for, else the inbox's."""
    chosen = (request.GET.get("lang") or "").lower()
    if chosen in LANGUAGES:
        return chosen
    weighted: list[tuple[float, int, str]] = []
    for n, item in enumerate(request.headers.get("accept-language", "")[:500].split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        primary = "id" if primary == "in" else primary  # the old code for Indonesian
        if primary in LANGUAGES and quality > 0:
            weighted.append((-quality, n, primary))
    if weighted:
        return min(weighted)[2]
    return inbox.language if inbox.language in LANGUAGES else settings.LANGUAGE_CODE


def _public(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    language = translation.get_language()
    response = render(request, f"web/public/{template}", {"lang": language, **context}, status=status)
    response.headers["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    return response


def _form_page(
    request: HttpRequest,
    inbox: Inbox,
    form: PublicForm,
    *,
    token: str,
    status: int = 200,
    problem: str = "",
    file_error: str = "",
) -> HttpResponse:
    return _public(
        request,
        "form.html",
        {
            "inbox": inbox,
            "form": form,
            "token": token,
            "problem": problem,
            "file_error": file_error,
            "honeypot": HONEYPOT,
            "max_files": MAX_FILES,
            "max_files_mb": MAX_FILES_BYTES // (1024 * 1024),
            "max_files_bytes": MAX_FILES_BYTES,
            "action": request.get_full_path(),
        },
        status=status,
    )


def _limited(request: HttpRequest, inbox: Inbox) -> HttpResponse | None:
    client = ratelimit.client_key(request.META.get("REMOTE_ADDR", ""))
    for scope, key, limit in (
        ("webform.ip", client, ratelimit.Limit.of(settings.TANGGAP_FORM_LIMIT_PER_IP)),
        ("webform.form", str(inbox.pk), ratelimit.Limit.of(settings.TANGGAP_FORM_LIMIT_PER_FORM)),
    ):
        decision = ratelimit.hit(scope, key, limit)
        if not decision.allowed:
            response = _public(request, "limited.html", {"inbox": inbox}, status=429)
            response.headers["Retry-After"] = str(decision.retry_after)
            return response
    return None


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt  # the signed form token stands in: ADR 0005
@xframe_options_exempt  # embeddable in any site, this view only
@never_cache  # each showing carries its own token
@require_http_methods(["GET", "HEAD", "POST"])
def public_form(request: HttpRequest, form_key: str) -> HttpResponse:
    try:
        inbox = form_inbox_get(form_key)
    except NotFound:
        raise Http404 from None
    with translation.override(_language(request, inbox)):
        if request.method != "POST":
            return _form_page(request, inbox, PublicForm(), token=form_token_make(inbox.form_key))
        return _submit(request, inbox)


def _submit(request: HttpRequest, inbox: Inbox) -> HttpResponse:
    refused = _limited(request, inbox)
    if refused is not None:
        return refused
    if _declared_length(request) > MAX_FILES_BYTES + FIELDS_SLACK:
        return _public(
            request, "too_large.html", {"inbox": inbox, "max_files_mb": MAX_FILES_BYTES // 2**20}, 413
        )
    uploads = _BoundedUploads(request)
    request.upload_handlers.insert(0, uploads)
    form = PublicForm(request.POST)
    check = form_token_check(request.POST.get("token", ""), inbox.form_key)
    if check.state is not TokenState.OK:
        # A too-fast sender keeps its token: by the time a person sends again it is old enough.
        token = (
            request.POST["token"] if check.state is TokenState.TOO_FAST else form_token_make(inbox.form_key)
        )
        form.is_valid()  # show the fields' own errors too
        status = 403 if check.state is TokenState.INVALID else 400
        return _form_page(
            request, inbox, form, token=token, status=status, problem=str(_TOKEN_MESSAGES[check.state])
        )

    uploaded = [item for item in request.FILES.getlist("attachments") if item.name]
    file_error = ""
    if uploads.too_many or len(uploaded) > MAX_FILES:
        file_error = _("Attach at most %(count)s files.") % {"count": MAX_FILES}
    elif uploads.too_large:
        file_error = _("The files are too large together: at most %(size)s MB.") % {
            "size": MAX_FILES_BYTES // 2**20
        }
    token = request.POST.get("token", "")
    if not form.is_valid() or file_error:
        if uploaded and not file_error:
            file_error = _("Please choose your files again.")
        return _form_page(request, inbox, form, token=token, status=400, file_error=file_error)

    data = form.cleaned_data
    try:
        submission = submission_clean(
            name=data["name"],
            email=data["email"],
            subject=data["subject"],
            message=data["message"],
            files=tuple(FormFile(item.name or "", item.content_type or "", item.read()) for item in uploaded),
        )
    except ApplicationError as exc:
        field = str(exc.details.get("field", ""))
        if field in form.fields:
            form.add_error(field, error_message(exc))
            return _form_page(request, inbox, form, token=token, status=400)
        return _form_page(request, inbox, form, token=token, status=400, file_error=error_message(exc))
    spam = bool(request.POST.get(HONEYPOT, "").strip())
    try:
        result = form_submit(
            inbox=inbox,
            submission=submission,
            nonce=check.nonce,
            client=request.META.get("REMOTE_ADDR", "")[:64],
            spam_reason=REASON_HONEYPOT if spam else "",
        )
    except Exception:
        # Storing failed (the database or the blob store is away): nothing was kept, so the customer
        # must be able to send again, with what they wrote still in the form.
        logger.exception("web form of inbox %s: the submission could not be stored", inbox.pk)
        return _form_page(request, inbox, form, token=token, status=503, problem=str(_STORE_FAILED))
    return _public(
        request,
        "thanks.html",
        {
            "inbox": inbox,
            "ticket_id": result.ticket_id,
            "email": submission.email,
            "name": submission.name,
            "again": request.get_full_path(),
        },
    )


# ---------------------------------------------------------------- admin


@login_required
@require_action(MANAGE_ACTION)
@require_http_methods(["GET", "HEAD", "POST"])
def inbox_webform(request: AuthedRequest, inbox_id: int) -> HttpResponse:
    inbox = inbox_or_404(request, inbox_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "enable":
                inbox_form_enable(actor=request.user, inbox=inbox)
                messages.success(request, _("The web form is open."))
            elif action == "new_key":
                inbox_form_enable(actor=request.user, inbox=inbox, new_key=True)
                messages.success(request, _("The web form has a new address; the old one no longer works."))
            elif action == "disable":
                inbox_form_disable(actor=request.user, inbox=inbox)
                messages.success(request, _("The web form is closed."))
        except ApplicationError as exc:
            messages.error(request, error_message(exc))
        return redirect("web:admin_inbox_webform", inbox.pk)
    url = snippet = ""
    if inbox.form_key:
        url = request.build_absolute_uri(reverse("web:webform", args=[inbox.form_key]))
        snippet = embed_snippet(url, inbox.name)
    return render(
        request, "web/admin/inbox_webform.html", {"inbox": inbox, "form_url": url, "snippet": snippet}
    )


def embed_snippet(url: str, title: str) -> str:
    """The HTML an admin pastes into their site (escaped here for that page; the template escapes
    it again to show it as text)."""
    return (
        f'<iframe src="{escape(url)}" title="{escape(title)}" '
        'style="width:100%;max-width:680px;height:860px;border:0" loading="lazy"></iframe>'
    )
