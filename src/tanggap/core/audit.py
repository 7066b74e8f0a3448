"""Write audit rows. Called by services inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db import models
from django.utils import timezone

from tanggap.core.bulk import insert_rows
from tanggap.core.models import AuditEntry


class Entry(NamedTuple):
    """One action's audit row, not yet written: ``audit_record_many`` writes many at once."""

    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    data: dict[str, Any]


def audit_entry(
    *, actor: Any, action: str, target: models.Model, data: dict[str, Any] | None = None
) -> Entry:
    """The audit row of one action, as plain values (a batch writes many with ``audit_record_many``)."""
    return Entry(
        getattr(actor, "pk", None) or None, action, target._meta.label_lower, str(target.pk), data or {}
    )


def audit_record(
    *, actor: Any, action: str, target: models.Model, data: dict[str, Any] | None = None
) -> None:
    entry = audit_entry(actor=actor, action=action, target=target, data=data)
    AuditEntry.objects.create(**entry._asdict())


def audit_record_many(entries: Iterable[Entry]) -> None:
    """Write many rows of ``audit_entry`` in one statement, all stamped now (a batch of received
    messages): plain values, no model object per row."""
    now = timezone.now()
    insert_rows(AuditEntry, ("created_at", *Entry._fields), [(now, *entry) for entry in entries])
