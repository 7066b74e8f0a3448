"""Which off-hours a team's roster covers: pure code over instants and shifts (no Django).

The hours to cover come from ``clock.closed_intervals`` (evenings, nights, weekends, holidays); each
is cut where a shift starts or ends, and every piece says who is on shift then (nobody: a gap).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Piece:
    start: datetime
    end: datetime
    agents: tuple[int, ...]  # on shift for the whole piece, by id; empty: nobody (a gap)

    @property
    def covered(self) -> bool:
        return bool(self.agents)

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def coverage(
    off_hours: Sequence[tuple[datetime, datetime]], shifts: Sequence[tuple[datetime, datetime, int]]
) -> list[Piece]:
    """``off_hours`` (in order, not overlapping) cut into pieces by the ``shifts`` ``(start, end,
    agent_id)`` that overlap them; neighbouring pieces with the same agents are joined."""
    out: list[Piece] = []
    for start, end in off_hours:
        if end <= start:
            continue
        cuts = {start, end}
        for s_start, s_end, _agent in shifts:
            if s_start < end and s_end > start:
                cuts.update(moment for moment in (s_start, s_end) if start < moment < end)
        points = sorted(cuts)
        for lo, hi in itertools.pairwise(points):
            agents = tuple(
                sorted({agent for s_start, s_end, agent in shifts if s_start <= lo and s_end >= hi})
            )
            if out and out[-1].end == lo and out[-1].agents == agents:
                out[-1] = Piece(out[-1].start, hi, agents)
            else:
                out.append(Piece(lo, hi, agents))
    return out


def gaps(pieces: Sequence[Piece]) -> list[Piece]:
    """The pieces nobody covers."""
    return [piece for piece in pieces if not piece.covered]
