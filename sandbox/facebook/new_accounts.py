"""New Facebook users on demand (``POST /_sandbox/facebook/accounts``), each with a Page of their
own; the Instagram emulator adds an IG professional account linked to such a Page
(sandbox/instagram/new_accounts.py)."""

from __future__ import annotations

from typing import Any

from sandbox.common.accounts import AccountExists, display_name, pick_username
from sandbox.facebook.state import FacebookState, FbUser, Page

USERNAME = r"[A-Za-z0-9_.]{1,50}"


def username_taken(fs: FacebookState, name: str) -> bool:
    return fs.user_by_name(name) is not None


def new_user(fs: FacebookState, username: str, name: str) -> FbUser:
    user = FbUser(id=fs.ids.next(), username=username, name=name)
    fs.users[user.id] = user
    return user


def new_page(fs: FacebookState, owner: FbUser, name: str, instagram: str | None = None) -> Page:
    if fs.page_by_name(name) is not None:
        raise AccountExists(f"a Page named {name!r} exists")
    page = Page(
        id=fs.ids.next(), name=name, owner_id=owner.id, instagram_business_account=instagram
    )
    fs.pages[page.id] = page
    return page


def add_account(fs: FacebookState, body: dict[str, Any]) -> dict[str, Any]:
    username = pick_username(
        body,
        pattern=USERNAME,
        rule="1 to 50 letters, digits, periods or underscores",
        taken=lambda name: username_taken(fs, name),
    )
    page_name = body.get("page") or f"{display_name(body, username)} Page"
    if not isinstance(page_name, str):
        raise ValueError("page must be the Page's name")
    if fs.page_by_name(page_name) is not None:
        raise AccountExists(f"a Page named {page_name!r} exists")
    user = new_user(fs, username, display_name(body, username))
    page = new_page(fs, user, page_name)
    return {
        "network": "facebook",
        "id": user.id,
        "username": user.username,
        "page_id": page.id,
        "page_name": page.name,
        "tokens": {"user": user.username, "page": page.name},
    }
