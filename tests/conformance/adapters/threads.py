from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter

USER = "cuecast_demo"


def connected_account(sandbox: Any) -> ConnectedAccount:
    """A long-lived token minted by the emulator's control API, as `finish()` would store it."""
    # The scenarios freeze the sandbox clock (World), so a processing delay measured on it would
    # never end: images are ready as soon as the emulator has fetched them.
    sandbox.control.config("threads", image_processing_seconds=0)
    tokens = sandbox.control.tokens("threads", USER)
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=int(tokens["expires_in"]))
    return ConnectedAccount(
        external_id=str(tokens["user_id"]),
        handle=str(tokens["username"]),
        display_name="Cuecast Demo (Threads sandbox)",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "expires_at": expires.isoformat(),
            "issued_at": now.isoformat(),
        },
        token_expires_at=expires,
    )


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
