"""LinkedIn in the conformance scenarios: an organization page of the sandbox's demo member."""

from __future__ import annotations

from typing import Any

from cuecast.accounts.demo import sandbox_account
from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter

MEMBER = "demo"


def connected_account(sandbox: Any) -> ConnectedAccount:
    """The demo's sandbox account (cuecast/accounts/demo.py), as the connect flow stores it."""
    # The scenarios freeze the sandbox clock, so a processing delay measured on it would never
    # end: process media at once (the connectors' polling is tested on its own).
    sandbox.control.config("linkedin", image_processing_seconds=0)
    return sandbox_account(sandbox.url, "linkedin")


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
