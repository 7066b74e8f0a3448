"""Writing agents, teams and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from tanggap.accounts.models import ApiToken, Role, Team, User
from tanggap.accounts.permissions import require
from tanggap.core.audit import audit_record
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput

TOKEN_PREFIX = "tgp_"


def _validate_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc


@transaction.atomic
def agent_create(
    *,
    actor: Any,
    username: str,
    password: str,
    email: str = "",
    display_name: str = "",
    role: str = Role.AGENT,
    teams: Sequence[Team] = (),
    language: str = "",
) -> User:
    """Create an agent. ``actor`` is None only for the first admin (``tanggap createadmin``)."""
    if actor is not None:
        require(actor, "agent.manage")
    username = username.strip()
    if not username or len(username) > 150:
        raise InvalidInput(field="username")
    if role not in Role.values:
        raise InvalidInput(field="role")
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "that user name is taken", field="username")
    _validate_password(password)
    user = User(
        username=username,
        email=email.strip().lower(),
        display_name=display_name.strip()[:150],
        role=role,
        language=language,
        is_staff=role == Role.ADMIN,
        is_superuser=False,
    )
    user.set_password(password)
    user.save()
    if teams:
        user.teams.set(teams)
    audit_record(actor=actor, action="agent.created", target=user, data={"role": role})
    return user


@transaction.atomic
def agent_update(
    *,
    actor: Any,
    agent: User,
    display_name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    teams: Sequence[Team] | None = None,
    is_active: bool | None = None,
    language: str | None = None,
    password: str | None = None,
) -> User:
    require(actor, "agent.manage")
    changed: dict[str, Any] = {}
    if display_name is not None and display_name != agent.display_name:
        agent.display_name = changed["display_name"] = display_name.strip()[:150]
    if email is not None and email != agent.email:
        agent.email = changed["email"] = email.strip().lower()
    if role is not None and role != agent.role:
        if role not in Role.values:
            raise InvalidInput(field="role")
        if agent.pk == actor.pk and role != Role.ADMIN:
            raise InvalidInput("you cannot remove your own admin role", field="role")
        agent.role = changed["role"] = role
        agent.is_staff = role == Role.ADMIN
    if is_active is not None and is_active != agent.is_active:
        if agent.pk == actor.pk and not is_active:
            raise InvalidInput("you cannot deactivate yourself", field="is_active")
        agent.is_active = changed["is_active"] = is_active
    if language is not None and language != agent.language:
        agent.language = changed["language"] = language
    if password:
        _validate_password(password, agent)
        agent.set_password(password)
        changed["password"] = True
    agent.save()
    if teams is not None:
        before = set(agent.teams.values_list("pk", flat=True))
        after = {t.pk for t in teams}
        if before != after:
            agent.teams.set(teams)
            changed["teams"] = sorted(after)
    if changed:
        audit_record(actor=actor, action="agent.updated", target=agent, data={k: True for k in changed})
    return agent


def _unique_slug(name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:90] or "team"
    slug, n = base, 2
    while Team.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def team_create(*, actor: Any, name: str, description: str = "", members: Sequence[User] = ()) -> Team:
    if actor is not None:
        require(actor, "team.manage")
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(field="name")
    if Team.objects.filter(name__iexact=name).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "a team with that name exists", field="name")
    team = Team.objects.create(name=name, slug=_unique_slug(name), description=description)
    if members:
        team.members.set(members)
    audit_record(actor=actor, action="team.created", target=team)
    return team


@transaction.atomic
def team_update(
    *, actor: Any, team: Team, name: str | None = None, description: str | None = None,
    members: Sequence[User] | None = None,
) -> Team:
    require(actor, "team.manage")
    if name is not None and name.strip() != team.name:
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput(field="name")
        if Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
            raise ApplicationError(ErrorCode.CONFLICT, "a team with that name exists", field="name")
        team.name, team.slug = name, _unique_slug(name, team.pk)
    if description is not None:
        team.description = description
    team.save()
    if members is not None:
        team.members.set(members)
    audit_record(actor=actor, action="team.updated", target=team)
    return team


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for ``user``. Returns the row and the token, which is never stored or shown again."""
    if actor.pk != user.pk:
        require(actor, "agent.manage")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip()[:100] or "API", prefix=raw[:12], key_hash=_hash(raw))
    audit_record(actor=actor, action="api_token.created", target=user, data={"token_id": token.pk})
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    if actor.pk != token.user_id:
        require(actor, "agent.manage")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoked", target=token.user, data={"token_id": token.pk})


def api_token_authenticate(raw: str) -> User | None:
    """The active agent a bearer token belongs to, or None. Compares hashes, never the token."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
