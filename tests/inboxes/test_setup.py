"""Setting up inboxes: an address stored once in lower case, and only admins create inboxes."""

from __future__ import annotations

import pytest

from tanggap.core.errors import ApplicationError, ErrorCode, PermissionDenied
from tanggap.core.models import AuditEntry
from tanggap.inboxes.setup import inbox_create

pytestmark = pytest.mark.django_db


def test_inbox_address_is_stored_lower_case_and_unique(inbox):
    assert inbox.address == "support@tanggap.test"
    with pytest.raises(ApplicationError) as exc:
        inbox_create(actor=None, name="Other", address="SUPPORT@tanggap.test")
    assert exc.value.code == ErrorCode.CONFLICT
    with pytest.raises(ApplicationError) as exc:
        inbox_create(actor=None, name="support", address="x@tanggap.test")
    assert exc.value.code == ErrorCode.CONFLICT
    with pytest.raises(ApplicationError) as exc:
        inbox_create(actor=None, name="Broken", address="not an address")
    assert exc.value.code == ErrorCode.INVALID_INPUT
    assert AuditEntry.objects.filter(action="inbox.created", object_id=str(inbox.pk)).exists()


def test_only_admins_create_inboxes(admin, agent):
    with pytest.raises(PermissionDenied):
        inbox_create(actor=agent, name="Sales", address="sales@tanggap.test")
    assert inbox_create(actor=admin, name="Sales", address="sales@tanggap.test").pk
