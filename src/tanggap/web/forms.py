"""Forms of the agent workspace. They parse and bound input only; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.models import Role, Team, User
from tanggap.inboxes.models import InboxLanguage
from tanggap.tickets.inbound import MAX_SUBJECT, MAX_TEXT
from tanggap.tickets.models import Channel, Priority, Status


class Form(forms.Form):
    """Labels without a trailing colon: the layout sets labels above their fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


REPLY_STATUSES = [
    (Status.PENDING.value, _("Pending")),
    (Status.OPEN.value, _("Open")),
    (Status.ON_HOLD.value, _("On hold")),
    (Status.SOLVED.value, _("Solved")),
]
LANGUAGE_CHOICES = [("", _("Browser default")), *settings.LANGUAGES]


class ReplyForm(Form):
    text = forms.CharField(label=_("Reply"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5}))
    status = forms.ChoiceField(label=_("then set status"), choices=REPLY_STATUSES, initial=Status.PENDING)


class NoteForm(Form):
    text = forms.CharField(
        label=_("Internal note"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )


class StatusForm(Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class PriorityForm(Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)


class AssignForm(Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, agents: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["assignee"])
        field.queryset = agents if agents is not None else User.objects.filter(is_active=True)


class TeamForm(Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)


class TagsForm(Form):
    tags = forms.CharField(label=_("Tags"), max_length=2000, required=False)

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data["tags"].replace(";", ",")
        return [t.strip() for t in raw.split(",") if t.strip()]


class MergeForm(Form):
    target = forms.IntegerField(label=_("Merge into ticket number"), min_value=1, max_value=2**62)


class BulkForm(Form):
    ACTIONS = [
        ("assign_me", _("Assign to me")),
        ("assign", _("Assign")),
        ("unassign", _("Unassign")),
        ("close", _("Close")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.ticket_ids: list[int] = []
        if data is not None:
            for value in data.getlist("tickets")[:500]:
                if value.isdigit() and 0 < int(value) < 2**62:
                    self.ticket_ids.append(int(value))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == "assign" and not cleaned.get("assignee"):
            raise forms.ValidationError(_("Choose an agent."))
        return cleaned


class NewTicketForm(Form):
    contact = forms.CharField(
        label=_("Customer e-mail or phone"),
        max_length=320,
        widget=forms.TextInput(attrs={"placeholder": "budi@example.com / 0812…", "autocomplete": "off"}),
    )
    name = forms.CharField(label=_("Customer name"), max_length=200, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=MAX_SUBJECT)
    text = forms.CharField(
        label=_("Message from the customer"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 6})
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("No team")
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if teams is not None:
            cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams

    def identity(self) -> tuple[str, str]:
        contact = self.cleaned_data["contact"].strip()
        return ("email" if "@" in contact else "phone"), contact


class CustomerForm(Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", "—"), *settings.LANGUAGES], required=False
    )
    tier = forms.CharField(
        label=_("Tier"),
        max_length=32,
        required=False,
        help_text=_("A service level such as vip: response-target policies can be chosen by it."),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=20_000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class IdentityForm(Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("email", _("E-mail")), ("phone", _("Phone")), ("handle", _("Chat or social handle"))],
    )
    value = forms.CharField(label=_("Value"), max_length=320)


class CustomerMergeForm(Form):
    target = forms.IntegerField(label=_("Merge into customer number"), min_value=1, max_value=2**62)


class AgentForm(Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"), queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["username"].disabled = True
            self.fields["username"].required = False
            self.fields["password"].label = _("New password (leave empty to keep)")
        else:
            self.fields["password"].required = True


class TeamEditForm(Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ProfileForm(Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)


class TokenForm(Form):
    name = forms.CharField(label=_("Token name"), max_length=100)


class InboxForm(Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.CharField(
        label=_("Address"),
        max_length=320,
        help_text=_("The address customers write to, e.g. support@example.com."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("No team")
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=InboxLanguage.choices, initial=InboxLanguage.INDONESIAN
    )
    signature = forms.CharField(
        label=_("Signature"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    # The acknowledgement (docs/acknowledgement.md): on for a new inbox.
    ack_enabled = forms.BooleanField(
        label=_("Send an acknowledgement when a customer opens a ticket"), required=False, initial=True
    )
    ack_how_id = forms.CharField(
        label=_("How we work (Indonesian)"),
        required=False,
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Two sentences on how the team works and what happens next. Empty: the built-in text."),
    )
    ack_how_en = forms.CharField(
        label=_("How we work (English)"),
        required=False,
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Two sentences on how the team works and what happens next. Empty: the built-in text."),
    )
    ACK_FIELDS = ("ack_enabled", "ack_how_id", "ack_how_en")
