"""A small after-commit event registry.

Services call ``publish`` inside their transaction; subscribers run only once the transaction has
committed, so no one ever reacts to a write that was rolled back. Subscribers must be quick: slow work
belongs in a task the subscriber enqueues.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

TICKET_CREATED = "ticket.created"
MESSAGE_RECEIVED = "message.received"
REPLY_SENT = "reply.sent"
NOTE_ADDED = "note.added"
TICKET_STATUS_CHANGED = "ticket.status_changed"
TICKET_ASSIGNED = "ticket.assigned"
TICKET_UPDATED = "ticket.updated"
TICKET_MERGED = "ticket.merged"
CUSTOMER_MERGED = "customer.merged"
# Assist read a customer message (language, sentiment, anger, intents): triggers can act on it.
MESSAGE_CLASSIFIED = "message.classified"
# Not in ALL_EVENTS (not a ticket event for webhooks): an agent's presence or capacity changed.
AGENT_PRESENCE_CHANGED = "agent.presence_changed"

ALL_EVENTS = (
    TICKET_CREATED,
    MESSAGE_RECEIVED,
    REPLY_SENT,
    NOTE_ADDED,
    TICKET_STATUS_CHANGED,
    TICKET_ASSIGNED,
    TICKET_UPDATED,
    TICKET_MERGED,
    CUSTOMER_MERGED,
)


def subscribe(*names: str) -> Callable[[Handler], Handler]:
    """Register ``handler(name, payload)`` for the given event names (``"*"`` for all)."""

    def decorator(handler: Handler) -> Handler:
        for name in names:
            if handler not in _handlers[name]:
                _handlers[name].append(handler)
        return handler

    return decorator


def unsubscribe(handler: Handler, *names: str) -> None:
    """Remove ``handler`` from the given event names (from every name when none are given)."""
    for name in names or tuple(_handlers):
        if handler in _handlers.get(name, ()):
            _handlers[name].remove(handler)


def publish(name: str, payload: dict[str, Any]) -> None:
    """Deliver ``payload`` to subscribers after the current transaction commits."""
    transaction.on_commit(lambda: _dispatch(name, payload), robust=False)


def _dispatch(name: str, payload: dict[str, Any]) -> None:
    for handler in [*_handlers.get(name, ()), *_handlers.get("*", ())]:
        try:
            handler(name, payload)
        except Exception:
            # One broken subscriber must not stop the others; the write has already committed.
            logger.exception("event subscriber %s failed for %s", getattr(handler, "__name__", handler), name)
