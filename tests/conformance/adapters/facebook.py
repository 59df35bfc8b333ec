from __future__ import annotations

from typing import Any

from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter

DEMO_PAGE_ID = "100000000000101"  # "Cuecast Demo Page" of the emulator's user cuecast_demo


def connected_account(sandbox: Any) -> ConnectedAccount:
    """The demo user's first Page, with the Page token the emulator mints (as /me/accounts would
    hand it out after Facebook Login with a long-lived user token)."""
    tokens = sandbox.control.tokens("facebook", "cuecast_demo")
    return ConnectedAccount(
        external_id=str(tokens["page_id"]),
        handle=str(tokens["page_name"]),
        display_name=str(tokens["page_name"]),
        base_url="",
        credentials={
            "page_access_token": tokens["page_access_token"],
            "user_access_token": tokens["user_access_token"],
        },
        token_expires_at=None,
    )


ADAPTER = Adapter(
    network="facebook",
    connected_account=connected_account,
    # The emulator issues Page tokens to the Page (its id is the token's user), so faults aimed at
    # the Facebook user do not reach them: aim at the Page.
    sandbox_user=DEMO_PAGE_ID,
    rejects_duplicates=True,  # (#506) Duplicate status message
    scenarios=frozenset(SCENARIOS)
    - {
        "thread",  # a Page post has no threads or reply chains (Capabilities.threads=False)
        "tier_missing",  # Graph has no paid access tiers; App Review is checked when connecting
        "daily_cap",  # Facebook documents no daily publishing cap for Pages (rate limits only)
        "expired_token",  # Page tokens from a long-lived user token do not expire: no refresh
    },
)
