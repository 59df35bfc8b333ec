from __future__ import annotations

from typing import Any

from cuecast.accounts.demo import sandbox_account
from cuecast.networks.base import ConnectedAccount
from tests.conformance.framework import SCENARIOS, Adapter

IG_USER = "cuecast_demo_ig"  # the emulator's Instagram professional account
FB_USER = "cuecast_demo"  # the Facebook user whose token it is: faults aim at tokens' users


def connected_account(sandbox: Any) -> ConnectedAccount:
    """The demo's sandbox account (cuecast/accounts/demo.py), as the connect flow stores it."""
    # The scenarios freeze the sandbox clock, so a processing delay measured on it would never
    # end: process media at once (the connectors' polling is tested on its own).
    sandbox.control.config("instagram", image_processing_seconds=0)
    return sandbox_account(sandbox.url, "instagram")


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
