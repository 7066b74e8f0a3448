"""Customers and the identities through which they reach us."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("e-mail domain"), max_length=200, blank=True, default="", db_index=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


def normalise_tier(value: str) -> str:
    """A customer tier as stored and as policies name it: spaces collapsed, lower case, at most 32
    characters ("VIP " and "vip" are one tier)."""
    return " ".join(str(value).split()).lower()[:32]


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    # A service level the team gives this customer ("vip", "gold"…): response-target policies can be
    # chosen by it (``sla.models.Policy.tiers``). Empty: none.
    tier = models.CharField(_("tier"), max_length=32, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A merged customer keeps its row (old links still resolve) and points at the survivor.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    HANDLE = "handle", _("Chat or social handle")


class BounceSeverity(models.TextChoices):
    NONE = "", _("None")
    HARD = "hard", _("Hard: the address does not work")
    SOFT = "soft", _("Soft: delivery failed for now")


class Identity(models.Model):
    """One way to reach a customer. ``value`` is normalised (lower-cased e-mail, E.164 phone,
    ``network:handle``) so the same person is found whichever channel they use."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The last delivery failure reported for this address (e-mail bounces): "hard" means the address
    # itself is unusable (unknown user, no such domain), "soft" that it may work again.
    bounce_severity = models.CharField(
        _("bounce"), max_length=8, choices=BounceSeverity.choices, blank=True, default=""
    )
    bounce_reason = models.CharField(_("bounce reason"), max_length=32, blank=True, default="")
    bounce_detail = models.CharField(max_length=500, blank=True, default="")
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_kind_value_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
