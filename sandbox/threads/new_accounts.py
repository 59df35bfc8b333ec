"""New Threads users on demand (``POST /_sandbox/threads/accounts``)."""

from __future__ import annotations

from typing import Any

from sandbox.common.accounts import display_name, next_numeric_id, pick_username
from sandbox.threads.state import ThreadsState, ThreadsUser

# Threads uses the Instagram username: letters, digits, periods and underscores, at most 30.
USERNAME = r"[A-Za-z0-9_.]{1,30}"
FIRST_ID = 25000000000001000  # above the seeded users


def add_account(ts: ThreadsState, body: dict[str, Any]) -> dict[str, Any]:
    username = pick_username(
        body,
        pattern=USERNAME,
        rule="1 to 30 letters, digits, periods or underscores",
        taken=lambda name: ts.user_by_name(name) is not None,
    )
    user = ThreadsUser(
        id=next_numeric_id(ts.users, FIRST_ID),
        username=username,
        name=display_name(body, username),
    )
    ts.users[user.id] = user
    return {
        "network": "threads",
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "tokens": {"user": user.username},
    }
