"""Fixed-window request counters, keyed by anything hashable."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WindowResult:
    limit: int
    remaining: int
    reset_at: float
    exceeded: bool


@dataclass
class _Window:
    start: float
    reset_at: float
    used: int = 0


@dataclass
class RateLimiter:
    """Counts requests per key in fixed windows.

    ``aligned=True`` aligns windows to multiples of the period (Mastodon's rack-attack style);
    otherwise a window opens with the first request (X's 15-minute windows).
    """

    windows: dict[Hashable, _Window] = field(default_factory=dict)

    def _window(self, key: Hashable, period: float, now: float, aligned: bool) -> _Window:
        window = self.windows.get(key)
        if window is None or now >= window.reset_at:
            start = (now // period) * period if aligned else now
            window = _Window(start=start, reset_at=start + period)
            self.windows[key] = window
        return window

    def hit(
        self, key: Hashable, limit: int, period: float, now: float, aligned: bool = False
    ) -> WindowResult:
        window = self._window(key, period, now, aligned)
        if window.used >= limit:
            return WindowResult(limit, 0, window.reset_at, True)
        window.used += 1
        return WindowResult(limit, max(limit - window.used, 0), window.reset_at, False)

    def peek(
        self, key: Hashable, limit: int, period: float, now: float, aligned: bool = False
    ) -> WindowResult:
        window = self._window(key, period, now, aligned)
        return WindowResult(limit, max(limit - window.used, 0), window.reset_at, False)

    def exhaust(self, key: Hashable, limit: int, period: float, now: float, aligned: bool) -> None:
        self._window(key, period, now, aligned).used = limit

    def clear(self) -> None:
        self.windows.clear()
