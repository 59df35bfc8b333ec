"""New Mastodon accounts on demand (``POST /_sandbox/mastodon/accounts``)."""

from __future__ import annotations

from typing import Any

from sandbox.common.accounts import display_name, next_numeric_id, pick_username
from sandbox.mastodon.state import Account, MastodonState

# Mastodon usernames: letters, digits and underscores, at most 30 (app/models/account.rb).
USERNAME = r"[A-Za-z0-9_]{1,30}"
FIRST_ID = 110000000000001000  # above the seeded accounts


def add_account(ms: MastodonState, body: dict[str, Any]) -> dict[str, Any]:
    username = pick_username(
        body,
        pattern=USERNAME,
        rule="1 to 30 letters, digits or underscores",
        taken=lambda name: ms.account_by_name(name) is not None,
    )
    account = Account(
        id=next_numeric_id(ms.accounts, FIRST_ID),
        username=username,
        display_name=display_name(body, username),
    )
    ms.accounts[account.id] = account
    return {
        "network": "mastodon",
        "id": account.id,
        "username": account.username,
        "name": account.display_name,
        "tokens": {"user": account.username},
    }
