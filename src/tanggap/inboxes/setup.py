"""Setting up inboxes: creating them, changing their address, team, language, signature and IMAP/SMTP
settings (passwords stored encrypted), and opening or closing their public web form."""

from __future__ import annotations

import enum
import re
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from tanggap.accounts.models import Team
from tanggap.accounts.permissions import require
from tanggap.config import is_loopback_host
from tanggap.core.audit import audit_record
from tanggap.core.crypto import encrypt
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput
from tanggap.customers.identities import InvalidIdentity, normalise_email
from tanggap.inboxes.models import ImapState, Inbox, InboxLanguage, Security
from tanggap.inboxes.selectors import MANAGE_ACTION


def _clean_address(address: str) -> str:
    try:
        return normalise_email(address)
    except InvalidIdentity as exc:
        raise InvalidInput(str(exc), field="address") from exc


@transaction.atomic
def inbox_create(
    *,
    actor: Any,
    name: str,
    address: str,
    team: Team | None = None,
    language: str = InboxLanguage.INDONESIAN,
    signature: str = "",
) -> Inbox:
    """A new inbox for an advertised address. ``actor`` is None only from the command line."""
    if actor is not None:
        require(actor, MANAGE_ACTION)
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise InvalidInput(field="name")
    address = _clean_address(address)
    if language not in InboxLanguage.values:
        raise InvalidInput(field="language")
    if Inbox.objects.filter(name__iexact=name).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "an inbox with that name exists", field="name")
    if Inbox.objects.filter(address=address).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "an inbox with that address exists", field="address")
    try:
        with transaction.atomic():
            inbox = Inbox.objects.create(
                name=name, address=address, team=team, language=language, signature=signature
            )
    except IntegrityError:
        raise ApplicationError(ErrorCode.CONFLICT, "that inbox exists", field="address") from None
    audit_record(actor=actor, action="inbox.created", target=inbox, data={"address": address})
    return inbox


def _form_key() -> str:
    return secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-]


@transaction.atomic
def inbox_form_enable(*, actor: Any, inbox: Inbox, new_key: bool = False) -> Inbox:
    """Open the inbox's public web form (``/form/<form_key>/``). The key is made on first use and kept
    when the form is closed and opened again, so embedded forms keep working; ``new_key`` replaces it
    (the old address then answers 404, e.g. after it was abused)."""
    if actor is not None:
        require(actor, MANAGE_ACTION)
    locked = Inbox.objects.select_for_update().get(pk=inbox.pk)
    rotated = new_key or not locked.form_key
    if rotated:
        locked.form_key = _form_key()
    locked.form_enabled = True
    locked.save(update_fields=["form_key", "form_enabled"])
    audit_record(actor=actor, action="inbox.form_enabled", target=locked, data={"new_key": rotated})
    return locked


@transaction.atomic
def inbox_form_disable(*, actor: Any, inbox: Inbox) -> Inbox:
    """Close the inbox's web form: its address answers 404 until it is enabled again."""
    if actor is not None:
        require(actor, MANAGE_ACTION)
    locked = Inbox.objects.select_for_update().get(pk=inbox.pk)
    if locked.form_enabled:
        locked.form_enabled = False
        locked.save(update_fields=["form_enabled"])
        audit_record(actor=actor, action="inbox.form_disabled", target=locked)
    return locked


class Keep(enum.Enum):
    """The value ``inbox_update`` leaves as it is (``None`` means "none" for some settings)."""

    KEEP = "keep"


KEEP = Keep.KEEP
_HOST = re.compile(r"^[A-Za-z0-9._:\[\]-]{1,255}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_SECRET_CHARS = 1000


def _connection(prefix: str, values: dict[str, Any], inbox: Inbox) -> dict[str, Any]:
    """The ``imap_*`` or ``smtp_*`` settings to write, checked; a password encrypted for its purpose."""
    out: dict[str, Any] = {}
    host = values.get("host", KEEP)
    if host is not KEEP:
        host = (host or "").strip()
        if host and not _HOST.match(host):
            raise InvalidInput(field=f"{prefix}_host")
        out[f"{prefix}_host"] = host
    port = values.get("port", KEEP)
    if port is not KEEP:
        if port is not None and not (isinstance(port, int) and 0 < port < 65536):
            raise InvalidInput(field=f"{prefix}_port")
        out[f"{prefix}_port"] = port
    security = values.get("security", KEEP)
    if security is not KEEP:
        if security not in Security.values:
            raise InvalidInput(field=f"{prefix}_security")
        out[f"{prefix}_security"] = security
    username = values.get("username", KEEP)
    if username is not KEEP:
        username = (username or "").strip()
        if len(username) > 320 or _CONTROL.search(username):
            raise InvalidInput(field=f"{prefix}_username")
        out[f"{prefix}_username"] = username
    password = values.get("password", KEEP)
    if password is not KEEP:
        password = password or ""
        if len(password) > MAX_SECRET_CHARS or _CONTROL.search(password):
            raise InvalidInput(field=f"{prefix}_password")
        out[f"{prefix}_password"] = encrypt(password, purpose=f"inbox.{prefix}") if password else ""
    for name in ("folder", "done_folder"):
        folder = values.get(name, KEEP)
        if folder is KEEP:
            continue
        folder = (folder or "").strip()
        if len(folder) > 255 or _CONTROL.search(folder):
            raise InvalidInput(field=f"{prefix}_{name}")
        out[f"{prefix}_{name}"] = folder
    # The resulting settings must make sense together.
    final_host = out.get(f"{prefix}_host", getattr(inbox, f"{prefix}_host"))
    final_security = out.get(f"{prefix}_security", getattr(inbox, f"{prefix}_security"))
    if final_host and final_security == Security.NONE and not is_loopback_host(final_host):
        raise InvalidInput(field=f"{prefix}_security", reason="plain_not_loopback")
    if prefix == "imap" and final_host:
        folder = out.get("imap_folder", inbox.imap_folder) or "INBOX"
        out.setdefault("imap_folder", folder)
        if out.get("imap_done_folder", inbox.imap_done_folder) == folder:
            raise InvalidInput(field="imap_done_folder", reason="same_as_folder")
    return out


@transaction.atomic
def inbox_update(
    *,
    actor: Any,
    inbox: Inbox,
    name: str | Keep = KEEP,
    address: str | Keep = KEEP,
    team: Team | Keep | None = KEEP,
    language: str | Keep = KEEP,
    signature: str | Keep = KEEP,
    is_active: bool | Keep = KEEP,
    imap_host: str | Keep = KEEP,
    imap_port: int | Keep | None = KEEP,
    imap_security: str | Keep = KEEP,
    imap_username: str | Keep = KEEP,
    imap_password: str | Keep = KEEP,
    imap_folder: str | Keep = KEEP,
    imap_done_folder: str | Keep = KEEP,
    smtp_host: str | Keep = KEEP,
    smtp_port: int | Keep | None = KEEP,
    smtp_security: str | Keep = KEEP,
    smtp_username: str | Keep = KEEP,
    smtp_password: str | Keep = KEEP,
) -> Inbox:
    """Change an inbox's settings; what is not given (``KEEP``) stays. A password is given only to
    change it ("" removes it) and is stored encrypted. ``actor`` is None only from the command line.

    Pointing the inbox at another IMAP server, user or folder starts the UID tracking afresh; the
    content hash keeps mail already stored from being stored twice."""
    if actor is not None:
        require(actor, MANAGE_ACTION)
    inbox = Inbox.objects.select_for_update().get(pk=inbox.pk)
    changes: dict[str, Any] = {}
    if name is not KEEP:
        name = " ".join((name or "").split())
        if not name or len(name) > 100:
            raise InvalidInput(field="name")
        if Inbox.objects.filter(name__iexact=name).exclude(pk=inbox.pk).exists():
            raise ApplicationError(ErrorCode.CONFLICT, "an inbox with that name exists", field="name")
        changes["name"] = name
    if address is not KEEP:
        address = _clean_address(address)
        if Inbox.objects.filter(address=address).exclude(pk=inbox.pk).exists():
            raise ApplicationError(ErrorCode.CONFLICT, "an inbox with that address exists", field="address")
        changes["address"] = address
    if team is not KEEP:
        changes["team"] = team
    if language is not KEEP:
        if language not in InboxLanguage.values:
            raise InvalidInput(field="language")
        changes["language"] = language
    if signature is not KEEP:
        if len(signature or "") > 5000:
            raise InvalidInput(field="signature")
        changes["signature"] = signature or ""
    if is_active is not KEEP:
        changes["is_active"] = bool(is_active)
    imap = {
        "host": imap_host,
        "port": imap_port,
        "security": imap_security,
        "username": imap_username,
        "password": imap_password,
        "folder": imap_folder,
        "done_folder": imap_done_folder,
    }
    smtp = {
        "host": smtp_host,
        "port": smtp_port,
        "security": smtp_security,
        "username": smtp_username,
        "password": smtp_password,
    }
    changes |= _connection("imap", imap, inbox)
    changes |= _connection("smtp", smtp, inbox)
    changed = sorted(field for field, value in changes.items() if getattr(inbox, field) != value)
    # A password given again is a change even when it encrypts differently each time.
    changed = sorted({*changed, *(f for f in ("imap_password", "smtp_password") if f in changes)})
    if not changed:
        return inbox
    for field in changed:
        setattr(inbox, field, changes[field])
    try:
        with transaction.atomic():
            inbox.save(update_fields=changed)
    except IntegrityError:
        raise ApplicationError(ErrorCode.CONFLICT, "that inbox exists", field="address") from None
    if {"imap_host", "imap_username", "imap_folder"} & set(changed):
        ImapState.objects.filter(inbox=inbox).update(
            uidvalidity=None, last_uid=0, folder=inbox.imap_folder, consecutive_failures=0, last_error=""
        )
    # Field names only: never a password, not even encrypted.
    audit_record(actor=actor, action="inbox.updated", target=inbox, data={"changed": changed})
    return inbox
