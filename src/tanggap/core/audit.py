"""Write audit rows. Called by services inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from tanggap.core.models import AuditEntry


def audit_record(
    *, actor: Any, action: str, target: models.Model, data: dict[str, Any] | None = None
) -> None:
    AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        data=data or {},
    )
