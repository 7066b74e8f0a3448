"""Macros: the team's written procedures as canned replies (Indonesian and English) with actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_NAME = 100
MAX_BODY = 10_000
MAX_TAGS = 10


class Macro(models.Model):
    """A canned reply with its actions. ``team`` None is everyone's; otherwise only that team's
    members (and leads) see and use it. The actions are explicit columns, each checked by the
    service: set a status, set a priority, add and remove tags, assign to the agent applying it."""

    name = models.CharField(_("name"), max_length=MAX_NAME)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        verbose_name=_("team"),
    )
    body_id = models.TextField(_("Indonesian text"), blank=True, default="")
    body_en = models.TextField(_("English text"), blank=True, default="")
    set_status = models.CharField(_("set status"), max_length=16, blank=True, default="")
    set_priority = models.PositiveSmallIntegerField(_("set priority"), null=True, blank=True)
    add_tags = models.JSONField(_("add tags"), default=list, blank=True)
    remove_tags = models.JSONField(_("remove tags"), default=list, blank=True)
    assign_to_self = models.BooleanField(_("assign to the agent applying it"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        indexes = [models.Index(fields=["is_active", "position"], name="macro_active_position")]

    def __str__(self) -> str:
        return self.name

    def body(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_id

    @property
    def has_actions(self) -> bool:
        return bool(
            self.set_status or self.set_priority or self.add_tags or self.remove_tags or self.assign_to_self
        )
