"""Credential encryption at rest (Fernet, with rotatable keys).

The first key in CUECAST_ENCRYPTION_KEYS encrypts; every listed key decrypts. To rotate: put a new
key first, keep the old ones after it, run `cuecast rotate-keys` (re-encrypts every stored secret),
then drop the old keys.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.db import models

from cuecast import config


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted with any configured key."""


@cache
def _fernet() -> MultiFernet:
    keys = config.load().encryption_keys
    if not keys:
        raise RuntimeError("No encryption key is configured (CUECAST_ENCRYPTION_KEYS).")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt(data: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()


def decrypt(token: str) -> dict[str, Any]:
    try:
        plain = _fernet().decrypt(token.encode())
    except InvalidToken as exc:
        raise CredentialsUnreadable(
            "Stored credentials cannot be read with the configured encryption keys."
        ) from exc
    value: dict[str, Any] = json.loads(plain)
    return value


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()


if TYPE_CHECKING:  # Django's Field is generic only in its type stubs
    _JSONFieldBase = models.Field[dict[str, Any] | None, dict[str, Any]]
else:
    _JSONFieldBase = models.Field


class EncryptedJSONField(_JSONFieldBase):
    """A dict stored as a Fernet token in a text column. The database never sees the plaintext."""

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: str | None, expression: object, connection: object) -> Any:
        if value is None or value == "":
            return {}
        return decrypt(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        if not value:
            return {}
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(dict(value))
