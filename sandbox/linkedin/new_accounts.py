"""New LinkedIn members on demand (``POST /_sandbox/linkedin/accounts``), each the ADMINISTRATOR
of a new organisation page, so a connected channel can post as that page."""

from __future__ import annotations

import secrets
import string
from typing import Any

from sandbox.common.accounts import display_name, next_numeric_id, pick_username
from sandbox.linkedin.state import LinkedInState, Member, Organization

USERNAME = r"[A-Za-z0-9_-]{1,40}"  # the sandbox handle (LinkedIn itself shows no usernames)
FIRST_ORGANIZATION = 104857700  # above the seeded organisations


def _person_id(li: LinkedInState) -> str:
    """A person id shaped like LinkedIn's (10 letters and digits), unused so far."""
    alphabet = string.ascii_letters + string.digits
    while True:
        person = "".join(secrets.choice(alphabet) for _ in range(10))
        if li.member(person) is None:
            return person


def add_account(li: LinkedInState, body: dict[str, Any]) -> dict[str, Any]:
    username = pick_username(
        body,
        pattern=USERNAME,
        rule="1 to 40 letters, digits, hyphens or underscores",
        taken=lambda name: li.member(name) is not None,
    )
    org_name = body.get("organization") or f"{display_name(body, username)} Page"
    if not isinstance(org_name, str):
        raise ValueError("organization must be the page's name")
    org = Organization(
        id=next_numeric_id(li.organizations, FIRST_ORGANIZATION),
        name=org_name,
        vanity_name=username.lower().replace("_", "-"),
    )
    li.organizations[org.id] = org
    member = Member(
        id=_person_id(li),
        username=username,
        given_name=display_name(body, username),
        family_name="Sandbox",
        email=f"{username}@cuecast.example",
        admin_of=[org.id],
    )
    li.members[member.urn] = member
    return {
        "network": "linkedin",
        "id": member.id,
        "username": member.username,
        "member_urn": member.urn,
        "organization": {"id": org.id, "urn": org.urn, "name": org.name},
        "tokens": {"user": member.username},
    }
