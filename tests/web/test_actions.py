"""Every action of the agent workspace goes through its service and lands back on the page."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tanggap.accounts.models import ApiToken, Team, User
from tanggap.accounts.services import api_token_create
from tanggap.customers.models import Customer
from tanggap.tickets.models import Message, MessageKind, Status, Ticket, TicketPresence
from tanggap.tickets.services import ticket_transition

pytestmark = pytest.mark.django_db


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def url(name: str, *args) -> str:
    return reverse(name, args=args)


# ---------------------------------------------------------------- ticket actions


def test_reply_is_sent_and_sets_status(agent_client, agent, ticket):
    response = agent_client.post(
        url("web:ticket_reply", ticket.pk), {"text": "Sudah kami kirim.", "status": "solved"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("web:ticket", ticket.pk)
    reply = Message.objects.get(ticket=ticket, kind=MessageKind.REPLY)
    assert reply.body_text == "Sudah kami kirim."
    assert reply.author == agent
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert ticket.assignee == agent


def test_reply_defaults_to_pending(agent_client, ticket):
    agent_client.post(url("web:ticket_reply", ticket.pk), {"text": "Kami cek.", "status": "pending"})
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_empty_reply_keeps_the_page_with_an_error(agent_client, ticket):
    response = agent_client.post(url("web:ticket_reply", ticket.pk), {"text": "   ", "status": "pending"})
    assert response.status_code == 200
    assert b"flash-error" in response.content
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).exists()


def test_reply_to_a_closed_ticket_is_a_message_not_a_500(agent_client, agent, ticket):
    ticket_transition(actor=agent, ticket=ticket, status="solved")
    ticket_transition(actor=agent, ticket=ticket, status="closed")
    response = agent_client.post(url("web:ticket_reply", ticket.pk), {"text": "Halo", "status": "pending"})
    assert response.status_code == 200
    assert b"flash-error" in response.content
    assert "Halo" in response.content.decode()  # the draft is kept


def test_note_is_added(agent_client, ticket):
    response = agent_client.post(url("web:ticket_note", ticket.pk), {"text": "Pelanggan VIP"})
    assert response.status_code == 302
    note = Message.objects.get(ticket=ticket, kind=MessageKind.NOTE)
    assert note.body_text == "Pelanggan VIP"


def test_status_change(agent_client, ticket):
    response = agent_client.post(url("web:ticket_status", ticket.pk), {"status": "on_hold"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD


def test_forbidden_transition_is_a_flash_message(agent_client, ticket):
    response = agent_client.post(url("web:ticket_status", ticket.pk), {"status": "closed"})
    assert response.status_code == 302
    assert flashes(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_htmx_status_change_renders_the_page(agent_client, ticket):
    response = agent_client.post(
        url("web:ticket_status", ticket.pk), {"status": "open"}, HTTP_HX_REQUEST="true", follow=True
    )
    assert response.status_code == 200
    assert b'id="ticket-side"' in response.content


def test_priority_change(agent_client, ticket):
    agent_client.post(url("web:ticket_priority", ticket.pk), {"priority": "4"})
    ticket.refresh_from_db()
    assert ticket.priority == 4
    assert Message.objects.filter(ticket=ticket, event_code="priority_changed").exists()


def test_bad_priority_is_refused(agent_client, ticket):
    response = agent_client.post(url("web:ticket_priority", ticket.pk), {"priority": "99"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == 2


def test_assign_to_agent_me_and_unassign(agent_client, agent, make_agent, team, ticket):
    colleague = make_agent("dewi", teams=[team])
    agent_client.post(url("web:ticket_assignee", ticket.pk), {"assignee": str(colleague.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    agent_client.post(url("web:ticket_assignee", ticket.pk), {"assignee": "me"})
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    agent_client.post(url("web:ticket_assignee", ticket.pk), {"assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_assign_to_an_agent_outside_the_team_is_refused(agent_client, make_agent, other_team, ticket):
    outsider = make_agent("outsider", teams=[other_team])
    response = agent_client.post(url("web:ticket_assignee", ticket.pk), {"assignee": str(outsider.pk)})
    assert response.status_code == 302
    assert flashes(response)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_team_change(admin_client_, ticket, other_team):
    admin_client_.post(url("web:ticket_team", ticket.pk), {"team": str(other_team.pk)})
    ticket.refresh_from_db()
    assert ticket.team == other_team


def test_team_change_out_of_sight_goes_to_the_queue(agent_client, ticket, other_team):
    response = agent_client.post(url("web:ticket_team", ticket.pk), {"team": str(other_team.pk)})
    assert response["Location"] == reverse("web:queue")
    ticket.refresh_from_db()
    assert ticket.team == other_team


def test_tags(agent_client, ticket):
    agent_client.post(url("web:ticket_tags", ticket.pk), {"tags": "VIP, pengiriman; refund"})
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["pengiriman", "refund", "vip"]
    agent_client.post(url("web:ticket_tags", ticket.pk), {"tags": ""})
    assert not ticket.tags.exists()


def test_merge(agent_client, receive, team, ticket):
    other = receive("Sama, belum sampai", subject="Belum sampai juga", sender="siti@example.com").ticket
    other.team = team
    other.save(update_fields=["team"])
    response = agent_client.post(url("web:ticket_merge", other.pk), {"target": str(ticket.pk)})
    assert response["Location"] == url("web:ticket", ticket.pk)
    other.refresh_from_db()
    assert other.merged_into_id == ticket.pk
    page = agent_client.get(url("web:ticket", other.pk)).content.decode()
    assert f'href="{url("web:ticket", ticket.pk)}"' in page


def test_merge_into_an_invisible_ticket_says_not_found(agent_client, ticket, foreign_ticket):
    response = agent_client.post(url("web:ticket_merge", ticket.pk), {"target": str(foreign_ticket.pk)})
    assert response["Location"] == url("web:ticket", ticket.pk)
    assert flashes(response)
    ticket.refresh_from_db()
    assert ticket.merged_into_id is None


def test_trainee_cannot_merge_but_gets_no_500(login, make_agent, team, ticket, receive):
    trainee = make_agent("trainee", role="trainee", teams=[team])
    other = receive("x", subject="y", sender="z@example.com").ticket
    response = login(trainee).post(url("web:ticket_merge", ticket.pk), {"target": str(other.pk)})
    assert response.status_code == 302
    assert flashes(response)


def test_presence_and_collision_warning(login, agent, make_agent, team, ticket):
    dewi = make_agent("dewi", teams=[team])
    User.objects.filter(pk=dewi.pk).update(display_name="Dewi")
    response = login(dewi).post(url("web:ticket_presence", ticket.pk), {"replying": "1"})
    assert response.status_code == 200
    response = login(agent).post(url("web:ticket_presence", ticket.pk), {"replying": ""})
    assert response.status_code == 200
    assert "Dewi is replying" in response.content.decode()
    login(dewi).post(url("web:ticket_presence", ticket.pk), {"replying": ""})
    response = login(agent).post(url("web:ticket_presence", ticket.pk))
    assert "Dewi is also viewing this ticket" in response.content.decode()
    assert TicketPresence.objects.get(ticket=ticket, user=agent).is_replying is False


def test_presence_leave(agent_client, agent, ticket):
    agent_client.post(url("web:ticket_presence", ticket.pk))
    response = agent_client.post(url("web:ticket_leave", ticket.pk))
    assert response.status_code == 204
    assert not TicketPresence.objects.filter(ticket=ticket, user=agent).exists()


def test_attachment_download(agent_client, ticket):
    from tanggap.tickets.inbound import InboundAttachment, InboundMessage, Sender
    from tanggap.tickets.models import Attachment
    from tanggap.tickets.services import message_receive

    message_receive(
        inbound=InboundMessage(
            channel="email",
            sender=Sender("email", "siti@example.com"),
            text="Terlampir struk",
            idempotency_key="att-1",
            ticket_id=ticket.pk,
            attachments=(InboundAttachment("struk.html", "text/html", b"<script>x</script>"),),
        )
    )
    attachment = Attachment.objects.get()
    page = agent_client.get(url("web:ticket", ticket.pk)).content.decode()
    assert "struk.html" in page
    response = agent_client.get(url("web:ticket_attachment", ticket.pk, attachment.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"<script>x</script>"


# ---------------------------------------------------------------- queue bulk actions


@pytest.fixture
def three_tickets(receive, team) -> list[Ticket]:
    tickets = []
    for n in range(3):
        t = receive(f"Pesan {n}", sender=f"c{n}@example.com", subject=f"Soal {n}").ticket
        t.team = team
        t.save(update_fields=["team"])
        tickets.append(t)
    return tickets


def test_bulk_assign_to_me(agent_client, agent, three_tickets):
    ids = [str(t.pk) for t in three_tickets]
    response = agent_client.post(
        reverse("web:bulk"), {"tickets": ids, "action": "assign_me", "next": "/?view=all"}
    )
    assert response["Location"] == "/?view=all"
    assert Ticket.objects.filter(assignee=agent).count() == 3
    assert any("3" in m for m in flashes(response))


def test_bulk_assign_to_agent_and_unassign(agent_client, make_agent, team, three_tickets):
    dewi = make_agent("dewi", teams=[team])
    ids = [str(t.pk) for t in three_tickets]
    agent_client.post(reverse("web:bulk"), {"tickets": ids, "action": "assign", "assignee": str(dewi.pk)})
    assert Ticket.objects.filter(assignee=dewi).count() == 3
    agent_client.post(reverse("web:bulk"), {"tickets": ids[:2], "action": "unassign"})
    assert Ticket.objects.filter(assignee=dewi).count() == 1


def test_bulk_close_reports_failures(agent_client, agent, three_tickets, foreign_ticket):
    first = three_tickets[0]
    ticket_transition(actor=agent, ticket=first, status="solved")
    ticket_transition(actor=agent, ticket=first, status="closed")
    ids = [str(t.pk) for t in [*three_tickets, foreign_ticket]]
    response = agent_client.post(reverse("web:bulk"), {"tickets": ids, "action": "close"})
    messages = flashes(response)
    assert any("2" in m for m in messages)  # two done
    assert any("2" in m and m != messages[0] for m in messages)  # closed one + invisible one failed
    assert Ticket.objects.filter(status=Status.SOLVED).count() == 2
    foreign_ticket.refresh_from_db()
    assert foreign_ticket.status == Status.NEW


def test_bulk_without_selection(agent_client):
    response = agent_client.post(reverse("web:bulk"), {"action": "close"})
    assert response.status_code == 302
    assert flashes(response)


def test_trainee_bulk_is_refused_politely(login, make_agent, team, three_tickets):
    trainee = make_agent("trainee", role="trainee", teams=[team])
    response = login(trainee).post(
        reverse("web:bulk"), {"tickets": [str(three_tickets[0].pk)], "action": "close"}
    )
    assert response.status_code == 302
    assert flashes(response)


# ---------------------------------------------------------------- new ticket


def test_new_ticket_by_email(agent_client, agent, team):
    response = agent_client.post(
        reverse("web:ticket_new"),
        {
            "contact": "Budi@Example.com",
            "name": "Budi",
            "subject": "Telepon soal garansi",
            "text": "Pelanggan menelepon soal garansi.",
            "channel": "phone",
            "team": str(team.pk),
            "priority": "3",
        },
    )
    ticket = Ticket.objects.get(subject="Telepon soal garansi")
    assert response["Location"] == url("web:ticket", ticket.pk)
    assert ticket.customer.identities.get().value == "budi@example.com"
    assert ticket.priority == 3 and ticket.team == team


def test_new_ticket_by_phone(agent_client):
    agent_client.post(
        reverse("web:ticket_new"),
        {
            "contact": "0812 3456 7890",
            "subject": "WA",
            "text": "Tanya stok",
            "channel": "whatsapp",
            "priority": "2",
        },
    )
    ticket = Ticket.objects.get(subject="WA")
    assert ticket.customer.identities.get().value == "+6281234567890"


def test_new_ticket_with_a_bad_contact_shows_an_error(agent_client):
    response = agent_client.post(
        reverse("web:ticket_new"),
        {"contact": "nonsense", "subject": "x", "text": "y", "channel": "phone", "priority": "2"},
    )
    assert response.status_code == 200
    assert b"flash-error" in response.content
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------- customers


def test_customer_edit(agent_client, ticket):
    customer = ticket.customer
    response = agent_client.post(
        url("web:customer", customer.pk),
        {"name": "Siti Aminah", "language": "id", "notes": "Suka telepon", "tier": " Gold "},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.language, customer.notes) == ("Siti Aminah", "id", "Suka telepon")
    assert customer.tier == "gold"
    page = agent_client.get(url("web:customer", customer.pk)).content.decode()
    assert 'value="gold"' in page and '<span class="badge">gold</span>' in page


def test_trainee_cannot_edit_customer(login, make_agent, team, ticket):
    trainee = make_agent("trainee", role="trainee", teams=[team])
    client = login(trainee)
    assert b'name="notes"' not in client.get(url("web:customer", ticket.customer_id)).content
    response = client.post(
        url("web:customer", ticket.customer_id), {"name": "X", "notes": "", "language": ""}
    )
    assert response.status_code == 302
    assert flashes(response)
    ticket.customer.refresh_from_db()
    assert ticket.customer.name == "Siti"


def test_identity_add(agent_client, ticket):
    agent_client.post(
        url("web:customer_identity", ticket.customer_id), {"kind": "phone", "value": "0811111111"}
    )
    assert ticket.customer.identities.filter(kind="phone", value="+62811111111").exists()


def test_identity_of_another_customer_suggests_merge(agent_client, ticket, receive):
    receive("x", sender="other@example.com", subject="y")
    response = agent_client.post(
        url("web:customer_identity", ticket.customer_id), {"kind": "email", "value": "other@example.com"}
    )
    assert any("merge" in m for m in flashes(response))


def test_customer_merge_by_a_lead(login, make_agent, team, ticket, receive):
    lead = make_agent("lead", role="supervisor", teams=[team])
    source = receive("x", sender="siti.lain@example.com", subject="y").ticket.customer
    response = login(lead).post(url("web:customer_merge", source.pk), {"target": str(ticket.customer_id)})
    assert response["Location"] == url("web:customer", ticket.customer_id)
    source.refresh_from_db()
    assert source.merged_into_id == ticket.customer_id
    page = login(lead).get(url("web:customer", source.pk)).content.decode()
    assert f'href="{url("web:customer", ticket.customer_id)}"' in page


def test_agent_cannot_merge_customers(agent_client, ticket, receive):
    source = receive("x", sender="siti.lain@example.com", subject="y").ticket.customer
    assert b"merge-customer" not in agent_client.get(url("web:customer", source.pk)).content
    response = agent_client.post(url("web:customer_merge", source.pk), {"target": str(ticket.customer_id)})
    assert flashes(response)
    assert Customer.objects.get(pk=source.pk).merged_into_id is None


# ---------------------------------------------------------------- admin pages


def test_admin_creates_and_edits_an_agent(admin_client_, team):
    response = admin_client_.post(
        reverse("web:admin_agent_new"),
        {
            "username": "rina",
            "display_name": "Rina",
            "email": "rina@example.com",
            "role": "agent",
            "teams": [str(team.pk)],
            "is_active": "on",
            "password": "kuda-benar-42",
        },
    )
    assert response["Location"] == reverse("web:admin_agents")
    rina = User.objects.get(username="rina")
    assert list(rina.teams.all()) == [team]
    assert rina.check_password("kuda-benar-42")
    response = admin_client_.post(
        url("web:admin_agent", rina.pk),
        {
            "display_name": "Rina S.",
            "email": "rina@example.com",
            "role": "supervisor",
            "password": "kuda-baru-43",
        },
    )
    assert response["Location"] == reverse("web:admin_agents")
    rina.refresh_from_db()
    assert (rina.display_name, rina.role, rina.is_active) == ("Rina S.", "supervisor", False)
    assert not rina.teams.exists()
    assert rina.check_password("kuda-baru-43")


def test_admin_agent_errors_are_shown(admin_client_, agent):
    response = admin_client_.post(
        reverse("web:admin_agent_new"), {"username": "agent", "role": "agent", "password": "kuda-benar-42"}
    )
    assert response.status_code == 200
    assert b"flash-error" in response.content


def test_admin_creates_and_edits_a_team(admin_client_, agent):
    admin_client_.post(
        reverse("web:admin_team_new"),
        {"name": "Logistik", "description": "Kiriman", "members": [str(agent.pk)]},
    )
    team = Team.objects.get(name="Logistik")
    assert list(team.members.all()) == [agent]
    admin_client_.post(url("web:admin_team", team.pk), {"name": "Logistics", "description": ""})
    team.refresh_from_db()
    assert team.name == "Logistics"
    assert not team.members.exists()


# ---------------------------------------------------------------- settings


def test_token_is_shown_once_and_revoked(agent_client, agent):
    response = agent_client.post(reverse("web:token_create"), {"name": "Zapier"})
    assert response.status_code == 200
    body = response.content.decode()
    token = ApiToken.objects.get(user=agent)
    raw = body.split('<code class="token" data-select-all>')[1].split("</code>")[0]
    assert raw.startswith("tgp_")
    assert raw not in agent_client.get(reverse("web:settings")).content.decode()
    agent_client.post(url("web:token_revoke", token.pk))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_cannot_revoke_someone_elses_token(agent_client, admin):
    token, _raw = api_token_create(actor=admin, user=admin, name="admin's")
    response = agent_client.post(url("web:token_revoke", token.pk))
    assert flashes(response)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_profile_and_language(agent_client, agent):
    response = agent_client.post(
        reverse("web:settings_profile"), {"display_name": "Agen Satu", "language": "en"}
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    agent.refresh_from_db()
    assert (agent.display_name, agent.language) == ("Agen Satu", "en")


def test_password_change(agent_client, agent):
    response = agent_client.post(
        reverse("web:settings_password"),
        {
            "old_password": "correct-horse-42",
            "new_password1": "kuda-baru-99",
            "new_password2": "kuda-baru-99",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("kuda-baru-99")
    assert agent_client.get(reverse("web:settings")).status_code == 200  # still signed in


def test_password_change_with_wrong_old_password(agent_client, agent):
    response = agent_client.post(
        reverse("web:settings_password"),
        {"old_password": "wrong", "new_password1": "kuda-baru-99", "new_password2": "kuda-baru-99"},
    )
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.check_password("correct-horse-42")
