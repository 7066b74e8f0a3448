"""The permission table."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from tanggap.accounts.models import Role
from tanggap.accounts.permissions import ACTIONS, can, require
from tanggap.accounts.services import agent_update
from tanggap.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db

ADMIN_ONLY = {"team.manage", "agent.manage", "webhook.manage", "inbox.manage", "sla.manage"}
EXPECTED = {
    Role.ADMIN: set(ACTIONS),
    Role.SUPERVISOR: set(ACTIONS) - ADMIN_ONLY,
    Role.AGENT: set(ACTIONS)
    - ADMIN_ONLY
    - {
        "customer.merge",
        "report.view_all",
        "sla.view",
        "roster.manage",
        "macro.manage",
        "trigger.manage",
        "presence.manage",
        "availability.manage",
        "routing.manage",
        "recovery.manage",
    },
    Role.TRAINEE: {
        "ticket.view",
        "ticket.create",
        "ticket.reply",
        "ticket.note",
        "ticket.update",
        "ticket.transition",
        "customer.view",
        "report.view",
        "macro.use",
    },
}


@pytest.mark.parametrize("role", list(Role))
def test_table(make_agent, role):
    user = make_agent(role=role)
    assert {action for action in ACTIONS if can(user, action)} == EXPECTED[role]


def test_trainee_may_not_assign_bulk_or_merge(make_agent):
    trainee = make_agent(role=Role.TRAINEE)
    for action in ("ticket.assign", "ticket.bulk", "ticket.merge", "customer.merge", "customer.update"):
        with pytest.raises(PermissionDenied) as excinfo:
            require(trainee, action)
        assert excinfo.value.details == {"action": action}
        assert excinfo.value.status == 403


def test_nobody_unauthenticated_or_inactive(make_agent, admin):
    user = make_agent(role=Role.ADMIN)
    agent_update(actor=admin, agent=user, is_active=False)
    for who in (None, AnonymousUser(), user):
        assert not any(can(who, action) for action in ACTIONS)


def test_superuser_may_do_everything(make_agent):
    user = make_agent(role=Role.TRAINEE)
    user.is_superuser = True
    assert all(can(user, action) for action in ACTIONS)
    assert user.is_admin
