"""New Bluesky accounts on demand (``POST /_sandbox/bluesky/accounts``): a DID, a handle under
``.bsky.sandbox``, an account password and an app password, and an empty repo."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.bluesky.state import HANDLE_DOMAIN, Account, BlueskyState
from sandbox.common.accounts import display_name, pick_username

# One DNS label (atproto.com/specs/handle): letters, digits and hyphens, no hyphen at either end.
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HANDLE = rf"{LABEL}(\.{LABEL})*"
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"  # did:plc identifiers: 24 characters of base32


def _new_did(bs: BlueskyState) -> str:
    while True:
        did = "did:plc:" + "".join(secrets.choice(BASE32) for _ in range(24))
        if did not in bs.accounts:
            return did


def _app_password() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _handle(name: str) -> str:
    name = name.lower()
    return name if "." in name else f"{name}{HANDLE_DOMAIN}"


def add_account(bs: BlueskyState, body: dict[str, Any]) -> dict[str, Any]:
    name = pick_username(
        body,
        pattern=HANDLE,
        rule="a handle (letters, digits and hyphens; .bsky.sandbox is added without a dot)",
        taken=lambda wanted: bs.account(_handle(wanted)) is not None,
        prefix="sandbox-user-",
    )
    handle = _handle(name)
    account = Account(
        did=_new_did(bs),
        handle=handle,
        email=f"{handle}@cuecast.sandbox",  # unique, as the handle is
        password=secrets.token_urlsafe(16),
        app_passwords={"cuecast": _app_password()},
        display_name=display_name(body, handle.split(".")[0]),
    )
    bs.accounts[account.did] = account
    bs.repo(account.did)
    return {
        "network": "bluesky",
        "id": account.did,
        "did": account.did,
        "username": account.handle,
        "handle": account.handle,
        "name": account.display_name,
        "password": account.password,
        "app_password": account.app_passwords["cuecast"],
        "tokens": {"user": account.handle},
    }
