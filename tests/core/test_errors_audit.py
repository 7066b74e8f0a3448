"""Application errors and the audit log."""

from __future__ import annotations

import pytest
from django.utils import translation

from tanggap.core.audit import audit_record
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound, PermissionDenied
from tanggap.core.models import AuditEntry


@pytest.mark.parametrize(
    "error,code,status",
    [
        (NotFound(object="ticket"), "not_found", 404),
        (PermissionDenied(action="ticket.merge"), "permission_denied", 403),
        (InvalidInput(field="text"), "invalid_input", 422),
        (ApplicationError(ErrorCode.INVALID_TRANSITION), "invalid_transition", 409),
        (ApplicationError(ErrorCode.CONFLICT), "conflict", 409),
        (ApplicationError(ErrorCode.TOO_LARGE), "too_large", 413),
        (ApplicationError(ErrorCode.RATE_LIMITED), "rate_limited", 429),
        (ApplicationError(ErrorCode.NOT_AUTHENTICATED), "not_authenticated", 401),
    ],
)
def test_errors_have_codes_and_statuses(error, code, status):
    assert error.code == code and error.status == status
    body = error.as_dict()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["error"]["details"] == error.details


def test_messages_are_translated_when_shown_but_codes_are_not():
    error = NotFound()
    with translation.override("en"):
        english = error.as_dict()["error"]
    assert english["code"] == "not_found"
    assert english["message"] == "Not found."
    assert (
        InvalidInput("the message is empty", field="text").as_dict()["error"]["message"]
        == "the message is empty"
    )


@pytest.mark.django_db
def test_audit_record(make_agent):
    user = make_agent()
    audit_record(actor=user, action="agent.updated", target=user, data={"role": True})
    audit_record(actor=None, action="message.received", target=user)
    first, second = AuditEntry.objects.exclude(action="agent.created").order_by("id")
    assert (first.actor, first.action, first.object_type, first.object_id, first.data) == (
        user,
        "agent.updated",
        "accounts.user",
        str(user.pk),
        {"role": True},
    )
    assert (second.actor, second.data) == (None, {})
