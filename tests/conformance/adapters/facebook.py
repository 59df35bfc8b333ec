from __future__ import annotations

from typing import Any

from cuecast.accounts.demo import sandbox_account
from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter

DEMO_PAGE_ID = "100000000000101"  # "Cuecast Demo Page" of the emulator's user cuecast_demo


def connected_account(sandbox: Any) -> ConnectedAccount:
    """The demo's sandbox account (cuecast/accounts/demo.py), as the connect flow stores it."""
    return sandbox_account(sandbox.url, "facebook")


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
