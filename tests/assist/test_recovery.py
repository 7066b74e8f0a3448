"""Service recovery: the policy (who may set it, a team's own against the workspace default), recording
an offer on a ticket (the offer, the timeline, the audit row), the report, the API and the pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tanggap.accounts.models import Role
from tanggap.accounts.services import api_token_create
from tanggap.assist import selectors
from tanggap.assist.models import RecoveryOffer, RecoveryPolicy
from tanggap.assist.recovery import (
    recovery_offer_record,
    recovery_policy_create,
    recovery_policy_delete,
    recovery_policy_update,
)
from tanggap.core.errors import ErrorCode, InvalidInput, NotFound, PermissionDenied
from tanggap.core.models import AuditEntry
from tanggap.demo.recovery import DEMO_POLICIES, create_demo_recovery_policies
from tanggap.tickets.models import Message, MessageKind, Status, Ticket
from tanggap.tickets.services import ticket_update
from tests.api.conftest import ApiClient, error_code


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Assertions read the English source strings."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def supervisor(make_agent, team):
    return make_agent("supervisor", role=Role.SUPERVISOR, teams=[team])


@pytest.fixture
def trainee(make_agent, team):
    return make_agent("trainee", role=Role.TRAINEE, teams=[team])


@pytest.fixture
def other_team(make_team):
    return make_team("Billing")


@pytest.fixture
def other_agent(make_agent, other_team):
    return make_agent("other", teams=[other_team])


@pytest.fixture
def make_policy(admin):
    def make(**kwargs):
        kwargs.setdefault("failure_type", "late_delivery")
        kwargs.setdefault("kind", "voucher")
        kwargs.setdefault("amount", 25_000)
        kwargs.setdefault("label_id", "voucher belanja Rp25.000")
        kwargs.setdefault("label_en", "a Rp25,000 shopping voucher")
        return recovery_policy_create(actor=kwargs.pop("actor", admin), **kwargs)

    return make


def _ticket_of(ticket: Ticket, *, language: str = "id") -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(language=language)
    ticket.refresh_from_db()
    return ticket


# ---------------------------------------------------------------- who may set the policy


def test_admin_sets_the_workspace_default_and_any_team(admin, make_policy, other_team):
    default = make_policy()
    billing = make_policy(team=other_team, amount=30_000)
    assert (default.team_id, default.currency, default.is_active) == (None, "IDR", True)
    assert billing.team == other_team
    actions = list(
        AuditEntry.objects.filter(action="recovery_policy.created").values_list("actor_id", flat=True)
    )
    assert actions == [admin.pk, admin.pk]


def test_supervisor_sets_only_their_own_teams(supervisor, make_policy, team, other_team):
    own = make_policy(actor=supervisor, team=team)
    assert own.team == team
    with pytest.raises(PermissionDenied):
        make_policy(actor=supervisor, team=other_team, failure_type="outage")
    with pytest.raises(PermissionDenied):
        make_policy(actor=supervisor, team=None, failure_type="outage")
    default = make_policy(failure_type="outage")
    with pytest.raises(PermissionDenied):
        recovery_policy_update(actor=supervisor, policy=default, amount=1)
    with pytest.raises(PermissionDenied):
        recovery_policy_delete(actor=supervisor, policy=default)
    with pytest.raises(PermissionDenied):  # nor move their own to another team
        recovery_policy_update(actor=supervisor, policy=own, team=other_team)
    updated = recovery_policy_update(actor=supervisor, policy=own, amount=40_000, is_active=False)
    assert (updated.amount, updated.is_active) == (40_000, False)
    assert AuditEntry.objects.get(action="recovery_policy.updated").data["changed"] == ["amount", "is_active"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.TRAINEE])
def test_agents_do_not_set_the_policy(make_agent, make_policy, team, role):
    someone = make_agent("someone", role=role, teams=[team])
    with pytest.raises(PermissionDenied):
        make_policy(actor=someone, team=team)
    with pytest.raises(PermissionDenied):
        selectors.recovery_policies_for_admin(user=someone)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"failure_type": "late delivery!"}, "failure_type"),
        ({"failure_type": ""}, "failure_type"),
        ({"amount": 0}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 2_000_000_000}, "amount"),
        ({"currency": "rupiah"}, "currency"),
        ({"kind": "cash"}, "kind"),
        ({"label_id": "", "label_en": ""}, "label"),
        ({"label_en": "x" * 201}, "label_en"),
    ],
)
def test_policy_input_is_checked(make_policy, changes, field):
    with pytest.raises(InvalidInput) as caught:
        make_policy(**changes)
    assert caught.value.details["field"] == field


def test_failure_type_is_normalised_and_unique_per_team(make_policy, team):
    assert make_policy(failure_type=" Late Delivery ").failure_type == "late_delivery"
    with pytest.raises(Exception) as caught:
        make_policy(failure_type="late_delivery")
    assert caught.value.code == ErrorCode.CONFLICT  # type: ignore[attr-defined]
    make_policy(team=team)  # a team's own next to the default
    with pytest.raises(Exception) as caught:
        make_policy(team=team)
    assert caught.value.code == ErrorCode.CONFLICT  # type: ignore[attr-defined]


def test_supervisor_sees_the_defaults_and_their_teams(supervisor, make_policy, team, other_team, admin):
    make_policy(failure_type="outage")
    make_policy(team=team)
    make_policy(team=other_team)
    seen = [(p.team_id, p.failure_type) for p in selectors.recovery_policies_for_admin(user=supervisor)]
    assert seen == [(None, "outage"), (team.pk, "late_delivery")]
    assert len(selectors.recovery_policies_for_admin(user=admin)) == 3


# ---------------------------------------------------------------- what applies to a ticket


def test_a_teams_own_policy_overrides_the_default(
    agent, admin, make_policy, team, ticket, receive, other_team
):
    make_policy(failure_type="late_delivery", amount=25_000, position=1)
    make_policy(failure_type="damaged_item", amount=50_000, position=0)
    make_policy(failure_type="outage", amount=30_000, is_active=False)
    own = make_policy(team=team, failure_type="late_delivery", amount=40_000)
    make_policy(team=other_team, failure_type="wrong_item")
    applies = selectors.recovery_policies_for_ticket(user=agent, ticket=ticket)
    assert [(p.team_id, p.failure_type, p.amount) for p in applies] == [
        (team.pk, "late_delivery", 40_000),
        (None, "damaged_item", 50_000),
    ]
    # A team's switched-off row hides the default: the team chose to offer nothing for it.
    recovery_policy_update(actor=admin, policy=own, is_active=False)
    applies = selectors.recovery_policies_for_ticket(user=agent, ticket=ticket)
    assert [p.failure_type for p in applies] == ["damaged_item"]
    # A ticket with no team gets the workspace defaults.
    loose = receive(sender="budi@example.com", subject="Rusak").ticket
    assert loose.team_id is None
    applies = selectors.recovery_policies_for_ticket(user=agent, ticket=loose)
    assert [p.failure_type for p in applies] == ["damaged_item", "late_delivery"]


def test_policies_for_a_ticket_check_access(other_agent, make_policy, ticket, trainee):
    make_policy()
    with pytest.raises(NotFound):
        selectors.recovery_policies_for_ticket(user=other_agent, ticket=ticket)
    assert selectors.recovery_policies_for_ticket(user=trainee, ticket=ticket) == []


# ---------------------------------------------------------------- recording an offer


def test_recording_writes_the_offer_the_timeline_and_the_audit(agent, make_policy, ticket, team):
    policy = make_policy(
        failure_type="damaged_item",
        amount=50_000,
        label_id="voucher belanja Rp50.000",
        label_en="a Rp50,000 shopping voucher",
    )
    ticket = _ticket_of(ticket, language="en")
    offer = recovery_offer_record(actor=agent, ticket=ticket, policy_id=policy.pk)
    assert (offer.failure_type, offer.kind, offer.amount, offer.currency) == (
        "damaged_item",
        "voucher",
        50_000,
        "IDR",
    )
    assert (offer.label, offer.language, offer.offered_by, offer.team, offer.policy) == (
        "a Rp50,000 shopping voucher",
        "en",
        agent,
        team,
        policy,
    )
    event = Message.objects.get(ticket=ticket, kind=MessageKind.EVENT, event_code="recovery_offered")
    assert event.author == agent
    assert event.event_data == {
        "offer_id": offer.pk,
        "policy_id": policy.pk,
        "failure_type": "damaged_item",
        "kind": "voucher",
        "amount": 50_000,
        "currency": "IDR",
        "label": "a Rp50,000 shopping voucher",
        "language": "en",
    }
    audit = AuditEntry.objects.get(action="recovery_offer.recorded")
    assert (audit.actor_id, audit.object_id, audit.data["offer_id"]) == (agent.pk, str(ticket.pk), offer.pk)


def test_offer_is_worded_in_the_customers_language(agent, make_policy, ticket):
    policy = make_policy()
    offer = recovery_offer_record(actor=agent, ticket=_ticket_of(ticket, language="id"), policy_id=policy.pk)
    assert (offer.label, offer.language) == ("voucher belanja Rp25.000", "id")
    only_english = make_policy(failure_type="outage", label_id="", label_en="Rp30,000 of credit")
    offer = recovery_offer_record(actor=agent, ticket=ticket, policy_id=only_english.pk)
    assert offer.label == "Rp30,000 of credit"


def test_offer_needs_an_active_policy_that_applies(agent, make_policy, ticket, other_team, team):
    elsewhere = make_policy(team=other_team)
    off = make_policy(failure_type="outage", is_active=False)
    make_policy(failure_type="damaged_item")
    overridden_default = RecoveryPolicy.objects.get(failure_type="damaged_item")
    make_policy(team=team, failure_type="damaged_item", amount=60_000)
    for policy_id in (elsewhere.pk, off.pk, overridden_default.pk, 10**9):
        with pytest.raises(InvalidInput) as caught:
            recovery_offer_record(actor=agent, ticket=ticket, policy_id=policy_id)
        assert caught.value.details["field"] == "policy_id"
    assert not RecoveryOffer.objects.exists()
    assert not Message.objects.filter(event_code="recovery_offered").exists()


def test_offer_needs_a_ticket_the_agent_works(agent, other_agent, trainee, make_policy, ticket):
    policy = make_policy()
    with pytest.raises(NotFound):
        recovery_offer_record(actor=other_agent, ticket=ticket, policy_id=policy.pk)
    with pytest.raises(PermissionDenied):
        recovery_offer_record(actor=trainee, ticket=ticket, policy_id=policy.pk)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    with pytest.raises(Exception) as caught:
        recovery_offer_record(actor=agent, ticket=ticket, policy_id=policy.pk)
    assert caught.value.code == ErrorCode.CONFLICT  # type: ignore[attr-defined]
    assert not RecoveryOffer.objects.exists()


def test_one_offer_per_failure_per_ticket(agent, supervisor, make_policy, ticket):
    policy = make_policy()
    recovery_offer_record(actor=agent, ticket=ticket, policy_id=policy.pk)
    with pytest.raises(Exception) as caught:
        recovery_offer_record(actor=supervisor, ticket=ticket, policy_id=policy.pk)
    assert caught.value.code == ErrorCode.CONFLICT  # type: ignore[attr-defined]
    assert RecoveryOffer.objects.count() == 1


def test_offers_outlive_their_policy(agent, admin, make_policy, ticket):
    policy = make_policy()
    offer = recovery_offer_record(actor=agent, ticket=ticket, policy_id=policy.pk)
    recovery_policy_update(actor=admin, policy=policy, amount=99_000)
    recovery_policy_delete(actor=admin, policy=policy)
    offer.refresh_from_db()
    assert (offer.policy_id, offer.amount) == (None, 25_000)


# ---------------------------------------------------------------- the report


def test_report_sums_per_failure_type_and_team(
    agent, supervisor, other_agent, make_policy, ticket, receive, other_team
):
    late = make_policy(amount=25_000)
    damaged = make_policy(failure_type="damaged_item", amount=50_000)
    recovery_offer_record(actor=agent, ticket=ticket, policy_id=late.pk)
    recovery_offer_record(actor=supervisor, ticket=ticket, policy_id=damaged.pk)
    billing = receive(sender="rudi@example.com", subject="Tagihan").ticket
    Ticket.objects.filter(pk=billing.pk).update(team=other_team)
    billing.refresh_from_db()
    recovery_offer_record(actor=other_agent, ticket=billing, policy_id=late.pk)
    today = timezone.localdate()

    report = selectors.recovery_offers_report(user=supervisor, start=today - timedelta(days=6), end=today)
    assert report.agent_id is None
    assert [(g.key, g.offers, g.amount) for g in report.by_failure_type] == [
        ("late_delivery", 2, 50_000),
        ("damaged_item", 1, 50_000),
    ]
    assert [(g.label, g.offers, g.amount) for g in report.by_team] == [
        ("Billing", 1, 25_000),
        ("Support", 2, 75_000),
    ]
    assert [(g.currency, g.offers, g.amount) for g in report.totals] == [("IDR", 3, 100_000)]
    assert report.offers == 3

    own = selectors.recovery_offers_report(user=agent, start=today, end=today)
    assert own.agent_id == agent.pk
    assert [(g.key, g.offers, g.amount) for g in own.by_failure_type] == [("late_delivery", 1, 25_000)]
    narrowed = selectors.recovery_offers_report(
        user=supervisor, start=today, end=today, team_id=other_team.pk
    )
    assert narrowed.offers == 1
    earlier = selectors.recovery_offers_report(
        user=supervisor, start=today - timedelta(days=9), end=today - timedelta(days=1)
    )
    assert earlier.offers == 0
    with pytest.raises(InvalidInput):
        selectors.recovery_offers_report(user=supervisor, start=today, end=today - timedelta(days=1))
    with pytest.raises(InvalidInput):
        selectors.recovery_offers_report(user=supervisor, start=today - timedelta(days=100), end=today)
    with pytest.raises(NotFound):
        selectors.recovery_offers_report(user=supervisor, start=today, end=today, team_id=10**9)


# ---------------------------------------------------------------- the API


@pytest.fixture
def api_as(db):
    def make(user) -> ApiClient:
        _, raw = api_token_create(actor=user, user=user, name="tests")
        return ApiClient(raw)

    return make


def test_api_policy_crud_and_status_codes(api_as, admin, supervisor, agent, team, other_team):
    lead = api_as(supervisor)
    body = {
        "team_id": team.pk,
        "failure_type": "late_delivery",
        "kind": "voucher",
        "amount": 25000,
        "label_id": "voucher belanja Rp25.000",
        "label_en": "a Rp25,000 shopping voucher",
    }
    created = lead.post("/api/recovery-policies", body)
    assert created.status_code == 201, created.content
    policy = created.json()
    assert (policy["team"], policy["currency"], policy["failure_type_label"]) == (
        {"id": team.pk, "name": team.name},
        "IDR",
        "late delivery",
    )
    assert lead.post("/api/recovery-policies", body).status_code == 409
    assert (
        error_code(lead.post("/api/recovery-policies", {**body, "team_id": other_team.pk}))
        == "permission_denied"
    )
    assert lead.post("/api/recovery-policies", {**body, "team_id": None}).status_code == 403
    assert lead.post("/api/recovery-policies", {**body, "amount": 0}).status_code == 422
    assert lead.post("/api/recovery-policies", {**body, "team_id": 10**9}).status_code == 422
    assert lead.post("/api/recovery-policies", {**body, "failure_type": "no way!"}).status_code == 422
    assert (
        lead.client.post(
            "/api/recovery-policies", "{", content_type="application/json", headers=lead.headers
        ).status_code
        == 400
    )
    assert api_as(agent).post("/api/recovery-policies", body).status_code == 403
    assert api_as(agent).get("/api/recovery-policies").status_code == 403
    assert ApiClient(None).get("/api/recovery-policies").status_code == 401

    url = f"/api/recovery-policies/{policy['id']}"
    patched = lead.patch(url, {"amount": 30000, "is_active": False})
    assert patched.status_code == 200, patched.content
    assert (patched.json()["amount"], patched.json()["is_active"], patched.json()["team"]["id"]) == (
        30000,
        False,
        team.pk,
    )
    assert lead.get(url).json()["amount"] == 30000
    assert lead.get("/api/recovery-policies/999999").status_code == 404
    listed = api_as(admin).get("/api/recovery-policies").json()
    assert [p["id"] for p in listed["items"]] == [policy["id"]] and listed["has_more"] is False
    assert lead.delete(url).status_code == 204
    assert lead.get(url).status_code == 404


def test_api_records_and_lists_offers(api_as, admin, agent, other_agent, trainee, make_policy, ticket):
    policy = make_policy()
    client = api_as(agent)
    url = f"/api/tickets/{ticket.pk}/recovery-offers"
    applies = client.get(f"/api/tickets/{ticket.pk}/recovery-policies")
    assert [p["id"] for p in applies.json()] == [policy.pk]
    recorded = client.post(url, {"policy_id": policy.pk, "language": "en"})
    assert recorded.status_code == 201, recorded.content
    offer = recorded.json()
    assert (offer["label"], offer["amount"], offer["offered_by"]["id"], offer["team"]["name"]) == (
        "a Rp25,000 shopping voucher",
        25000,
        agent.pk,
        "Support",
    )
    assert client.post(url, {"policy_id": policy.pk}).status_code == 409
    assert [o["id"] for o in client.get(url).json()] == [offer["id"]]
    assert client.post(url, {"policy_id": 10**9}).status_code == 422
    assert client.post(url, {}).status_code == 422
    assert api_as(trainee).post(url, {"policy_id": policy.pk}).status_code == 403
    assert api_as(other_agent).post(url, {"policy_id": policy.pk}).status_code == 404
    assert api_as(other_agent).get(url).status_code == 404
    assert client.get("/api/tickets/999999/recovery-offers").status_code == 404


def test_api_report(api_as, agent, supervisor, make_policy, ticket):
    policy = make_policy()
    recovery_offer_record(actor=supervisor, ticket=ticket, policy_id=policy.pk)
    today = timezone.localdate().isoformat()
    lead = api_as(supervisor).get("/api/reports/recovery", {"start": today, "end": today})
    assert lead.status_code == 200, lead.content
    body = lead.json()
    assert body["by_failure_type"] == [
        {"key": "late_delivery", "label": "late delivery", "currency": "IDR", "offers": 1, "amount": 25000}
    ]
    assert body["totals"][0]["amount"] == 25000 and body["agent_id"] is None
    own = api_as(agent).get("/api/reports/recovery").json()
    assert (own["agent_id"], own["totals"]) == (agent.pk, [])
    assert (
        api_as(agent).get("/api/reports/recovery", {"start": today, "end": "2000-01-01"}).status_code == 422
    )
    assert api_as(agent).get("/api/reports/recovery", {"start": "nope"}).status_code == 422


def test_api_schema_documents_the_errors(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    post = paths["/api/tickets/{ticket_id}/recovery-offers"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(post)
    assert {"200", "400", "401", "403", "404", "422"} <= set(
        paths["/api/reports/recovery"]["get"]["responses"]
    )


# ---------------------------------------------------------------- the pages


def _signed_in(user) -> Client:
    web = Client()
    web.force_login(user)
    return web


def test_admin_page_for_leads_only(supervisor, agent, admin, make_policy, team):
    make_policy()
    make_policy(team=team, failure_type="damaged_item", amount=50_000)
    page = _signed_in(supervisor).get("/admin/recovery/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Workspace default" in text and "Late delivery" in text and "Damaged item" in text
    assert "Rp50.000" in text or "Rp50,000" in text
    assert _signed_in(agent).get("/admin/recovery/").status_code == 404
    default = RecoveryPolicy.objects.get(team=None)
    assert _signed_in(supervisor).get(f"/admin/recovery/{default.pk}/").status_code == 404
    assert _signed_in(admin).get(f"/admin/recovery/{default.pk}/").status_code == 200


def test_supervisor_adds_edits_and_deletes_through_the_form(supervisor, team):
    web = _signed_in(supervisor)
    assert web.get("/admin/recovery/new/").status_code == 200
    form = {
        "team": str(team.pk),
        "failure_type": "wrong_item",
        "kind": "refund_shipping",
        "amount": "15000",
        "currency": "IDR",
        "label_id": "ongkir kembali Rp15.000",
        "label_en": "",
        "position": "0",
        "is_active": "on",
    }
    assert web.post("/admin/recovery/new/", form).status_code == 302
    policy = RecoveryPolicy.objects.get()
    assert (policy.team, policy.kind, policy.amount) == (team, "refund_shipping", 15_000)
    again = web.post("/admin/recovery/new/", form)
    assert again.status_code == 200 and "already a policy" in again.content.decode()
    refused = web.post("/admin/recovery/new/", {**form, "team": "default", "failure_type": "outage"})
    assert refused.status_code == 200 and RecoveryPolicy.objects.count() == 1
    assert web.post(f"/admin/recovery/{policy.pk}/", {**form, "amount": "20000"}).status_code == 302
    policy.refresh_from_db()
    assert policy.amount == 20_000
    assert web.post(f"/admin/recovery/{policy.pk}/delete/").status_code == 302
    assert not RecoveryPolicy.objects.exists()


def test_ticket_page_records_an_offer(agent, make_policy, ticket, other_agent, django_assert_max_num_queries):
    policy = make_policy()
    web = _signed_in(agent)
    page = web.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-recovery"' in page and f'value="{policy.pk}"' in page
    response = web.post(f"/tickets/{ticket.pk}/recovery-offers/", {"policy": policy.pk})
    assert response.status_code == 302
    assert RecoveryOffer.objects.filter(ticket=ticket, offered_by=agent).count() == 1
    page = web.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "agent offered voucher belanja Rp25.000 (late delivery)" in page
    assert "data-recovery-offer" in page
    again = web.post(f"/tickets/{ticket.pk}/recovery-offers/", {"policy": policy.pk}, follow=True)
    assert "already made" in again.content.decode()
    assert (
        _signed_in(other_agent)
        .post(f"/tickets/{ticket.pk}/recovery-offers/", {"policy": policy.pk})
        .status_code
        == 404
    )


def test_the_offer_is_folded_unless_the_ticket_shows_a_real_failure(agent, make_policy, ticket):
    make_policy()
    web = _signed_in(agent)
    page = web.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-recovery-folded" in page and "does not show a real failure" in page
    ticket_update(actor=agent, ticket=ticket, tags=["failure"])
    page = web.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "data-recovery-folded" not in page and 'id="recovery-policy"' in page


def test_report_page_and_csv(supervisor, agent, make_policy, ticket):
    policy = make_policy()
    recovery_offer_record(actor=agent, ticket=ticket, policy_id=policy.pk)
    web = _signed_in(supervisor)
    page = web.get("/reports/recovery/")
    assert page.status_code == 200
    assert 'data-key="late_delivery"' in page.content.decode()
    exported = web.get("/reports/recovery.csv", {"dimension": "team"})
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows == [
        ["key", "label", "currency", "offers", "amount"],
        [str(ticket.team_id), "Support", "IDR", "1", "25000"],
    ]
    assert web.get("/reports/recovery.csv", {"dimension": "nope"}).status_code == 404
    assert _signed_in(agent).get("/reports/recovery/").status_code == 200


# ---------------------------------------------------------------- the demo


def test_demo_policies_are_created_once(admin, agent, ticket):
    assert create_demo_recovery_policies(actor=admin) == len(DEMO_POLICIES) == 4
    assert create_demo_recovery_policies(actor=admin) == 0
    assert {(p.failure_type, p.kind, p.amount) for p in RecoveryPolicy.objects.filter(team=None)} == {
        ("late_delivery", "voucher", 25_000),
        ("damaged_item", "voucher", 50_000),
        ("billing_error", "credit", 20_000),
        ("outage", "credit", 30_000),
    }
    assert len(selectors.recovery_policies_for_ticket(user=agent, ticket=ticket)) == 4


def test_lists_do_not_grow_in_queries(api_as, admin, make_policy, make_team, django_assert_max_num_queries):
    client = api_as(admin)
    web = _signed_in(admin)
    for i in range(2):
        make_policy(team=make_team(f"T{i}"))
    with django_assert_max_num_queries(20) as api_few:
        client.get("/api/recovery-policies")
    with django_assert_max_num_queries(40) as page_few:
        web.get("/admin/recovery/")
    for i in range(2, 12):
        make_policy(team=make_team(f"T{i}"), failure_type="outage")
    with django_assert_max_num_queries(len(api_few.captured_queries)):
        assert len(client.get("/api/recovery-policies").json()["items"]) == 12
    with django_assert_max_num_queries(len(page_few.captured_queries)):
        assert web.get("/admin/recovery/").status_code == 200
