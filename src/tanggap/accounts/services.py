"""Writing agents, teams and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from tanggap.accounts.models import ApiToken, Role, Team, User
from tanggap.accounts.permissions import can, require
from tanggap.accounts.selectors import forget_user_teams
from tanggap.core.audit import audit_record
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput

TOKEN_PREFIX = "tgp_"  # noqa: S105 (a public marker, not a secret)


def _validate_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput(field="email") from exc
    return email


def _clean_username(username: str) -> str:
    username = username.strip()
    if not username or len(username) > 150:
        raise InvalidInput(field="username")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="username") from exc
    return username


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
    username = _clean_username(username)
    if role not in Role.values:
        raise InvalidInput(field="role")
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "that user name is taken", field="username")
    user = User(
        username=username,
        email=_clean_email(email),
        display_name=display_name.strip()[:150],
        role=role,
        language=language[:8],
        is_staff=role == Role.ADMIN,
        is_superuser=False,
    )
    # Checked against the new agent, so a password like their user name is refused.
    _validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ApplicationError(ErrorCode.CONFLICT, "that user name is taken", field="username") from None
    if teams:
        user.teams.set(teams)
        forget_user_teams(user)
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
    if display_name is not None and display_name.strip()[:150] != agent.display_name:
        agent.display_name = changed["display_name"] = display_name.strip()[:150]
    if email is not None and _clean_email(email) != agent.email:
        agent.email = changed["email"] = _clean_email(email)
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
    if language is not None and language[:8] != agent.language:
        agent.language = changed["language"] = language[:8]
    if password:
        _validate_password(password, agent)
        agent.set_password(password)
        changed["password"] = True
    if changed:
        agent.save()
    if teams is not None:
        before = set(agent.teams.values_list("pk", flat=True))
        after = {t.pk for t in teams}
        if before != after:
            agent.teams.set(teams)
            forget_user_teams(agent)
            changed["teams"] = sorted(after)
    if changed:
        audit_record(actor=actor, action="agent.updated", target=agent, data=dict.fromkeys(changed, True))
    return agent


def _unique_slug(name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:90] or "team"
    slug, n = base, 2
    others = Team.objects.all() if exclude_pk is None else Team.objects.exclude(pk=exclude_pk)
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_team_name(name: str, exclude_pk: int | None = None) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise InvalidInput(field="name")
    others = Team.objects.all() if exclude_pk is None else Team.objects.exclude(pk=exclude_pk)
    if others.filter(name__iexact=name).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "a team with that name exists", field="name")
    return name


@transaction.atomic
def team_create(*, actor: Any, name: str, description: str = "", members: Sequence[User] = ()) -> Team:
    if actor is not None:
        require(actor, "team.manage")
    name = _clean_team_name(name)
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, slug=_unique_slug(name), description=description)
    except IntegrityError:
        raise ApplicationError(ErrorCode.CONFLICT, "a team with that name exists", field="name") from None
    if members:
        team.members.set(members)
        forget_user_teams(*members)
    audit_record(actor=actor, action="team.created", target=team)
    return team


@transaction.atomic
def team_update(
    *,
    actor: Any,
    team: Team,
    name: str | None = None,
    description: str | None = None,
    members: Sequence[User] | None = None,
) -> Team:
    require(actor, "team.manage")
    changed: dict[str, Any] = {}
    if name is not None and " ".join(name.split()) != team.name:
        name = _clean_team_name(name, team.pk)
        team.name, team.slug = name, _unique_slug(name, team.pk)
        changed["name"] = name
    if description is not None and description != team.description:
        team.description = description
        changed["description"] = True
    if changed:
        try:
            with transaction.atomic():
                team.save()
        except IntegrityError:
            raise ApplicationError(ErrorCode.CONFLICT, "a team with that name exists", field="name") from None
    if members is not None:
        before = set(team.members.values_list("pk", flat=True))
        after = {m.pk for m in members}
        if before != after:
            team.members.set(members)
            forget_user_teams(*members)
            changed["members"] = sorted(after)
    if changed:
        audit_record(actor=actor, action="team.updated", target=team, data=changed)
    return team


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for ``user``. Returns the row and the token, which is never stored or shown again."""
    if actor.pk != user.pk:
        require(actor, "agent.manage")
    elif not can(actor, "ticket.view"):  # signed in and active
        require(actor, "ticket.view")
    if not user.is_active:
        raise InvalidInput("the agent is not active", field="user")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "API", prefix=raw[:12], key_hash=_hash(raw)
    )
    audit_record(actor=actor, action="api_token.created", target=user, data={"token_id": token.pk})
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    if actor.pk != token.user_id:
        require(actor, "agent.manage")
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoked", target=token.user, data={"token_id": token.pk})


def api_token_authenticate(raw: str) -> User | None:
    """The active agent a bearer token belongs to, or None. Compares hashes, never the token."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200 or not raw.isascii():
        return None
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=_hash(raw), revoked_at__isnull=True).first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def profile_update(*, actor: User, display_name: str | None = None, language: str | None = None) -> User:
    """An agent's own display name and interface language (any signed-in agent, for themselves)."""
    from django.conf import settings

    changed: dict[str, Any] = {}
    if display_name is not None and display_name.strip()[:150] != actor.display_name:
        actor.display_name = changed["display_name"] = display_name.strip()[:150]
    if language is not None and language != actor.language:
        if language and language not in dict(settings.LANGUAGES):
            raise InvalidInput(field="language")
        actor.language = changed["language"] = language
    if changed:
        actor.save(update_fields=list(changed))
        audit_record(actor=actor, action="agent.profile_updated", target=actor, data=changed)
    return actor
