"""Snowflake-like id generation (numeric strings that grow with time)."""

from __future__ import annotations

import threading
import time

TWITTER_EPOCH_MS = 1288834974657


class Snowflake:
    """Monotonic numeric ids: ``(ms since epoch) << shift | sequence``, as decimal strings."""

    def __init__(self, epoch_ms: int = TWITTER_EPOCH_MS, shift: int = 22) -> None:
        self._epoch_ms = epoch_ms
        self._shift = shift
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            candidate = (int(time.time() * 1000) - self._epoch_ms) << self._shift
            self._last = max(candidate, self._last + 1)
            return str(self._last)
