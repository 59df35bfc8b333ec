"""X's rate-limit headers as data, for the rate budgets (docs.x.com/x-api/fundamentals/rate-limits).

Every response carries the endpoint's 15-minute window (`x-rate-limit-limit|remaining|reset`,
reset in Unix seconds); some add 24-hour windows per user and per app
(`x-user-limit-24hour-*`, `x-app-limit-24hour-*`). X sends no Retry-After.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Window:
    limit: int | None
    remaining: int | None
    reset_at: datetime | None

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


@dataclass(frozen=True)
class RateLimitInfo:
    endpoint: str  # "POST /2/tweets"
    seen_at: datetime
    window: Window | None  # the endpoint's 15-minute window
    user_24h: Window | None
    app_24h: Window | None

    def retry_at(self) -> datetime | None:
        """When to come back after a 429: the latest reset among the exhausted windows."""
        exhausted = [w for w in (self.user_24h, self.app_24h) if w is not None and w.exhausted]
        candidates = [w.reset_at for w in exhausted if w.reset_at is not None]
        if self.window is not None and self.window.reset_at is not None:
            candidates.append(self.window.reset_at)
        return max(candidates) if candidates else None

    @property
    def daily_exhausted(self) -> bool:
        return any(w is not None and w.exhausted for w in (self.user_24h, self.app_24h))


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name, "").strip()
    try:
        return int(value)
    except ValueError:
        return None


def _window(headers: Mapping[str, str], prefix: str) -> Window | None:
    limit = _int(headers, f"{prefix}-limit")
    remaining = _int(headers, f"{prefix}-remaining")
    reset = _int(headers, f"{prefix}-reset")
    if limit is None and remaining is None and reset is None:
        return None
    reset_at = datetime.fromtimestamp(reset, UTC) if reset is not None else None
    return Window(limit=limit, remaining=remaining, reset_at=reset_at)


def parse(endpoint: str, headers: Mapping[str, str]) -> RateLimitInfo | None:
    info = RateLimitInfo(
        endpoint=endpoint,
        seen_at=datetime.now(UTC),
        window=_window(headers, "x-rate-limit"),
        user_24h=_window(headers, "x-user-limit-24hour"),
        app_24h=_window(headers, "x-app-limit-24hour"),
    )
    if info.window is None and info.user_24h is None and info.app_24h is None:
        return None
    return info
