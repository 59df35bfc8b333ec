"""Meta's usage headers as data, for the rate budgets and for `retry_at` after a throttle.

Graph APIs report usage as JSON percentages: `X-App-Usage` ({"call_count", "total_cputime",
"total_time"}) and `X-Business-Use-Case-Usage` ({"<id>": [{"type", "call_count", "total_cputime",
"total_time", "estimated_time_to_regain_access"}]}, minutes). developers.facebook.com/docs/
graph-api/overview/rate-limiting. [Unconfirmed that graph.threads.net sends them: the Threads
overview only gives the formula (4,800 calls x impressions per rolling 24 h); Cuecast reads them
when present.] The per-profile publishing caps are read from `threads_publishing_limit` instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Without a header naming the time, wait this long after a throttle (Graph: "wait and retry").
DEFAULT_WAIT = timedelta(minutes=5)


@dataclass(frozen=True)
class Usage:
    seen_at: datetime
    percent: int  # the highest of call_count, total_cputime and total_time, over all headers
    regain_minutes: int  # estimated_time_to_regain_access, 0 when not throttled or not said

    def retry_at(self) -> datetime | None:
        if self.regain_minutes <= 0:
            return None
        return self.seen_at + timedelta(minutes=self.regain_minutes)


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return None


def _percent(entry: Any) -> int:
    if not isinstance(entry, dict):
        return 0
    values = [entry.get(k) for k in ("call_count", "total_cputime", "total_time")]
    return max([int(v) for v in values if isinstance(v, int | float)] or [0])


def parse(headers: Mapping[str, str], now: datetime | None = None) -> Usage | None:
    now = now or datetime.now(UTC)
    found = False
    percent = 0
    regain = 0
    app = _json(headers.get("x-app-usage", ""))
    if isinstance(app, dict):
        found = True
        percent = max(percent, _percent(app))
    buc = _json(headers.get("x-business-use-case-usage", ""))
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                found = True
                percent = max(percent, _percent(entry))
                minutes = (
                    entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else 0
                )
                if isinstance(minutes, int | float):
                    regain = max(regain, int(minutes))
    if not found:
        return None
    return Usage(seen_at=now, percent=percent, regain_minutes=regain)


def retry_at(headers: Mapping[str, str], now: datetime | None = None) -> datetime:
    """When to come back after a throttle: the time the headers name, else a short default."""
    now = now or datetime.now(UTC)
    usage = parse(headers, now)
    named = usage.retry_at() if usage is not None else None
    return named or now + DEFAULT_WAIT
