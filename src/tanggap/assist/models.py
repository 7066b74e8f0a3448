"""What assist read in each customer message, and the team's service-recovery policy and the
offers made under it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageSignals(models.Model):
    """Language, sentiment, emotion (with the anger score), intents and questions of one customer
    message, with the version of the models that read it."""

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, primary_key=True, related_name="signals"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+", db_index=False)
    language = models.CharField(_("language"), max_length=8)
    sentiment = models.CharField(_("sentiment"), max_length=8)
    sentiment_scores = models.JSONField(default=dict)
    emotion = models.CharField(_("emotion"), max_length=8)
    emotion_scores = models.JSONField(default=dict)
    anger = models.FloatField(_("anger"))
    intents = models.JSONField(_("intents"), default=list)
    questions = models.JSONField(_("questions"), default=list)  # [{"text", "start", "end"}]
    model_version = models.CharField(max_length=16)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("message signals")
        verbose_name_plural = _("message signals")
        indexes = [models.Index(fields=["ticket", "message"], name="signals_ticket_idx")]

    def __str__(self) -> str:
        return f"signals of message {self.message_id}"


# ---------------------------------------------------------------- service recovery (docs/recovery.md)

MAX_FAILURE_TYPE = 40
MAX_LABEL = 200
MAX_AMOUNT = 1_000_000_000


# The failure types with a name on screen; a lead may add others (any slug), shown as written.
FAILURE_TYPES: dict[str, Any] = {  # slug -> lazily translated name
    "late_delivery": _("late delivery"),
    "damaged_item": _("damaged item"),
    "wrong_item": _("wrong item"),
    "billing_error": _("billing error"),
    "outage": _("outage"),
    "staff_error": _("staff error"),
}


class RecoveryKind(models.TextChoices):
    VOUCHER = "voucher", _("Voucher")
    CREDIT = "credit", _("Account credit")
    REFUND_SHIPPING = "refund_shipping", _("Shipping refund")
    OTHER = "other", _("Other")


class RecoveryPolicy(models.Model):
    """What the team offers a customer after one kind of real failure (a late delivery, a damaged
    item …): a voucher, credit or refund of a set amount, worded for the customer in both languages.
    ``team`` None is the workspace default, used by teams that have no row of their own for that
    failure type. Set by admins (any team) and supervisors (their own teams)."""

    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="recovery_policies",
        verbose_name=_("team"),
    )
    failure_type = models.SlugField(_("failure type"), max_length=MAX_FAILURE_TYPE)
    label_id = models.CharField(_("Indonesian wording"), max_length=MAX_LABEL, blank=True, default="")
    label_en = models.CharField(_("English wording"), max_length=MAX_LABEL, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=16, choices=RecoveryKind.choices)
    amount = models.PositiveIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="IDR")
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["position", "failure_type", "id"]
        verbose_name = _("service-recovery policy")
        verbose_name_plural = _("service-recovery policies")
        # One row per failure type for each team, and one workspace default (NULLs are distinct in
        # a plain unique constraint, so the default gets its own).
        constraints = [
            models.UniqueConstraint(
                fields=["team", "failure_type"],
                condition=models.Q(team__isnull=False),
                name="recovery_policy_team_type",
            ),
            models.UniqueConstraint(
                fields=["failure_type"],
                condition=models.Q(team__isnull=True),
                name="recovery_policy_default_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.failure_type}: {self.label_en or self.label_id}"

    def label(self, language: str) -> str:
        """The wording in ``language`` ("id"/"en"), else the other one."""
        if language == "en":
            return self.label_en or self.label_id
        return self.label_id or self.label_en


class RecoveryOffer(models.Model):
    """A recovery offer made to a customer on a ticket, as it was offered: the policy's values are
    copied so that changing or deleting the policy later never changes what was offered or counted.
    ``team`` is the ticket's team when the offer was made (reports count it there)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="recovery_offers", db_index=False
    )
    policy = models.ForeignKey(
        RecoveryPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="offers"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    failure_type = models.SlugField(_("failure type"), max_length=MAX_FAILURE_TYPE, db_index=False)
    kind = models.CharField(_("kind"), max_length=16, choices=RecoveryKind.choices)
    amount = models.PositiveIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    label = models.CharField(_("as offered"), max_length=MAX_LABEL)
    language = models.CharField(_("language"), max_length=8)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("recovery offer")
        verbose_name_plural = _("recovery offers")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="recovery_offer_ticket"),
            models.Index(fields=["created_at"], name="recovery_offer_created"),
        ]

    def __str__(self) -> str:
        return f"{self.label} on ticket {self.ticket_id}"


# ---------------------------------------------------------------- the coach on sent replies (docs/assist.md)

MAX_OUTCOME_QUOTE = 500


class CoachOutcome(models.Model):
    """What became of one coach finding on a reply an agent sent: its suggestion used, set aside by
    the agent ("Ignore" / "It is answered"), or sent with the wording or the question still flagged.
    Set-aside findings are the agents' own count of the coach's false alarms, and set-aside
    questions their judgement of what the thoroughness rule missed."""

    class Outcome(models.TextChoices):
        USED = "used", _("Suggestion used")
        SET_ASIDE = "set_aside", _("Set aside")
        SENT = "sent", _("Sent as flagged")

    message = models.ForeignKey("tickets.Message", on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+", db_index=False)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    rule = models.CharField(_("rule"), max_length=16)
    code = models.CharField(_("finding"), max_length=64, blank=True)
    quote = models.CharField(_("words"), max_length=MAX_OUTCOME_QUOTE, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    situation = models.CharField(_("situation"), max_length=12, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("coach outcome")
        verbose_name_plural = _("coach outcomes")
        indexes = [models.Index(fields=["created_at"], name="coach_outcome_created")]

    def __str__(self) -> str:
        return f"{self.rule} {self.outcome} on message {self.message_id}"
