"""Encrypting secrets at rest: mailbox passwords, provider API keys — what we must read back later.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) with keys derived by HKDF from the
project's ``SECRET_KEY`` and a purpose, so a token made for one purpose does not open as another.
``SECRET_KEY_FALLBACKS`` still decrypt after a key rotation; ``reencrypt`` moves a token to the
current key. Plaintexts never appear in exceptions, reprs or logs.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"  # the format of what is stored: a later scheme gets its own prefix
MAX_PLAINTEXT = 64 * 1024


class SecretUnreadable(Exception):
    """The stored value was not made with any of our keys for this purpose, or was altered."""


def _derive(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"tanggap.core.crypto", info=purpose.encode()
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@cache
def _fernet(purpose: str, secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_derive(key, purpose) for key in (secret_key, *fallbacks)])


def _keys(purpose: str) -> MultiFernet:
    from django.conf import settings

    if not purpose:
        raise ValueError("a purpose is required")
    fallbacks = tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ())
    return _fernet(purpose, settings.SECRET_KEY, fallbacks)


def encrypt(plaintext: str, *, purpose: str) -> str:
    """The stored form of ``plaintext`` (ASCII, safe in a text or JSON column)."""
    data = plaintext.encode("utf-8")
    if len(data) > MAX_PLAINTEXT:
        raise ValueError("the secret is too long")
    return PREFIX + _keys(purpose).encrypt(data).decode("ascii")


def decrypt(stored: str, *, purpose: str) -> str:
    if not isinstance(stored, str) or not stored.startswith(PREFIX):
        raise SecretUnreadable("not an encrypted value")
    try:
        return _keys(purpose).decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        raise SecretUnreadable("the secret cannot be read with the current keys") from None


def reencrypt(stored: str, *, purpose: str) -> str:
    """``stored`` under the current key (after ``SECRET_KEY`` was rotated)."""
    if not isinstance(stored, str) or not stored.startswith(PREFIX):
        raise SecretUnreadable("not an encrypted value")
    try:
        return PREFIX + _keys(purpose).rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError, ValueError):
        raise SecretUnreadable("the secret cannot be read with the current keys") from None
