"""LinkedIn in the conformance scenarios: an organization page of the sandbox's demo member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter

MEMBER = "demo"


def connected_account(sandbox: Any) -> ConnectedAccount:
    """The demo member's first page, authorised with the partner client (gets refresh tokens)."""
    # The scenarios freeze the sandbox's clock, so an image "processing" for a second would never
    # become AVAILABLE: process uploads at once (the connector's polling is tested on its own).
    sandbox.control.config("linkedin", image_processing_seconds=0)
    tokens = sandbox.control.tokens("linkedin", MEMBER)
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=int(tokens["expires_in"]))
    refresh_ends = now + timedelta(seconds=int(tokens["refresh_token_expires_in"]))
    org = tokens["organizations"][0]
    return ConnectedAccount(
        external_id=org,
        handle="cuecast-demo",
        display_name="Cuecast Demo GmbH",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "expires_at": expires.isoformat(),
            "refresh_expires_at": refresh_ends.isoformat(),
        },
        token_expires_at=expires,
        settings={"author_kind": "organization", "member_urn": tokens["member_urn"]},
    )


def exhaust_daily_cap(sandbox: Any) -> None:
    """Use up the member's daily counter for creating posts; it reopens at 00:00 UTC."""
    sandbox.control.fault("linkedin", "rate_limit_burst", endpoint="POST /rest/posts", user=MEMBER)


ADAPTER = Adapter(
    network="linkedin",
    connected_account=connected_account,
    sandbox_user=MEMBER,
    rejects_duplicates=True,  # 422 DUPLICATE_POST naming the earlier post
    exhaust_daily_cap=exhaust_daily_cap,
    scenarios=frozenset(SCENARIOS)
    # LinkedIn has no threads: a multi-part post is refused (tests/networks/linkedin covers it).
    - {"thread"}
    # LinkedIn has no access tiers for posting: the Community Management API is granted or not,
    # and a missing grant shows as ACCESS_DENIED (a disconnect), not a tier.
    - {"tier_missing"}
    # LinkedIn's only rate limits are daily counters reset at 00:00 UTC, and a 429 names no time:
    # every 429 is a daily quota (held until midnight UTC), which `daily_cap` covers.
    - {"rate_limited"},
)
