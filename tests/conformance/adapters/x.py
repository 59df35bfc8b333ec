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
    # The X emulator does not emulate media upload yet; X has no daily cap of its own here.
    scenarios=frozenset(SCENARIOS) - {"image", "daily_cap"},
)
