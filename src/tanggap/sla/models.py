"""Business calendars, response-target policies and where each ticket's clocks stand.

The arithmetic lives in the pure cores (``clock.py``, ``targets.py``); these rows are their inputs
(calendars, policies) and their stored output (``TicketClock``), kept in indexed columns so "due
soon" and "breached" are range scans.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def office_hours() -> dict[str, list[str]]:
    return {str(day): ["08:00-17:00"] for day in range(5)}


class BusinessCalendar(models.Model):
    """A team's weekly hours in its time zone, Indonesia's public holidays (``holidays`` package)
    when ``public_holidays``, the company's own ``days_off`` (ISO dates), or 24/7."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Jakarta")
    # {"0": ["08:00-12:00", "13:00-17:00"], …}: weekday (0 = Monday) to local intervals.
    hours = models.JSONField(_("weekly hours"), default=office_hours, blank=True)
    always_open = models.BooleanField(_("24/7"), default=False)
    public_holidays = models.BooleanField(_("Indonesian public holidays"), default=True)
    days_off = models.JSONField(_("company days off"), default=list, blank=True)
    is_default = models.BooleanField(
        _("default"), default=False
    )  # for tickets of no team or team without one

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="calendar_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TeamCalendar(models.Model):
    """Which calendar a team's clocks run on, and who is warned after the assignee."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, primary_key=True, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="teams")
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("team calendar")
        verbose_name_plural = _("team calendars")

    def __str__(self) -> str:
        return f"team {self.team_id}: {self.calendar}"


class Policy(models.Model):
    """Targets for the tickets its conditions describe; the first active policy by ``position`` wins.
    An empty condition matches every ticket."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    inboxes = models.JSONField(_("inboxes"), default=list, blank=True)  # inbox ids
    tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)  # any one of them
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"), null=True, blank=True)
    warn_percent = models.PositiveSmallIntegerField(_("warn at (% of the target)"), default=75)
    # Waiting on the customer always pauses the clocks; waiting on a third party does when this is set.
    pause_on_hold = models.BooleanField(_("pause while on hold"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("response-target policy")
        verbose_name_plural = _("response-target policies")

    def __str__(self) -> str:
        return self.name


class TicketClock(models.Model):
    """Where a ticket's clocks stood when last worked out (``computed_at``): each target's due instant
    (None: met, paused or no such target), the earliest due instant and warning instant of the
    running clocks (what the sweep and the queue read), and the clocks that breached."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    breached = models.JSONField(default=list, blank=True)  # kinds ("first_response", …) that breached
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket clock")
        verbose_name_plural = _("ticket clocks")
        indexes = [
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="ticketclock_due_idx"),
            models.Index(fields=["warn_at"], condition=Q(warn_at__isnull=False), name="ticketclock_warn_idx"),
        ]

    def __str__(self) -> str:
        return f"clocks of #{self.ticket_id}"


class SweepState(models.Model):
    """When the clock sweep last ran (one row): the next one also looks at every warning and due
    instant that passed since."""

    name = models.CharField(max_length=32, primary_key=True)
    swept_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sweep state")
        verbose_name_plural = _("sweep states")

    def __str__(self) -> str:
        return f"{self.name}: {self.swept_at}"
