"""Where a reply goes: each channel's outbound adapter registers here and is handed the reply inside
the transaction that writes it.

The adapter writes its own durable row (an outbox row: the e-mail to send, the message to post) in
that same transaction, so a reply is never committed without the work that delivers it, and a crash
after the commit loses nothing. Adapters live in the contexts above ``tickets`` (``inboxes``, later the
chat and messaging channels) and register when their app is ready; ``tickets`` never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tanggap.tickets.models import Message

Sender = Callable[["Message"], None]
_senders: dict[str, Sender] = {}


def register(channel: str, sender: Sender) -> None:
    """Deliver replies on tickets of ``channel`` with ``sender(message)`` (called inside the reply's
    transaction; it queues the delivery and sets ``message.delivery_status``, it never sends)."""
    _senders[channel] = sender


def unregister(channel: str) -> None:
    _senders.pop(channel, None)


def sender_for(channel: str) -> Sender | None:
    return _senders.get(channel)
