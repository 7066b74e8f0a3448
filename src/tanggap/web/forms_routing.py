"""Forms of the routing pages: a team's routing settings and what an agent can take."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.models import CAPACITY_CHANNELS, MAX_CAPACITY
from tanggap.routing.models import StrategyChoice
from tanggap.routing.services import MAX_REBALANCE_MINUTES
from tanggap.tickets.models import Channel


class TeamRoutingForm(forms.Form):
    enabled = forms.BooleanField(label=_("Assign new tickets automatically"), required=False)
    strategy = forms.ChoiceField(
        label=_("Strategy"),
        choices=StrategyChoice.choices,
        help_text=_(
            "Least loaded: the available agent with the least open work for their capacity. "
            "Round robin: each available agent in turn."
        ),
    )
    sticky = forms.BooleanField(
        label=_("Keep customers with their previous agent"),
        required=False,
        help_text=_("When the agent who had the customer's last ticket is online and has room."),
    )
    rebalance_minutes = forms.IntegerField(
        label=_("Reassign unanswered tickets after (minutes)"),
        min_value=1,
        max_value=MAX_REBALANCE_MINUTES,
        required=False,
        help_text=_("Empty: a ticket stays with its agent however long the customer waits."),
    )
    lane_tiers = forms.CharField(
        label=_("Priority lane: customer tiers served first"),
        max_length=400,
        required=False,
        help_text=_("Comma-separated, e.g. vip, gold. Their tickets go first when agents have room."),
    )

    angry_first = forms.BooleanField(
        label=_("Angry customers first"),
        required=False,
        help_text=_(
            "Waiting tickets whose customer's latest message reads at least this angry go out first, "
            "before the priority lane."
        ),
    )
    angry_threshold = forms.IntegerField(
        label=_("Anger from which a customer goes first (%)"),
        min_value=1,
        max_value=100,
        initial=60,
        required=False,
        help_text=_("How angry assist read the customer's latest message, from 1 to 100 percent."),
    )

    def clean_lane_tiers(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["lane_tiers"].split(",") if t.strip()]


def _channel_label(code: str) -> Any:
    return dict(Channel.choices).get(code, code)


class AvailabilityForm(forms.Form):
    languages = forms.MultipleChoiceField(
        label=_("Languages written"),
        choices=[("id", _("Indonesian")), ("en", _("English"))],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    skills = forms.CharField(
        label=_("Skills"),
        max_length=2000,
        required=False,
        help_text=_("Comma-separated; a ticket tagged with a skill goes to the agents who have it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for channel in CAPACITY_CHANNELS:
            self.fields[f"capacity_{channel}"] = forms.IntegerField(
                label=_channel_label(channel), min_value=0, max_value=MAX_CAPACITY, required=False
            )

    def capacity_fields(self) -> list[Any]:
        return [self[f"capacity_{channel}"] for channel in CAPACITY_CHANNELS]

    def clean_skills(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["skills"].replace(";", ",").split(",") if t.strip()]

    def capacity(self) -> dict[str, int]:
        return {c: self.cleaned_data.get(f"capacity_{c}") or 0 for c in CAPACITY_CHANNELS}
