"""Triggers (an event, conditions and actions, tried in order) and the notices they leave for agents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TriggerEvent(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("A ticket is created")
    MESSAGE_RECEIVED = "message_received", _("The customer writes again on a ticket")
    TICKET_UPDATED = "ticket_updated", _("A ticket's priority, tags or language change")
    STATUS_CHANGED = "status_changed", _("A ticket's status changes")
    ASSIGNED = "assigned", _("A ticket is assigned or moved to a team")
    MESSAGE_CLASSIFIED = "message_classified", _("Assist read a customer message")


class Trigger(models.Model):
    """When ``event`` happens to a ticket and all ``conditions`` hold, run ``actions`` (rules.py)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    event = models.CharField(_("event"), max_length=32, choices=TriggerEvent.choices)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_fired_at = models.DateTimeField(_("last fired"), null=True, blank=True)
    fire_count = models.PositiveIntegerField(_("times fired"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        indexes = [
            models.Index(
                fields=["event", "position", "id"],
                condition=Q(is_active=True),
                name="trigger_active_event_idx",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TriggerNotice(models.Model):
    """A trigger's "notify" action: a line for one agent about one ticket, shown beside the alert bell."""

    trigger = models.ForeignKey(Trigger, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    trigger_name = models.CharField(max_length=100)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("trigger notice")
        verbose_name_plural = _("trigger notices")
        indexes = [
            models.Index(
                fields=["user", "-created_at"], condition=Q(read_at__isnull=True), name="notice_unread_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.trigger_name} → {self.user_id} #{self.ticket_id}"
