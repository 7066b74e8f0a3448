"""Every page of the agent workspace renders with its key content."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tanggap.accounts.services import api_token_create
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.services import note_add, reply_send, ticket_update

pytestmark = pytest.mark.django_db


def test_login_page_renders_without_sign_in(client):
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_every_page_needs_sign_in(client, ticket):
    for url in [
        reverse("web:queue"),
        reverse("web:ticket", args=[ticket.pk]),
        reverse("web:ticket_new"),
        reverse("web:customers"),
        reverse("web:customer", args=[ticket.customer_id]),
        reverse("web:search") + "?q=pesanan",
        reverse("web:settings"),
        reverse("web:admin_agents"),
        reverse("web:admin_teams"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("web:login") + "?next="), url


def test_sign_in_honours_next_and_sets_language(client, make_agent, team, ticket):
    from tanggap.accounts.services import agent_create

    agent_create(actor=None, username="budi", password="correct-horse-42", teams=[team], language="en")
    target = reverse("web:ticket", args=[ticket.pk])
    response = client.post(
        reverse("web:login"), {"username": "budi", "password": "correct-horse-42", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == target
    assert response.cookies["django_language"].value == "en"


def test_sign_in_refuses_a_foreign_next(client, agent):
    response = client.post(
        reverse("web:login"),
        {"username": "agent", "password": "correct-horse-42", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:queue")


def test_wrong_password_shows_an_error(client, agent):
    response = client.post(reverse("web:login"), {"username": "agent", "password": "nope"})
    assert response.status_code == 200
    assert b"flash-error" in response.content


def test_sign_out_is_post_only(agent_client):
    assert agent_client.get(reverse("web:logout")).status_code == 405
    response = agent_client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert agent_client.get(reverse("web:queue")).status_code == 302


def test_queue_shows_rows(agent_client, agent, ticket):
    ticket_update(actor=agent, ticket=ticket, tags=["pengiriman"])
    response = agent_client.get(reverse("web:queue"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"#{ticket.pk}" in body
    assert ticket.subject in body
    assert "Siti" in body
    assert "pengiriman" in body  # tag
    assert 'class="badge status-new"' in body
    assert "<time datetime=" in body


def test_ticket_page_shows_timeline_sidebar_and_customer(agent_client, agent, ticket, receive):
    inbox_create(actor=None, name="Support", address="support@tanggap.test", team=ticket.team)
    reply_send(actor=agent, ticket=ticket, text="Baik, kami cek dulu.")
    note_add(actor=agent, ticket=ticket, text="Cek gudang Surabaya")
    receive("Pesanan lain juga belum sampai", subject="Pesanan kedua")
    response = agent_client.get(reverse("web:ticket", args=[ticket.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Halo, pesanan saya belum sampai." in body
    assert "tl-reply" in body and "Baik, kami cek dulu." in body
    assert "tl-note" in body and "Cek gudang Surabaya" in body
    assert "delivery-queued" in body
    assert "siti@example.com" in body  # identity in the customer sidebar
    assert "Pesanan kedua" in body  # the customer's other ticket
    assert 'hx-trigger="load, every 15s' in body
    # Only transitions the workflow allows are offered.
    assert 'value="closed"' not in body.split('id="prop-status"')[1].split("</select>")[0]


def test_ticket_html_is_shown_sanitised(agent_client, ticket):
    from tanggap.tickets.inbound import InboundMessage, Sender
    from tanggap.tickets.services import message_receive

    message_receive(
        inbound=InboundMessage(
            channel="email",
            sender=Sender("email", "siti@example.com"),
            text="",
            html='<p>Halo <b>tim</b></p><script>alert(1)</script><img src="https://track.example/p.gif">',
            idempotency_key="html-1",
            ticket_id=ticket.pk,
        )
    )
    body = agent_client.get(reverse("web:ticket", args=[ticket.pk])).content.decode()
    assert "<b>tim</b>" in body
    assert "alert(1)" not in body
    assert ' src="https://track.example' not in body  # inert until the agent shows the images


def test_system_events_render_as_sentences(agent_client, agent, ticket):
    from tanggap.tickets.services import ticket_assign, ticket_transition

    ticket_transition(actor=agent, ticket=ticket, status="open")
    ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    ticket_update(actor=agent, ticket=ticket, priority=4, tags=["vip"])
    body = agent_client.get(
        reverse("web:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "changed the status from New to Open" in body
    assert "took the ticket" in body
    assert "changed the priority from Normal to Urgent" in body
    assert "changed the tags: added vip" in body


def test_new_ticket_page(agent_client):
    response = agent_client.get(reverse("web:ticket_new"))
    assert response.status_code == 200
    assert b'name="contact"' in response.content


def test_customers_list_and_search(agent_client, ticket, receive):
    receive("Hello", sender="john@example.org", subject="Hi")
    response = agent_client.get(reverse("web:customers"))
    assert response.status_code == 200
    assert b"Siti" in response.content
    response = agent_client.get(reverse("web:customers") + "?q=john@")
    assert b"john@example.org" in response.content
    assert b"siti@example.com" not in response.content


def test_customer_page(agent_client, ticket):
    response = agent_client.get(reverse("web:customer", args=[ticket.customer_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "siti@example.com" in body
    assert ticket.subject in body
    assert 'name="notes"' in body  # agents may edit customers


def test_customer_page_hides_other_teams_tickets(agent_client, ticket, foreign_ticket):
    response = agent_client.get(reverse("web:customer", args=[foreign_ticket.customer_id]))
    assert response.status_code == 200
    assert foreign_ticket.subject not in response.content.decode()


def test_search_finds_by_stem(agent_client, receive, team):
    result = receive("Kapan pengiriman pesanan saya?", subject="Tanya pengiriman", sender="ani@example.com")
    result.ticket.team = team
    result.ticket.save(update_fields=["team"])
    response = agent_client.get(reverse("web:search"), {"q": "dikirim"})
    assert response.status_code == 200
    assert b"Tanya pengiriman" in response.content
    assert reverse("web:ticket", args=[result.ticket.pk]).encode() in response.content


def test_search_does_not_show_other_teams_tickets(agent_client, foreign_ticket):
    response = agent_client.get(reverse("web:search"), {"q": "tagihan"})
    assert response.status_code == 200
    assert b"Tagihan salah" not in response.content


def test_empty_search_page(agent_client):
    assert agent_client.get(reverse("web:search")).status_code == 200


def test_settings_page(agent_client, agent):
    api_token_create(actor=agent, user=agent, name="CRM sync")
    response = agent_client.get(reverse("web:settings"))
    assert response.status_code == 200
    assert b"CRM sync" in response.content
    assert b"old_password" in response.content


def test_admin_pages_for_admins(admin_client_, agent, team):
    for name, text in [
        ("web:admin_agents", agent.username),
        ("web:admin_teams", team.name),
        ("web:admin_agent_new", "password"),
        ("web:admin_team_new", "members"),
    ]:
        response = admin_client_.get(reverse(name))
        assert response.status_code == 200, name
        assert text.encode() in response.content, name
    assert admin_client_.get(reverse("web:admin_agent", args=[agent.pk])).status_code == 200
    assert admin_client_.get(reverse("web:admin_team", args=[team.pk])).status_code == 200


@pytest.mark.parametrize(
    "name,args",
    [
        ("web:admin_agents", []),
        ("web:admin_agent_new", []),
        ("web:admin_agent", ["agent"]),
        ("web:admin_teams", []),
        ("web:admin_team_new", []),
        ("web:admin_team", ["team"]),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_admin_pages_are_404_for_non_admins(login, make_agent, agent, team, name, args, method):
    values = {"agent": agent.pk, "team": team.pk}
    supervisor = make_agent("sup", role="supervisor", teams=[team])
    for user in (agent, supervisor):
        client = login(user)
        response = getattr(client, method)(reverse(name, args=[values[a] for a in args]), {"name": "x"})
        assert response.status_code == 404, (user.role, name)


def test_nav_shows_counts(agent_client, ticket, foreign_ticket):
    body = agent_client.get(reverse("web:queue")).content.decode()
    nav = body.split('id="sidenav"')[1].split("</nav>")[0]
    # One visible unassigned ticket; the other team's ticket is not counted.
    assert nav.count('<span class="count">1</span>') == 2
    assert nav.count('<span class="count">0</span>') == 1


def test_nav_count_is_capped(agent_client, agent, monkeypatch, receive, team):
    from tanggap.web.views import common

    monkeypatch.setattr(common, "COUNT_CAP", 3)
    for n in range(4):
        result = receive(f"Pesan {n}", sender=f"c{n}@example.com", subject=f"S{n}")
        result.ticket.team = team
        result.ticket.save(update_fields=["team"])
    body = agent_client.get(reverse("web:queue")).content.decode()
    assert '<span class="count">2+</span>' in body


def test_language_switch_posts_to_set_language(agent_client):
    body = agent_client.get(reverse("web:queue")).content.decode()
    assert f'action="{reverse("set_language")}"' in body
    response = agent_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in agent_client.get(reverse("web:queue")).content.decode()
