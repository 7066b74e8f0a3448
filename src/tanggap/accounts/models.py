"""Agents (users), teams and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")
    TRAINEE = "trainee", _("Trainee")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """An agent of the support team. Customers are not users; they live in ``customers``."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(_("display name"), max_length=150, blank=True, default="")
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    teams = models.ManyToManyField(Team, related_name="members", blank=True, verbose_name=_("teams"))

    class Meta:
        ordering = ["username"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_of(self.display_name, self.first_name, self.last_name, self.username)

    @staticmethod
    def label_of(display_name: str, first_name: str, last_name: str, username: str) -> str:
        """How an agent is named on screen, from the columns alone (lists read values, not objects)."""
        return display_name or f"{first_name} {last_name}".strip() or username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Presence(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


# Channels an agent's capacity is set for; a channel missing from ``capacity`` is one they do not work.
CAPACITY_CHANNELS = ("email", "web", "chat", "phone", "sms", "whatsapp", "social", "api")
MAX_CAPACITY = 200
MAX_SKILLS = 30


def default_capacity() -> dict[str, int]:
    """A new agent's capacity: a working e-mail and web-form load, no live channels until a lead sets them."""
    return {"email": 10, "web": 10, "api": 10}


class Availability(models.Model):
    """An agent's presence and what they can take: the routing's view of a person.

    ``status`` is set by hand (the toggle) or by activity: an online agent idle longer than the timeout
    turns *away* with ``idle`` set, and comes back online at their next request; away set by hand stays
    until they change it. ``capacity`` is the most open tickets per channel (``{"email": 10, "chat": 3}``).
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="availability")
    status = models.CharField(_("presence"), max_length=8, choices=Presence.choices, default=Presence.OFFLINE)
    idle = models.BooleanField(default=False)  # away because idle, not by hand
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    capacity = models.JSONField(_("capacity per channel"), default=default_capacity)
    languages = models.JSONField(_("languages written"), default=list, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)

    class Meta:
        verbose_name = _("availability")
        verbose_name_plural = _("availabilities")
        indexes = [models.Index(fields=["status", "last_activity_at"], name="availability_status_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.status}"
