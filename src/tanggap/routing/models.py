"""How each team routes its tickets, and each agent's load as routing sees it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanggap.routing.choose import Strategy


class StrategyChoice(models.TextChoices):
    LEAST_LOADED = Strategy.LEAST_LOADED.value, _("Least loaded")
    ROUND_ROBIN = Strategy.ROUND_ROBIN.value, _("Round robin")


class TeamRouting(models.Model):
    """A team's routing settings. Without a row, or switched off, the team's tickets wait in its queue
    for an agent to take them (the behaviour before routing)."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, primary_key=True, related_name="routing"
    )
    enabled = models.BooleanField(_("assign tickets automatically"), default=False)
    strategy = models.CharField(
        _("strategy"), max_length=16, choices=StrategyChoice.choices, default=StrategyChoice.LEAST_LOADED
    )
    sticky = models.BooleanField(_("keep customers with their previous agent"), default=True)
    # A ticket whose customer has waited this long without an answer goes to another available agent;
    # null: never taken away.
    rebalance_minutes = models.PositiveIntegerField(
        _("reassign unanswered tickets after (minutes)"), null=True, blank=True
    )
    # Customer tiers whose tickets go first when agents become free (the priority lane), e.g. ["vip"].
    lane_tiers = models.JSONField(_("priority lane tiers"), default=list, blank=True)
    # Angry customers first: waiting tickets whose customer's latest message reads at least this angry
    # (``Ticket.anger``, 0..1, as assist read it) go out before the priority lane (``choose.queue_order``).
    angry_first = models.BooleanField(_("angry customers first"), default=False)
    angry_threshold = models.FloatField(_("anger from which a customer goes first"), default=0.6)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("team routing")
        verbose_name_plural = _("team routing")

    def __str__(self) -> str:
        return f"routing of team {self.team_id}"


class AgentLoad(models.Model):
    """Routing's working copy of one agent: their open work weighted by priority, when routing last
    gave them a ticket, and the languages and skills to match (as ``,en,id,`` so one SQL ``LIKE``
    matches a whole item). Routing locks this row while it gives the agent a ticket, and counts the
    agent's open tickets again under the lock, so two workers never push them over capacity; outside
    the lock these figures only order the candidates. Counted again from the tickets and the agent's
    ``Availability`` whenever either changes, and every minute."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="routing_load"
    )
    # A copy of "online and active" (``accounts.Availability``), so the decision's query reads one row
    # per agent; giving a ticket checks the agent's presence itself under the lock.
    online = models.BooleanField(default=False)
    weighted = models.FloatField(
        default=0.0
    )  # open tickets weighted by priority (``choose.PRIORITY_WEIGHT``)
    last_assigned = models.BigIntegerField(null=True, blank=True)  # microseconds since the epoch
    languages = models.CharField(max_length=64, blank=True, default="")
    skills = models.TextField(blank=True, default="")
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent load")
        verbose_name_plural = _("agent loads")

    def __str__(self) -> str:
        return f"load of agent {self.user_id}"


class AgentSlot(models.Model):
    """One channel an agent works: its capacity (from their ``Availability``) and their open tickets
    of that channel. The decision reads these plain columns in SQL, so it costs the same with 5 or
    500 agents."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_slots")
    channel = models.CharField(max_length=16)
    capacity = models.PositiveIntegerField()
    load = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("agent slot")
        verbose_name_plural = _("agent slots")
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="agentslot_user_channel_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel} of agent {self.user_id}: {self.load}/{self.capacity}"
