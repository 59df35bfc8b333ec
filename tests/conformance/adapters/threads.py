from __future__ import annotations

from typing import Any

from cuecast.accounts.demo import sandbox_account
from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter

USER = "cuecast_demo"


def connected_account(sandbox: Any) -> ConnectedAccount:
    """The demo's sandbox account (cuecast/accounts/demo.py), as the connect flow stores it."""
    # The scenarios freeze the sandbox clock, so a processing delay measured on it would never
    # end: process media at once (the connectors' polling is tested on its own).
    sandbox.control.config("threads", image_processing_seconds=0)
    return sandbox_account(sandbox.url, "threads")


def exhaust_daily_cap(sandbox: Any) -> None:
    # threads_publishing_limit then reports quota_usage == quota_total (250 per rolling 24 h).
    sandbox.control.config("threads", exhaust_quota={"user": USER, "kind": "posts"})


ADAPTER = Adapter(
    network="threads",
    connected_account=connected_account,
    sandbox_user=USER,
    text_of=lambda item: str(item.get("text", "")),
    # The emulator's received log keeps the fetched image addresses under "extra".
    media_count_of=lambda item: len((item.get("extra") or {}).get("media_urls") or []),
    # Threads has no API access tiers. "expired_token" does not apply: Threads refreshes a
    # long-lived token only while it is unexpired (docs, long-lived tokens: "Tokens that have not
    # been refreshed in 60 days will expire and can no longer be refreshed"), so an expired token
    # means connecting again (revoked_token covers that path); Cuecast refreshes ahead of expiry.
    scenarios=frozenset(SCENARIOS) - {"tier_missing", "expired_token"},
    # Threads reads its publishing limit and creates a container first: the "accepted, then
    # timed out" fault must hit the call that makes the post public.
    create_endpoint="POST /{version}/{id}/threads_publish",
    # Threads documents no duplicate-content refusal; the emulator publishes the same text twice.
    rejects_duplicates=False,
    exhaust_daily_cap=exhaust_daily_cap,
)
