from __future__ import annotations

from typing import Any

from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter


def connected_account(sandbox: Any) -> ConnectedAccount:
    from cuecast.accounts.demo import sandbox_accounts

    return sandbox_accounts(sandbox.url)["x"]


ADAPTER = Adapter(
    network="x",
    connected_account=connected_account,
    sandbox_user="cuecast_demo",
    rejects_duplicates=True,
    # X's caps are monthly usage caps on paid tiers (usage-capped), not a daily publishing cap.
    scenarios=frozenset(SCENARIOS) - {"daily_cap"},
)
