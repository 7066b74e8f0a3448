"""The after-commit event registry."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from tanggap.core import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def handlers():
    registered = []

    def register(*names):
        def decorator(fn):
            events.subscribe(*names)(fn)
            registered.append(fn)
            return fn

        return decorator

    yield register
    for fn in registered:
        events.unsubscribe(fn)


def test_published_after_commit_only(handlers, django_capture_on_commit_callbacks):
    seen = []

    @handlers(events.TICKET_CREATED)
    def on_created(name, payload):
        seen.append((name, payload))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish(events.TICKET_CREATED, {"ticket_id": 1})
        assert seen == []
    assert seen == [("ticket.created", {"ticket_id": 1})]


def test_not_published_on_rollback(handlers, django_capture_on_commit_callbacks):
    seen = []
    handlers("*")(lambda name, payload: seen.append(name))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish(events.TICKET_CREATED, {"ticket_id": 1})
            raise RuntimeError
        events.publish(events.NOTE_ADDED, {"ticket_id": 2})
    assert len(callbacks) == 1
    assert seen == ["note.added"]


def test_a_failing_subscriber_does_not_stop_the_others(handlers, django_capture_on_commit_callbacks, caplog):
    seen = []

    @handlers(events.REPLY_SENT)
    def broken(name, payload):
        raise ValueError("subscriber bug")

    @handlers(events.REPLY_SENT)
    def working(name, payload):
        seen.append(payload)

    @handlers("*")
    def everything(name, payload):
        seen.append(name)

    with (
        caplog.at_level(logging.ERROR, logger="tanggap.core.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        events.publish(events.REPLY_SENT, {"message_id": 7})
    assert seen == [{"message_id": 7}, "reply.sent"]
    assert "subscriber bug" in caplog.text or "broken" in caplog.text


def test_subscribe_twice_delivers_once_and_unsubscribe(handlers, django_capture_on_commit_callbacks):
    seen = []

    def handler(name, payload):
        seen.append(name)

    handlers(events.TICKET_MERGED)(handler)
    events.subscribe(events.TICKET_MERGED)(handler)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(events.TICKET_MERGED, {})
    assert seen == ["ticket.merged"]
    events.unsubscribe(handler)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(events.TICKET_MERGED, {})
    assert seen == ["ticket.merged"]


def test_names_are_stable():
    assert events.ALL_EVENTS == (
        "ticket.created",
        "message.received",
        "reply.sent",
        "note.added",
        "ticket.status_changed",
        "ticket.assigned",
        "ticket.updated",
        "ticket.merged",
        "customer.merged",
    )
