"""Assist's writes: reading each customer message after it is stored, off the intake path.

``message_classify`` runs the pure classifiers (``classify.py``) on the customer's own words (the
quoted history trimmed), keeps the signals per message, copies them onto the ticket's plain columns
(``ticket_signals_refresh``: every message's intents, the newest one's tone) and publishes
``MESSAGE_CLASSIFIED`` for triggers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tanggap.assist.classify import Signals, classify, models
from tanggap.assist.models import MessageSignals
from tanggap.core import events
from tanggap.tickets.models import Message, MessageKind, Ticket
from tanggap.tickets.services import ticket_signals_set

logger = logging.getLogger(__name__)

CATCH_UP_WINDOW = timedelta(days=2)  # customer messages this recent without signals are read by the sweep
CATCH_UP_BATCH = 500


def _text_of(message: Message) -> str:
    text = message.visible_text
    if message.ticket.message_count <= 1 or not text.strip():
        # The first message: the subject is part of what the customer said.
        text = f"{message.ticket.subject}\n{text}"
    return text


def message_classify(*, message_id: int, announce: bool = True) -> MessageSignals | None:
    """Read one customer message and store what it says; None for anything else (agents' replies,
    notes, machine mail). Running it again replaces the row with a fresh reading. ``announce`` False
    (a re-reading after the models changed) stores it without publishing ``MESSAGE_CLASSIFIED``, so
    triggers do not act again on old messages."""
    message = (
        Message.objects.select_related("ticket")
        .filter(pk=message_id, kind=MessageKind.CUSTOMER)
        .only(
            "pk",
            "body_text",
            "visible_length",
            "automatic",
            "created_at",
            "ticket__subject",
            "ticket__message_count",
            "ticket__id",
        )
        .first()
    )
    if message is None or message.automatic:
        return None
    signals = classify(_text_of(message))
    with transaction.atomic():
        row, _ = MessageSignals.objects.update_or_create(
            message_id=message.pk, defaults=_row(message, signals)
        )
        ticket_signals_refresh(ticket_id=message.ticket_id)
        if announce:
            events.publish(
                events.MESSAGE_CLASSIFIED,
                {
                    "ticket_id": message.ticket_id,
                    "message_id": message.pk,
                    "sentiment": signals.sentiment,
                    "emotion": signals.emotion,
                    "anger": signals.anger,
                    "intents": signals.intents,
                },
            )
    return row


def ticket_signals_refresh(*, ticket_id: int) -> None:
    """Copy onto the ticket what was read in its customer messages: the intents of all of them, and the
    tone (sentiment, emotion, anger) of the newest one once it is read. Recomputed from the messages'
    rows, so a message read again with other models, or moved here by a merge, counts as it reads now.
    The ticket is locked first: two messages read at once both end up counted."""
    if Ticket.objects.select_for_update().filter(pk=ticket_id).values_list("pk", flat=True).first() is None:
        return
    rows = MessageSignals.objects.filter(message__ticket_id=ticket_id)
    rows.exclude(ticket_id=ticket_id).update(ticket_id=ticket_id)  # moved here by a merge
    intents = sorted({intent for found in rows.values_list("intents", flat=True) for intent in found})
    newest = (
        Message.objects.filter(ticket_id=ticket_id, kind=MessageKind.CUSTOMER, automatic="")
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    tone: Mapping[str, Any] = (
        rows.filter(message_id=newest).values("sentiment", "emotion", "anger").first() if newest else None
    ) or {}
    ticket_signals_set(
        ticket_id=ticket_id,
        intents=intents,
        sentiment=tone.get("sentiment"),
        emotion=tone.get("emotion"),
        anger=tone.get("anger"),
    )


def on_ticket_merged(name: str, payload: dict[str, Any]) -> None:
    """The merged ticket now holds the source's messages, and the source none: both read again."""
    with transaction.atomic():
        for ticket_id in sorted((payload["ticket_id"], payload["source_id"])):
            ticket_signals_refresh(ticket_id=ticket_id)


def _row(message: Message, signals: Signals) -> dict[str, Any]:
    return {
        "ticket_id": message.ticket_id,
        "language": signals.language,
        "sentiment": signals.sentiment,
        "sentiment_scores": signals.sentiment_scores,
        "emotion": signals.emotion,
        "emotion_scores": signals.emotion_scores,
        "anger": signals.anger,
        "intents": signals.intents,
        "questions": [{"text": q.text, "start": q.start, "end": q.end} for q in signals.questions],
        "model_version": models().version,
        "created_at": timezone.now(),
    }


def messages_classify_missed(*, limit: int = CATCH_UP_BATCH) -> int:
    """Read the recent customer messages that have no signals (a lost task, a worker that was down)."""
    since = timezone.now() - CATCH_UP_WINDOW
    ids = list(
        Message.objects.filter(
            kind=MessageKind.CUSTOMER, automatic="", created_at__gte=since, signals__isnull=True
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for message_id in ids:
        try:
            if message_classify(message_id=message_id) is not None:
                done += 1
        except Exception:
            logger.exception("assist could not read message %s", message_id)
    return done


def stale_signals(*, since: datetime | None = None) -> list[int]:
    """The customer messages whose signals came from other models than the shipped ones (after an
    upgrade or ``tanggap assist train``), newest first; those since ``since`` only, when given."""
    rows = MessageSignals.objects.exclude(model_version=models().version)
    if since is not None:
        rows = rows.filter(message__created_at__gte=since)
    return list(rows.order_by("-message__created_at", "-message_id").values_list("message_id", flat=True))


def messages_reclassify(
    message_ids: Iterable[int], *, progress: Callable[[], None] = lambda: None
) -> tuple[int, int]:
    """Read the messages again with the shipped models, without announcing it (no trigger acts again).
    Returns how many were read and how many failed (logged; their old signals stay)."""
    done = failed = 0
    for message_id in message_ids:
        try:
            if message_classify(message_id=message_id, announce=False) is not None:
                done += 1
        except Exception:
            logger.exception("assist could not read message %s again", message_id)
            failed += 1
        progress()
    return done, failed


def on_message_received(name: str, payload: dict[str, Any]) -> None:
    from tanggap.assist.tasks import classify_message_task

    classify_message_task.enqueue(payload["message_id"])
