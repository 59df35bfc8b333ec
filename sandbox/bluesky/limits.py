"""Points-based fixed-window rate limits, as the PDS's rate-limiter-flexible buckets count.

A window opens with the first consumption and lasts ``duration`` seconds. A request costing more
points than are left is refused and consumes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Status:
    limit: int
    duration: int  # seconds (the ``w=`` of RateLimit-Policy)
    remaining: int
    reset_at: float
    exceeded: bool


@dataclass
class _Window:
    reset_at: float
    used: int = 0


@dataclass
class PointsLimiter:
    windows: dict[Hashable, _Window] = field(default_factory=dict)

    def _window(self, key: Hashable, duration: int, now: float) -> _Window:
        window = self.windows.get(key)
        if window is None or now >= window.reset_at:
            window = self.windows[key] = _Window(reset_at=now + duration)
        return window

    def consume(self, key: Hashable, points: int, limit: int, duration: int, now: float) -> Status:
        window = self._window(key, duration, now)
        if window.used + points > limit:
            return Status(limit, duration, max(limit - window.used, 0), window.reset_at, True)
        window.used += points
        return Status(limit, duration, limit - window.used, window.reset_at, False)

    def exhaust(self, key: Hashable, limit: int, duration: int, now: float) -> None:
        self._window(key, duration, now).used = limit

    def clear(self) -> None:
        self.windows.clear()


def tightest(statuses: list[Status]) -> Status | None:
    """What the PDS reports: the first exceeded bucket, else the one with fewest points left."""
    for status in statuses:
        if status.exceeded:
            return status
    return min(statuses, key=lambda s: s.remaining, default=None)


def headers(status: Status) -> dict[str, str]:
    return {
        "ratelimit-limit": str(status.limit),
        "ratelimit-remaining": str(status.remaining),
        "ratelimit-reset": str(math.floor(status.reset_at)),
        "ratelimit-policy": f"{status.limit};w={status.duration}",
    }
