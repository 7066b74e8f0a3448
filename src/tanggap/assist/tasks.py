"""Assist's background work: reading a customer message after it arrived, and a sweep for any missed."""

from __future__ import annotations

from django.tasks import task
from huey import crontab

from tanggap.core.tasks import periodic, requeue_when_lost


@task()
def classify_message_task(message_id: int) -> bool:
    from tanggap.assist.services import message_classify

    return message_classify(message_id=message_id) is not None


requeue_when_lost(classify_message_task)  # reading a message again replaces its signals


@periodic("assist-catch-up", crontab(minute="*/5"))
def assist_catch_up_job() -> int:
    """Customer messages of the last two days that no task read (a lost task, a worker that was down)."""
    from tanggap.assist.services import messages_classify_missed

    return messages_classify_missed()
