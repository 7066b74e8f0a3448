"""The stored figures the dashboards read: one row per ticket, kept in step with the ticket by the
clock sweep (``services.figures_refresh``) and removed with it (``ON DELETE CASCADE``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketFigure(models.Model):
    """A ticket's wall-clock response and resolution times, the bucket of each (``stats.bucket_of``,
    so medians and p90s are counted in SQL), whether its clocks met their targets, and the
    dimensions the dashboards group by. ``day``, ``weekend`` and ``in_hours`` are about when the
    ticket was created, in the installation's time zone and the team's business hours."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    created_at = models.DateTimeField()
    day = models.DateField()
    weekend = models.BooleanField()
    in_hours = models.BooleanField()
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    inbox = models.ForeignKey(
        "inboxes.Inbox", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=16)
    first_response_seconds = models.PositiveIntegerField(null=True)
    first_response_bucket = models.PositiveSmallIntegerField(null=True)
    # None: no first response yet, or no first-response target; else whether the target was met.
    first_response_met = models.BooleanField(null=True)
    resolution_seconds = models.PositiveIntegerField(null=True)
    resolution_bucket = models.PositiveSmallIntegerField(null=True)
    resolution_met = models.BooleanField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket figure")
        verbose_name_plural = _("ticket figures")
        indexes = [
            # Every dashboard query is a day range, for everyone or for one agent. The first index holds
            # every column the grouped queries read, so they scan it alone, in day order.
            models.Index(
                fields=[
                    "day",
                    "agent",
                    "team",
                    "inbox",
                    "channel",
                    "weekend",
                    "in_hours",
                    "first_response_bucket",
                    "first_response_met",
                    "resolution_bucket",
                    "resolution_met",
                ],
                name="figure_day_idx",
            ),
            models.Index(fields=["agent", "day"], name="figure_agent_day_idx"),
        ]

    def __str__(self) -> str:
        return f"figures of #{self.ticket_id}"
