from __future__ import annotations

from typing import Any

from cuecast.accounts.demo import sandbox_account
from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter

DEMO_HANDLE = "cuecast-demo.bsky.sandbox"


def connected_account(sandbox: Any) -> ConnectedAccount:
    """The demo's sandbox account (cuecast/accounts/demo.py), as the connect flow stores it."""
    return sandbox_account(sandbox.url, "bluesky")


def exhaust_daily_cap(sandbox: Any) -> None:
    """Use up the account's 35,000 write points of the day. The control API has no switch for
    it, so this reaches into the emulator's limiter (the same one its 429s come from)."""
    from sandbox.bluesky.state import BlueskyState

    state = sandbox.state.net("bluesky", BlueskyState)
    account = state.account(DEMO_HANDLE)
    assert account is not None
    state.limiter.exhaust(
        ("write-day", account.did), state.config.write_points_day, 86_400, sandbox.state.now()
    )


ADAPTER = Adapter(
    network="bluesky",
    connected_account=connected_account,
    sandbox_user=DEMO_HANDLE,
    text_of=lambda item: str(item.get("text", "")),
    media_count_of=lambda item: len(
        ((item.get("extra") or {}).get("embed") or {}).get("images") or []
    ),
    # Bluesky has no API access tiers. Duplicates are accepted: the same text twice is two posts.
    scenarios=frozenset(SCENARIOS) - {"tier_missing"},
    rejects_duplicates=False,
    exhaust_daily_cap=exhaust_daily_cap,
)
