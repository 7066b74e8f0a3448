"""Agents, teams and API tokens."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.hashers import check_password

from tanggap.accounts.models import ApiToken, Role, User
from tanggap.accounts.selectors import agent_get, agent_list, api_tokens_for, team_get, team_list
from tanggap.accounts.services import (
    TOKEN_PREFIX,
    agent_create,
    agent_update,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    team_create,
    team_update,
)
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound, PermissionDenied
from tanggap.core.models import AuditEntry

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- agents


def test_agent_create(admin, team):
    user = agent_create(
        actor=admin,
        username=" budi ",
        password="kopi-tubruk-99",
        email=" Budi@Toko.Example ",
        display_name="Budi",
        role=Role.SUPERVISOR,
        teams=[team],
        language="id",
    )
    user.refresh_from_db()
    assert (user.username, user.email, user.role, user.label) == (
        "budi",
        "budi@toko.example",
        "supervisor",
        "Budi",
    )
    assert list(user.teams.all()) == [team]
    assert not user.is_staff and not user.is_superuser and not user.is_admin
    assert user.check_password("kopi-tubruk-99")
    audit = AuditEntry.objects.get(action="agent.created", object_id=str(user.pk))
    assert (audit.actor, audit.data) == (admin, {"role": "supervisor"})


def test_first_admin_is_created_without_an_actor_and_uses_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = agent_create(actor=None, username="root", password="kopi-tubruk-99", role=Role.ADMIN)
    assert user.is_admin and user.is_staff
    assert user.password.startswith("argon2")


@pytest.mark.parametrize("password", ["short", "password123", "12345678", "", "qwertyuiop"])
def test_agent_create_runs_the_password_validators(admin, password):
    with pytest.raises(InvalidInput) as excinfo:
        agent_create(actor=admin, username="budisantoso", password=password)
    assert excinfo.value.details == {"field": "password"}
    assert not User.objects.filter(username="budisantoso").exists()


@pytest.mark.parametrize("username", ["", "   ", "budi santoso", "budi/../x", "x" * 151])
def test_agent_create_refuses_bad_user_names(admin, username):
    with pytest.raises(InvalidInput):
        agent_create(actor=admin, username=username, password="kopi-tubruk-99")


def test_agent_create_refuses_duplicate_names_whatever_the_case(admin):
    agent_create(actor=admin, username="budi", password="kopi-tubruk-99")
    with pytest.raises(ApplicationError) as excinfo:
        agent_create(actor=admin, username="BUDI", password="kopi-tubruk-99")
    assert excinfo.value.code == ErrorCode.CONFLICT


def test_agent_create_refuses_bad_role_and_email(admin):
    with pytest.raises(InvalidInput):
        agent_create(actor=admin, username="budi", password="kopi-tubruk-99", role="owner")
    with pytest.raises(InvalidInput):
        agent_create(actor=admin, username="budi", password="kopi-tubruk-99", email="bukan email")


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.TRAINEE])
def test_only_admins_manage_agents(make_agent, role, admin):
    actor = make_agent(role=role)
    with pytest.raises(PermissionDenied):
        agent_create(actor=actor, username="budi", password="kopi-tubruk-99")
    with pytest.raises(PermissionDenied):
        agent_update(actor=actor, agent=actor, role=Role.ADMIN)
    assert User.objects.get(pk=actor.pk).role == role


def test_agent_update(admin, agent, team, make_team):
    other = make_team("Billing")
    agent_update(
        actor=admin,
        agent=agent,
        display_name=" Agen Satu ",
        email="SATU@example.com",
        role=Role.ADMIN,
        teams=[team, other],
        language="en",
        password="teh-manis-2024",
    )
    agent.refresh_from_db()
    assert (agent.display_name, agent.email, agent.role, agent.is_staff, agent.language) == (
        "Agen Satu",
        "satu@example.com",
        "admin",
        True,
        "en",
    )
    assert set(agent.teams.all()) == {team, other}
    assert check_password("teh-manis-2024", agent.password)
    audit = AuditEntry.objects.filter(action="agent.updated").latest("id")
    assert set(audit.data) == {"display_name", "email", "role", "language", "password", "teams"}
    assert "teh-manis-2024" not in str(audit.data)


def test_agent_update_without_change_writes_nothing(admin, agent, team):
    count = AuditEntry.objects.count()
    agent_update(actor=admin, agent=agent, display_name="", teams=[team], role=Role.AGENT)
    assert AuditEntry.objects.count() == count


def test_agent_update_validates_the_password(admin, agent):
    with pytest.raises(InvalidInput):
        agent_update(actor=admin, agent=agent, password="123")
    with pytest.raises(InvalidInput):
        agent_update(actor=admin, agent=agent, role="owner")


def test_admin_cannot_demote_or_deactivate_themselves(admin, make_agent):
    with pytest.raises(InvalidInput):
        agent_update(actor=admin, agent=admin, role=Role.SUPERVISOR)
    with pytest.raises(InvalidInput):
        agent_update(actor=admin, agent=admin, is_active=False)
    admin.refresh_from_db()
    assert admin.is_admin and admin.is_active
    # Another admin may.
    other = make_agent(role=Role.ADMIN)
    agent_update(actor=other, agent=admin, role=Role.AGENT, is_active=False)
    admin.refresh_from_db()
    assert admin.role == Role.AGENT and not admin.is_staff and not admin.is_active


# ---------------------------------------------------------------- teams


def test_team_create_and_update(admin, agent, make_agent):
    team = team_create(actor=admin, name="  Tim   Pengiriman ", description="Kurir", members=[agent])
    assert (team.name, team.slug) == ("Tim Pengiriman", "tim-pengiriman")
    assert list(team.members.all()) == [agent]
    other = make_agent()
    team_update(actor=admin, team=team, name="Tim Kurir", members=[agent, other])
    team.refresh_from_db()
    assert (team.name, team.slug) == ("Tim Kurir", "tim-kurir")
    assert set(team.members.all()) == {agent, other}
    audit = AuditEntry.objects.filter(action="team.updated").latest("id")
    assert audit.actor == admin and set(audit.data) == {"name", "members"}


def test_team_names_are_unique_and_slugs_too(admin):
    team_create(actor=admin, name="Billing")
    with pytest.raises(ApplicationError) as excinfo:
        team_create(actor=admin, name="billing")
    assert excinfo.value.code == ErrorCode.CONFLICT
    # Different names that slugify alike still get distinct slugs.
    assert team_create(actor=admin, name="Billing!").slug == "billing-2"
    other = team_create(actor=admin, name="Sales")
    with pytest.raises(ApplicationError):
        team_update(actor=admin, team=other, name="BILLING")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_team_name_is_required_and_bounded(admin, name):
    with pytest.raises(InvalidInput):
        team_create(actor=admin, name=name)


def test_only_admins_manage_teams(agent, make_agent, team):
    supervisor = make_agent(role=Role.SUPERVISOR)
    for actor in (agent, supervisor):
        with pytest.raises(PermissionDenied):
            team_create(actor=actor, name="Baru")
        with pytest.raises(PermissionDenied):
            team_update(actor=actor, team=team, name="Diganti")


def test_team_update_without_change_writes_nothing(admin, team, agent):
    count = AuditEntry.objects.count()
    team_update(actor=admin, team=team, name=" Support ", members=[agent], description="")
    assert AuditEntry.objects.count() == count


# ---------------------------------------------------------------- API tokens


def test_token_is_stored_as_a_hash(agent):
    token, raw = api_token_create(actor=agent, user=agent, name="  Laptop ")
    assert raw.startswith(TOKEN_PREFIX) and len(raw) > 40
    assert token.name == "Laptop"
    assert token.prefix == raw[:12]
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values()[0]
    assert raw not in str(stored)
    assert raw not in str(AuditEntry.objects.filter(action="api_token.created").values())
    assert api_token_authenticate(raw) == agent
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.parametrize(
    "raw", ["", "tgp_", "tgp_wrong", "Bearer tgp_x", "abc", "tgp_" + "a" * 300, "\x00", "tgp_\udcff"]
)
def test_unknown_tokens_are_refused(agent, raw):
    api_token_create(actor=agent, user=agent, name="x")
    assert api_token_authenticate(raw) is None


def test_token_without_the_prefix_is_refused_even_if_its_hash_matches(agent):
    token, raw = api_token_create(actor=agent, user=agent, name="x")
    bare = raw.removeprefix(TOKEN_PREFIX)
    ApiToken.objects.filter(pk=token.pk).update(key_hash=hashlib.sha256(bare.encode()).hexdigest())
    assert api_token_authenticate(bare) is None


def test_revoked_token_is_refused(agent):
    token, raw = api_token_create(actor=agent, user=agent, name="x")
    api_token_revoke(actor=agent, token=token)
    assert api_token_authenticate(raw) is None
    assert list(api_tokens_for(user=agent)) == []
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    api_token_revoke(actor=agent, token=ApiToken.objects.get(pk=token.pk))  # twice is harmless
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at


def test_token_of_an_inactive_agent_is_refused(admin, agent):
    _, raw = api_token_create(actor=agent, user=agent, name="x")
    agent_update(actor=admin, agent=agent, is_active=False)
    assert api_token_authenticate(raw) is None
    with pytest.raises(InvalidInput):
        api_token_create(actor=admin, user=agent, name="y")


def test_tokens_for_others_need_agent_manage(admin, agent):
    other = agent_create(actor=admin, username="lain", password="kopi-tubruk-99")
    with pytest.raises(PermissionDenied):
        api_token_create(actor=agent, user=other, name="x")
    token, _ = api_token_create(actor=admin, user=other, name="x")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=agent, token=token)
    api_token_revoke(actor=admin, token=token)
    audit = AuditEntry.objects.filter(action="api_token.revoked").get()
    assert (audit.actor, audit.object_id, audit.data) == (admin, str(other.pk), {"token_id": token.pk})


# ---------------------------------------------------------------- selectors


def test_selectors(agent, admin, team, django_assert_num_queries):
    assert agent_get(user=agent, agent_id=admin.pk) == admin
    assert team_get(user=agent, team_id=team.pk) == team
    for bad in (-1, 2**70, "abc", None):
        with pytest.raises(NotFound):
            agent_get(user=agent, agent_id=bad)
        with pytest.raises(NotFound):
            team_get(user=agent, team_id=bad)
    agent_update(actor=admin, agent=agent, is_active=False)
    assert list(agent_list(user=admin, active_only=True)) == [admin]
    assert set(agent_list(user=admin)) == {admin, agent}
    assert not agent_list(user=agent).exists()
    with django_assert_num_queries(2):
        teams = list(team_list(user=admin))
        _ = [list(t.members.all()) for t in teams]
