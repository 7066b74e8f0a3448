"""The reply coach's endpoint and the signals on the ticket page and the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tanggap.tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _waited(ticket, hours):
    Message.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(hours=hours))


def test_the_coach_suggests_thanks_after_a_small_delay(client, admin, ticket, english):
    _waited(ticket, 3)
    client.force_login(admin)
    response = client.post(
        reverse("web:ticket_coach", args=[ticket.pk]),
        {
            "text": "Halo Siti, maaf atas keterlambatannya. Paket Anda sudah dikirim.",
            "coach_situation": "auto",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-coach-rule="thank_vs_sorry"' in body
    assert "terima kasih atas kesabaran" in body.lower()


def test_the_coach_leaves_a_fresh_ticket_alone(client, admin, ticket, english):
    client.force_login(admin)
    response = client.post(
        reverse("web:ticket_coach", args=[ticket.pk]),
        {"text": "Halo Siti, maaf atas keterlambatannya. Paket Anda sudah dikirim."},
    )
    assert 'data-coach-rule="thank_vs_sorry"' not in response.content.decode()


def test_a_finding_the_agent_sets_aside_stays_aside_for_this_draft(client, admin, receive, english):
    result = receive("Tolong batalkan pesanan saya. Kapan uang saya dikembalikan?")
    client.force_login(admin)
    url = reverse("web:ticket_coach", args=[result.ticket.pk])
    draft = "Halo Siti, pesanan Anda sudah kami batalkan."
    body = client.post(url, {"text": draft}).content.decode()
    assert 'data-coach-rule="thoroughness"' in body
    key = 'data-key="thoroughness|Kapan uang saya dikembalikan?"'
    assert key in body and "It is answered" in body

    body = client.post(
        url, {"text": draft, "coach_dismissed": "thoroughness|Kapan uang saya dikembalikan?"}
    ).content.decode()
    assert 'data-coach-rule="thoroughness"' not in body
    assert "1 suggestion set aside for this reply." in body and "data-coach-undismiss" in body

    # Another finding's key sets nothing aside.
    body = client.post(
        url, {"text": draft, "coach_dismissed": "blame|Kapan uang saya dikembalikan?"}
    ).content.decode()
    assert 'data-coach-rule="thoroughness"' in body and "set aside" not in body


def test_a_question_judged_by_words_alone_is_shown_as_maybe_unanswered(client, admin, receive, english):
    result = receive("Kapan uang saya dikembalikan? Apakah ongkirnya juga kembali?")
    client.force_login(admin)
    body = client.post(
        reverse("web:ticket_coach", args=[result.ticket.pk]),
        {"text": "Halo Siti, pesanan sudah kami batalkan."},
    ).content.decode()
    when, shipping = body.split("Kapan uang saya dikembalikan?")[0], body.split("</li>")[1]
    assert "coach-warning" in when.rsplit("<li", 1)[1] and "Unanswered question" in when.rsplit("<li", 1)[1]
    assert "no time, date or day" in body.split("</li>")[0]
    assert "Apakah ongkirnya juga kembali?" in shipping
    assert (
        "coach-info" in shipping and "Maybe unanswered" in shipping and "choose “It is answered”" in shipping
    )


def test_the_coach_is_a_404_for_a_ticket_the_agent_may_not_see(
    client, make_agent, make_team, ticket, english
):
    outsider = make_agent("outsider", teams=[make_team("Elsewhere")])
    other = ticket
    client.force_login(outsider)
    response = client.post(reverse("web:ticket_coach", args=[other.pk]), {"text": "Halo"})
    assert response.status_code == 404


def test_the_ticket_page_and_the_queue_show_the_signals(client, admin, receive, english):
    result = receive("Tolong batalkan pesanan saya. Kapan uang saya dikembalikan?")
    client.force_login(admin)
    page = client.get(reverse("web:ticket", args=[result.ticket.pk])).content.decode()
    assert "Cancellation" in page and "Kapan uang saya dikembalikan?" in page
    queue = client.get(reverse("web:queue") + "?intent=cancel").content.decode()
    assert f"#{result.ticket.pk}" in queue
    other = client.get(reverse("web:queue") + "?intent=praise").content.decode()
    assert f"#{result.ticket.pk}<" not in other and f"#{result.ticket.pk} " not in other


def test_the_ticket_page_names_a_feeling_only_where_the_tone_carries_it(client, admin, receive, english):
    calm = receive("Selamat siang, kapan dana refund saya masuk ke rekening?")
    client.force_login(admin)
    page = client.get(reverse("web:ticket", args=[calm.ticket.pk])).content.decode()
    assert 'title="No particular feeling, anger' in page and "Emotion: Anger" not in page
    angry = receive("Saya kecewa sekali, sudah 3 kali refund saya ditolak! Pelayanan kalian buruk!")
    page = client.get(reverse("web:ticket", args=[angry.ticket.pk])).content.decode()
    assert 'title="Emotion: Anger, anger' in page
