"""Forms of the webhooks admin pages: they parse input; the services validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tanggap.webhooks.services import WEBHOOK_EVENTS
from tanggap.webhooks.validation import MAX_URL, validate_webhook_url

EVENT_LABELS = {
    "ticket.created": _("A ticket is created"),
    "message.received": _("A customer message arrives"),
    "reply.sent": _("An agent replies"),
    "note.added": _("An internal note is added"),
    "ticket.status_changed": _("A ticket's status changes"),
    "ticket.assigned": _("A ticket is assigned"),
    "ticket.updated": _("A ticket's subject, priority or tags change"),
    "ticket.merged": _("Tickets are merged"),
}


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("URL"),
        max_length=MAX_URL,
        validators=[validate_webhook_url],
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/tanggap"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, f"{EVENT_LABELS.get(name, name)} ({name})") for name in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
