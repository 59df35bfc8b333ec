"""New Instagram professional accounts on demand (``POST /_sandbox/instagram/accounts``).

Instagram API with Facebook Login: the IG account is linked to a Facebook Page, and its tokens are
a Facebook user's. So one call creates all three in the Facebook emulator's state: a Facebook user
(``{username}_ig_owner``), their Page (``{username} Instagram Page``) and the IG account linked to it.
"""

from __future__ import annotations

from typing import Any

from sandbox.common.accounts import AccountExists, display_name, next_numeric_id, pick_username
from sandbox.facebook.new_accounts import new_page, new_user, username_taken
from sandbox.facebook.state import FacebookState, IgSeed

# Instagram usernames: letters, digits, periods and underscores, at most 30.
USERNAME = r"[A-Za-z0-9_.]{1,30}"
FIRST_ID = 17841400000001000  # above the seeded IG accounts


def _ig_taken(fs: FacebookState, name: str) -> bool:
    return any(seed.username.lower() == name.lower() for seed in fs.instagram.values())


def add_account(fs: FacebookState, body: dict[str, Any]) -> dict[str, Any]:
    username = pick_username(
        body,
        pattern=USERNAME,
        rule="1 to 30 letters, digits, periods or underscores",
        taken=lambda name: _ig_taken(fs, name),
        prefix="sandbox_ig_",
    )
    owner_name, page_name = f"{username}_ig_owner", f"{username} Instagram Page"
    if username_taken(fs, owner_name):
        raise AccountExists(f"the Facebook user {owner_name!r} exists")
    if fs.page_by_name(page_name) is not None:
        raise AccountExists(f"a Page named {page_name!r} exists")
    ig_id = next_numeric_id(fs.instagram, FIRST_ID)
    name = display_name(body, username)
    owner = new_user(fs, owner_name, name)
    page = new_page(fs, owner, page_name, instagram=ig_id)
    fs.instagram[ig_id] = IgSeed(id=ig_id, username=username, name=name, page_id=page.id)
    return {
        "network": "instagram",
        "id": ig_id,
        "ig_user_id": ig_id,
        "username": username,
        "page_id": page.id,
        "page_name": page.name,
        "facebook_user_id": owner.id,
        "facebook_username": owner.username,
        "tokens": {"user": username},
    }
