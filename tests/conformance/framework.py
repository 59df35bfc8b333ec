"""One scenario list, run against every network's connector and its sandbox emulator.

A network joins by adding `tests/conformance/adapters/<key>.py` with `ADAPTER = Adapter(...)`:
how to get a connected account from the sandbox, how to read its received log, and which
scenarios apply (a network without refresh tokens has no "expired token is refreshed" case).
`test_scenarios.py` generates one test per (network, scenario) that applies.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cuecast.networks.base import ConnectedAccount

SCENARIOS = (
    "text",  # a text post is published once, with a permalink
    "image",  # an image post is published with its image
    "thread",  # a multi-part post goes out as a thread / reply chain, each part once
    "duplicate",  # the same text twice: published twice, or the second refused and failed by name
    "expired_token",  # token expired → refreshed without the user, then published
    "revoked_token",  # token revoked → channel disconnected, its targets held with the reason
    "rate_limited",  # rate-limited → waits until the time the network names; no 429 storm
    "tier_missing",  # the app's access tier lacks the endpoint → held with the reason
    "daily_cap",  # the network's daily publishing cap reached → held until it reopens
    "timeout_reconciled",  # a timeout after the network accepted → found by reconciliation, not resent
    "delete",  # a published post is deleted
    "lookup",  # a published post is found again by its request
    "metrics",  # a published post's figures come back under the names its descriptor documents
    "account_metrics",  # the channel's own figures (followers) come back, named by the descriptor
)


@dataclass(frozen=True)
class Adapter:
    network: str
    connected_account: Callable[[Any], ConnectedAccount]  # from the running sandbox
    sandbox_user: str  # the user faults are aimed at
    text_of: Callable[[dict[str, Any]], str] = lambda item: str(item.get("text", ""))
    media_count_of: Callable[[dict[str, Any]], int] = lambda item: len(item.get("media_ids") or [])
    scenarios: frozenset[str] = frozenset(SCENARIOS)
    rejects_duplicates: bool = False
    # Puts the network's daily cap at zero remaining (daily_cap scenario).
    exhaust_daily_cap: Callable[[Any], None] | None = None
    # The network has no text-only posts (Instagram): every scheduled post gets a small image,
    # served for real at CUECAST_PUBLIC_URL because such networks fetch media by URL.
    needs_media: bool = False
    # The image type the network accepts in the image scenarios ("image/png" or "image/jpeg").
    image_type: str = "image/png"
    # The call that creates the post, when it is not the first call of a publish (Instagram reads
    # its publishing limit first): "accepted, then timed out" faults aim at it.
    create_endpoint: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def adapters() -> list[Adapter]:
    from tests.conformance import adapters as package

    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found.append(module.ADAPTER)
    return found
