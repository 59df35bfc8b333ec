from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter

IG_USER = "cuecast_demo_ig"  # the emulator's Instagram professional account
FB_USER = "cuecast_demo"  # the Facebook user whose token it is: faults aim at tokens' users


def connected_account(sandbox: Any) -> ConnectedAccount:
    # The scenarios freeze the sandbox's clock, so a container would never finish its simulated
    # processing delay: make processing instant (the media fetch itself still happens).
    sandbox.control.config("instagram", image_processing_seconds=0)
    tokens = sandbox.control.tokens("instagram", IG_USER)
    expires = datetime.now(UTC) + timedelta(seconds=int(tokens.get("expires_in") or 5184000))
    return ConnectedAccount(
        external_id=str(tokens["ig_user_id"]),
        handle=str(tokens["username"]),
        display_name="Cuecast Demo (Instagram sandbox)",
        base_url="",
        credentials={
            "access_token": tokens["access_token"],
            "page_id": str(tokens["page_id"]),
            "expires_at": expires.isoformat(),
        },
        token_expires_at=expires,
    )


def exhaust_daily_cap(sandbox: Any) -> None:
    sandbox.control.config("instagram", exhaust_quota=IG_USER)


ADAPTER = Adapter(
    network="instagram",
    connected_account=connected_account,
    sandbox_user=FB_USER,
    text_of=lambda item: str(item.get("text", item.get("caption", ""))),
    media_count_of=lambda item: len((item.get("extra") or {}).get("media_urls") or []),
    create_endpoint="POST /{version}/{id}/media_publish",
    # Instagram has no text-only posts: every scenario's post carries a JPEG (Instagram's only
    # image format for publishing), served at CUECAST_PUBLIC_URL for the emulator to fetch.
    needs_media=True,
    image_type="image/jpeg",
    exhaust_daily_cap=exhaust_daily_cap,
    # No threads on Instagram. Apps cannot delete Instagram posts. Instagram has no access tiers
    # for this API. An expired Facebook user token cannot be renewed (fb_exchange_token refuses
    # expired tokens: the person must log in again), so "expired token is refreshed" cannot
    # happen; the expired case ends disconnected, tested in tests/networks/instagram/.
    scenarios=frozenset(SCENARIOS) - {"thread", "delete", "tier_missing", "expired_token"},
)
