"""Normalising identity values. Pure: no Django."""

from __future__ import annotations

import re

import phonenumbers

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_HANDLE = re.compile(r"^[a-z0-9_.-]{1,32}:[^\s]{1,200}$")


class InvalidIdentity(ValueError):
    pass


def normalise_email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise InvalidIdentity("not an e-mail address")
    return value


def normalise_phone(value: str, default_region: str = "ID") -> str:
    """E.164 (``+6281234567890``); numbers without a country code are read as Indonesian."""
    if len(value) > 64:
        raise InvalidIdentity("not a phone number")
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentity("not a phone number") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentity("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_handle(value: str) -> str:
    network, _, handle = value.strip().partition(":")
    value = f"{network.strip().lower()}:{handle.strip().lstrip('@')}"
    if not _HANDLE.match(value):
        raise InvalidIdentity("a handle is network:name, e.g. telegram:budi")
    return value


def normalise(kind: str, value: str) -> str:
    if kind == "email":
        return normalise_email(value)
    if kind == "phone":
        return normalise_phone(value)
    if kind == "handle":
        return normalise_handle(value)
    raise InvalidIdentity(f"unknown identity kind {kind!r}")
