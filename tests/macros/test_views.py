"""The leads' macro pages (404 for everyone else, CSRF on every form), the live preview, and the
picker and apply endpoint of the ticket page."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from tanggap.macros.models import Macro
from tanggap.tickets.models import Status


def _client(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _urls(macro_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/admin/macros/"),
        ("get", "/admin/macros/new/"),
        ("post", "/admin/macros/new/"),
        ("post", "/admin/macros/preview/"),
        ("get", f"/admin/macros/{macro_id}/"),
        ("post", f"/admin/macros/{macro_id}/"),
        ("post", f"/admin/macros/{macro_id}/move/"),
        ("post", f"/admin/macros/{macro_id}/active/"),
        ("post", f"/admin/macros/{macro_id}/delete/"),
    ]


def test_agents_and_trainees_get_404_everywhere(agent, trainee, make_macro):
    macro = make_macro()
    for user in (agent, trainee):
        client = _client(user)
        for method, url in _urls(macro.pk):
            assert getattr(client, method)(url).status_code == 404, (user.username, method, url)
    assert Macro.objects.get(pk=macro.pk).is_active


def test_nav_links_the_page_for_leads_only(supervisor, agent, admin):
    assert 'href="/admin/macros/"' in _client(supervisor).get("/").content.decode()
    assert 'href="/admin/macros/"' in _client(admin).get("/").content.decode()
    assert 'href="/admin/macros/"' not in _client(agent).get("/").content.decode()


def _form(**overrides):
    data = {
        "name": "Refund policy",
        "team": "",
        "body_id": "Halo {{ customer.first_name }}",
        "body_en": "Hi {{customer.first_name}}",
        "set_status": "pending",
        "set_priority": "3",
        "add_tags": "refund, Pengembalian Dana",
        "remove_tags": "",
        "assign_to_self": "on",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_create_through_the_form_with_csrf(supervisor, team):
    client = _client(supervisor, csrf=True)
    page = client.get("/admin/macros/new/")
    assert page.status_code == 200
    assert client.post("/admin/macros/new/", _form()).status_code == 403  # no CSRF token
    token = page.cookies["csrftoken"].value
    response = client.post("/admin/macros/new/", {**_form(team=str(team.pk)), "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.content.decode()[:2000]
    macro = Macro.objects.get()
    assert (macro.team, macro.set_status, macro.set_priority, macro.assign_to_self) == (
        team,
        "pending",
        3,
        True,
    )
    assert macro.add_tags == ["pengembalian-dana", "refund"]
    assert macro.created_by == supervisor
    listing = client.get("/admin/macros/").content.decode()
    assert "Refund policy" in listing


def test_unknown_variable_is_shown_on_the_form(supervisor):
    response = _client(supervisor).post("/admin/macros/new/", _form(body_en="Hi {{ customer.phone }}"))
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "{{ customer.phone }}" in text
    assert not Macro.objects.exists()


def test_service_refusal_is_shown_on_the_form(supervisor):
    response = _client(supervisor).post("/admin/macros/new/", _form(body_id=" ", body_en=""))
    assert response.status_code == 200
    assert "at least one language" in response.content.decode()
    assert not Macro.objects.exists()


def test_edit_move_switch_off_and_delete(supervisor, make_macro):
    first, second = make_macro(name="First"), make_macro(name="Second")
    client = _client(supervisor)
    page = client.get(f"/admin/macros/{second.pk}/").content.decode()
    assert "Second" in page and 'name="body_id"' in page
    assert client.post(f"/admin/macros/{second.pk}/", _form(name="Second edited")).status_code == 302
    client.post(f"/admin/macros/{second.pk}/move/", {"direction": "up"})
    assert list(Macro.objects.values_list("name", flat=True)) == ["Second edited", "First"]
    client.post(f"/admin/macros/{first.pk}/active/", {"active": "0"})
    assert not Macro.objects.get(pk=first.pk).is_active
    client.post(f"/admin/macros/{first.pk}/delete/")
    assert list(Macro.objects.values_list("name", flat=True)) == ["Second edited"]


def test_preview_renders_sample_values_and_flags_unknown_ones(supervisor):
    response = _client(supervisor).post(
        "/admin/macros/preview/",
        {"body_id": "Halo {{ customer.first_name }} #{{ticket.number}}", "body_en": "Hi {{ nope }}"},
    )
    text = html.unescape(response.content.decode())
    assert "Halo Siti #1042" in text
    assert "nope" in text
    assert "{{ nope }}" in text  # left as written, never evaluated


# ---------------------------------------------------------------- the ticket page


def test_picker_lists_only_usable_macros(agent, ticket, make_macro, other_team):
    make_macro(name="Everyone's answer")
    make_macro(name="Billing answer", team=other_team)
    make_macro(name="Switched off", is_active=False)
    page = _client(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-macro-picker" in page
    assert "Everyone&#x27;s answer" in page or "Everyone's answer" in page
    assert "Billing answer" not in page and "Switched off" not in page


def test_no_picker_without_macros(agent, ticket):
    assert "data-macro-picker" not in _client(agent).get(f"/tickets/{ticket.pk}/").content.decode()


def test_apply_from_the_reply_box(agent, ticket, make_macro):
    macro = make_macro(set_status="on_hold", add_tags=["menunggu-kurir"])
    client = _client(agent, csrf=True)
    page = client.get(f"/tickets/{ticket.pk}/")
    url = f"/tickets/{ticket.pk}/macros/{macro.pk}/apply/"
    assert client.post(url, {"macro_language": "id"}).status_code == 403  # CSRF
    response = client.post(
        url,
        {"macro_language": "id"},
        headers={"X-CSRFToken": page.cookies["csrftoken"].value, "HX-Request": "true"},
    )
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert f"Halo Siti, tiket #{ticket.pk}." in text
    assert 'data-status="on_hold"' in text
    assert "menunggu-kurir" in text
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD
    timeline = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "applied the macro" in html.unescape(timeline)


def test_apply_view_is_404_for_other_teams_macro_and_get(agent, ticket, make_macro, other_team):
    client = _client(agent)
    billing = make_macro(team=other_team)
    assert client.post(f"/tickets/{ticket.pk}/macros/{billing.pk}/apply/").status_code == 404
    assert client.get(f"/tickets/{ticket.pk}/macros/{billing.pk}/apply/").status_code in (404, 405)


def test_apply_view_shows_a_refusal(agent, ticket, make_macro):
    from tanggap.tickets.services import ticket_transition

    ticket_transition(actor=agent, ticket=ticket, status="solved")
    macro = make_macro(set_status="pending")
    response = _client(agent).post(f"/tickets/{ticket.pk}/macros/{macro.pk}/apply/")
    assert response.status_code == 200
    assert "flash-error" in response.content.decode()


@pytest.mark.parametrize("language", ["id", "en"])
def test_event_label_is_translated(agent, ticket, make_macro, language):
    from tanggap.macros.services import macro_apply

    macro_apply(actor=agent, ticket=ticket, macro=make_macro(set_priority=4))
    client = _client(agent)
    client.cookies["django_language"] = language
    page = html.unescape(
        client.get(f"/tickets/{ticket.pk}/", headers={"Accept-Language": language}).content.decode()
    )
    assert "Order status" in page
    if language == "en":
        assert "applied the macro Order status: priority to Urgent" in page


def test_apply_view_is_404_for_a_foreign_or_missing_ticket(other_agent, ticket, make_macro):
    macro = make_macro()
    client = _client(other_agent)
    before = ticket.messages.count()
    assert client.post(f"/tickets/{ticket.pk}/macros/{macro.pk}/apply/").status_code == 404
    assert client.post(f"/tickets/999999/macros/{macro.pk}/apply/").status_code == 404
    assert ticket.messages.count() == before
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


def test_list_and_picker_query_counts_do_not_grow(
    supervisor, agent, ticket, make_macro, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lead, worker = _client(supervisor), _client(agent)

    def count(client, url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    for i in range(2):
        make_macro(name=f"M{i}")
    few = (count(lead, "/admin/macros/"), count(worker, f"/tickets/{ticket.pk}/"))
    for i in range(2, 20):
        make_macro(name=f"M{i}")
    many = (count(lead, "/admin/macros/"), count(worker, f"/tickets/{ticket.pk}/"))
    assert many == few
