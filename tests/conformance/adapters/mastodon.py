from __future__ import annotations

from typing import Any

from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter


def connected_account(sandbox: Any) -> ConnectedAccount:
    from cuecast.accounts.demo import sandbox_accounts

    return sandbox_accounts(sandbox.url)["mastodon"]


ADAPTER = Adapter(
    network="mastodon",
    connected_account=connected_account,
    sandbox_user="demo",
    # Mastodon tokens do not expire, it has no access tiers and no daily cap.
    scenarios=frozenset(SCENARIOS) - {"expired_token", "tier_missing", "daily_cap"},
)
