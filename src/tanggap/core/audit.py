"""Write audit rows. Called by services inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from tanggap.core.bulk import insert_many
from tanggap.core.models import AuditEntry


def audit_entry(
    *, actor: Any, action: str, target: models.Model, data: dict[str, Any] | None = None
) -> AuditEntry:
    """The unsaved audit row of one action (``audit_record`` saves it; batches save many at once)."""
    return AuditEntry(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        data=data or {},
    )


def audit_record(
    *, actor: Any, action: str, target: models.Model, data: dict[str, Any] | None = None
) -> None:
    audit_entry(actor=actor, action=action, target=target, data=data).save()


def audit_record_many(entries: Iterable[AuditEntry]) -> None:
    """Save many rows of ``audit_entry`` in one statement (a batch of received messages)."""
    insert_many(list(entries))
