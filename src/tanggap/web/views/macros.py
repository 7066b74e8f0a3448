"""Macros in the workspace: the leads' page to write, order and switch them off (anyone else gets a
404, as if it did not exist), the live preview of their variables, and applying one from the
ticket page's reply box (htmx: the rendered text goes into the reply, the changes show in a flash)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tanggap.accounts.selectors import team_choices, team_get
from tanggap.core.errors import ApplicationError, NotFound
from tanggap.macros import selectors, services
from tanggap.macros.models import MAX_BODY, MAX_NAME, Macro
from tanggap.macros.render import VARIABLES, unknown_variables
from tanggap.tickets.models import Priority, Status
from tanggap.tickets.selectors import ticket_get_for_agent
from tanggap.web.views.common import AuthedRequest, error_message, not_found_as_404, require_action

MANAGE = selectors.MANAGE_ACTION
LANGUAGE_CHOICES = (("id", gettext_lazy("Indonesian")), ("en", gettext_lazy("English")))


# ---------------------------------------------------------------- what changed, in words


def change_phrases(changes: dict[str, Any]) -> list[str]:
    """What applying a macro changed, as short translated phrases (the flash and the timeline)."""
    phrases: list[str] = []
    if isinstance(changes.get("status"), dict):
        try:
            label = str(Status(changes["status"].get("to")).label)
        except ValueError:
            label = str(changes["status"].get("to"))
        phrases.append(_("status to %(status)s") % {"status": label})
    if isinstance(changes.get("priority"), dict):
        try:
            label = str(Priority(int(changes["priority"].get("to"))).label)
        except (TypeError, ValueError):
            label = str(changes["priority"].get("to"))
        phrases.append(_("priority to %(priority)s") % {"priority": label})
    if changes.get("tags_added"):
        phrases.append(_("added tags %(tags)s") % {"tags": ", ".join(map(str, changes["tags_added"]))})
    if changes.get("tags_removed"):
        phrases.append(_("removed tags %(tags)s") % {"tags": ", ".join(map(str, changes["tags_removed"]))})
    if changes.get("assignee"):
        phrases.append(_("assigned to %(agent)s") % {"agent": changes["assignee"]})
    return phrases


# ---------------------------------------------------------------- the form


class MacroForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=MAX_NAME)
    team = forms.TypedChoiceField(
        label=gettext_lazy("Who may use it"),
        coerce=int,
        empty_value=None,
        required=False,
    )
    body_id = forms.CharField(
        label=gettext_lazy("Indonesian text"),
        required=False,
        max_length=MAX_BODY,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-macro-body": "id"}),
    )
    body_en = forms.CharField(
        label=gettext_lazy("English text"),
        required=False,
        max_length=MAX_BODY,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-macro-body": "en"}),
    )
    set_status = forms.ChoiceField(label=gettext_lazy("Set status"), required=False)
    set_priority = forms.TypedChoiceField(
        label=gettext_lazy("Set priority"), coerce=int, empty_value=None, required=False
    )
    add_tags = forms.CharField(
        label=gettext_lazy("Add tags"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Separate tags with commas."),
    )
    remove_tags = forms.CharField(
        label=gettext_lazy("Remove tags"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Separate tags with commas."),
    )
    assign_to_self = forms.BooleanField(
        label=gettext_lazy("Assign the ticket to the agent applying the macro"), required=False
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, teams: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field: Any = self.fields["team"]
        team_field.choices = [("", _("Everyone")), *((pk, name) for pk, name in teams)]
        status_field: Any = self.fields["set_status"]
        status_field.choices = [
            ("", _("Leave as it is")),
            *((s.value, s.label) for s in services.MACRO_STATUSES),
        ]
        priority_field: Any = self.fields["set_priority"]
        priority_field.choices = [("", _("Leave as it is")), *Priority.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("body_id", "body_en"):
            unknown = unknown_variables(data.get(name) or "")
            if unknown:
                self.add_error(
                    name,
                    _("Unknown variable “%(name)s”. You can use: %(known)s.")
                    % {"name": "{{ " + unknown[0][:40] + " }}", "known": ", ".join(VARIABLES)},
                )
        return data


def _tags(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _initial(macro: Macro) -> dict[str, Any]:
    return {
        "name": macro.name,
        "team": macro.team_id or "",
        "body_id": macro.body_id,
        "body_en": macro.body_en,
        "set_status": macro.set_status,
        "set_priority": macro.set_priority or "",
        "add_tags": ", ".join(macro.add_tags),
        "remove_tags": ", ".join(macro.remove_tags),
        "assign_to_self": macro.assign_to_self,
        "is_active": macro.is_active,
    }


def _arguments(request: AuthedRequest, data: dict[str, Any]) -> dict[str, Any]:
    team = None
    if data.get("team"):
        with not_found_as_404():
            team = team_get(user=request.user, team_id=data["team"])
    return {
        "name": data["name"],
        "team": team,
        "body_id": data.get("body_id") or "",
        "body_en": data.get("body_en") or "",
        "set_status": data.get("set_status") or "",
        "set_priority": data.get("set_priority"),
        "add_tags": _tags(data.get("add_tags", "")),
        "remove_tags": _tags(data.get("remove_tags", "")),
        "assign_to_self": bool(data.get("assign_to_self")),
        "is_active": bool(data.get("is_active")),
    }


_FORM_FIELDS = {"name", "body_id", "body_en", "set_status", "set_priority", "add_tags", "remove_tags"}


def _saved(
    request: AuthedRequest, form: MacroForm, save: Callable[[dict[str, Any]], Macro], done: str
) -> HttpResponse | None:
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        macro = save(_arguments(request, form.cleaned_data))
    except ApplicationError as exc:
        field = str(exc.details.get("field", ""))
        message = str(exc.message) if field in _FORM_FIELDS | {"body"} else error_message(exc)
        form.add_error(field if field in _FORM_FIELDS else None, message)
        return None
    messages.success(request, done % {"name": macro.name})
    return redirect("web:admin_macros")


# ---------------------------------------------------------------- the leads' pages


@login_required
@require_action(MANAGE)
def macros(request: AuthedRequest) -> HttpResponse:
    return render(request, "web/admin/macros.html", {"macros": list(selectors.macro_list(user=request.user))})


def _form_page(request: AuthedRequest, form: MacroForm, macro: Macro | None) -> HttpResponse:
    return render(
        request,
        "web/admin/macro_form.html",
        {"form": form, "macro": macro, "variables": VARIABLES},
    )


@login_required
@require_action(MANAGE)
def macro_new(request: AuthedRequest) -> HttpResponse:
    form = MacroForm(
        request.POST if request.method == "POST" else None, teams=team_choices(user=request.user)
    )
    saved = _saved(
        request,
        form,
        lambda args: services.macro_create(actor=request.user, **args),
        _("Macro %(name)s created."),
    )
    return saved or _form_page(request, form, None)


def _macro(request: AuthedRequest, macro_id: int) -> Macro:
    with not_found_as_404():
        return selectors.macro_get(user=request.user, macro_id=macro_id)


@login_required
@require_action(MANAGE)
def macro_edit(request: AuthedRequest, macro_id: int) -> HttpResponse:
    macro = _macro(request, macro_id)
    form = MacroForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(macro),
        teams=team_choices(user=request.user),
    )
    saved = _saved(
        request,
        form,
        lambda args: services.macro_update(actor=request.user, macro=macro, **args),
        _("Macro %(name)s saved."),
    )
    return saved or _form_page(request, form, macro)


@login_required
@require_action(MANAGE)
@require_POST
def macro_move(request: AuthedRequest, macro_id: int) -> HttpResponse:
    macro = _macro(request, macro_id)
    services.macro_move(actor=request.user, macro=macro, up=request.POST.get("direction") != "down")
    return redirect(reverse("web:admin_macros") + f"#macro-{macro.pk}")


@login_required
@require_action(MANAGE)
@require_POST
def macro_active(request: AuthedRequest, macro_id: int) -> HttpResponse:
    macro = _macro(request, macro_id)
    active = request.POST.get("active") == "1"
    services.macro_set_active(actor=request.user, macro=macro, is_active=active)
    if active:
        messages.success(request, _("Macro %(name)s is active again.") % {"name": macro.name})
    else:
        messages.success(request, _("Macro %(name)s switched off.") % {"name": macro.name})
    return redirect("web:admin_macros")


@login_required
@require_action(MANAGE)
@require_POST
def macro_delete(request: AuthedRequest, macro_id: int) -> HttpResponse:
    macro = _macro(request, macro_id)
    name = macro.name
    services.macro_delete(actor=request.user, macro=macro)
    messages.success(request, _("Macro %(name)s deleted.") % {"name": name})
    return redirect("web:admin_macros")


@login_required
@require_action(MANAGE)
@require_POST
def macro_preview(request: AuthedRequest) -> HttpResponse:
    """The live preview of the form's two texts with sample values (htmx; nothing is saved)."""
    previews = []
    for language, label in LANGUAGE_CHOICES:
        text = request.POST.get(f"body_{language}", "")[:MAX_BODY]
        previews.append(
            {
                "language": language,
                "label": label,
                "text": services.macro_preview(
                    macro_text=text, ticket=None, agent=request.user, language=language
                ),
                "unknown": unknown_variables(text)[:5],
                "empty": not text.strip(),
            }
        )
    return render(request, "web/partials/macro_preview.html", {"previews": previews})


# ---------------------------------------------------------------- applying from the reply box


@login_required
@require_POST
def ticket_macro_apply(request: AuthedRequest, ticket_id: int, macro_id: int) -> HttpResponse:
    """Apply a macro to the ticket and answer with the rendered text for the reply box (htmx)."""
    with not_found_as_404():
        ticket = ticket_get_for_agent(user=request.user, ticket_id=ticket_id)
        macro = selectors.macro_get_for_agent(user=request.user, macro_id=macro_id)
    language = request.POST.get("macro_language") or None
    context: dict[str, Any] = {"macro": macro}
    try:
        applied = services.macro_apply(actor=request.user, ticket=ticket, macro=macro, language=language)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        context["error"] = str(exc.message) if exc.details.get("field") else error_message(exc)
        return render(request, "web/partials/macro_applied.html", context)
    status = applied.changes.get("status", {}).get("to", "") if applied.changes.get("status") else ""
    context.update(
        {
            "text": applied.text,
            "language": applied.language,
            "phrases": change_phrases(applied.changes),
            "status": status,
        }
    )
    return render(request, "web/partials/macro_applied.html", context)
