"""The ticket status workflow: one table, checked by every path (UI, API, mail, bulk). Pure."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    ON_HOLD = "on_hold"  # waiting on a third party
    SOLVED = "solved"
    CLOSED = "closed"


ACTIVE = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})
# The same list in a fixed order: SQLite uses a partial index only when the query's condition is
# written exactly as the index's, so the queue and the index both use this.
ACTIVE_VALUES = tuple(sorted(s.value for s in ACTIVE))

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),  # open again = reopen
    # Closed is final: a customer writing again starts a follow-up ticket.
    Status.CLOSED: frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def allowed_targets(current: str) -> list[Status]:
    return sorted(TRANSITIONS[Status(current)], key=list(Status).index)


def status_after_customer_message(current: str) -> Status:
    """A customer writing reopens a ticket that was waiting on them or solved."""
    status = Status(current)
    if status in {Status.PENDING, Status.SOLVED}:
        return Status.OPEN
    return status
