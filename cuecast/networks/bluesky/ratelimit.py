"""Bluesky's rate-limit headers as data, for the rate budgets.

The PDS answers with `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset` and
`ratelimit-policy` (draft-polli-ratelimit-headers; docs.bsky.app/docs/advanced-guides/rate-limits).
Bluesky sends `ratelimit-reset` as a UNIX time in seconds; the IETF draft defines it as seconds
from now, so a small number is read that way. `ratelimit-policy` is `<limit>;w=<window seconds>`.
The write-points budget itself (create = 3 points; 5,000 per hour, 35,000 per day per account)
is in descriptor.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DAY = 86_400
_WINDOW = re.compile(r"(?:^|;)\s*w\s*=\s*(\d+)")
# Anything below this is a delta in seconds, not a UNIX time (2001-09-09).
_EPOCH_FLOOR = 1_000_000_000


@dataclass(frozen=True)
class RateLimitInfo:
    limit: int | None
    remaining: int | None
    reset_at: datetime | None
    window_seconds: int | None
    policy: str

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    @property
    def daily(self) -> bool:
        """The limit that answered is a day-long one (the 35,000 write points per day)."""
        return self.window_seconds is not None and self.window_seconds >= DAY


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = (headers.get(name) or "").strip()
    try:
        return int(value)
    except ValueError:
        return None


def parse(headers: Mapping[str, str], now: datetime | None = None) -> RateLimitInfo | None:
    limit = _int(headers, "ratelimit-limit")
    remaining = _int(headers, "ratelimit-remaining")
    reset = _int(headers, "ratelimit-reset")
    policy = (headers.get("ratelimit-policy") or "").strip()
    if limit is None and remaining is None and reset is None and not policy:
        return None
    reset_at = None
    if reset is not None:
        if reset >= _EPOCH_FLOOR:
            reset_at = datetime.fromtimestamp(reset, UTC)
        else:
            reset_at = (now or datetime.now(UTC)) + timedelta(seconds=max(reset, 0))
    window = _WINDOW.search(policy)
    return RateLimitInfo(
        limit=limit,
        remaining=remaining,
        reset_at=reset_at,
        window_seconds=int(window.group(1)) if window else None,
        policy=policy,
    )


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> datetime | None:
    """`Retry-After` (seconds) as a time, for servers that send it instead."""
    value = (headers.get("retry-after") or "").strip()
    if not value.isdigit():
        return None
    return (now or datetime.now(UTC)) + timedelta(seconds=int(value))
