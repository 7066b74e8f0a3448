"""The agent's own settings: display name, language, password and API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tanggap.accounts import services as account_services
from tanggap.accounts.selectors import api_tokens_for
from tanggap.core.errors import ApplicationError
from tanggap.web.forms import ProfileForm, TokenForm
from tanggap.web.views.auth import set_language_cookie
from tanggap.web.views.common import AuthedRequest, flash_error


def _render(request: AuthedRequest, **extra: Any) -> HttpResponse:
    user = request.user
    context = {
        "profile_form": ProfileForm(
            initial={
                "display_name": user.display_name,
                "language": user.language,
            }
        ),
        "password_form": PasswordChangeForm(user, label_suffix=""),
        "token_form": TokenForm(),
        "tokens": list(api_tokens_for(user=user)),
        **extra,
    }
    return render(request, "web/settings.html", context)


@login_required
def settings_page(request: AuthedRequest) -> HttpResponse:
    return _render(request)


@require_POST
@login_required
def settings_profile(request: AuthedRequest) -> HttpResponse:
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _render(request, profile_form=form)
    language = form.cleaned_data["language"]
    account_services.profile_update(
        actor=request.user, display_name=form.cleaned_data["display_name"], language=language
    )
    response = redirect("web:settings")
    if language in dict(django_settings.LANGUAGES):
        translation.activate(language)
        set_language_cookie(response, language)
    messages.success(request, _("Settings saved."))
    return response


@require_POST
@login_required
def settings_password(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST, label_suffix="")
    if not form.is_valid():
        return _render(request, password_form=form)
    form.save()
    update_session_auth_hash(request, form.user)
    messages.success(request, _("Password changed."))
    return redirect("web:settings")


@require_POST
@login_required
def token_create(request: AuthedRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _render(request, token_form=form)
    try:
        token, raw = account_services.api_token_create(
            actor=request.user,
            user=request.user,
            name=form.cleaned_data["name"],
        )
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("web:settings")
    # Rendered, not redirected: the token is shown this once and never stored anywhere readable.
    response = _render(request, new_token=raw, new_token_name=token.name)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: AuthedRequest, token_id: int) -> HttpResponse:
    token = api_tokens_for(user=request.user).filter(pk=token_id).first()
    if token is None:
        messages.error(request, _("That token does not exist."))
        return redirect("web:settings")
    account_services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("web:settings")
