"""Reading routing: a team's settings, and who is available with how much work (the team's board)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tanggap.accounts.models import Availability, Presence, User, default_capacity
from tanggap.accounts.permissions import can_for_team
from tanggap.routing.models import AgentSlot, TeamRouting

MANAGE_ACTION = "routing.manage"


def routing_can_manage(user: Any, team_id: int) -> bool:
    """Whether ``user`` may change how ``team_id`` routes: an admin, any team; a supervisor, their own."""
    return can_for_team(user, MANAGE_ACTION, team_id)


def team_routing(team_id: int) -> TeamRouting:
    """The team's routing settings (unsaved defaults, switched off, when it has none)."""
    return TeamRouting.objects.filter(team_id=team_id).first() or TeamRouting(team_id=team_id)


@dataclass(frozen=True, slots=True)
class AgentBoardRow:
    user_id: int
    name: str
    status: str
    idle: bool
    since: datetime | None
    loads: dict[str, int]
    capacity: dict[str, int]
    languages: list[str]
    skills: list[str]

    @property
    def work(self) -> list[tuple[str, int, int]]:
        """(channel label, open tickets, capacity) for each channel the agent works."""
        from tanggap.tickets.models import Channel

        labels = dict(Channel.choices)
        return [(str(labels.get(c, c)), self.loads.get(c, 0), n) for c, n in self.capacity.items() if n]


def team_board(*, user: Any, team_id: int) -> list[AgentBoardRow]:
    """The team's agents with presence, open work and capacity (for those who may manage its routing)."""
    from tanggap.core.errors import PermissionDenied

    if not routing_can_manage(user, team_id):
        raise PermissionDenied(action=MANAGE_ACTION)
    members = User.objects.filter(teams=team_id, is_active=True).order_by("username")
    availability = {a.user_id: a for a in Availability.objects.filter(user__in=members)}
    loads: dict[int, dict[str, int]] = {}
    for user_id, channel, load in AgentSlot.objects.filter(user__in=members).values_list(
        "user_id", "channel", "load"
    ):
        loads.setdefault(user_id, {})[channel] = load
    rows = []
    for member in members:
        row = availability.get(member.pk)
        rows.append(
            AgentBoardRow(
                user_id=member.pk,
                name=member.label,
                status=row.status if row else Presence.OFFLINE,
                idle=bool(row and row.idle),
                since=row.status_changed_at if row else None,
                loads=loads.get(member.pk) or {},
                capacity=(row.capacity or {}) if row else default_capacity(),
                languages=(row.languages if row else []) or [],
                skills=(row.skills if row else []) or [],
            )
        )
    return rows
