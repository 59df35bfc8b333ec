"""New X users on demand (``POST /_sandbox/x/accounts``)."""

from __future__ import annotations

from typing import Any

from sandbox.common.accounts import display_name, next_numeric_id, pick_username
from sandbox.x.state import XState, XUser

# X handles: 1-15 letters, digits and underscores (help.x.com, "Choosing a username").
USERNAME = r"[A-Za-z0-9_]{1,15}"
FIRST_ID = 1849302716458300000  # above the seeded users, in the same (2024) snowflake range


def add_account(xs: XState, body: dict[str, Any]) -> dict[str, Any]:
    username = pick_username(
        body,
        pattern=USERNAME,
        rule="1 to 15 letters, digits or underscores",
        taken=lambda name: xs.user_by_name(name) is not None,
        prefix="sandbox_",
    )
    user = XUser(
        id=next_numeric_id(xs.users, FIRST_ID),
        username=username,
        name=display_name(body, username),
    )
    xs.users[user.id] = user
    return {
        "network": "x",
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "tokens": {"user": user.username},
    }
