"""The tickets API: every operation's success path, 404 for another team's ticket, query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tanggap.accounts.models import Role
from tanggap.customers.services import customer_find_or_create
from tanggap.tickets.models import Message, MessageKind, Ticket
from tanggap.tickets.services import note_add, reply_send
from tests.api.conftest import error_code


@pytest.fixture
def customer(db):
    return customer_find_or_create(kind="email", value="budi@example.com", name="Budi")[0]


# ---------------------------------------------------------------- list


def test_list_returns_visible_tickets_only(agent_api, ticket, foreign_ticket):
    response = agent_api.get("/api/tickets")
    assert response.status_code == 200
    body = response.json()
    ids = [t["id"] for t in body["items"]]
    assert ticket.pk in ids
    assert foreign_ticket.pk not in ids
    item = next(t for t in body["items"] if t["id"] == ticket.pk)
    assert item["customer"]["name"] == "Siti"
    assert item["team"]["name"] == "Support"
    assert body["has_more"] is False
    assert "count" not in body


def test_admin_sees_all(admin_api, ticket, foreign_ticket):
    ids = [t["id"] for t in admin_api.get("/api/tickets").json()["items"]]
    assert {ticket.pk, foreign_ticket.pk} <= set(ids)


def test_list_filters(agent_api, agent, receive, team):
    mine = receive("Paket rusak", sender="a@example.com").ticket
    other = receive("Refund please", sender="b@example.com").ticket
    agent_api.patch(f"/api/tickets/{mine.pk}", {"assignee_id": agent.pk, "priority": 4, "tags": ["rusak"]})

    def ids(**params):
        response = agent_api.get("/api/tickets", params)
        assert response.status_code == 200, response.content
        return {t["id"] for t in response.json()["items"]}

    assert ids(view="mine") == {mine.pk}
    assert other.pk in ids(view="unassigned") and mine.pk not in ids(view="unassigned")
    assert ids(priority=4) == {mine.pk}
    assert ids(tag="rusak") == {mine.pk}
    assert ids(assignee=agent.pk) == {mine.pk}
    assert ids(customer=other.customer_id) == {other.pk}
    assert ids(status="solved") == set()
    assert {mine.pk, other.pk} <= ids(status="any", channel="email", sort="-priority")
    assert ids(team=team.pk) == set()


def _every_page(api, params: dict, *, pages: int) -> list[int]:
    """The ids of the ticket list followed by ``next_cursor`` (at most ``pages`` pages); the last
    page has no cursor."""
    seen: list[int] = []
    cursor = None
    for _ in range(pages):
        body = api.get("/api/tickets", {**params, **({"cursor": cursor} if cursor else {})}).json()
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            assert cursor is None
            break
    return seen


def test_list_pages_by_offset_and_cursor(agent_api, receive):
    created = [receive(f"Pesan {i}", sender=f"c{i}@example.com").ticket.pk for i in range(7)]
    seen = _every_page(agent_api, {"limit": 3, "sort": "created_at"}, pages=5)
    assert seen == sorted(created)
    by_offset = agent_api.get("/api/tickets", {"limit": 3, "offset": 3, "sort": "created_at"}).json()
    assert [t["id"] for t in by_offset["items"]] == sorted(created)[3:6]
    assert by_offset["has_more"] is True


def test_list_pages_due_soonest_first_with_the_cursor(agent_api, receive):
    """``sort=due_at``: due instants ascending (equal ones by id), tickets without a running clock
    last; the cursor crosses from due tickets to those without, and through equal instants."""
    tickets = [receive(f"Pesan {i}", sender=f"due{i}@example.com").ticket for i in range(8)]
    soon = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    dues = [soon + timedelta(hours=3), soon, None, soon + timedelta(hours=1), soon, None, soon, None]
    for ticket, due in zip(tickets, dues, strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(due_at=due)
    due_of = {t.pk: due for t, due in zip(tickets, dues, strict=True)}
    expected = sorted(due_of, key=lambda pk: (due_of[pk] is None, due_of[pk] or soon, pk))
    seen = _every_page(agent_api, {"limit": 2, "sort": "due_at"}, pages=10)
    assert seen == expected
    assert seen[-3:] == sorted(pk for pk, due in due_of.items() if due is None)


@pytest.mark.parametrize("cursor", ["garbage", "eyJvIjpbXX0", "e30", "x" * 600])
def test_bad_cursor_is_422(agent_api, cursor):
    response = agent_api.get("/api/tickets", {"cursor": cursor})
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"


def test_cursor_of_another_sort_is_422(agent_api, receive):
    for i in range(3):
        receive(f"Pesan {i}", sender=f"d{i}@example.com")
    cursor = agent_api.get("/api/tickets", {"limit": 1}).json()["next_cursor"]
    assert cursor
    response = agent_api.get("/api/tickets", {"limit": 1, "cursor": cursor, "sort": "-priority"})
    assert response.status_code == 422


def test_list_query_count_is_constant(agent_api, receive, django_assert_max_num_queries):
    for i in range(3):
        receive(f"Pesan {i}", sender=f"e{i}@example.com")
    with django_assert_max_num_queries(8) as small:
        assert len(agent_api.get("/api/tickets", {"limit": 100}).json()["items"]) == 3
    for i in range(3, 30):
        receive(f"Pesan {i}", sender=f"e{i}@example.com")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(agent_api.get("/api/tickets", {"limit": 100}).json()["items"]) == 30


# ---------------------------------------------------------------- create, read, change


def test_create_ticket(agent_api, agent, customer, team):
    response = agent_api.post(
        "/api/tickets",
        {
            "customer_id": customer.pk,
            "subject": "Telepon: ganti alamat",
            "text": "Pelanggan minta ganti alamat pengiriman.",
            "team_id": team.pk,
            "priority": 3,
            "assignee_id": agent.pk,
            "tags": ["alamat"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == "Telepon: ganti alamat"
    assert body["assignee"]["id"] == agent.pk
    assert body["tags"] == ["alamat"]
    assert Ticket.objects.get(pk=body["id"]).customer_id == customer.pk


@pytest.mark.parametrize("field", ["customer_id", "team_id", "assignee_id"])
def test_create_ticket_with_unknown_reference_is_422(agent_api, customer, field):
    data = {"customer_id": customer.pk, "text": "Halo", field: 987654}
    response = agent_api.post("/api/tickets", data)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == field


def test_get_ticket(agent_api, ticket):
    response = agent_api.get(f"/api/tickets/{ticket.pk}")
    assert response.status_code == 200
    assert response.json()["number"] == ticket.pk


def test_patch_ticket(agent_api, admin, ticket, team, make_agent):
    colleague = make_agent(teams=[team])
    response = agent_api.patch(
        f"/api/tickets/{ticket.pk}",
        {
            "subject": "Paket hilang",
            "priority": 4,
            "tags": ["kurir", "hilang"],
            "status": "open",
            "assignee_id": colleague.pk,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["subject"], body["priority"], body["status"]) == ("Paket hilang", 4, "open")
    assert body["tags"] == ["hilang", "kurir"]
    assert body["assignee"]["id"] == colleague.pk
    response = agent_api.patch(f"/api/tickets/{ticket.pk}", {"assignee_id": None})
    assert response.json()["assignee"] is None


def test_patch_is_all_or_nothing(agent_api, ticket):
    response = agent_api.patch(f"/api/tickets/{ticket.pk}", {"subject": "Changed", "status": "closed"})
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.subject != "Changed"


def test_messages_reply_and_note(agent_api, agent, ticket):
    response = agent_api.post(f"/api/tickets/{ticket.pk}/replies", {"text": "Terima kasih sudah menunggu."})
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "reply"
    response = agent_api.post(f"/api/tickets/{ticket.pk}/notes", {"text": "Cek ke kurir."})
    assert response.status_code == 201
    assert response.json()["kind"] == "note"
    body = agent_api.get(f"/api/tickets/{ticket.pk}/messages").json()
    kinds = [m["kind"] for m in body["items"]]
    assert kinds[0] == "customer"
    assert "reply" in kinds and "note" in kinds
    assert next(m for m in body["items"] if m["kind"] == "reply")["author"]["id"] == agent.pk


def test_messages_query_count_is_constant(agent_api, agent, ticket, django_assert_max_num_queries):
    with django_assert_max_num_queries(10) as small:
        agent_api.get(f"/api/tickets/{ticket.pk}/messages", {"limit": 100})
    for i in range(15):
        note_add(actor=agent, ticket=ticket, text=f"catatan {i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = agent_api.get(f"/api/tickets/{ticket.pk}/messages", {"limit": 100}).json()
    assert len(body["items"]) >= 16


def test_merge(agent_api, receive, team):
    source = receive("Pesanan A", sender="m@example.com").ticket
    target = receive("Pesanan B", sender="m@example.com").ticket
    response = agent_api.post(f"/api/tickets/{source.pk}/merge", {"target_id": target.pk})
    assert response.status_code == 200, response.content
    assert response.json()["id"] == target.pk
    source.refresh_from_db()
    assert source.merged_into_id == target.pk


def test_bulk(agent_api, agent, receive):
    tickets = [receive(f"Pesan {i}", sender=f"f{i}@example.com").ticket for i in range(3)]
    ids = [t.pk for t in tickets]
    response = agent_api.post("/api/tickets/bulk", {"ids": ids, "action": "assign", "assignee_id": agent.pk})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["done"]) == sorted(ids)
    response = agent_api.post("/api/tickets/bulk", {"ids": ids, "action": "status", "status": "closed"})
    assert response.json()["done"] == []
    assert {f["code"] for f in response.json()["failed"]} == {"invalid_transition"}
    response = agent_api.post("/api/tickets/bulk", {"ids": ids, "action": "status"})
    assert response.status_code == 422


def test_trainee_cannot_bulk(api_as, make_agent, team, ticket):
    trainee = make_agent(role=Role.TRAINEE, teams=[team])
    response = api_as(trainee).post("/api/tickets/bulk", {"ids": [ticket.pk], "action": "close"})
    assert response.status_code == 403


# ---------------------------------------------------------------- another team's ticket: 404 everywhere


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("patch", "", {"priority": 4}),
        ("patch", "", {"status": "open"}),
        ("get", "/messages", None),
        ("post", "/replies", {"text": "Halo"}),
        ("post", "/notes", {"text": "Catatan"}),
        ("post", "/merge", {"target_id": 0}),
    ],
)
def test_foreign_ticket_is_404(agent_api, foreign_ticket, ticket, method, suffix, data):
    if data and data.get("target_id") == 0:
        data = {"target_id": ticket.pk}
    before = Message.objects.filter(ticket=foreign_ticket).count()
    response = getattr(agent_api, method)(f"/api/tickets/{foreign_ticket.pk}{suffix}", data)
    assert response.status_code == 404, response.content
    assert error_code(response) == "not_found"
    assert Message.objects.filter(ticket=foreign_ticket).count() == before


def test_merge_into_foreign_ticket_is_404(agent_api, foreign_ticket, ticket):
    response = agent_api.post(f"/api/tickets/{ticket.pk}/merge", {"target_id": foreign_ticket.pk})
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.merged_into_id is None


def test_bulk_with_foreign_ticket_is_404_and_changes_nothing(agent_api, agent, foreign_ticket, ticket):
    response = agent_api.post(
        "/api/tickets/bulk",
        {"ids": [ticket.pk, foreign_ticket.pk], "action": "assign", "assignee_id": agent.pk},
    )
    assert response.status_code == 404
    assert response.json()["error"]["details"]["ids"] == [foreign_ticket.pk]
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_inbound_to_foreign_ticket_is_404(agent_api, foreign_ticket):
    response = agent_api.post(
        "/api/messages",
        {
            "sender": {"kind": "email", "value": "rudi@example.com"},
            "text": "Halo",
            "ticket_id": foreign_ticket.pk,
        },
    )
    assert response.status_code == 404
    assert Message.objects.filter(ticket=foreign_ticket, kind=MessageKind.CUSTOMER).count() == 1


def test_foreign_ticket_filter_by_customer_leaks_nothing(agent_api, foreign_ticket):
    body = agent_api.get("/api/tickets", {"customer": foreign_ticket.customer_id, "status": "any"}).json()
    assert body["items"] == []


def test_reply_on_closed_ticket_is_409(agent_api, agent, admin, ticket):
    reply_send(actor=agent, ticket=ticket, text="Selesai", status_after="solved")
    agent_api.patch(f"/api/tickets/{ticket.pk}", {"status": "closed"})
    response = agent_api.post(f"/api/tickets/{ticket.pk}/replies", {"text": "Lagi"})
    assert response.status_code == 409
