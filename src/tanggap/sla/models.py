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
    # What assist read in the customer's messages (the ticket's columns): any one of the intents found
    # so far, the latest message's sentiment, and its anger (0..1) at least this much.
    intents = models.JSONField(_("intents"), default=list, blank=True)
    sentiments = models.JSONField(_("sentiments"), default=list, blank=True)
    min_anger = models.FloatField(_("at least this angry"), null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"), null=True, blank=True)
    # Warned at ``warn_percent`` of a target: the assignee (the team's on-call agent or supervisor when
    # nobody is assigned); at ``escalate_percent``: the team's supervisor as well; at the breach both,
    # and the breach actions below run.
    warn_percent = models.PositiveSmallIntegerField(_("warn at (% of the target)"), default=75)
    escalate_percent = models.PositiveSmallIntegerField(
        _("warn the supervisor at (% of the target)"), default=90
    )
    breach_priority = models.PositiveSmallIntegerField(
        _("on breach, raise the priority to"), null=True, blank=True
    )
    breach_team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("on breach, move to team"),
    )
    breach_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("on breach, assign to"),
    )
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
    # Alerts not sent yet ([kind, level, at, cycle] each, in time order) and the first one's instant:
    # the sweep reads the rows whose ``alert_at`` has come, sends and records them (``ClockAlert``).
    alerts = models.JSONField(default=list, blank=True)
    alert_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    breached = models.JSONField(default=list, blank=True)  # kinds ("first_response", …) that breached
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket clock")
        verbose_name_plural = _("ticket clocks")
        indexes = [
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="ticketclock_due_idx"),
            models.Index(fields=["warn_at"], condition=Q(warn_at__isnull=False), name="ticketclock_warn_idx"),
            models.Index(
                fields=["alert_at"], condition=Q(alert_at__isnull=False), name="ticketclock_alert_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"clocks of #{self.ticket_id}"


class AlertLevel(models.TextChoices):
    WARNING = "warning", _("Warning")
    ESCALATION = "escalation", _("Escalation")
    BREACH = "breach", _("Breach")


class ClockAlert(models.Model):
    """An alert the sweep sent about one clock of a ticket: the record that it was sent (one per
    clock cycle and level, so a sweep run twice sends nothing twice) and what each recipient sees."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)  # targets.Kind
    level = models.CharField(max_length=16, choices=AlertLevel.choices)
    # The clock's start: a next-response clock starts again at each customer message after a reply.
    cycle = models.DateTimeField()
    due_at = models.DateTimeField()  # when the target runs (or ran) out, as the alert was sent
    sent_at = models.DateTimeField(db_index=True)
    actions = models.JSONField(default=list, blank=True)  # breach actions taken (codes)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("clock alert")
        verbose_name_plural = _("clock alerts")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind", "level", "cycle"], name="clockalert_once")
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.kind} on #{self.ticket_id}"


class AlertDelivery(models.Model):
    """One agent's copy of a ``ClockAlert`` (the bell in the agent workspace). An alert nobody could be
    told about has a copy for every admin, with ``unrouted`` set."""

    alert = models.ForeignKey(ClockAlert, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    unrouted = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="alertdelivery_once")]
        indexes = [
            models.Index(fields=["user", "alert"], condition=Q(read_at__isnull=True), name="alert_unread_idx")
        ]

    def __str__(self) -> str:
        return f"alert {self.alert_id} to {self.user_id}"


class RosterShift(models.Model):
    """An agent planned to cover a team's evening, night, weekend or holiday hours: warnings about the
    team's unassigned tickets go to whoever is on shift, and the roster page shows the gaps."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("roster shift")
        verbose_name_plural = _("roster shifts")
        indexes = [models.Index(fields=["team", "ends_at"], name="rostershift_team_end_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="rostershift_order")
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} on team {self.team_id} {self.starts_at:%Y-%m-%d %H:%M}"
